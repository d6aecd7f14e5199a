"""PPO that samples the next batch while it learns from the current one.

RLlib's PPO alternates: sample a batch with the latest weights, then update on it, so on a
small machine one of the two is always idle. With ``training.sample_during_update: true``
the env runner samples batch k+1 in a background thread while the learner updates on
batch k; the weights reach the env runner when that sample is done, so every batch is
sampled by the policy of one update earlier than PPO's (a policy lag of one iteration).
PPO's loss already divides by the probabilities the batch was sampled with (its
``action_logp``), so the clipped ratio accounts for the lag; what it costs in learning per
env step is measured in ``README.md`` (``benchmarks/mvc_quality.py``).

Overlap needs the two to run at once: the update's torch kernels release Python's GIL, the
env runner's Python work holds it. The sampler thread runs on :data:`SAMPLING_THREADS`
torch thread, and so does the update while :data:`BACKGROUND_SAMPLING` is set: one core
samples while the other updates (two update threads contend with the sampler: 1,680
against 1,739 env steps/s quiet, 1,074 against 1,358 with a busy core). Once the sample is
done the learner's remaining minibatches take all the process's threads
(:class:`~rllib_gnn.training.ppo_learner.GraphPPOLearner`). It is for the local env runner
(``num_env_runners: 0``): remote env runners already sample in their own processes.

:meth:`GraphPPO.get_module` returns the learner's module then (the latest weights). Around
the pending sample: a checkpoint (``get_state``) and ``stop`` wait for it first
(the env runner's state is never read mid-sample); a restore (``set_state``) drops it,
since it was sampled by the weights being replaced.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

from ray.rllib.algorithms.ppo import PPO
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.execution.rollout_ops import synchronous_parallel_sample
from ray.rllib.utils.metrics import (
    ENV_RUNNER_RESULTS,
    ENV_RUNNER_SAMPLING_TIMER,
    LEARNER_RESULTS,
    LEARNER_UPDATE_TIMER,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    SYNCH_WORKER_WEIGHTS_TIMER,
    TIMERS,
)

from rllib_gnn.training.threads import BACKGROUND_SAMPLING, SAMPLING_THREADS, torch_threads

__all__ = ["GraphPPO"]


class GraphPPO(PPO):
    """RLlib's PPO, plus sampling during the update when the config's
    ``sample_during_update`` is set (otherwise exactly RLlib's ``training_step``)."""

    _sampler: concurrent.futures.ThreadPoolExecutor | None = None
    _pending: concurrent.futures.Future | None = None

    def training_step(self) -> None:
        if not getattr(self.config, "sample_during_update", False):
            return super().training_step()
        with torch_threads(SAMPLING_THREADS):
            self._overlapped_step()

    def _overlapped_step(self) -> None:
        """Take the pending batch, sync the weights, sample the next batch in the background
        and update on this one."""
        with self.metrics.log_time((TIMERS, ENV_RUNNER_SAMPLING_TIMER)):
            if self._pending is None:  # first iteration, or after a restore
                self._start_sample()
            episodes, env_runner_results = self._pending.result()
            self._pending = None
            self.metrics.aggregate(env_runner_results, key=ENV_RUNNER_RESULTS)
        # The update just before this one is not in the env runner yet: it finished while
        # that batch was sampled. Sync now, then sample the next batch during this update.
        with self.metrics.log_time((TIMERS, SYNCH_WORKER_WEIGHTS_TIMER)):
            self.env_runner_group.sync_weights(from_worker_or_learner_group=self.learner_group,
                                               inference_only=True)
        self._start_sample()
        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            learner_results = self.learner_group.update(
                episodes=episodes,
                timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: self.metrics.peek(
                    (ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME))},
                num_epochs=self.config.num_epochs,
                minibatch_size=self.config.minibatch_size,
                shuffle_batch_per_epoch=self.config.shuffle_batch_per_epoch,
            )
            self.metrics.aggregate(learner_results, key=LEARNER_RESULTS)

    def _start_sample(self) -> None:
        """Sample one train batch in the background thread."""
        if self._sampler is None:
            self._sampler = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="rllib-gnn-sampler")
        BACKGROUND_SAMPLING.set()  # before the submit: the update must see it at once
        self._pending = self._sampler.submit(self._sample)

    def _sample(self) -> Any:
        """One train batch from the env runner (in the sampler thread)."""
        try:  # the env runner sets this thread's torch threads (threads.SmallBatchSampling)
            return synchronous_parallel_sample(
                worker_set=self.env_runner_group,
                max_env_steps=self.config.total_train_batch_size,
                sample_timeout_s=self.config.sample_timeout_s, _uses_new_env_runners=True,
                _return_metrics=True)
        finally:
            BACKGROUND_SAMPLING.clear()

    def _settle_sample(self) -> None:
        """Wait until no sample is running (its batch stays pending for the next step)."""
        if self._pending is not None:
            concurrent.futures.wait([self._pending])

    def get_module(self, module_id: str = DEFAULT_MODULE_ID):
        """The module with the latest weights: while sampling overlaps the update the env
        runner's module is one update behind (and in use), so the local learner's."""
        if getattr(self.config, "sample_during_update", False) and self.learner_group.is_local:
            return self.learner_group._learner.module[module_id]
        return super().get_module(module_id)

    def get_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._settle_sample()
        return super().get_state(*args, **kwargs)

    def set_state(self, state: dict[str, Any]) -> None:
        self._settle_sample()
        self._pending = None
        super().set_state(state)

    def cleanup(self) -> None:
        self._settle_sample()
        self._pending = None
        if self._sampler is not None:
            self._sampler.shutdown()
            self._sampler = None
        super().cleanup()
