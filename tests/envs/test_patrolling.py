"""Tests of the patrolling environments (single- and multi-agent) and their baselines."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import envs.patrolling.core as core_module
from envs.graphs import Graph
from envs.patrolling import (
    PatrollingEnv,
    PatrollingParallelEnv,
)
from tests.envs.episodes import (
    assert_replays,
    assert_same,
    bad_graphs_configs,
    check_single_env,
    random_action,
    random_actions,
    record_parallel_episode,
)

POLICY_SEED = 99  # the random policy's seed in the determinism tests


def path_graph(n: int) -> Graph:
    edges = np.array([(i, i + 1) for i in range(n - 1)], np.int64)
    return Graph(n, edges)


def cycle_graph(n: int) -> Graph:
    edges = np.sort(np.array([(i, (i + 1) % n) for i in range(n)], np.int64), axis=1)
    return Graph(n, edges)


# ---------------------------------------------------------------------------- API checkers
def test_check_env_penalty_mode():
    check_single_env(PatrollingEnv({"invalid_action": "penalty"}))


def test_check_env_mask_mode_all_slots_valid():
    # check_env steps one UNMASKED action_space.sample() right after reset, so use a graph
    # where every slot is valid at every node: a cycle (degree 2) with max_degree=2.
    env = PatrollingEnv(graphs=[cycle_graph(7)], max_degree=2, observation_radius=1,
                        global_state=True)
    check_single_env(env)


@pytest.mark.parametrize("config", [
    {},
    {"observation_radius": 1, "attrition": {"prob": 0.1, "min_agents": 1}},
    {"observation_radius": 2, "attrition_schedule": {3: [0], 5: [2]}, "global_state": False},
    {"invalid_action": "penalty", "num_agents": 4},
])
def test_parallel_api(config):
    env = PatrollingParallelEnv({**config, "max_steps": 25})
    parallel_api_test(env, num_cycles=40)


def test_spaces_cached_and_layout():
    env = PatrollingParallelEnv(num_agents=2)
    assert env.observation_space("agent_0") is env.observation_space("agent_1")
    assert env.action_space("agent_0") is env.action_space("agent_0")
    assert env.action_space("agent_0").n == 5  # grid: max_degree 4, plus stay
    obs, _ = env.reset(seed=3)
    o = obs["agent_0"]
    assert o["x"].shape[1] == 7 and o["state"]["x"].shape[1] == 5
    assert "edge_attr" not in o
    assert env.observation_space("agent_0").contains(o)


def test_state_counts_down_the_steps_left_on_every_node():
    env = PatrollingParallelEnv(num_agents=2, max_steps=4)
    obs, _ = env.reset(seed=3)
    real = obs["agent_0"]["state"]["node_mask"].astype(bool)
    for steps_left in (1.0, 0.75, 0.5, 0.25):
        column = obs["agent_0"]["state"]["x"][real, 4]
        np.testing.assert_array_equal(column, np.float32(steps_left))
        obs, *_ = env.step({a: 0 for a in env.agents})
    np.testing.assert_array_equal(obs["agent_0"]["state"]["x"][real, 4], 0.0)


# ---------------------------------------------------------------------------- determinism
def test_same_seed_same_episode_single():
    assert_replays(lambda: PatrollingEnv(max_steps=30, observation_radius=1, global_state=True),
                   seed=5, other_seed=6, policy_seed=POLICY_SEED)


def test_same_seed_same_episode_multi():
    assert_replays(lambda: PatrollingParallelEnv(max_steps=30, observation_radius=1,
                                                 attrition={"prob": 0.05, "min_agents": 1}),
                   seed=5, other_seed=6, record=record_parallel_episode, policy_seed=POLICY_SEED)
    # a fixed list of graphs: a seeded reset plays graph seed mod L
    graphs = [path_graph(6), cycle_graph(8)]
    env = PatrollingParallelEnv(graphs=graphs, num_agents=2, max_steps=5)
    env.reset(seed=1)
    assert env.core.n == 8
    env.reset(seed=4)
    assert env.core.n == 6


# ---------------------------------------------------------------------------- dynamics
def test_idleness_arithmetic_single_by_hand():
    env = PatrollingEnv(graphs=[path_graph(5)], max_steps=4)
    obs, _ = env.reset(seed=0, options={"start_nodes": [0]})
    np.testing.assert_array_equal(obs["neighbours"], [0, 1, 0])  # own node, then neighbours
    np.testing.assert_array_equal(obs["action_mask"], [1, 1, 0])
    # moves 0->1 (slot 1 of [0, 1]), 1->2 (slot 2 of [1, 0, 2]), stay, 2->1 (slot 1 of [2, 1, 3])
    actions = [1, 2, 0, 1]
    expected_idleness = [[1, 0, 1, 1, 1], [2, 1, 0, 2, 2], [3, 2, 0, 3, 3], [4, 0, 1, 4, 4]]
    expected_reward = [-0.8 / 5, -1.4 / 5, -2.2 / 5, -2.6 / 5]  # -mean(idleness) / n
    expected_node = [1, 2, 2, 1]
    for t, a in enumerate(actions):
        obs, r, term, trunc, info = env.step(a)
        np.testing.assert_array_equal(env.core.idleness, expected_idleness[t])
        np.testing.assert_allclose(obs["x"][:5, 0], np.array(expected_idleness[t]) / 5)  # / n
        assert obs["agent_node"][0] == expected_node[t]
        assert obs["x"][expected_node[t], 1] == 1 and obs["x"][:, 1].sum() == 1
        assert r == pytest.approx(expected_reward[t])
        assert not term
        assert trunc == (t == 3)
    assert info["avg_idleness"] == pytest.approx((0.8 + 1.4 + 2.2 + 2.6) / 4)
    assert info["worst_idleness"] == 4.0
    assert info["graph_nodes"] == 5 and info["agents_alive"] == 1
    with pytest.raises(RuntimeError):
        env.step(0)


def test_idleness_arithmetic_multi_by_hand():
    env = PatrollingParallelEnv(graphs=[path_graph(5)], num_agents=2, max_steps=2)
    env.reset(seed=0, options={"start_nodes": [0, 4]})
    # step 1: agent_0 0->1 (slot 1 of [0, 1]), agent_1 4->3 (slot 1 of [4, 3])
    obs, rew, _, trunc, _ = env.step({"agent_0": 1, "agent_1": 1})
    np.testing.assert_array_equal(env.core.idleness, [1, 0, 1, 0, 1])
    assert rew == {"agent_0": pytest.approx(-0.12), "agent_1": pytest.approx(-0.12)}
    np.testing.assert_array_equal(obs["agent_0"]["x"][:5, 2], [0, 0, 0, 1, 0])  # agent_1 at 3
    np.testing.assert_array_equal(obs["agent_1"]["x"][:5, 2], [0, 1, 0, 0, 0])  # agent_0 at 1
    # lower_ids_here: agent_1 sees agent_0 (a lower index); agent_0 sees nobody below it
    np.testing.assert_array_equal(obs["agent_1"]["x"][:5, 6], [0, 1, 0, 0, 0])
    np.testing.assert_array_equal(obs["agent_0"]["x"][:5, 6], [0, 0, 0, 0, 0])
    # step 2: both move to node 2 (slot 2 of [1, 0, 2]; slot 1 of [3, 2, 4])
    obs, rew, term, trunc, infos = env.step({"agent_0": 2, "agent_1": 1})
    np.testing.assert_array_equal(env.core.idleness, [2, 1, 0, 1, 2])
    np.testing.assert_allclose(obs["agent_1"]["state"]["x"][:5, 1], [0, 0, 2, 0, 0])
    # on one node, the two agents' views differ only in who has the lower index
    np.testing.assert_array_equal(obs["agent_1"]["x"][:5, 6], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(obs["agent_0"]["x"][:5, 6], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(obs["agent_0"]["x"][:, :6], obs["agent_1"]["x"][:, :6])
    assert rew["agent_0"] == pytest.approx(-(6 / 5) / 5)
    assert trunc == {"agent_0": True, "agent_1": True} and not any(term.values())
    assert infos["agent_0"]["avg_idleness"] == pytest.approx((3 / 5 + 6 / 5) / 2)
    assert infos["agent_0"]["worst_idleness"] == 2.0
    assert env.agents == []


def test_moves_follow_neighbours_and_match_networkx():
    env = PatrollingParallelEnv(max_steps=20)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=11)
    g = env.core.graph.to_networkx()
    while env.agents:
        for a in env.agents:
            v = int(obs[a]["agent_node"][0])
            deg = g.degree[v]
            np.testing.assert_array_equal(obs[a]["neighbours"][: deg + 1],
                                          [v, *sorted(g.neighbors(v))])
            np.testing.assert_array_equal(obs[a]["action_mask"], np.arange(5) <= deg)
        actions = random_actions(rng, obs, env.agents)
        before = {a: obs[a]["neighbours"][actions[a]] for a in env.agents}
        obs, *_ = env.step(actions)
        for a in before:
            assert obs[a]["agent_node"][0] == before[a]


def test_reward_and_metrics_match_state():
    env = PatrollingParallelEnv(max_steps=40, num_agents=2)
    rng = np.random.default_rng(1)
    obs, _ = env.reset(seed=2)
    means, worst = [], 0.0
    while env.agents:
        obs, rew, _, _, infos = env.step(random_actions(rng, obs, env.agents))
        st = obs["agent_0"]["state"]
        n = int(st["node_mask"].sum())
        idle = st["x"][:n, 0] * n  # idleness / n
        means.append(idle.mean())
        worst = max(worst, idle.max())
        assert rew["agent_0"] == pytest.approx(-idle.mean() / n, rel=1e-5)
        assert rew["agent_0"] == rew["agent_1"]
        assert st["x"][:n, 1].sum() == 2
    assert infos["agent_0"]["avg_idleness"] == pytest.approx(np.mean(means), rel=1e-5)
    assert infos["agent_0"]["worst_idleness"] == pytest.approx(worst)


def test_collected_reward_by_hand():
    env = PatrollingParallelEnv(graphs=[path_graph(5)], num_agents=2, max_steps=3,
                                reward="collected")
    env.reset(seed=0, options={"start_nodes": [0, 4]})
    # step 1: 0->1 and 4->3; each node would have had idleness 1 unvisited
    _, rew, *_ = env.step({"agent_0": 1, "agent_1": 1})
    assert rew == {"agent_0": pytest.approx(1 / 5), "agent_1": pytest.approx(1 / 5)}
    # step 2: both onto node 2 (idleness 2 unvisited), which they share
    _, rew, *_ = env.step({"agent_0": 2, "agent_1": 1})
    assert rew == {"agent_0": pytest.approx(1 / 5), "agent_1": pytest.approx(1 / 5)}
    # step 3: agent_0 stays on 2 (collects 1), agent_1 goes back to 3 (idleness 2)
    _, rew, *_ = env.step({"agent_0": 0, "agent_1": 2})
    assert rew == {"agent_0": pytest.approx(1 / 5), "agent_1": pytest.approx(2 / 5)}


@pytest.mark.parametrize("attrition", [None, {"prob": 0.05, "min_agents": 1}])
def test_collected_reward_weighted_by_steps_left_is_the_team_return(attrition):
    """sum_t -mean(idleness_{t+1}) / n == -T(T+1)/(2n) + sum_t (T-t) sum_i r_i,t / n."""
    kw = dict(num_agents=3, max_steps=30, observation_radius=2, attrition=attrition)
    team, collected = PatrollingParallelEnv(**kw), PatrollingParallelEnv(reward="collected", **kw)
    rng = np.random.default_rng(5)
    obs, _ = team.reset(seed=8)
    collected.reset(seed=8)
    team_return, weighted, t = 0.0, 0.0, 0
    while team.agents:
        actions = random_actions(rng, obs, team.agents)
        obs, rew_team, *_ = team.step(actions)
        _, rew_own, *_ = collected.step(actions)
        assert rew_team.keys() == rew_own.keys()
        team_return += next(iter(rew_team.values()))
        weighted += (30 - t) * sum(rew_own.values())
        t += 1
    n = team.core.n
    assert t == 30 and team.core.idleness.max() > 1
    assert team_return == pytest.approx(-30 * 31 / (2 * n) + weighted / n, rel=1e-9)


# ---------------------------------------------------------------------------- partial obs
def test_partial_observability_aged_estimate_vs_true():
    env = PatrollingParallelEnv(graphs=[path_graph(7)], num_agents=2, max_steps=10,
                                observation_radius=1)
    obs, _ = env.reset(seed=0, options={"start_nodes": [0, 6]})
    env.step({"agent_0": 1, "agent_1": 0})  # agent_0 0->1; agent_1 stays on 6
    obs, *_ = env.step({"agent_0": 2, "agent_1": 0})  # agent_0 1->2
    true = np.array([2, 1, 0, 2, 2, 2, 0])
    np.testing.assert_array_equal(env.core.idleness, true)
    a0, a1 = obs["agent_0"], obs["agent_1"]
    # agent_0 saw node 0 visited at step 0 (seen at step 1): 2 steps ago now. Nodes 4-6 were
    # never in view: the reset visit at step 0, so 2 (node 6 is really 0: agent_1 is there)
    np.testing.assert_allclose(a0["x"][:7, 0] * 7, [2, 1, 0, 2, 2, 2, 2])
    np.testing.assert_allclose(a0["x"][:7, 3], [0, 1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(a0["state"]["x"][:7, 0] * 7, true)
    np.testing.assert_allclose(a1["x"][:7, 0] * 7, [2, 2, 2, 2, 2, 2, 0])
    # agent_1 (node 6) is out of agent_0's view, but in the state
    assert a0["x"][6, 2] == 0 and a0["state"]["x"][6, 1] == 1
    env.step({"agent_0": 2, "agent_1": 1})  # agent_0 2->3, agent_1 6->5
    obs, *_ = env.step({"agent_0": 2, "agent_1": 0})  # agent_0 3->4: agent_1 on 5 in view
    assert obs["agent_0"]["x"][5, 2] == 1 and obs["agent_0"]["x"][4, 1] == 1
    # out of view, nodes 0-2 were last seen visited at steps 0, 1, 2: exact, as nobody went
    # there since. Node 6 was never seen: 4 steps since the reset, though agent_1 left it
    # only 2 steps ago (the estimate over-states, never under-states). 3-5 are in view.
    np.testing.assert_allclose(obs["agent_0"]["x"][:7, 0] * 7, [4, 3, 2, 1, 0, 0, 4])
    np.testing.assert_array_equal(env.core.idleness, [4, 3, 2, 1, 0, 0, 2])


def test_radius_bfs_path_equals_hop_matrix(monkeypatch):
    config = {"max_steps": 15, "observation_radius": 2, "num_agents": 3}
    small = record_parallel_episode(PatrollingParallelEnv(config), 4, POLICY_SEED)
    monkeypatch.setattr(core_module, "HOP_MATRIX_MAX_NODES", 0)  # force per-step BFS
    env = PatrollingParallelEnv(config)
    large = record_parallel_episode(env, 4, POLICY_SEED)
    assert env.core.near is None
    assert_same(small, large)
    # and the view is exactly the networkx ball of radius 2
    g = env.core.graph.to_networkx()
    v = int(env.core.positions[0])
    ball = nx.single_source_shortest_path_length(g, v, cutoff=2)
    np.testing.assert_array_equal(np.flatnonzero(env.core.view[0]), sorted(ball))


# ---------------------------------------------------------------------------- attrition
def test_attrition_down_to_floor_and_continues():
    env = PatrollingParallelEnv(num_agents=3, max_steps=12,
                                attrition={"prob": 1.0, "min_agents": 1})
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=7)
    obs, rew, term, trunc, infos = env.step(random_actions(rng, obs, env.agents))
    assert len(env.agents) == 1 and sum(term.values()) == 2
    survivor = env.agents[0]
    for a in term:
        if term[a]:
            assert a not in env.agents and not trunc[a]
            assert obs[a]["x"].shape == env.observation_space(a)["x"].shape
            assert infos[a]["agents_alive"] == 1 and infos[a]["graph_nodes"] == env.core.n
    steps = 1
    while env.agents:
        assert list(obs) != [] and survivor in obs
        before = env.core.idleness.copy()
        obs, rew, term, trunc, infos = env.step({survivor: random_action(rng, obs[survivor])})
        steps += 1
        assert set(rew) == {survivor} and not term[survivor]
        pos = int(obs[survivor]["agent_node"][0])
        expected = before + 1
        expected[pos] = 0
        np.testing.assert_array_equal(env.core.idleness, expected)
        assert obs[survivor]["state"]["x"][:, 1].sum() == 1
    assert steps == 12 and trunc[survivor] and infos[survivor]["agents_alive"] == 1


def test_attrition_schedule_removes_named_agents():
    env = PatrollingParallelEnv(num_agents=3, max_steps=6, attrition_schedule={2: [1], 4: [0]})
    env.reset(seed=0)
    _, _, term, _, infos = env.step({})  # missing actions: every agent stays
    assert not any(term.values())
    _, _, term, _, infos = env.step({})
    assert term == {"agent_0": False, "agent_1": True, "agent_2": False}
    assert infos["agent_1"]["agents_alive"] == 2 and env.agents == ["agent_0", "agent_2"]
    with pytest.raises(ValueError, match="agent_1"):
        env.step({"agent_1": 0})
    env.step({})
    env.step({})
    assert env.agents == ["agent_2"]


# ---------------------------------------------------------------------------- invalid actions
def test_masked_action_raises():
    env = PatrollingEnv(graphs=[path_graph(4)])
    env.reset(seed=0, options={"start_nodes": [0]})
    with pytest.raises(ValueError, match=r"action 2 is invalid.*node 0.*1 neighbour"):
        env.step(2)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(3)
    menv = PatrollingParallelEnv(graphs=[path_graph(4)], num_agents=2)
    menv.reset(seed=0, options={"start_nodes": [0, 1]})
    with pytest.raises(ValueError, match=r"agent_0's action 2 is invalid"):
        menv.step({"agent_0": 2, "agent_1": 2})
    np.testing.assert_array_equal(menv.core.positions, [0, 1])  # nothing moved


def test_penalty_mode_penalises_and_truncates():
    env = PatrollingEnv(graphs=[path_graph(4)], invalid_action="penalty", max_steps=3,
                        invalid_penalty=-2.0)
    obs, _ = env.reset(seed=0, options={"start_nodes": [0]})
    np.testing.assert_array_equal(obs["action_mask"], [1, 1, 1])
    obs, r, term, trunc, _ = env.step(2)  # padding slot: stays on 0
    assert obs["agent_node"][0] == 0
    assert r == pytest.approx(-(3 / 4) / 4 - 2.0)
    env.step(2)
    _, r, term, trunc, info = env.step(1)
    assert r == pytest.approx(-(1 + 0 + 3 + 3) / 4 / 4) and trunc and not term
    menv = PatrollingParallelEnv(graphs=[path_graph(4)], num_agents=2,
                                 invalid_action="penalty", max_steps=1)
    menv.reset(seed=0, options={"start_nodes": [0, 1]})
    _, rew, _, trunc, _ = menv.step({"agent_0": 2, "agent_1": 2})
    assert rew["agent_0"] == pytest.approx(rew["agent_1"] - 1.0) and all(trunc.values())


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize("config, match", [
    *bad_graphs_configs("grid"),
    ({"max_step": 5}, "max_step"),
    ({"num_agents": 26}, "num_agents"),
    ({"graphs": [path_graph(3)], "num_agents": 4}, "num_agents"),
    ({"graphs": [path_graph(9)], "max_nodes": 5}, "max_nodes"),
    ({"graphs": [path_graph(9)], "max_edges": 10}, "max_edges"),
    ({"graphs": [cycle_graph(5)], "max_degree": 1}, "max_degree"),
    ({"observation_radius": -1}, "observation_radius"),
    ({"attrition": {"prob": 1.5}}, "attrition.prob"),
    ({"attrition": {"prob": 0.1, "min_agents": 5}}, "min_agents"),
    ({"attrition": {"p": 0.1}}, "attrition"),
    ({"attrition_schedule": {0: [1]}}, "attrition_schedule"),
    ({"attrition_schedule": {2: [3]}}, "attrition_schedule"),
    ({"invalid_action": "ignore"}, "invalid_action"),
    ({"global_state": "yes"}, "global_state"),
    ({"reward": "shared"}, "reward"),
])
def test_bad_configs(config, match):
    with pytest.raises(ValueError, match=match):
        PatrollingParallelEnv(config)


def test_single_agent_rejects_multi_keys_and_big_graphs():
    with pytest.raises(ValueError, match="num_agents"):
        PatrollingEnv(num_agents=2)
    with pytest.raises(ValueError, match="attrition"):
        PatrollingEnv(attrition={"prob": 0.1})
    env = PatrollingEnv(graphs={"generator": "barabasi_albert", "sizes": [30]}, max_degree=3)
    with pytest.raises(ValueError, match="max_degree=3"):
        env.reset(seed=0)  # BA hubs exceed degree 3
    env = PatrollingEnv(graphs={"generator": "grid", "sizes": [16]}, max_nodes=16, max_edges=20)
    with pytest.raises(ValueError, match="max_edges"):
        env.reset(seed=0)  # a 4x4 grid has 48 directed edges
