"""Communication policies on the robots env: decentralised execution of the GNN actor (an
action depends only on what reaches a robot within k hops), and 2-iteration PPO runs with
communication and a central critic (CTDE), and without communication."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rllib_gnn.nn.inference import compute_action
from rllib_gnn.training.experiment import resolve_experiment
from tests.envs.test_robots import make
from tests.training.test_multi_agent import _train

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MODEL = {"encoder": "gine", "head": "fixed", "hidden": 16, "num_layers": 3, "head_hidden": 16}


def _observations(hops: int, far: list[int]) -> dict:
    """Five robots in a 20-cell corridor, range 3: robots 0, 1, 2 at cells 0, 3, 6 (a chain),
    robots 3 and 4 at ``far``."""
    env = make(cells=20, num_agents=5, comm_hops=hops)
    obs, _ = env.reset(seed=0, options={"starts": [0, 3, 6, *far],
                                        "goals": [19, 18, 17, 16, 15]})
    return env, obs


def _actor(env):
    from rllib_gnn.nn.module import GraphRLModule

    torch.manual_seed(0)
    return GraphRLModule(observation_space=env.observation_space("agent_0"),
                         action_space=spaces.Discrete(5), inference_only=True,
                         model_config={**MODEL, "critic": "central"}).eval()


@pytest.mark.parametrize("hops", [1, 2])
def test_an_action_is_unchanged_when_robots_beyond_k_hops_change(hops):
    """Robot 0's logits are the same whatever robots more than k hops away do (a 3-layer GNN
    on a 1- or 2-hop neighbourhood: the number of layers does not matter), and they do change
    when robots within k hops move (the check can fail)."""
    env, a = _observations(hops, [9, 12])  # robot 3 at cell 9 is 3 hops from robot 0
    _, b = _observations(hops, [10, 13])
    actor = _actor(env)
    (act_a, logits_a), (act_b, logits_b) = (compute_action(actor, o["agent_0"]) for o in (a, b))
    np.testing.assert_array_equal(logits_a, logits_b)
    assert act_a == act_b
    # Robots 1 and 2 one cell closer instead (within k hops for k = 2, robot 1 for k = 1).
    env_c = make(cells=20, num_agents=5, comm_hops=hops)
    c, _ = env_c.reset(seed=0, options={"starts": [0, 2, 5, 9, 12],
                                        "goals": [19, 18, 17, 16, 15]})
    assert not np.array_equal(compute_action(actor, c["agent_0"])[1], logits_a)


def test_the_central_critic_sees_robots_the_actor_does_not():
    env, a = _observations(1, [9, 12])
    _, b = _observations(1, [10, 13])
    from ray.rllib.core.columns import Columns

    from rllib_gnn.nn.inference import obs_to_batch
    from rllib_gnn.nn.module import GraphRLModule

    torch.manual_seed(0)
    module = GraphRLModule(observation_space=env.observation_space("agent_0"),
                           action_space=spaces.Discrete(5),
                           model_config={**MODEL, "critic": "central"}).eval()
    with torch.no_grad():
        values = [module.compute_values({Columns.OBS: obs_to_batch(o["agent_0"])})
                  for o in (a, b)]
    assert not torch.equal(*values)


def _experiment(**env_config) -> dict:
    return resolve_experiment({
        "env": "robots",
        "env_config": {"graphs": {"generator": "grid", "sizes": [36], "params": {"removed": 0.1},
                                  "weights": "unit"}, "num_agents": 3, "max_steps": 20,
                       "global_state": True, **env_config},
        "model": {**MODEL, "num_layers": 2, "critic": "central"},
        "training": {"train_batch_size_per_learner": 128, "minibatch_size": 64, "num_epochs": 1},
        "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 1},
    })


@pytest.mark.parametrize("hops", [2, 0])
def test_ppo_with_a_central_critic_trains_two_iterations(ray_session, hops):
    """With communication (2 hops) and without (0 hops: each robot sees itself alone)."""
    result, modules, runner_modules = _train(_experiment(comm_hops=hops))
    assert set(modules) == {"shared"}
    assert modules["shared"].critic_encoder is not None
    assert runner_modules["shared"].inference_only
    learner = result["learners"]["shared"]
    assert np.isfinite(learner["policy_loss"]) and np.isfinite(learner["vf_loss"])
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] > 0
