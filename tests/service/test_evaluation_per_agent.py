"""`evaluate` on a per_agent team checkpoint: each agent plays its own module.

An untrained per_agent MVC-team checkpoint (one module per agent, one of them zeroed on disk
so that the two differ) is evaluated on the 20-node test graphs.
"""

import json

import numpy as np
import pytest

from rllib_gnn.service import checkpoints
from rllib_gnn.service.checkpoints import load_policy
from rllib_gnn.service.evaluation import evaluate
from rllib_gnn.training.trainable import save_experiment_files
from tests.tiny import TINY_MVC

PER_AGENT_TRAIN = {**TINY_MVC["env_config"], "num_agents": 2}
TEST_GRAPHS = {"graphs": {"preset": "blog_mvc", "split": "test"}}  # 20 nodes


@pytest.fixture(scope="module")
def per_agent_checkpoint(ray_session, tmp_path_factory):
    """An untrained per_agent mvc-multi checkpoint (modules agent_0, agent_1, as the
    service's builder names them) whose agent_1 module has all weights zero on disk: its
    logits are all equal, so it picks the lowest valid node."""
    import torch

    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.experiment import resolve_experiment

    experiment = resolve_experiment({**TINY_MVC, "env": "mvc-multi",
                                     "env_config": PER_AGENT_TRAIN,
                                     "multi_agent": {"policies": "per_agent"}})
    algo = build_algorithm_config(experiment).build_algo()
    ckpt = tmp_path_factory.mktemp("run") / "trial_0" / "checkpoint_000000"
    try:
        algo.save_to_path(str(ckpt))
    finally:
        algo.stop()
    save_experiment_files(ckpt, experiment)
    zeroed, _ = load_policy(ckpt, "agent_1")
    with torch.no_grad():
        for param in zeroed.parameters():
            param.zero_()
    zeroed.save_to_path(str(ckpt / checkpoints.MODULE_SUBDIR / "agent_1"))
    return ckpt


def _team_cover_weights(modules: dict, seeds) -> list[float]:
    """Cover weights of the mvc-multi test episodes with ``modules[agent]`` per agent."""
    from envs.catalog import entry
    from envs.rollout import play_parallel
    from rllib_gnn.nn.inference import compute_action, resize_module

    env = entry("mvc-multi").make({**TEST_GRAPHS, "num_agents": 2})
    sized = {a: resize_module(m, env.observation_space(a), env.action_space(a))
             for a, m in modules.items()}
    choose = lambda env, obs: {a: compute_action(sized[a], o)[0] for a, o in obs.items()}  # noqa: E731
    return [play_parallel(env, choose, seed=s)["cover_weight"] for s in seeds]


def test_a_per_agent_checkpoint_plays_each_agent_with_its_own_module(per_agent_checkpoint,
                                                                     tmp_path):
    policy, mapping, experiment = checkpoints.load_team(per_agent_checkpoint)
    assert sorted(policy) == ["agent_0", "agent_1"] and mapping("agent_1") == "agent_1"
    assert experiment["multi_agent"] == {"policies": "per_agent"}
    rows = evaluate(per_agent_checkpoint, TEST_GRAPHS, episodes=3, out=tmp_path)["rows"]
    assert [r["player"] for r in rows] == ["policy", "exact", "greedy"]
    assert rows[0]["ratio_to_exact"] >= 1 - 1e-9
    (record,) = tmp_path.glob("*.json")
    per = json.loads(record.read_text())["evaluations"][0]["per_episode"]
    own = _team_cover_weights(policy, per["seeds"])
    np.testing.assert_allclose(per["cover_weight"]["policy"], own)
    # Not vacuous: one module for both agents (either one) plays other covers.
    for shared in ("agent_0", "agent_1"):
        other = _team_cover_weights(dict.fromkeys(policy, policy[shared]), per["seeds"])
        assert not np.allclose(other, own), f"{shared} for both agents plays the same covers"


def test_a_per_agent_checkpoint_cannot_play_a_larger_team(per_agent_checkpoint, tmp_path):
    with pytest.raises(ValueError, match=r"agent 'agent_2'.*\['agent_0', 'agent_1'\]"):
        evaluate(per_agent_checkpoint, {**TEST_GRAPHS, "num_agents": 3}, episodes=1,
                 out=tmp_path)
