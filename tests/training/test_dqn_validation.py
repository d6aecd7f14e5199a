"""``algorithm: DQN`` experiment files: bad values get one line before Ray starts."""

from __future__ import annotations

import pytest

from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES
from rllib_gnn.training.algorithm_keys import ALGORITHM_RANGES, key_problems
from rllib_gnn.training.experiment import ExperimentError, resolve_experiment
from tests.tiny import TINY_MVC

DQN_MVC = {**TINY_MVC, "algorithm": "DQN",
           "training": {"train_batch_size_per_learner": 32, "n_step": 3,
                        "epsilon": [[0, 1.0], [1000, 0.05]],
                        "replay_buffer_config": {"capacity": 1000},
                        "num_steps_sampled_before_learning_starts": 64}}


def dqn_problems(training: dict | None = None, **changes) -> list[str]:
    with pytest.raises(ExperimentError) as err:
        resolve_experiment({**DQN_MVC, "training": {**DQN_MVC["training"], **(training or {})},
                            **changes})
    return err.value.problems


def test_a_dqn_file_validates():
    exp = resolve_experiment(DQN_MVC)
    assert exp["algorithm"] == "DQN" and exp["training"]["n_step"] == 3


@pytest.mark.parametrize("training, changes, expected", [
    ({"epsilon": 1.5}, {}, "training.epsilon must be in [0, 1], got 1.5"),
    ({"epsilon": [[0, 1.0], [100, -0.1]]}, {},
     "training.epsilon schedule value -0.1 (entry 1) must be in [0, 1]"),
    ({"n_step": 0}, {}, "training.n_step must be >= 1, got 0"),
    ({"n_step": [3, 1]}, {}, "training.n_step must be an int >= 1 or [low, high] with "
                             "1 <= low <= high"),
    ({"num_atoms": 51}, {}, "training.num_atoms must be 1 (the GNN Q-module learns expected "
                            "Q-values; distributional DQN is not supported), got 51"),
    ({"td_error_loss_fn": "l1"}, {}, "training.td_error_loss_fn must be one of ['huber', "
                                     "'mse'], got 'l1'"),
    ({"num_steps_sampled_before_learning_starts": -1}, {},
     "training.num_steps_sampled_before_learning_starts must be >= 0, got -1"),
    ({"replay_buffer_config": {"type": "ReplayBuffer"}}, {},
     "training.replay_buffer_config.type must be one of ['EpisodeReplayBuffer', "
     "'PrioritizedEpisodeReplayBuffer'] (the new API stack's), got 'ReplayBuffer'"),
    ({"replay_buffer_config": {"capacity": 0}}, {},
     "training.replay_buffer_config.capacity must be an int >= 1, got 0"),
    ({}, {"model": {**TINY_MVC["model"], "critic": "separate"}},
     "model.critic must be 'shared' with DQN"),
    ({}, {"pretrain": {"imitate": "greedy"}}, "PPO, APPO and IMPALA only, not DQN"),
    ({}, {"env": "rates", "env_config": {}, "model": {**TINY_MVC["model"], "head": "gaussian"}},
     "model.head 'gaussian' gives continuous actions; DQN scores a discrete action set"),
])
def test_a_bad_dqn_value_is_one_line(training, changes, expected):
    [problem] = dqn_problems(training, **changes)
    assert expected in problem


def test_epsilon_means_its_own_thing_per_algorithm():
    """DQN's epsilon is a rate (or schedule) in [0, 1]; IMPALA's is RMSProp's, any > 0."""
    dqn, impala = CONFIG_CLASSES["DQN"], CONFIG_CLASSES["IMPALA"]
    assert key_problems(dqn, "training", "epsilon", 0.0) == []
    assert key_problems(impala, "training", "epsilon", 2.0) == []
    assert key_problems(impala, "training", "epsilon", 0.0) == [
        "training.epsilon must be > 0, got 0.0"]
    assert key_problems(impala, "training", "epsilon", [[0, 0.1], [10, 0.2]])  # no schedule
    assert set(ALGORITHM_RANGES) <= {cls.__name__ for c in CONFIG_CLASSES.values()
                                     for cls in c.__mro__}
