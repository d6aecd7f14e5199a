"""Multi-agent PPO from experiment dicts: shared policy, independent policies and CTDE.

Two iterations per case on the shared test Ray. CTDE = ``model.critic: central`` on an env
whose observations carry the global ``state``: the critic reads it during training, the
actors never do (tests/module/test_properties.py checks the actor's independence).
"""

import numpy as np
import pytest
import torch

from rllib_gnn.training.experiment import resolve_experiment
from rllib_gnn.training.trainable import save_experiment_files

SMALL_GRID = {"generator": "grid", "sizes": [9], "weights": "unit"}
TEAM_ENVS = {
    "patrol-multi": {"graphs": SMALL_GRID, "num_agents": 2, "max_steps": 15},
    "nav-multi": {"graphs": {"generator": "random_geometric", "sizes": [10]}, "num_agents": 2},
    "mvc-multi": {"graphs": {"preset": "blog_mvc", "split": "train"}, "num_agents": 2},
    "matching-multi": {"graphs": {"generator": "erdos_renyi", "sizes": [8], "params": {"p": 0.4}},
                       "num_agents": 2},
}
HEADS = {"patrol-multi": "neighbour", "nav-multi": "neighbour", "mvc-multi": "node",
         "matching-multi": "edge"}


def _experiment(env: str, env_config: dict, **model) -> dict:
    return resolve_experiment({
        "env": env, "env_config": env_config,
        "model": {"encoder": "sage", "head": HEADS[env], "hidden": 16, "num_layers": 2,
                  "head_hidden": 16, **model},
        "training": {"train_batch_size_per_learner": 128, "minibatch_size": 64, "num_epochs": 1},
        "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 1},
    })


def _train(experiment: dict, iterations: int = 2):
    from rllib_gnn.training.algorithm import build_algorithm_config

    algo = build_algorithm_config(experiment).build_algo()
    try:
        for _ in range(iterations):
            result = algo.train()
        modules = dict(algo.learner_group._learner.module.items())
        runner_modules = dict(algo.env_runner.module.items())
    finally:
        algo.stop()
    return result, modules, runner_modules


@pytest.mark.parametrize("env", sorted(TEAM_ENVS))
def test_shared_policy_trains_two_iterations(ray_session, env):
    result, modules, _ = _train(_experiment(env, TEAM_ENVS[env]))
    assert set(modules) == {"shared"}
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] > 0
    assert np.isfinite(result["learners"]["shared"]["policy_loss"])


def test_independent_policies_train_one_module_per_agent(ray_session):
    experiment = _experiment("patrol-multi", TEAM_ENVS["patrol-multi"])
    experiment["multi_agent"]["policies"] = "per_agent"
    result, modules, _ = _train(experiment)
    assert set(modules) == {"agent_0", "agent_1"}
    for pid in modules:
        assert np.isfinite(result["learners"][pid]["vf_loss"])


@pytest.mark.parametrize("env", sorted(TEAM_ENVS))
def test_ctde_trains_with_a_central_critic_on_the_global_state(ray_session, env):
    env_config = {**TEAM_ENVS[env], "global_state": True}
    if env == "patrol-multi":
        env_config["observation_radius"] = 1  # actors see a partial view, the critic all
    result, modules, runner_modules = _train(_experiment(env, env_config, critic="central"))
    module = modules["shared"]
    assert module.critic_encoder is not None
    assert np.isfinite(result["learners"]["shared"]["vf_loss"])
    # Decentralised execution: the env runner holds the actor alone, synced to the learner's.
    actor = runner_modules["shared"]
    assert actor.inference_only
    assert not hasattr(actor, "critic_encoder") and not hasattr(actor, "value_mlp")
    learned = module.state_dict()
    for name, weight in actor.state_dict().items():
        assert torch.equal(weight, learned[name]), name


def test_attrition_does_not_break_sampling_or_training(ray_session):
    env_config = {**TEAM_ENVS["patrol-multi"], "num_agents": 3,
                  "attrition": {"prob": 0.3, "min_agents": 1}}
    result, _, _ = _train(_experiment("patrol-multi", env_config, critic="central"), iterations=3)
    assert result["env_runners"]["num_episodes_lifetime"] > 0
    assert np.isfinite(result["learners"]["shared"]["total_loss"])


def test_evaluation_with_a_team_size_other_than_training(ray_session, tmp_path):
    """Train 3 agents; the same GNN policy runs decentralised with 2 and 5 agents."""
    from rllib_gnn.service.evaluation import evaluate
    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.trainable import ExperimentTrainable

    env_config = {"graphs": {"generator": "grid", "sizes": [25], "weights": "unit"},
                  "num_agents": 3, "max_steps": 20}
    experiment = _experiment("patrol-multi", env_config)
    algo = build_algorithm_config(experiment).build_algo()
    try:
        algo.train()
        checkpoint = tmp_path / "run" / "trial" / "checkpoint_000000"
        algo.save_to_path(str(checkpoint))
    finally:
        algo.stop()
    save_experiment_files(checkpoint, experiment)
    assert ExperimentTrainable  # the service writes the same layout
    for team in (2, 5):
        rows = evaluate(checkpoint, {"num_agents": team}, episodes=2)["rows"]
        policy = next(r for r in rows if r["player"] == "policy")
        assert np.isfinite(policy["avg_idleness_mean"]), team
