"""The threading policy: sampling on one torch thread, the update on the process's threads,
and the OpenMP wait policy handed to every process of a run."""

import torch

from rllib_gnn.training import threads
from rllib_gnn.training.algorithm import build_algorithm_config
from rllib_gnn.training.experiment import resolve_experiment
from tests.tiny import TINY_MVC


class _Runner:
    """Stands in for RLlib's env runner: records the threads its ``sample`` ran on."""

    def sample(self, **kwargs):
        return torch.get_num_threads(), kwargs


class _Sampling(threads.SmallBatchSampling, _Runner):
    pass


def test_sampling_runs_on_one_thread_and_gives_the_update_its_threads_back():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert _Sampling().sample(num_timesteps=5) == (threads.SAMPLING_THREADS, {"num_timesteps": 5})
        assert threads.SAMPLING_THREADS == 1 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_algorithm_samples_with_the_policys_env_runners():
    single = build_algorithm_config(resolve_experiment(TINY_MVC))
    team = build_algorithm_config(resolve_experiment({**TINY_MVC, "env": "mvc-multi"}))
    assert single.env_runner_cls is threads.GraphSingleAgentEnvRunner
    assert team.env_runner_cls is threads.GraphMultiAgentEnvRunner


def test_the_runs_processes_get_the_wait_policy_unless_the_user_set_one(monkeypatch):
    for key in threads.PROCESS_ENV:
        monkeypatch.delenv(key, raising=False)
    assert threads.runtime_env()["env_vars"]["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # the user's (or the job's) choice wins
    assert "OMP_WAIT_POLICY" not in threads.runtime_env()["env_vars"]
    for key in threads.PROCESS_ENV:
        monkeypatch.setenv(key, "1")
    assert threads.runtime_env() == {}
