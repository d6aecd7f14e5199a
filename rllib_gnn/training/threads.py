"""The threading policy of a run's processes, chosen for a machine that other work shares.

Two kinds of torch work run in a training run, and they want different threads:

- **Small-batch inference** (env runners acting, a policy playing an evaluation): one
  forward pass over a few small graphs. Its ops are too small to gain from a second thread,
  and every op is a barrier for all threads: when another process holds one of the cores,
  each op waits for the descheduled thread (an evaluation episode on 100-node MVC graphs
  took 4-19 s on 2 threads against 0.2-0.3 s on one, with 2 shared cores). It runs on
  :data:`SAMPLING_THREADS` thread.
- **The learner's update**: minibatches of thousands of nodes, where more threads pay off.
  It keeps the threads of the CPUs its process was given (Ray sets ``OMP_NUM_THREADS`` to
  the process's ``num_cpus``: ``resources.num_cpus_for_main_process`` for the local learner,
  ``learners.num_cpus_per_learner`` for remote ones), but for the minibatches that run
  while the same process samples in the background (:func:`update_threads`).

Every process of a run also gets :data:`PROCESS_ENV` before torch loads: OpenMP threads
that wait for work sleep rather than spin, so an idle learner thread never steals the core
that another process (or the env stepping) needs. A value the user sets wins.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import torch
from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner
from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

from rllib_gnn.training.memory import MALLOC_ENV

#: Torch intra-op threads of small-batch inference (sampling, evaluation play).
SAMPLING_THREADS = 1
#: Environment variables of every process of a run (unless already set): OpenMP's wait
#: policy, and glibc keeping freed memory for large tensors (:mod:`~rllib_gnn.training.memory`).
PROCESS_ENV = {"OMP_WAIT_POLICY": "PASSIVE", **MALLOC_ENV}


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Torch intra-op threads = ``count`` for the duration, then as they were."""
    before = torch.get_num_threads()
    if before != count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


#: Set while this process samples in a background thread (``sample_during_update``).
BACKGROUND_SAMPLING = threading.Event()


def update_threads(process_threads: int) -> int:
    """Torch threads for the next step of a learner's update: :data:`SAMPLING_THREADS`
    while this process samples in the background (the sampler holds a core), else
    ``process_threads``, all the process was given."""
    return SAMPLING_THREADS if BACKGROUND_SAMPLING.is_set() else process_threads


def runtime_env() -> dict[str, Any]:
    """The Ray runtime env that gives a run's processes :data:`PROCESS_ENV` (keys the
    driver's environment already sets are left to it: a job's own settings win)."""
    env_vars = {key: value for key, value in PROCESS_ENV.items() if key not in os.environ}
    return {"env_vars": env_vars} if env_vars else {}


class SmallBatchSampling:
    """EnvRunner mixin: sampling runs on :data:`SAMPLING_THREADS` torch thread(s), so the
    local env runner of a trial that also hosts the learner switches to one thread while it
    samples and back for the update. It sets the count of the thread that samples, which
    is :class:`~rllib_gnn.training.overlap.GraphPPO`'s background thread while sampling
    overlaps the update."""

    def sample(self, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(SAMPLING_THREADS):
            return super().sample(*args, **kwargs)


class GraphSingleAgentEnvRunner(SmallBatchSampling, SingleAgentEnvRunner):
    """RLlib's single-agent env runner, sampling on one torch thread."""


class GraphMultiAgentEnvRunner(SmallBatchSampling, MultiAgentEnvRunner):
    """RLlib's multi-agent env runner, sampling on one torch thread."""
