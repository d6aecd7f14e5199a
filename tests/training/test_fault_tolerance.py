"""Fault tolerance: training survives a killed env-runner process."""

import os
import signal

from rllib_gnn.training.experiment import resolve_experiment
from tests.tiny import TINY_MVC


def test_training_completes_after_an_env_runner_process_is_killed(ray_session):
    from rllib_gnn.training.algorithm import build_algorithm_config

    experiment = resolve_experiment({**TINY_MVC, "env_runners": {"num_env_runners": 1,
                                                                  "num_envs_per_env_runner": 2}})
    assert experiment["fault_tolerance"]["restart_failed_env_runners"] is True
    algo = build_algorithm_config(experiment).build_algo()
    try:
        algo.train()
        [pid] = algo.env_runner_group.foreach_env_runner(lambda runner: os.getpid(),
                                                         local_env_runner=False)
        assert pid != os.getpid(), "the env runner must be a separate process"
        os.kill(pid, signal.SIGKILL)
        group = algo.env_runner_group
        results = [algo.train()]  # notices the failure and restarts the runner
        while group.num_healthy_remote_workers() < 1 and len(results) < 10:
            results.append(algo.train())
        results.append(algo.train())  # samples on the replacement
        [new_pid] = group.foreach_env_runner(lambda runner: os.getpid(), local_env_runner=False)
        restarts = group.num_remote_worker_restarts()
    finally:
        algo.stop()
    assert restarts >= 1 and new_pid != pid, "the killed env runner was not replaced"
    assert [r["training_iteration"] for r in results] == list(range(2, 2 + len(results)))
    assert results[-1]["env_runners"]["num_env_steps_sampled"] > 0
