"""Navigation env (single- and multi-agent, neighbours and compass actions) and its baselines."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from envs.graphs import Graph
from envs.navigation import (
    COMPASS,
    NavigationEnv,
    NavigationParallelEnv,
)
from tests.envs.episodes import (
    assert_no_global_state,
    assert_one_shared_state,
    assert_replays,
    assert_same,
    bad_graphs_configs,
    check_single_env,
    random_action,
    random_actions,
    record_parallel_episode,
)

RGG = {"generator": "random_geometric", "sizes": [15, 25], "weights": "unit"}
WALLED_GRID = {"generator": "grid", "sizes": [49], "params": {"removed": 0.25}, "weights": "unit"}
PATH3 = Graph(3, np.array([[0, 1], [1, 2]], np.int64))                       # 0-1-2
TRIANGLE = Graph(3, np.array([[0, 1], [0, 2], [1, 2]], np.int64))


def ring(n: int) -> Graph:
    """Cycle 0-1-..-(n-1)-0: every node has exactly 2 neighbours."""
    u = np.arange(n)
    return Graph(n, np.sort(np.stack([u, (u + 1) % n], axis=1), axis=1))


def grid_without(rows: int, cols: int, removed: list[tuple[int, int]]) -> Graph:
    """A rows x cols grid minus the (row, col) cells in ``removed``; positions (col, row)."""
    g = nx.grid_2d_graph(rows, cols)
    g.remove_nodes_from(removed)
    nx.set_node_attributes(g, {cell: (cell[1], cell[0]) for cell in g.nodes}, "pos")
    return Graph.from_networkx(g)


def nx_length(graph: Graph, a: int, b: int) -> float:
    return nx.dijkstra_path_length(graph.to_networkx(), int(a), int(b), weight="length")


# ---------------------------------------------------------------------------- API checks
def test_check_env_penalty_mode():
    check_single_env(NavigationEnv(invalid_action="penalty"))
    check_single_env(NavigationEnv(graphs=WALLED_GRID, actions="compass", invalid_action="penalty"))


def test_check_env_mask_mode_on_rings():
    # check_env steps one UNMASKED action_space.sample() right after reset, so mask mode is
    # checked on rings with max_degree=2, where both neighbour slots are valid everywhere.
    env = NavigationEnv(graphs=[ring(6), ring(9)], max_degree=2)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1, 1]
    check_single_env(env)


@pytest.mark.parametrize("config", [
    {"num_agents": 3},
    {"num_agents": 4, "exclusive_nodes": True, "graphs": WALLED_GRID, "actions": "compass"},
    {"num_agents": 3, "exclusive_nodes": True, "invalid_action": "penalty"},
    {"num_agents": 3, "global_state": False},
])
def test_parallel_api(config):
    env = NavigationParallelEnv(config)
    parallel_api_test(env, num_cycles=150)
    assert env.observation_space("agent_1") is env.observation_space("agent_0")
    assert env.metadata["name"] == "navigation_v0"


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("config", [{}, {"graphs": WALLED_GRID, "actions": "compass"}])
def test_single_agent_seeded_episodes_repeat(config):
    assert_replays(lambda: NavigationEnv(config), seed=3, other_seed=4)


def test_fixed_list_seed_picks_graph_seed_mod_len():
    env = NavigationEnv(graphs=[ring(5), ring(8)], max_degree=2)
    for seed, nodes in ((0, 5), (1, 8), (2, 5), (5, 8)):
        obs, _ = env.reset(seed=seed)
        assert int(obs["node_mask"].sum()) == nodes
    sizes = {int(env.reset()[0]["node_mask"].sum()) for _ in range(20)}
    assert sizes == {5, 8}, "unseeded resets sample the list"


@pytest.mark.parametrize("config", [{"num_agents": 3}, {"num_agents": 3, "exclusive_nodes": True}])
def test_multi_agent_seeded_episodes_repeat(config):
    assert_replays(lambda: NavigationParallelEnv(config), seed=5, other_seed=6,
                   record=record_parallel_episode)


# ---------------------------------------------------------------------------- observation
def test_observation_layout_single_agent():
    env = NavigationEnv(graphs={"generator": "grid", "sizes": [16]})
    obs, _ = env.reset(seed=2)
    core = env.core
    graph = core.nav.graph
    n, m = graph.num_nodes, graph.num_edges
    x = obs["x"]
    assert x.shape == (env.settings.max_nodes, 5)
    start, goal = int(core.starts[0]), int(core.goals[0])
    assert obs["agent_node"].tolist() == [start] and start != goal
    assert np.flatnonzero(x[:, 0]).tolist() == [start]
    assert np.flatnonzero(x[:, 1]).tolist() == [goal]
    assert np.flatnonzero(x[:, 2]).tolist() == [start]                  # visited
    np.testing.assert_array_equal(x[:n, 3:], graph.positions)
    np.testing.assert_allclose(obs["edge_attr"][:2 * m, 0], np.tile(graph.edge_lengths(), 2))
    assert obs["edge_mask"].sum() == 2 * m and obs["node_mask"].sum() == n
    nbrs = sorted(graph.to_networkx().neighbors(start))
    assert obs["neighbours"][:len(nbrs)].tolist() == nbrs               # sorted by node id
    assert (obs["neighbours"][len(nbrs):] == start).all()
    assert obs["action_mask"].tolist() == [1] * len(nbrs) + [0] * (4 - len(nbrs))
    # after a move: visited keeps the start, is_agent follows the agent
    obs, *_ = env.step(0)
    assert np.flatnonzero(obs["x"][:, 0]).tolist() == [nbrs[0]]
    assert sorted(np.flatnonzero(obs["x"][:, 2]).tolist()) == sorted({start, nbrs[0]})


def test_positions_to_goal_give_each_agent_its_own_goal_minus_the_node():
    """``positions: to_goal``: the last two columns are the agent's goal's position minus the
    node's (its own goal for each team member); the state keeps absolute positions."""
    graphs = {"generator": "grid", "sizes": [16]}
    env = NavigationEnv(graphs=graphs, positions="to_goal")
    obs, _ = env.reset(seed=2)
    pos, n = env.core.nav.graph.positions, env.core.nav.graph.num_nodes
    goal = int(env.core.goals[0])
    np.testing.assert_array_equal(obs["x"][:n, 3:], pos[goal] - pos)
    assert (obs["x"][goal, 3:] == 0).all() and (obs["x"][n:] == 0).all()
    team = NavigationParallelEnv(graphs=graphs, num_agents=2, positions="to_goal",
                                 global_state=True)
    obs, _ = team.reset(seed=3)
    goals = team.core.goals.tolist()
    assert goals[0] != goals[1]
    for i, agent in enumerate(["agent_0", "agent_1"]):
        np.testing.assert_array_equal(obs[agent]["x"][:n, 4:], pos[goals[i]] - pos)
        np.testing.assert_array_equal(obs[agent]["state"]["x"][:n, 2:4], pos)


