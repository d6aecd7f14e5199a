"""Tests of the weighted minimum vertex cover envs (gymnasium and PettingZoo) and baselines."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import envs.mvc.solvers as mvc_solvers
from envs.graphs import Graph, GraphDistribution, preset, sample_graphs
from envs.mvc import (
    MinVertexCoverEnv,
    MinVertexCoverParallelEnv,
    exact_mvc,
    greedy_mvc,
    play_exact,
    play_exact_parallel,
    play_greedy,
    play_greedy_parallel,
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
    record_episode,
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


def test_fixed_list_replays_from_first_graph_on_seeded_reset():
    graphs = sample_graphs(preset("blog_mvc", "train"), 3, seed=5)
    env = MinVertexCoverEnv(graphs=graphs)
    env.reset(seed=0)
    assert env.graph is graphs[0]
    env.reset()
    assert env.graph is graphs[1]
    env.reset(seed=0)
    assert env.graph is graphs[0]


def test_both_forms_draw_the_same_graph_for_a_seed():
    single, multi = MinVertexCoverEnv(), MinVertexCoverParallelEnv()
    single.reset(seed=11)
    multi.reset(seed=11)
    assert np.array_equal(single.graph.edges, multi.graph.edges)
    assert np.array_equal(single.graph.weights, multi.graph.weights)


# ---------------------------------------------------------------------------- observations
def test_observation_features_match_their_definition():
    env = MinVertexCoverEnv(graphs={"preset": "blog_mvc", "split": "test"})
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=2)
    g = env.graph
    n, m = g.num_nodes, g.num_edges
    nxg = g.to_networkx()
    max_degree = max(dict(nxg.degree).values())
    done = False
    while True:
        picked = np.asarray(env.in_cover)
        covered = [bool(picked[u] or picked[v]) for u, v in g.edges.tolist()]
        for v in range(n):
            open_nbrs = [u for u in nxg.neighbors(v) if not (picked[u] or picked[v])]
            expected = [g.weights[v], float(picked[v]), len(open_nbrs) / max_degree,
                        sum(float(g.weights[u]) for u in open_nbrs) / max_degree]
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


# ---------------------------------------------------------------------------- baselines
def test_exact_is_a_cover_no_heavier_than_greedy():
    graphs = sample_graphs(preset("blog_mvc", "test"), 100, seed=123)
    gaps = []
    for g in graphs:
        cover, weight = exact_mvc(g)
        greedy, greedy_weight = greedy_mvc(g)
        assert is_cover(g, cover) and is_cover(g, greedy)
        assert weight == pytest.approx(float(g.weights[cover].astype(float).sum()))
        assert weight <= greedy_weight + 1e-9
        gaps.append(greedy_weight - weight)
    assert max(gaps) > 0  # greedy is not optimal everywhere: the comparison is not vacuous


def reference_greedy(g: Graph) -> list[int]:
    """The weight / uncovered-degree greedy written plainly on networkx (ties: lowest id)."""
    residual = g.to_networkx()
    picks = []
    while residual.number_of_edges():
        v = min((v for v in residual if residual.degree(v) > 0),
                key=lambda v: (float(g.weights[v]) / residual.degree(v), v))
        picks.append(v)
        residual.remove_edges_from(list(residual.edges(v)))
    return picks


def test_greedy_follows_the_weight_per_degree_rule():
    # a heavy centre (1.0 / 4 edges = 0.25) beats its light leaves (0.3 / 1 edge each)
    star = make_graph(5, [(0, 1), (0, 2), (0, 3), (0, 4)], [1.0, 0.3, 0.3, 0.3, 0.3])
    nodes, weight = greedy_mvc(star)
    assert nodes.tolist() == [0] and weight == pytest.approx(1.0)
    for g in sample_graphs(preset("blog_mvc", "test"), 20, seed=4):
        nodes, weight = greedy_mvc(g)
        assert nodes.tolist() == reference_greedy(g)


def brute_force(g: Graph) -> float:
    n = g.num_nodes
    subsets = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    ok = (subsets[:, g.edges[:, 0]] | subsets[:, g.edges[:, 1]]).all(axis=1)
    return float((subsets[ok] @ g.weights.astype(np.float64)).min())


def test_exact_equals_brute_force_on_small_graphs():
    rng = np.random.default_rng(9)
    graphs = ([GraphDistribution("watts_strogatz", (8,), {"k": 4, "p": 0.3}).sample(rng) for _ in range(4)]
              + [GraphDistribution("erdos_renyi", (8,), {"p": 0.4}).sample(rng) for _ in range(4)])
    for g in graphs:
        assert g.num_nodes == 8 and g.num_edges > 0
        assert exact_mvc(g)[1] == pytest.approx(brute_force(g), abs=1e-9)


def test_blog_preset_reproduces_its_generator():
    dist = preset("blog_mvc", "train")
    for seed in range(10):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(3):  # consecutive draws stay in step with the stream
            g = dist.sample(ours)
            n = [5, 10, 15][theirs.integers(3)]
            ws = nx.watts_strogatz_graph(n, 4, 0.3, seed=theirs)
            w = theirs.random(n)
            assert g.num_nodes == n and g.num_edges == 2 * n == ws.number_of_edges()
            assert {tuple(e) for e in g.edges.tolist()} == {tuple(sorted(e)) for e in ws.edges}
            assert np.array_equal(g.weights, w.astype(np.float32))


@pytest.mark.parametrize("config", [{}, {"mask_useless": False}, {"invalid_action": "penalty"}])
def test_players_match_the_solvers(config):
    env = MinVertexCoverEnv({"graphs": {"preset": "blog_mvc", "split": "test"}, **config})
    probe = MinVertexCoverEnv({"graphs": {"preset": "blog_mvc", "split": "test"}, **config})
    for seed in range(4):
        probe.reset(seed=seed)
        exact = play_exact(env, seed=seed)
        assert np.array_equal(env.graph.edges, probe.graph.edges)
        assert exact["cover_weight"] == pytest.approx(exact_mvc(probe.graph)[1], abs=1e-9)
        greedy = play_greedy(env, seed=seed)
        nodes, weight = greedy_mvc(probe.graph)
        assert greedy["cover_weight"] == pytest.approx(weight)
        assert greedy["length"] == len(nodes) and greedy["invalid_actions"] == 0
        rand = play_random(env, seed=seed)
        assert rand["invalid_actions"] == 0 and rand["uncovered_edges"] == 0
        assert rand["cover_weight"] >= exact["cover_weight"] - 1e-9


@pytest.mark.parametrize("num_agents", [1, 2, 3])
def test_parallel_greedy_builds_the_greedy_cover(num_agents):
    env = MinVertexCoverParallelEnv(graphs={"preset": "blog_mvc", "split": "test"},
                                    num_agents=num_agents)
    for seed in range(3):
        info = play_greedy_parallel(env, seed=seed)
        nodes, weight = greedy_mvc(env.graph)
        assert info["cover_weight"] == pytest.approx(weight)
        assert info["cover_size"] == len(nodes)
        assert info["length"] == math.ceil(len(nodes) / num_agents)
        assert info["return"] == pytest.approx(-num_agents * weight)


@pytest.mark.parametrize("num_agents", [1, 2, 3])
@pytest.mark.parametrize("config", [{}, {"mask_useless": False},
                                    {"invalid_action": "penalty"}])
def test_parallel_exact_builds_an_optimal_cover(num_agents, config):
    env = MinVertexCoverParallelEnv(graphs={"preset": "blog_mvc", "split": "test"},
                                    num_agents=num_agents, reference="exact", **config)
    for seed in range(3):
        info = play_exact_parallel(env, seed=seed)
        nodes, weight = exact_mvc(env.graph)
        assert info["uncovered_edges"] == 0 and info["invalid_actions"] == 0
        assert info["cover_weight"] == pytest.approx(weight, abs=1e-9)
        assert info["cover_ratio"] == pytest.approx(1.0)
        assert info["length"] <= math.ceil(len(nodes) / num_agents)
        if config.get("mask_useless") is False:  # every optimal node is added, K per step
            assert info["cover_size"] == len(nodes)
            assert info["length"] == math.ceil(len(nodes) / num_agents)


# ---------------------------------------------------------------------------- reference ratio
TEST_GRAPHS = {"preset": "blog_mvc", "split": "test"}


@pytest.mark.parametrize("config", [{}, {"mask_useless": False}])
def test_exact_reference_bounds_a_random_policy(config):
    env = MinVertexCoverEnv(graphs=TEST_GRAPHS, reference="exact", **config)
    ratios = []
    for seed in range(12):
        info = record_episode(env, seed=seed, policy_seed=seed + 100)[-1][-1]
        optimum = exact_mvc(env.graph)[1]  # recomputed here, on the episode's graph
        assert info["uncovered_edges"] == 0
        assert info["reference_cover_weight"] == pytest.approx(optimum, abs=1e-12)
        assert info["cover_ratio"] == pytest.approx(info["cover_weight"] / optimum, rel=1e-12)
        assert info["cover_ratio"] >= 1 - 1e-9
        ratios.append(info["cover_ratio"])
    assert max(ratios) > 1.01  # random picks are worse than optimal somewhere: not vacuous


def test_players_against_their_own_reference():
    exact_env = MinVertexCoverEnv(graphs=TEST_GRAPHS, reference="exact")
    greedy_env = MinVertexCoverEnv(graphs=TEST_GRAPHS, reference="greedy")
    greedy_over_exact = []
    for seed in range(6):
        assert play_exact(exact_env, seed=seed)["cover_ratio"] == 1.0
        assert play_greedy(greedy_env, seed=seed)["cover_ratio"] == 1.0
        info = play_greedy(exact_env, seed=seed)
        assert info["cover_ratio"] == pytest.approx(
            info["cover_weight"] / exact_mvc(exact_env.graph)[1], rel=1e-12)
        greedy_over_exact.append(info["cover_ratio"])
    assert min(greedy_over_exact) >= 1 - 1e-9 and max(greedy_over_exact) > 1


def test_default_config_has_no_ratio():
    info = play_greedy(MinVertexCoverEnv(graphs=TEST_GRAPHS), seed=0)
    assert "cover_weight" in info
    assert "cover_ratio" not in info and "reference_cover_weight" not in info
    info = play_greedy_parallel(MinVertexCoverParallelEnv(graphs=TEST_GRAPHS), seed=0)
    assert "cover_weight" in info
    assert "cover_ratio" not in info and "reference_cover_weight" not in info


def test_parallel_reference_solved_once_and_given_to_every_agent(monkeypatch):
    calls = []

    def counting_exact(graph):
        calls.append(graph)
        return exact_mvc(graph)

    monkeypatch.setattr(mvc_solvers, "exact_mvc", counting_exact)
    env = MinVertexCoverParallelEnv(graphs=TEST_GRAPHS, num_agents=3, reference="exact")
    rng = np.random.default_rng(5)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        calls.clear()
        while env.agents:
            # distinct valid picks (duplicates are void anyway)
            valid = np.flatnonzero(obs["agent_0"]["action_mask"])
            picks = rng.permutation(valid)[:len(env.agents)].tolist()
            picks += picks[:1] * (len(env.agents) - len(picks))
            obs, _, terms, truncs, infos = env.step(dict(zip(env.agents, picks)))
        assert len(calls) == 1 and calls[0] is env.graph
        optimum = exact_mvc(env.graph)[1]
        assert len(infos) == 3
        for info in infos.values():
            assert info["cover_ratio"] == pytest.approx(info["cover_weight"] / optimum, rel=1e-12)
            assert info["cover_ratio"] >= 1 - 1e-9
        first, second = infos["agent_0"], infos["agent_1"]
        assert first == second and first is not second


def test_zero_weight_reference_gives_a_finite_ratio():
    # node 0 weighs 0 and covers the only edge: the optimum is 0
    graphs = [make_graph(2, [(0, 1)], [0.0, 0.5])]
    env = MinVertexCoverEnv(graphs=graphs, reference="exact")
    env.reset(seed=0)
    info = env.step(0)[-1]
    assert info["cover_weight"] == 0.0 and info["cover_ratio"] == 1.0
    env.reset(seed=0)
    info = env.step(1)[-1]
    assert info["reference_cover_weight"] == 0.0
    assert info["cover_ratio"] == pytest.approx(0.5 / mvc_solvers.MIN_REFERENCE)
    assert math.isfinite(info["cover_ratio"])


# ---------------------------------------------------------------------------- global state (CTDE)
def test_global_state_is_the_shared_full_view():
    env = MinVertexCoverParallelEnv(graphs=WS10, num_agents=3)
    for state in shared_graph_states(env, seed=0):
        np.testing.assert_array_equal(state["x"][:10, 1], env.in_cover)


def test_global_state_off_and_single_agent_form():
    assert_no_global_state(MinVertexCoverParallelEnv(global_state=False), MinVertexCoverEnv())
    single = MinVertexCoverEnv(global_state=True, invalid_action="penalty")
    assert_single_agent_state_view(single)
