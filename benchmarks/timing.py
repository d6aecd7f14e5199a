"""Shared by the training benchmarks: timing RLlib iterations, other load on the machine,
and the process environment the service gives a trial."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

#: The ``--set`` that turns the experiment's periodic evaluation off: throughput figures
#: time training alone (a benchmark with its own evaluation loop runs that instead).
NO_PERIODIC_EVALUATION = "periodic_evaluation.every=0"
#: Kinds of other work on the machine: each process keeps one core busy until it is ended.
LOADS = {
    "python": "while True: pass",
    "numpy": "import numpy as np\na = np.random.rand(300, 300)\nwhile True: a @ a",
}
#: The busy processes' BLAS and OpenMP on one thread: one core each.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextlib.contextmanager
def busy(kind: str | None, count: int = 1) -> Iterator[None]:
    """``count`` processes of load ``kind`` (a :data:`LOADS` key; None: none) for the
    duration."""
    processes = [] if kind is None else [
        subprocess.Popen([sys.executable, "-c", LOADS[kind]], env={**os.environ, **_ONE_THREAD})
        for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


def service_env() -> dict[str, str]:
    """This process's environment plus what the service's runtime env gives every process of
    a run (``rllib_gnn.training.threads.PROCESS_ENV``; values already set win)."""
    from rllib_gnn.training.threads import PROCESS_ENV

    return {**PROCESS_ENV, **os.environ}


def rerun_as_the_service() -> None:
    """Re-run this script with :func:`service_env` unless it has it already: the OpenMP
    settings must be in place before torch loads, as in a trial process."""
    env = service_env()
    if env != dict(os.environ):
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def time_training(algo, iterations: int) -> dict[str, float]:
    """One warm-up iteration, then ``iterations`` timed ones.

    Returns env steps sampled in the timed iterations, their wall seconds, env steps/s,
    and RLlib's own sampling and learner-update timers averaged per iteration.
    """
    algo.train()  # warm-up: builds connectors, first episodes
    start_steps, start = None, time.perf_counter()
    sample_s = learn_s = 0.0
    for _ in range(iterations):
        result = algo.train()
        runners = result["env_runners"]
        if start_steps is None:
            start_steps = runners["num_env_steps_sampled_lifetime"] - runners["num_env_steps_sampled"]
        sample_s += result["timers"]["env_runner_sampling_timer"]
        learn_s += result["timers"]["learner_update_timer"]
    seconds = time.perf_counter() - start
    steps = result["env_runners"]["num_env_steps_sampled_lifetime"] - start_steps
    return {"env_steps": steps, "seconds": seconds, "env_steps_per_s": steps / seconds,
            "sampling_timer_s": sample_s / iterations, "learner_timer_s": learn_s / iterations}


def overlap_overrides(runners: int) -> list[str]:
    """``--set`` lines for a setting with ``runners`` remote env runners: with any, no
    sampling during the update (it samples with the trial's own env runner)."""
    return ["training.sample_during_update=false"] if runners else []
