"""Graph generators: seeded, reproducible, well-formed; distributions and presets validate."""

import dataclasses

import networkx as nx
import numpy as np
import pytest

from envs.graphs import (GENERATORS, Graph, GraphDistribution, GraphSource, check_max_degree,
                         preset, sample_graphs)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_is_reproducible_and_well_formed(name):
    dist = GraphDistribution(name, (30, 40))
    a = sample_graphs(dist, 5, seed=7)
    b = sample_graphs(dist, 5, seed=7)
    c = sample_graphs(dist, 5, seed=8)
    for g, h in zip(a, b):
        assert g.num_nodes == h.num_nodes
        np.testing.assert_array_equal(g.edges, h.edges)
        np.testing.assert_array_equal(g.weights, h.weights)
    assert any(g.num_edges != h.num_edges or not np.array_equal(g.weights, h.weights)
               for g, h in zip(a, c))
    for g in a:
        assert (g.edges[:, 0] < g.edges[:, 1]).all(), "edges must be u < v, no self-loops"
        assert len(np.unique(g.edges, axis=0)) == g.num_edges, "duplicate edges"
        assert g.edges.max(initial=-1) < g.num_nodes
        assert g.weights.shape == (g.num_nodes,) and (0 <= g.weights).all() and (g.weights < 1).all()
        assert g.num_edges <= dist.max_undirected_edges()


def test_edge_index_holds_both_directions_in_pyg_order():
    g = Graph(3, np.array([[0, 1], [1, 2]]))
    np.testing.assert_array_equal(g.edge_index, [[0, 1, 1, 2], [1, 2, 0, 1]])


def test_networkx_round_trip_keeps_structure():
    g = sample_graphs(GraphDistribution("barabasi_albert", (25,)), 1, seed=0)[0]
    h = Graph.from_networkx(g.to_networkx())
    np.testing.assert_array_equal(g.edges, h.edges)
    np.testing.assert_allclose(
        [d["weight"] for _, d in g.to_networkx().nodes(data=True)], g.weights)


def test_grid_positions_and_removed_cells():
    full = GraphDistribution("grid", (16,), weights="unit").sample(np.random.default_rng(0))
    assert full.num_nodes == 16 and full.num_edges == 24
    lengths = full.edge_lengths()
    np.testing.assert_allclose(lengths, 1.0)
    walled = GraphDistribution("grid", (100,), {"removed": 0.2}).sample(np.random.default_rng(0))
    assert walled.num_nodes <= 80
    assert nx.is_connected(walled.to_networkx()), "the largest component is kept"


def test_watts_strogatz_keeps_the_ring_edge_count():
    for g in sample_graphs(preset("blog_mvc", "train"), 30, seed=3):
        assert g.num_edges == 2 * g.num_nodes


@pytest.mark.parametrize("n, k", [(5, 2), (10, 4), (15, 4), (20, 6), (101, 4)])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_watts_strogatz_is_networkxs_graph_and_leaves_the_rng_as_networkx_does(n, k, p):
    from envs.generators import watts_strogatz

    for seed in range(20):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        graph = watts_strogatz(n, ours, k, p)
        reference = nx.watts_strogatz_graph(n, k, p, seed=theirs)
        expected = np.array(sorted(tuple(sorted(e)) for e in reference.edges), np.int64)
        assert graph.num_nodes == n
        np.testing.assert_array_equal(graph.edges, expected.reshape(-1, 2))
        assert ours.random() == theirs.random()  # the same draws were taken


def test_presets_have_the_blog_sizes():
    assert preset("blog_mvc", "train").sizes == (5, 10, 15)
    assert preset("blog_mvc", "validation").sizes == (15,)
    assert preset("blog_mvc", "test").sizes == (20,)
    sizes = {g.num_nodes for g in sample_graphs(preset("blog_mvc", "train"), 60, seed=0)}
    assert sizes == {5, 10, 15}