def test_observation_layout_multi_agent_counts_others():
    env = NavigationParallelEnv(graphs=[PATH3], num_agents=2, max_degree=2)
    for seed in range(40):
        obs, _ = env.reset(seed=seed)
        a, b = env.core.nodes.tolist()
        x0 = obs["agent_0"]["x"]
        assert x0.shape[1] == 6
        assert np.flatnonzero(x0[:, 0]).tolist() == [a]
        assert np.flatnonzero(x0[:, 1]).tolist() == [int(env.core.goals[0])]
        assert np.flatnonzero(x0[:, 2]).tolist() == [b] and x0[b, 2] == 1  # the other agent
        assert np.flatnonzero(x0[:, 3]).tolist() == [a]
        assert (x0[:, 4:] == 0).all()                                      # no positions
        assert obs["agent_1"]["agent_node"].tolist() == [b]
        # both move to node 1 when possible (no exclusivity): others_here counts 1 there
        if a != 1 and b != 1 and env.core.goals[0] != 1 and env.core.goals[1] != 1:
            obs, *_ = env.step({"agent_0": 0, "agent_1": 0})          # ends: neighbours [1]
            assert env.core.nodes.tolist() == [1, 1]
            assert obs["agent_0"]["x"][1, 2] == 1 and obs["agent_0"]["x"][1, 0] == 1
            return
    pytest.fail("no seed put both agents at the ends with goals away from node 1")


