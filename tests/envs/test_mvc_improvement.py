"""MVC's local improvement at inference: dropping the redundant nodes of a cover."""

from __future__ import annotations

import numpy as np
import pytest

from envs.catalog import entry
from envs.graphs import GraphDistribution, preset, sample_graphs
from envs.mvc import (
    MinVertexCoverEnv,
    exact_mvc,
    greedy_mvc,
    improve_final_cover,
    play_greedy,
    play_random,
    prune_cover,
)
from tests.envs.test_mvc import is_cover, make_graph


def _sequential_prune(graph, cover: np.ndarray) -> np.ndarray:
    """The definition, one node at a time: heaviest first (ties: lowest id), drop a node
    when every neighbour is still in the cover."""
    cover = cover.copy()
    neighbours = [set() for _ in range(graph.num_nodes)]
    for u, v in graph.edges.tolist():
        neighbours[u].add(v)
        neighbours[v].add(u)
    for node in sorted(range(graph.num_nodes), key=lambda i: (-float(graph.weights[i]), i)):
        if cover[node] and all(cover[list(neighbours[node])]):
            cover[node] = False
    return cover


def test_a_path_drops_its_heavy_middle_node_by_hand():
    # a - b - c, all three in the cover, b heaviest: b goes, then a and c are needed.
    graph = make_graph(3, [(0, 1), (1, 2)], [1.0, 5.0, 1.0])
    np.testing.assert_array_equal(prune_cover(graph, np.ones(3, bool)), [True, False, True])
    # b light: a (heavier, first in id order among the ties) goes, then c, and b stays.
    graph = make_graph(3, [(0, 1), (1, 2)], [2.0, 1.0, 2.0])
    np.testing.assert_array_equal(prune_cover(graph, np.ones(3, bool)), [False, True, False])


@pytest.mark.parametrize("distribution", [
    preset("blog_mvc", "test"),
    GraphDistribution("erdos_renyi", (30,), {"mean_degree": 4}, "uniform"),
    GraphDistribution("barabasi_albert", (40,), {"m": 2}, "unit"),  # ties everywhere
])
def test_pruning_equals_the_sequential_definition_and_keeps_a_cover(distribution):
    rng = np.random.default_rng(3)
    for graph in sample_graphs(distribution, 20, seed=5):
        start = rng.random(graph.num_nodes) < 0.8
        u, v = graph.edges[:, 0], graph.edges[:, 1]
        start[u[~(start[u] | start[v])]] = True  # complete it to a cover
        pruned = prune_cover(graph, start)
        np.testing.assert_array_equal(pruned, _sequential_prune(graph, start))
        assert is_cover(graph, np.flatnonzero(pruned)) and not (pruned & ~start).any()


def test_pruning_never_beats_the_optimum_and_often_improves_greedy():
    improved = 0
    for graph in sample_graphs(preset("blog_mvc", "test"), 30, seed=0):
        picks, weight = greedy_mvc(graph)
        cover = np.zeros(graph.num_nodes, bool)
        cover[picks] = True
        pruned_weight = float(graph.weights[prune_cover(graph, cover)].sum())
        assert exact_mvc(graph)[1] - 1e-6 <= pruned_weight <= weight + 1e-9
        improved += pruned_weight < weight - 1e-9
    assert improved >= 5, f"pruning improved greedy on only {improved} of 30 graphs"


def test_a_non_cover_is_refused_in_one_line():
    graph = make_graph(3, [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="not a vertex cover"):
        prune_cover(graph, np.array([True, False, False]))
    with pytest.raises(ValueError, match=r"shape \(2,\); the graph has 3 nodes"):
        prune_cover(graph, np.ones(2, bool))


def test_the_improved_final_info_is_the_pruned_cover_with_its_ratio():
    env = MinVertexCoverEnv({"graphs": {"preset": "blog_mvc", "split": "test"},
                             "reference": "exact"})
    for seed in range(10):
        info = play_random(env, seed=seed)
        better = improve_final_cover(env, info)
        pruned = prune_cover(env.graph, env.cover_state.in_cover)
        assert better["cover_weight"] == pytest.approx(float(env.graph.weights[pruned].sum()))
        assert better["pruned_nodes"] == info["cover_size"] - better["cover_size"] >= 0
        assert better["cover_ratio"] == pytest.approx(
            better["cover_weight"] / info["reference_cover_weight"])
    assert improve_final_cover(env, play_greedy(env, seed=0))["cover_ratio"] >= 1 - 1e-9


def test_envs_without_an_improvement_say_which_have_one():
    assert entry("mvc").improver() is improve_final_cover
    with pytest.raises(ValueError, match=r"no local improvement.*\['mvc', 'matching'\]"):
        entry("nav").improver()
