"""The weighted MVC baselines (exact ILP, greedy, random) and the envs' reference ratio."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import envs.mvc.solvers as mvc_solvers
from envs.graphs import Graph, GraphDistribution, preset, sample_graphs
from envs.mvc import (
    MinVertexCoverEnv,
    MinVertexCoverParallelEnv,
    OptimumUnproven,
    exact_mvc,
    greedy_mvc,
    play_exact,
    play_exact_parallel,
    play_greedy,
    play_greedy_parallel,
    play_random,
)
from tests.envs.episodes import record_episode
from tests.envs.test_mvc import is_cover, make_graph


# ---------------------------------------------------------------------------- baselines
def test_exact_says_when_it_proves_no_optimum_within_its_time_limit():
    g = sample_graphs(GraphDistribution("watts_strogatz", (2000,), {"k": 4, "p": 0.3},
                                        "uniform"), 1, seed=0)[0]
    with pytest.raises(OptimumUnproven, match=r"^milp proved no optimum of the 2000-node "
                                              r"graph within 0 s \(lower bound") as err:
        exact_mvc(g, time_limit=0)
    assert isinstance(err.value, TimeoutError) and not err.value.bound > 0  # none yet: NaN
    small = preset("blog_mvc", "test")
    for graph in sample_graphs(small, 3, seed=1):
        assert exact_mvc(graph, time_limit=60)[1] == pytest.approx(exact_mvc(graph)[1])
    with pytest.raises(ValueError, match="time_limit must be"):
        exact_mvc(g, time_limit=-1)


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
