"""Tests of the weighted minimum vertex cover envs (gymnasium and PettingZoo) and baselines."""

from __future__ import annotations


import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from envs.graphs import Graph, preset, sample_graphs
from envs.mvc import (
    MinVertexCoverEnv,
    MinVertexCoverParallelEnv,
    play_random,
)
from tests.envs.episodes import (
    assert_no_global_state,
    assert_replays,
    assert_same,
    assert_single_agent_state_view,
    bad_graphs_configs,
    check_single_env,
    random_action,
    random_actions,
    record_parallel_episode,
    shared_graph_states,
)

WS10 = {"generator": "watts_strogatz", "sizes": [10]}


def make_graph(n: int, edges: list[tuple[int, int]], weights: list[float] | None = None) -> Graph:
    e = np.sort(np.array(edges, np.int64).reshape(-1, 2), axis=1)
    w = np.linspace(0.1, 0.9, n).astype(np.float32) if weights is None else np.array(weights, np.float32)
    return Graph(n, e, w)


def is_cover(graph: Graph, nodes: np.ndarray) -> bool:
    chosen = np.zeros(graph.num_nodes, bool)
    chosen[nodes] = True
    return bool((chosen[graph.edges[:, 0]] | chosen[graph.edges[:, 1]]).all())


# ---------------------------------------------------------------------------- API checkers
def test_check_env_penalty_mode():
    check_single_env(MinVertexCoverEnv(invalid_action="penalty"))


def test_check_env_mask_mode_all_slots_valid_at_reset():
    # check_env steps one UNMASKED action_space.sample() right after a reset, so in mask mode
    # every slot must be valid then: WS graphs of exactly max_nodes=10 nodes, every node of
    # degree >= k/2 = 2, nothing picked yet.
    env = MinVertexCoverEnv(graphs=WS10)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        assert obs["action_mask"].all()
    check_single_env(env)


@pytest.mark.parametrize("config", [{}, {"invalid_action": "penalty", "num_agents": 3},
                                    {"num_agents": 4, "mask_useless": False},
                                    {"num_agents": 3, "global_state": False}])
def test_parallel_api(config):
    parallel_api_test(MinVertexCoverParallelEnv(config), num_cycles=100)


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("config", [{}, {"invalid_action": "penalty"}, {"mask_useless": False}])
def test_same_seed_same_episode_single(config):
    a, c = assert_replays(lambda: MinVertexCoverEnv(config), seed=7, other_seed=8, policy_seed=1)
    first_a, first_c = a[0][0], c[0][0]
    assert not np.array_equal(first_a["x"], first_c["x"])


@pytest.mark.parametrize("config", [{}, {"invalid_action": "penalty", "num_agents": 3}])
def test_same_seed_same_episode_parallel(config):
    a, c = assert_replays(lambda: MinVertexCoverParallelEnv(config), seed=3, other_seed=4,
                          record=record_parallel_episode, policy_seed=2)
    assert not np.array_equal(a[0][0]["agent_0"]["x"], c[0][0]["agent_0"]["x"])
    # every agent sees the same observation, in its own arrays
    obs = a[1][1]
    assert_same(obs["agent_0"], obs["agent_1"])
    assert obs["agent_0"]["x"] is not obs["agent_1"]["x"]


def test_fixed_list_seed_picks_graph_seed_mod_len_and_unseeded_resets_sample():
    graphs = sample_graphs(preset("blog_mvc", "train"), 3, seed=5)
    env = MinVertexCoverEnv(graphs=graphs)
    for seed in (0, 1, 2, 3, 7):
        env.reset(seed=seed)
        assert env.graph is graphs[seed % 3]
    seen = set()
    for _ in range(30):
        env.reset()
        seen.add(id(env.graph))
    assert seen == {id(g) for g in graphs}


def test_both_forms_draw_the_same_graph_for_a_seed():
    single, multi = MinVertexCoverEnv(), MinVertexCoverParallelEnv()
    single.reset(seed=11)
    multi.reset(seed=11)
    assert np.array_equal(single.graph.edges, multi.graph.edges)
    assert np.array_equal(single.graph.weights, multi.graph.weights)