def test_erdos_renyi_mean_degree_keeps_the_expected_degree_at_every_size():
    dist = GraphDistribution("erdos_renyi", (20,), {"mean_degree": 4.0}, "unit")
    for n in (20, 200, 2000):
        sized = dataclasses.replace(dist, sizes=(n,))
        graphs = sample_graphs(sized, 5, seed=1)
        mean = np.mean([2 * g.num_edges / g.num_nodes for g in graphs])
        assert abs(mean - 4.0) < 0.6, (n, mean)
        # the padding bound follows the mean degree, not p's default of 0.1
        assert max(g.num_edges for g in graphs) <= sized.max_undirected_edges() < 3 * n + 50


@pytest.mark.parametrize("config, key", [
    ({"generator": "nope"}, "generator"),
    ({"generator": "grid", "sizes": [-3]}, "sizes"),
    ({"generator": "grid", "sizes": []}, "sizes"),
    ({"generator": "erdos_renyi", "params": {"p": 1.5}}, "params.p"),
    ({"generator": "erdos_renyi", "params": {"k": 2}}, "erdos_renyi params"),
    ({"generator": "erdos_renyi", "params": {"p": 0.2, "mean_degree": 3}}, "not both"),
    ({"generator": "erdos_renyi", "params": {"mean_degree": 0}}, "params.mean_degree"),
    ({"generator": "grid", "colour": 1}, "graphs"),
    ({"preset": "nope"}, "preset"),
    ({"preset": "blog_mvc", "split": "nope"}, "split"),
])
def test_bad_distribution_configs_name_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        GraphDistribution.from_config(config)


def test_source_limits_and_fixed_replay():
    graphs = sample_graphs(preset("blog_mvc", "test"), 3, seed=0)
    source = GraphSource(graphs)
    assert source.limits(None, None) == (20, 80)
    with pytest.raises(ValueError, match="max_nodes"):
        source.limits(10, None)
    with pytest.raises(ValueError, match="max_nodes"):
        GraphSource({"preset": "blog_mvc"}).limits(12, None)
    # the fixed-list rule: a seeded reset plays graph seed mod L, an unseeded one draws
    # uniformly (this replaced playing the list in turn from a seeded reset)
    rng = np.random.default_rng(0)
    assert [source.next(rng, seed) for seed in range(5)] == [graphs[i] for i in (0, 1, 2, 0, 1)]
    drawn = [source.next(rng) for _ in range(300)]
    counts = [sum(g is h for g in drawn) for h in graphs]
    assert all(70 <= c <= 130 for c in counts), counts


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_degree_bound_holds_and_is_exact_for_fixed_lists(name):
    dist = GraphDistribution(name, (30, 40))
    graphs = sample_graphs(dist, 5, seed=3)
    worst = max(int(g.degrees().max()) for g in graphs)
    assert worst <= GraphSource(dist).max_degree == dist.max_degree_bound() <= 39
    fixed = GraphSource(graphs)
    assert fixed.max_degree == max(worst, 1)  # at least 1 (points without edges have 0)
    assert fixed.min_nodes == min(g.num_nodes for g in graphs)


def test_min_nodes_and_degree_bound_of_grids():
    assert GraphSource({"generator": "grid", "sizes": [10, 30]}).min_nodes == 9
    assert GraphSource({"generator": "grid", "params": {"rows": 2, "cols": 7}}).min_nodes == 14
    assert GraphSource({"generator": "erdos_renyi", "sizes": [12, 8]}).min_nodes == 8
    assert GraphDistribution("grid", (25, 100)).max_degree_bound() == 4
    assert GraphDistribution("barabasi_albert", (12, 30)).max_degree_bound() == 29


def test_check_max_degree_names_the_busiest_node():
    star = Graph(5, np.array([[0, 3], [1, 3], [2, 3], [3, 4]]))
    check_max_degree(star, 4)
    with pytest.raises(ValueError, match="node 3 has 4 neighbours.*max_degree=3"):
        check_max_degree(star, 3)