# ---------------------------------------------------------------------------- actions
def test_neighbour_slot_i_moves_to_neighbours_i():
    env = NavigationEnv(graphs=RGG, max_steps=60)
    rng = np.random.default_rng(0)
    moves = 0
    for seed in range(6):
        obs, _ = env.reset(seed=seed)
        g = env.core.nav.graph.to_networkx()
        done = False
        while not done:
            here = int(obs["agent_node"][0])
            nbrs = sorted(g.neighbors(here))
            assert obs["neighbours"][:len(nbrs)].tolist() == nbrs
            assert int(obs["action_mask"].sum()) == len(nbrs)
            slot = int(rng.integers(len(nbrs)))
            target = int(obs["neighbours"][slot])
            obs, reward, term, trunc, info = env.step(slot)
            moves += 1
            assert int(obs["agent_node"][0]) == target
            expected = -g[here][target]["length"]
            if term:
                expected += env.settings.goal_reward * info["shortest_path_length"]
            assert reward == pytest.approx(expected, rel=1e-6)
            done = term or trunc
    assert moves > 30


def test_compass_moves_and_walls():
    # 3x3 grid without its centre (row 1, col 1): the centre is a wall.
    graph = grid_without(3, 3, [(1, 1)])
    env = NavigationEnv(graphs=[graph], actions="compass", max_steps=200)
    pos = graph.positions.astype(int)
    cell = {(int(c), int(r)): v for v, (c, r) in enumerate(pos)}
    deltas = {"N": (0, -1), "E": (1, 0), "S": (0, 1), "W": (-1, 0)}
    rng = np.random.default_rng(1)
    checked_e = checked_wall = 0
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            here = int(obs["agent_node"][0])
            c, r = pos[here]
            for a, name in enumerate(COMPASS[:4]):
                dc, dr = deltas[name]
                assert obs["action_mask"][a] == ((c + dc, r + dr) in cell), (name, c, r)
            assert obs["action_mask"][4] == 1
            if r == 0 and c == 1:  # top middle: south is the wall
                checked_wall += 1
                with pytest.raises(ValueError, match="S.*removed cell"):
                    env.step(COMPASS.index("S"))
            a = random_action(rng, obs)
            obs, reward, term, trunc, _ = env.step(a)
            new = int(obs["agent_node"][0])
            if COMPASS[a] == "E":  # (r, c) -> (r, c + 1)
                checked_e += 1
                assert (pos[new][1], pos[new][0]) == (r, c + 1)
            if COMPASS[a] == "stay":
                assert new == here and reward == pytest.approx(-0.1)
            else:
                dc, dr = deltas[COMPASS[a]]
                assert tuple(pos[new]) == (c + dc, r + dr)
            done = term or trunc
    assert checked_e > 0 and checked_wall > 0


def test_masked_action_raises_in_mask_mode():
    env = NavigationEnv()
    obs, _ = env.reset(seed=0)
    padded = int(np.flatnonzero(obs["action_mask"] == 0)[0])
    with pytest.raises(ValueError, match=f"action {padded} is invalid.*padding"):
        env.step(padded)
    assert int(env.core.nodes[0]) == int(obs["agent_node"][0])        # nothing moved
    with pytest.raises(ValueError, match="outside Discrete"):
        env.step(env.action_space.n)


def test_penalty_mode_ignores_invalid_and_truncates():
    env = NavigationEnv(invalid_action="penalty", invalid_penalty=-0.5, max_steps=5)
    obs, _ = env.reset(seed=0)
    padded = int(np.flatnonzero(obs["action_mask"] == 0)[0])
    for t in range(5):
        new, reward, term, trunc, info = env.step(padded)
        assert reward == -0.5 and not term
        assert new["agent_node"].tolist() == obs["agent_node"].tolist()
        np.testing.assert_array_equal(new["x"], obs["x"])
        assert trunc == (t == 4)
    assert info["success"] == 0.0 and info["path_length"] == 0.0
    assert "path_ratio" not in info                                    # only on success
    assert info["shortest_path_length"] == pytest.approx(nx_length(
        env.core.nav.graph, env.core.starts[0], env.core.goals[0]), rel=1e-6)
    # compass penalty mode: all five moves marked valid, a wall costs the penalty
    env = NavigationEnv(graphs=[grid_without(3, 3, [(1, 1)])], actions="compass",
                        invalid_action="penalty")
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1] * 5
    wall = int(np.flatnonzero(~env.core.valid_actions(0))[0])
    _, reward, *_ = env.step(wall)
    assert reward == -1.0 and int(env.core.nodes[0]) == int(obs["agent_node"][0])