# ---------------------------------------------------------------------------- observations
def test_node_features_do_not_depend_on_the_rest_of_the_graph():
    """A node's features are its own: a disjoint hub of degree 50 beside a small graph (the
    largest degree, and the node count, change) leaves the small graph's rows as they were."""
    small = Graph(edges=np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]), num_nodes=4,
                  weights=np.array([0.5, 1.0, 0.25, 2.0], np.float32))
    hub = np.array([[4, 4 + k] for k in range(1, 51)])
    joined = Graph(edges=np.concatenate([small.edges, hub]), num_nodes=55,
                   weights=np.concatenate([small.weights, np.ones(51, np.float32)]))
    alone, beside = MinVertexCoverEnv(graphs=[small]), MinVertexCoverEnv(graphs=[joined])
    obs_a, _ = alone.reset(seed=0)
    obs_b, _ = beside.reset(seed=0)
    for step in (1, 2):
        np.testing.assert_array_equal(obs_a["x"][:4], obs_b["x"][:4])
        obs_a, *_ = alone.step(step)
        obs_b, *_ = beside.step(step)


def test_observation_features_match_their_definition():
    env = MinVertexCoverEnv(graphs={"preset": "blog_mvc", "split": "test"})
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=2)
    g = env.graph
    n, m = g.num_nodes, g.num_edges
    nxg = g.to_networkx()
    done = False
    while True:
        picked = np.asarray(env.in_cover)
        covered = [bool(picked[u] or picked[v]) for u, v in g.edges.tolist()]
        for v in range(n):
            open_nbrs = [u for u in nxg.neighbors(v) if not (picked[u] or picked[v])]
            expected = [g.weights[v], float(picked[v]), np.log1p(len(open_nbrs)),
                        np.log1p(sum(float(g.weights[u]) for u in open_nbrs))]
            np.testing.assert_allclose(obs["x"][v], expected, rtol=1e-5, atol=1e-6)
            if not done:
                assert obs["action_mask"][v] == (len(open_nbrs) > 0)
        assert not obs["x"][n:].any() and not obs["action_mask"][n:].any()
        assert np.array_equal(obs["edge_attr"][:2 * m, 0], np.array(covered + covered, np.float32))
        assert obs["edge_mask"].sum() == 2 * m and obs["node_mask"].sum() == n
        if done:
            break
        obs, _, terminated, truncated, _ = env.step(random_action(rng, obs))
        done = terminated or truncated
    assert terminated and all(covered)


def test_in_cover_is_read_only():
    env = MinVertexCoverEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.in_cover[0] = True


# ---------------------------------------------------------------------------- invalid actions
STAR_AND_EDGE = make_graph(5, [(0, 1), (0, 2), (3, 4)])


def test_masked_actions_raise_with_reason():
    env = MinVertexCoverEnv(graphs=[STAR_AND_EDGE], max_nodes=7)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1, 1, 1, 1, 1, 0, 0]
    obs, reward, terminated, truncated, _ = env.step(0)
    assert reward == pytest.approx(-STAR_AND_EDGE.weights[0]) and not terminated
    assert obs["action_mask"].tolist() == [0, 0, 0, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="action 0 .*already in the cover"):
        env.step(0)
    with pytest.raises(ValueError, match="action 1 .*no uncovered edge"):
        env.step(1)
    with pytest.raises(ValueError, match="action 6 .*padding"):
        env.step(6)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(7)
    # the state is unchanged by the refused actions
    _, _, terminated, _, info = env.step(4)
    assert terminated and info["cover_size"] == 2
    assert info["cover_weight"] == pytest.approx(float(STAR_AND_EDGE.weights[[0, 4]].sum()))


