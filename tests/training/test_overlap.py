"""Sampling during the update (``training.sample_during_update``) and the vector env that
the service's env runners step."""

import time

import pytest

from envs.mvc.vector import MinVertexCoverVectorEnv
from rllib_gnn.training.algorithm import build_algorithm_config
from rllib_gnn.training.experiment import resolve_experiment
from tests.tiny import TINY_MVC


def _algo(**training):
    experiment = resolve_experiment({**TINY_MVC, "training": {**TINY_MVC["training"],
                                                              **training}})
    return build_algorithm_config(experiment).build_algo()


def _record(calls: list, name: str, fn):
    """``fn``, appending [name, start, end] to ``calls`` (end: inf until it returns)."""
    def timed(*args, **kwargs):
        call = [name, time.perf_counter(), float("inf")]
        calls.append(call)
        try:
            return fn(*args, **kwargs)
        finally:
            call[2] = time.perf_counter()
    return timed


def test_the_service_steps_the_mvc_env_runners_envs_as_one_vector_env(ray_session):
    algo = _algo()
    try:
        assert isinstance(algo.env_runner.env.unwrapped, MinVertexCoverVectorEnv)
        assert algo.env_runner.env.unwrapped.num_envs == TINY_MVC["env_runners"][
            "num_envs_per_env_runner"]
        result = algo.train()
        assert result["env_runners"]["num_episodes"] > 0  # episodes ended through RLlib
    finally:
        algo.stop()


def test_the_next_batch_is_sampled_while_the_learner_updates(ray_session):
    algo = _algo(sample_during_update=True)
    calls = []
    runner = algo.env_runner
    runner.sample = _record(calls, "sample", runner.sample)
    learner = algo.learner_group._learner
    learner.update = _record(calls, "update", learner.update)
    try:
        trained = [algo.train()["learners"]["__all_modules__"]["num_env_steps_trained"]
                   for _ in range(3)]
        assert all(steps >= TINY_MVC["training"]["train_batch_size_per_learner"]
                   for steps in trained)
        samples = [(a, b) for name, a, b in calls if name == "sample"]
        updates = [(a, b) for name, a, b in calls if name == "update"]
        assert len(updates) == 3 and len(samples) == 4  # one sample ahead of the updates
        for start, end in updates:  # a sample ran during each update
            assert any(a < end and b > start for a, b in samples), (start, end, samples)
    finally:
        algo.stop()
    assert algo._sampler is None and algo._pending is None


def test_a_checkpoint_waits_for_the_pending_sample_and_a_restore_drops_it(ray_session, tmp_path):
    algo = _algo(sample_during_update=True)
    try:
        algo.train()
        assert algo._pending is not None
        path = algo.save_to_path(tmp_path / "ckpt")
        assert algo._pending.done()  # the state was read after the sample ended
        algo.train()
        algo.restore_from_path(path)
        assert algo._pending is None
        assert algo.train()["learners"]["__all_modules__"]["num_env_steps_trained"] > 0
    finally:
        algo.stop()


def test_without_the_key_ppo_samples_then_updates_as_rllib_does(ray_session):
    algo = _algo()
    try:
        algo.train()
        assert algo._pending is None and algo._sampler is None
    finally:
        algo.stop()


@pytest.mark.parametrize("value", [True, False])
def test_the_key_reaches_the_algorithm_config(value):
    experiment = resolve_experiment({**TINY_MVC, "training": {
        **TINY_MVC["training"], "sample_during_update": value}})
    assert build_algorithm_config(experiment).sample_during_update is value


def test_get_module_gives_the_latest_weights_while_sampling_overlaps(ray_session):
    algo = _algo(sample_during_update=True)
    try:
        algo.train()
        learner = algo.learner_group._learner.module["default_policy"]
        assert algo.get_module() is learner
        runner = algo.env_runner.module  # single-agent: the RLModule itself
        # the env runner still holds the weights from before the update
        assert any((a != b).any() for a, b in zip(runner.encoder.parameters(),
                                                  learner.encoder.parameters()))
    finally:
        algo.stop()
