"""PPO trains GraphRLModule on the graph envs, for every head each env supports.

Two iterations each on the shared test Ray, sampling in the driver (no remote runners):
the point is that RLlib's default connectors, GAE and the PPO loss run end to end on the
padded sparse observations, and that the learner really updates the weights.
"""

import numpy as np
import pytest
import torch

ENV_HEADS = [
    ("mvc", "node", {"graphs": {"preset": "blog_mvc", "split": "train"}}),
    ("mvc", "proto", {"graphs": {"preset": "blog_mvc", "split": "train"}}),
    ("nav", "neighbour", {"graphs": {"generator": "random_geometric", "sizes": [12]}}),
    ("nav", "fixed", {"graphs": {"generator": "grid", "sizes": [16], "weights": "unit"},
                      "actions": "compass"}),
    ("matching", "edge", {"graphs": {"generator": "erdos_renyi", "sizes": [8], "params": {"p": 0.4}}}),
    ("matching", "two_stage_edge",
     {"graphs": {"generator": "erdos_renyi", "sizes": [8], "params": {"p": 0.4}}}),
    ("patrol", "neighbour", {"graphs": {"generator": "grid", "sizes": [9], "weights": "unit"},
                             "max_steps": 20}),
    ("tsp", "node", {"graphs": {"generator": "uniform_points", "sizes": [8]}, "knn": 4}),
    # a Box of one value per node: 6- and 9-node graphs padded to 9, so some slots are masked
    ("rates", "gaussian", {"graphs": {"generator": "random_geometric", "sizes": [6, 9]}}),
]


def _ppo_config(env: str, env_config: dict, model_config: dict):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from rllib_gnn.nn.module import GraphRLModule

    return (PPOConfig()
            .environment(env, env_config=env_config)
            .env_runners(num_env_runners=0, num_envs_per_env_runner=2,
                         rollout_fragment_length="auto")
            .training(train_batch_size_per_learner=128, minibatch_size=64, num_epochs=1)
            .rl_module(rl_module_spec=RLModuleSpec(module_class=GraphRLModule,
                                                   model_config=model_config))
            .debugging(seed=0))


def _weights(algo) -> dict[str, np.ndarray]:
    module = algo.learner_group._learner.module["default_policy"]
    return {k: v.detach().clone().numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("env, head, env_config", ENV_HEADS, ids=[f"{e}-{h}" for e, h, _ in ENV_HEADS])
def test_ppo_trains_two_iterations(ray_session, env, head, env_config):
    from rllib_gnn.training.registration import register_envs

    register_envs()
    algo = _ppo_config(env, env_config, {"encoder": "sage", "head": head, "hidden": 16,
                                         "num_layers": 2, "head_hidden": 16}).build_algo()
    try:
        before = _weights(algo)
        for _ in range(2):
            result = algo.train()
        after = _weights(algo)
    finally:
        algo.stop()
    assert result["training_iteration"] == 2
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 2 * 128
    stats = result["learners"]["default_policy"]
    for key in ("policy_loss", "vf_loss", "entropy"):
        assert np.isfinite(stats[key]), f"{key} = {stats[key]}"
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    assert any(k.startswith("encoder.") for k in changed), "the encoder was not updated"
    assert any(k.startswith("head.") for k in changed), "the action head was not updated"
    if head == "gaussian":
        assert "head.log_std" in changed, "the Gaussian's log std was not learned"


def test_ppo_with_a_central_critic_on_patrolling_state(ray_session):
    """CTDE building block: the critic reads obs['state'], the actor its own view."""
    from rllib_gnn.training.registration import register_envs

    register_envs()
    env_config = {"graphs": {"generator": "grid", "sizes": [9], "weights": "unit"},
                  "max_steps": 20, "global_state": True, "observation_radius": 1}
    algo = _ppo_config("patrol", env_config, {"encoder": "gat", "head": "neighbour",
                                              "hidden": 16, "num_layers": 2, "head_hidden": 16,
                                              "critic": "central"}).build_algo()
    try:
        result = algo.train()
        module = algo.learner_group._learner.module["default_policy"]
    finally:
        algo.stop()
    assert np.isfinite(result["learners"]["default_policy"]["vf_loss"])
    assert module.critic_encoder is not None
    assert all(torch.isfinite(p).all() for p in module.parameters())