def test_mask_useless_false_allows_useless_nodes():
    env = MinVertexCoverEnv(graphs=[STAR_AND_EDGE], max_nodes=7, mask_useless=False)
    env.reset(seed=0)
    obs, *_ = env.step(0)
    assert obs["action_mask"].tolist() == [0, 1, 1, 1, 1, 0, 0]
    obs, reward, terminated, *_ = env.step(1)
    assert reward == pytest.approx(-STAR_AND_EDGE.weights[1]) and not terminated


def test_penalty_mode_penalises_and_truncates():
    env = MinVertexCoverEnv(graphs=[STAR_AND_EDGE], max_nodes=7, invalid_action="penalty",
                            invalid_penalty=-2.5)
    obs0, _ = env.reset(seed=0)
    assert obs0["action_mask"].tolist() == [1, 1, 1, 1, 1, 0, 0]
    obs1, r, *_ = env.step(0)
    assert r == pytest.approx(-STAR_AND_EDGE.weights[0])
    rewards = []
    for action in (0, 1, 6, 0, 2, 6):  # picked, useless, padding: all invalid
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        assert_same(obs, obs1)  # state unchanged
    assert rewards == [-2.5] * 6
    assert truncated and not terminated and env.max_steps == 7
    assert info == {"cover_weight": pytest.approx(float(STAR_AND_EDGE.weights[0])),
                    "cover_size": 1, "uncovered_edges": 1, "invalid_actions": 6,
                    "graph_nodes": 5}
    with pytest.raises(RuntimeError, match="reset"):
        env.step(3)


def test_parallel_duplicates_team_reward_and_masking():
    w = STAR_AND_EDGE.weights
    env = MinVertexCoverParallelEnv(graphs=[STAR_AND_EDGE], num_agents=3)
    env.reset(seed=0)
    _, rewards, terms, _, _ = env.step({"agent_0": 0, "agent_1": 0, "agent_2": 1})
    assert env.in_cover.tolist() == [True, True, False, False, False]
    assert rewards == {a: pytest.approx(-(w[0] + w[1])) for a in env.possible_agents}
    assert not any(terms.values())
    with pytest.raises(ValueError, match="agent_1's action 2 is invalid"):
        env.step({"agent_0": 3, "agent_1": 2, "agent_2": 3})
    with pytest.raises(ValueError, match="missing"):
        env.step({"agent_0": 3})
    _, rewards, terms, truncs, infos = env.step({"agent_0": 3, "agent_1": 4, "agent_2": 3})
    assert all(terms.values()) and not any(truncs.values()) and env.agents == []
    assert rewards["agent_2"] == pytest.approx(-(w[3] + w[4]))
    assert infos["agent_2"]["cover_weight"] == pytest.approx(float(w[[0, 1, 3, 4]].sum()))
    assert infos["agent_0"]["cover_size"] == 4


def test_parallel_penalty_hits_only_the_bad_agent():
    w = STAR_AND_EDGE.weights
    env = MinVertexCoverParallelEnv(graphs=[STAR_AND_EDGE], num_agents=2,
                                    invalid_action="penalty", max_nodes=6)
    env.reset(seed=0)
    _, rewards, *_ = env.step({"agent_0": 0, "agent_1": 5})  # agent_1 picks a padding slot
    assert rewards == {"agent_0": pytest.approx(-w[0]), "agent_1": pytest.approx(-w[0] - 1.0)}
    _, rewards, *_ = env.step({"agent_0": 3, "agent_1": 0})  # agent_1 re-picks node 0
    assert rewards["agent_0"] == pytest.approx(-w[3])
    assert rewards["agent_1"] == pytest.approx(-w[3] - 1.0)
    assert env.in_cover.tolist() == [True, False, False, True, False]


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize("config, key", [
    *bad_graphs_configs("watts_strogatz"),
    ({"grahps": {}}, "grahps"),
    ({"invalid_action": "ignore"}, "invalid_action"),
    ({"invalid_penalty": 1.0}, "invalid_penalty"),
    ({"max_steps": 0}, "max_steps"),
    ({"mask_useless": "yes"}, "mask_useless"),
    ({"global_state": 1}, "global_state"),
    ({"reference": "bogus"}, r"reference must be one of \['none', 'greedy', 'exact'\]"),
    ({"max_nodes": 10}, "max_nodes"),  # the blog train preset draws 15-node graphs
    ({"graphs": [make_graph(6, [(0, 1)])], "max_nodes": 5}, "max_nodes"),
    ({"graphs": [make_graph(4, [(0, 1)]), make_graph(4, [])]}, r"graphs\[1\].*no edges"),
])
def test_bad_config_names_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        MinVertexCoverEnv(config)
    with pytest.raises(ValueError, match=key):
        MinVertexCoverParallelEnv(config)