# ---------------------------------------------------------------------------- config errors
@pytest.mark.parametrize("config, key", [
    *bad_graphs_configs("grid"),
    ({"bogus": 1}, "bogus"),
    ({"max_nodes": 10}, "max_nodes"),
    ({"graphs": [ring(6)], "max_edges": 4}, "max_edges"),
    ({"actions": "compass"}, "actions"),
    ({"graphs": [ring(6)], "actions": "compass"}, "actions"),
    ({"actions": "diagonal"}, "actions"),
    ({"graphs": {"generator": "grid", "sizes": [9]}, "actions": "compass", "max_degree": 4},
     "max_degree"),
    ({"graphs": [TRIANGLE], "max_degree": 1}, "max_degree"),
    ({"goal_reward": -1.0}, "goal_reward"),
    ({"positions": "relative"}, "positions"),
    ({"invalid_action": "ignore"}, "invalid_action"),
    ({"num_agents": 2}, "num_agents"),                                 # single-agent: unknown
])
def test_bad_config_names_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        NavigationEnv(config)


@pytest.mark.parametrize("config, key", [
    ({"num_agents": 21}, "num_agents"),
    ({"graphs": {"generator": "grid", "sizes": [10]}, "num_agents": 10}, "num_agents"),
    ({"graphs": [PATH3], "num_agents": 4}, "num_agents"),
    ({"exclusive_nodes": "yes"}, "exclusive_nodes"),
    ({"num_agents": 0}, "num_agents"),
    ({"global_state": "yes"}, "global_state"),
])
def test_bad_multi_config_names_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        NavigationParallelEnv(config)


def test_node_over_max_degree_raises_at_reset():
    env = NavigationEnv(max_degree=2)
    with pytest.raises(ValueError, match="max_degree=2"):
        env.reset(seed=0)


# ---------------------------------------------------------------------------- collisions
def _reset_with_starts(env, starts):
    for seed in range(200):
        obs, _ = env.reset(seed=seed)
        if env.core.starts.tolist() == starts:
            return obs
    pytest.fail(f"no seed gave starts {starts}")


@pytest.mark.parametrize("exclusive", [True, False])
def test_exclusive_nodes_blocks_the_higher_index_agent(exclusive):
    env = NavigationParallelEnv(graphs=[PATH3], num_agents=2, max_degree=2,
                                exclusive_nodes=exclusive, stay_cost=0.25)
    def moved(i):  # reward of a unit move onto node 1, plus the goal bonus if 1 is its goal
        bonus = env.settings.goal_reward * env.core.shortest[i] if env.core.goals[i] == 1 else 0.0
        return -1.0 + bonus

    for order in ([0, 2], [2, 0]):
        _reset_with_starts(env, order)
        _, rew, *_ = env.step({"agent_0": 0, "agent_1": 0})           # both into node 1
        assert rew["agent_0"] == pytest.approx(moved(0))
        if exclusive:  # agent_0 (lower index) enters, agent_1 stays and pays stay_cost
            assert env.core.nodes.tolist() == [1, order[1]]
            assert rew["agent_1"] == -0.25
        else:
            assert env.core.nodes.tolist() == [1, 1]
            assert rew["agent_1"] == pytest.approx(moved(1))


