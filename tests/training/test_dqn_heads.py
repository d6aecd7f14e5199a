"""DQN (``algorithm: DQN``) trains GraphQModule on the graph envs, for every head each env
supports.

Two iterations each on the shared test Ray, through the experiment file's path (validation,
``build_algorithm_config``): RLlib's replay buffer, n-step sampling, the DQN loss with
double Q and target updates run end to end on the padded sparse observations. Epsilon
stays near 1 for the whole run, so almost every action is the module's random one: the
masked envs raise on an invalid action, so a run that ends proves that exploration only
picked valid ones.
"""

import numpy as np
import pytest
import torch

from tests.training.test_ppo_heads import ENV_HEADS as PPO_ENV_HEADS

# every head once or more (patrol and tsp add no head, only run time)
ENV_HEADS = [(env, head, config) for env, head, config in PPO_ENV_HEADS
             if env in ("mvc", "nav", "matching")]
MIN_STEPS = 48


def _experiment(env: str, head: str, env_config: dict, dueling: bool) -> dict:
    from rllib_gnn.training.experiment import resolve_experiment

    return resolve_experiment({
        "algorithm": "DQN", "env": env, "env_config": env_config,
        "model": {"encoder": "sage", "head": head, "hidden": 16, "num_layers": 2,
                  "head_hidden": 16},
        "training": {"train_batch_size_per_learner": 16, "n_step": 2, "double_q": True,
                     "dueling": dueling, "epsilon": [[0, 1.0], [100000, 0.5]],
                     "replay_buffer_config": {"capacity": 500},
                     "num_steps_sampled_before_learning_starts": 16,
                     "target_network_update_freq": 16},
        "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 4},
        "periodic_evaluation": {"every": 0},
        "evaluation": {"episodes": 1},
    })


def _weights(algo) -> dict[str, np.ndarray]:
    module = algo.learner_group._learner.module["default_policy"]
    return {k: v.detach().clone().numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("env, head, env_config", ENV_HEADS,
                         ids=[f"{e}-{h}" for e, h, _ in ENV_HEADS])
def test_dqn_trains_two_iterations(ray_session, env, head, env_config, tmp_path):
    from rllib_gnn.nn.q_module import GraphQModule
    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.trainable import save_experiment_files

    dueling = head != "node"  # both forms of the Q-head run: plain on mvc-node
    experiment = _experiment(env, head, env_config, dueling)
    config = build_algorithm_config(experiment)
    algo = config.reporting(min_sample_timesteps_per_iteration=MIN_STEPS).build_algo()
    try:
        before = _weights(algo)
        for _ in range(2):
            result = algo.train()
        after = _weights(algo)
        module = algo.learner_group._learner.module["default_policy"]
        runner_module = algo.env_runner.module
        if (env, head) == ("mvc", "node"):
            algo.save_to_path(str(tmp_path))
            save_experiment_files(tmp_path, experiment)
    finally:
        algo.stop()
    if (env, head) == ("mvc", "node"):
        _evaluates_from_its_checkpoint(tmp_path)
    assert isinstance(module, GraphQModule) and module.uses_double_q
    assert module.uses_dueling == dueling
    assert not hasattr(runner_module, "_target_encoder")  # env runners: no target network
    assert result["training_iteration"] == 2
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 2 * MIN_STEPS
    stats = result["learners"]["default_policy"]
    assert np.isfinite(stats["qf_loss"]) and np.isfinite(stats["qf_max"])
    assert abs(stats["qf_max"]) < 1e3  # never a masked (lowest-float) Q-value
    assert stats["num_target_updates"] >= 1
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    assert any(k.startswith("encoder.") for k in changed), "the encoder was not updated"
    assert any(k.startswith("head.") for k in changed), "the Q head was not updated"
    assert all(torch.isfinite(p).all() for p in module.parameters())


def _evaluates_from_its_checkpoint(checkpoint) -> None:
    """``rllib-gnn evaluate``'s path: the checkpoint's Q-module plays the held-out episodes
    by the argmax of its Q-values, beside the baselines."""
    from rllib_gnn.nn.q_module import GraphQModule
    from rllib_gnn.service.checkpoints import load_policy
    from rllib_gnn.service.evaluation import evaluate

    module, _ = load_policy(checkpoint)
    assert isinstance(module, GraphQModule)
    record = evaluate(checkpoint, episodes=2, sampled=True, out=checkpoint / "evaluations")
    rows = {row["player"]: row for row in record["rows"]}
    assert {"policy", "policy_sampled", "exact"} <= set(rows)
    assert rows["policy"]["episodes"] == 2 and np.isfinite(rows["policy"]["cover_weight_mean"])