def test_graph_over_max_edges_or_without_edges_fails_at_reset():
    env = MinVertexCoverEnv(graphs=WS10, max_edges=30)  # WS graphs of 10 nodes have 40
    with pytest.raises(ValueError, match="max_edges"):
        env.reset(seed=0)
    env = MinVertexCoverEnv(graphs={"generator": "erdos_renyi", "sizes": [4], "params": {"p": 0.0}})
    with pytest.raises(ValueError, match="episode's graph .*no edges"):
        env.reset(seed=0)


def test_more_agents_than_nodes():
    with pytest.raises(ValueError, match="num_agents=6"):
        MinVertexCoverParallelEnv(graphs=[STAR_AND_EDGE], num_agents=6)
    with pytest.raises(ValueError, match="num_agents=6"):
        MinVertexCoverParallelEnv(num_agents=6)  # blog train preset has 5-node graphs
    with pytest.raises(ValueError, match="num_agents"):
        MinVertexCoverParallelEnv(num_agents=0)
    MinVertexCoverParallelEnv(num_agents=5).reset(seed=0)


# ---------------------------------------------------------------------------- state and metrics
def test_incremental_state_matches_recomputation():
    env = MinVertexCoverParallelEnv(graphs={"preset": "blog_mvc", "split": "test_100"},
                                    num_agents=3, mask_useless=False)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    while env.agents:
        s = env.cover_state
        e, w = env.graph.edges, env.graph.weights.astype(np.float64)
        open_ = ~(s.in_cover[e[:, 0]] | s.in_cover[e[:, 1]])
        assert np.array_equal(s.uncovered, open_)
        eo = e[open_]
        assert np.array_equal(s.uncovered_degree, np.bincount(eo.ravel(), minlength=100))
        nw = np.bincount(eo[:, 0], w[eo[:, 1]], 100) + np.bincount(eo[:, 1], w[eo[:, 0]], 100)
        np.testing.assert_allclose(s.neighbour_weight, nw, atol=1e-9)
        obs, *_ = env.step(random_actions(rng, obs, env.agents))
    assert env.cover_state.covered and is_cover(env.graph, np.flatnonzero(env.in_cover))


def test_cover_weight_is_the_weight_of_the_picked_nodes():
    env = MinVertexCoverEnv(mask_useless=False)
    for seed in range(5):
        info = play_random(env, seed=seed)
        picked = np.flatnonzero(env.in_cover)
        assert info["cover_weight"] == pytest.approx(float(env.graph.weights[picked].astype(float).sum()))
        assert info["return"] == pytest.approx(-info["cover_weight"])
        assert info["cover_size"] == len(picked) == info["length"]
        assert info["uncovered_edges"] == 0 and info["graph_nodes"] == env.graph.num_nodes
        assert is_cover(env.graph, picked)


# ---------------------------------------------------------------------------- global state (CTDE)
def test_global_state_is_the_shared_full_view():
    env = MinVertexCoverParallelEnv(graphs=WS10, num_agents=3)
    for state in shared_graph_states(env, seed=0):
        np.testing.assert_array_equal(state["x"][:10, 1], env.in_cover)


def test_global_state_off_and_single_agent_form():
    assert_no_global_state(MinVertexCoverParallelEnv(global_state=False), MinVertexCoverEnv())
    single = MinVertexCoverEnv(global_state=True, invalid_action="penalty")
    assert_single_agent_state_view(single)
