"""The navigation baselines (shortest path, random walk), played through both env forms."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from envs.graphs import Graph
from envs.navigation import (
    NavigationEnv,
    NavigationParallelEnv,
    ShortestPathPolicy,
    play_random,
    play_random_parallel,
    play_shortest_path,
    play_shortest_path_parallel,
    shortest_path_length,
)
from envs.navigation.graph import draw_starts_goals

RGG = {"generator": "random_geometric", "sizes": [15, 25], "weights": "unit"}
WALLED_GRID = {"generator": "grid", "sizes": [49], "params": {"removed": 0.25}, "weights": "unit"}
PATH3 = Graph(3, np.array([[0, 1], [1, 2]], np.int64))                       # 0-1-2
TRIANGLE = Graph(3, np.array([[0, 1], [0, 2], [1, 2]], np.int64))
from tests.envs.test_navigation import RGG, WALLED_GRID, TRIANGLE, nx_length


# ---------------------------------------------------------------------------- baselines
@pytest.mark.parametrize("config", [
    {"graphs": RGG},
    {"graphs": WALLED_GRID},
    {"graphs": WALLED_GRID, "actions": "compass"},
])
def test_shortest_path_player_matches_networkx(config):
    env = NavigationEnv(config)
    lengths = []
    for seed in range(15):
        info = play_shortest_path(env, seed)
        core = env.core
        graph, start, goal = core.nav.graph, int(core.starts[0]), int(core.goals[0])
        expected = nx_length(graph, start, goal)
        assert info["success"] == 1.0
        assert info["path_length"] == pytest.approx(expected, rel=1e-6)
        assert info["shortest_path_length"] == pytest.approx(expected, rel=1e-6)
        assert shortest_path_length(graph, start, goal) == pytest.approx(expected, rel=1e-6)
        assert info["path_ratio"] == pytest.approx(1.0, rel=1e-6)
        assert info["return"] == pytest.approx((env.settings.goal_reward - 1) * expected, rel=1e-5)
        assert info["graph_nodes"] == graph.num_nodes
        lengths.append(expected)
    assert len(set(np.round(lengths, 6))) > 3                          # not one repeated episode


def test_random_player_is_no_better_than_shortest():
    env = NavigationEnv(graphs=RGG)
    for seed in range(8):
        rand = play_random(env, seed)
        graph, start, goal = env.core.nav.graph, env.core.starts[0], env.core.goals[0]
        expected = nx_length(graph, start, goal)
        assert rand["shortest_path_length"] == pytest.approx(expected, rel=1e-6)
        if rand["success"]:
            assert rand["path_ratio"] >= 1.0 - 1e-9
        else:
            assert "path_ratio" not in rand and rand["length"] == 4 * graph.num_nodes


def test_start_and_goal_share_a_component_on_disconnected_graphs():
    # two triangles, a single edge and three isolated nodes
    edges = np.array([[0, 1], [0, 2], [1, 2], [3, 4], [3, 5], [4, 5], [6, 7]], np.int64)
    graph = Graph(11, edges)
    env = NavigationEnv(graphs=[graph], max_degree=2)
    g = graph.to_networkx()
    starts = set()
    for seed in range(60):
        env.reset(seed=seed)
        s, t = int(env.core.starts[0]), int(env.core.goals[0])
        assert s != t and nx.has_path(g, s, t)
        assert env.core.shortest[0] == pytest.approx(nx_length(graph, s, t))
        starts.add(s)
    assert starts == set(range(8))                                     # never an isolated node
    assert shortest_path_length(graph, 0, 6) == float("inf")


def test_multi_agent_starts_and_goals_distinct():
    # a triangle and 3 agents: the draw must not dead-end (the last agent's only free goal
    # being its own start)
    env = NavigationParallelEnv(graphs=[TRIANGLE], num_agents=3, max_degree=2)
    for seed in range(40):
        env.reset(seed=seed)
        s, t = env.core.starts, env.core.goals
        assert len(set(s.tolist())) == 3 and len(set(t.tolist())) == 3 and (s != t).all()
    labels = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    rng = np.random.default_rng(0)
    for _ in range(200):
        s, t = draw_starts_goals(labels, 6, rng)
        assert (labels[s] == labels[t]).all() and (s != t).all()
        assert len(set(s.tolist())) == 6 and len(set(t.tolist())) == 6 and 5 not in s.tolist()
    assert draw_starts_goals(labels, 10, rng) is None


@pytest.mark.parametrize("config", [
    {"graphs": RGG, "num_agents": 3},
    {"graphs": WALLED_GRID, "num_agents": 4, "actions": "compass"},
])
def test_shortest_path_parallel_matches_networkx(config):
    env = NavigationParallelEnv(config)
    for seed in range(6):
        info = play_shortest_path_parallel(env, seed)
        core = env.core
        expected = [nx_length(core.nav.graph, s, t) for s, t in zip(core.starts, core.goals)]
        np.testing.assert_allclose(core.travelled, expected, rtol=1e-6)
        assert info["success"] == 1.0 and info["path_ratio"] == pytest.approx(1.0)
        assert info["path_length"] == pytest.approx(sum(expected), rel=1e-6)
        assert info["shortest_path_length"] == pytest.approx(sum(expected), rel=1e-6)
    rand = play_random_parallel(NavigationParallelEnv(config), 0)
    assert set(rand) >= {"success", "path_length", "shortest_path_length", "graph_nodes", "return"}
    assert ("path_ratio" in rand) == (rand["success"] == 1.0)


def test_multi_agent_end_infos_per_agent():
    env = NavigationParallelEnv(num_agents=3)
    obs, _ = env.reset(seed=0)
    policy_env_infos = {}
    policy = ShortestPathPolicy()
    while env.agents:
        obs, rew, terms, truncs, infos = env.step(policy(env, obs))
        for agent in terms:
            if terms[agent]:
                assert agent not in env.agents
                policy_env_infos[agent] = infos[agent]
    assert set(policy_env_infos) == set(env.possible_agents)
    for i, agent in enumerate(env.possible_agents):
        info = policy_env_infos[agent]
        assert info["success"] == 1.0 and info["path_ratio"] == pytest.approx(1.0)
        assert info["path_length"] == pytest.approx(
            nx_length(env.core.nav.graph, env.core.starts[i], env.core.goals[i]), rel=1e-6)