def test_exclusive_nodes_blocks_swaps():
    env = NavigationParallelEnv(graphs=[PATH3], num_agents=2, max_degree=2, exclusive_nodes=True)
    _reset_with_starts(env, [1, 2])
    # agent_0 at 1 -> 2 (slot 1 of [0, 2]); agent_1 at 2 -> 1 (slot 0 of [1]): a swap
    _, rew, terms, *_ = env.step({"agent_0": 1, "agent_1": 0})
    assert env.core.nodes.tolist() == [1, 2]
    assert rew == {"agent_0": -0.1, "agent_1": -0.1} and not any(terms.values())
    free = NavigationParallelEnv(graphs=[PATH3], num_agents=2, max_degree=2)
    _reset_with_starts(free, [1, 2])
    free.step({"agent_0": 1, "agent_1": 0})
    assert free.core.nodes.tolist() == [2, 1]


# ---------------------------------------------------------------------------- global state (CTDE)
def test_global_state_shows_every_agent_while_own_x_shows_only_self():
    env = NavigationParallelEnv(graphs=RGG, num_agents=4, max_steps=30)
    space = env.observation_space("agent_0")
    rng = np.random.default_rng(3)
    obs, _ = env.reset(seed=3)
    assert "state" in space.spaces and space["state"]["x"].shape == (env.settings.max_nodes, 5)
    while env.agents:
        core, n = env.core, env.core.nav.num_nodes
        # packed once per step, shared by every agent; its x is not the agents' own
        state = assert_one_shared_state(space, obs, graph_view=False)
        for agent, o in obs.items():
            i = env._index[agent]
            assert np.flatnonzero(o["x"][:, 0]).tolist() == [core.nodes[i]]  # is_self: own only
            assert np.flatnonzero(o["x"][:, 1]).tolist() == [core.goals[i]]  # own goal only
        x = state["x"][:n]
        assert x[:, 0].sum() == len(env.agents) == core.active.sum()
        np.testing.assert_array_equal(x[:, 0], np.bincount(core.nodes[core.active], minlength=n))
        np.testing.assert_array_equal(x[:, 1], np.bincount(core.goals[core.active], minlength=n))
        np.testing.assert_allclose(x[:, 2:4], core.nav.graph.positions, rtol=1e-6)
        np.testing.assert_array_equal(x[:, 4], np.float32((30 - core.steps) / 30))
        m = core.nav.edge_index.shape[1]
        np.testing.assert_allclose(state["edge_attr"][:m, 0],
                                   np.concatenate([core.nav.graph.edge_lengths()] * 2), rtol=1e-6)
        assert_same(env.state(), state)
        assert env.state()["x"] is not state["x"]
        obs, *_ = env.step(random_actions(rng, obs, env.agents))


def test_one_agents_move_changes_the_state_not_the_others_own_view():
    env = NavigationParallelEnv(graphs=RGG, num_agents=2)
    for seed in range(50):
        obs, _ = env.reset(seed=seed)
        if env.core.nav.degree(int(env.core.nodes[1])) >= 2:
            break
    after = []
    for slot in (0, 1):  # agent_1 to two different neighbours, agent_0 the same move
        obs, _ = env.reset(seed=seed)
        obs, *_ = env.step({"agent_0": 0, "agent_1": slot})
        after.append(obs)
    (a, b) = after
    assert not np.array_equal(a["agent_0"]["state"]["x"], b["agent_0"]["state"]["x"])
    own, other = a["agent_0"], b["agent_0"]
    for key in ("agent_node", "neighbours", "action_mask", "edge_attr", "edge_index"):
        np.testing.assert_array_equal(own[key], other[key])
    # only others_here (column 2: where the other agents are, by the env's rules) may differ
    keep = [0, 1, 3, 4, 5]
    np.testing.assert_array_equal(own["x"][:, keep], other["x"][:, keep])


def test_global_state_off_and_single_agent_form():
    env = NavigationParallelEnv(num_agents=2, global_state=False)
    assert_no_global_state(env, NavigationEnv())
    assert env.state()["x"][:, 0].sum() == 2  # state() is there with global_state off too
    single = NavigationEnv(global_state=True, invalid_action="penalty")
    check_single_env(single)
    obs, _ = single.reset(seed=1)
    core = single.core
    assert single.observation_space.contains(obs)
    assert np.flatnonzero(obs["state"]["x"][:, 0]).tolist() == [core.nodes[0]]
    assert np.flatnonzero(obs["state"]["x"][:, 1]).tolist() == [core.goals[0]]
