"""A user's networkx graph plays in every env with its ids, weights and lengths intact, and
the exact and greedy baselines agree with networkx, scipy or brute force on it."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

import envs.matching as matching
import envs.mvc as mvc
from envs.catalog import entry
from envs.compare import compare
from envs.graphs import Graph
from envs.navigation import NavigationEnv, NavigationParallelEnv, ShortestPathPolicy
from envs.patrolling import PatrollingParallelEnv
from envs.rollout import play, play_parallel


def user_nx(seed: int = 3) -> nx.Graph:
    """12 nodes with ids 2, 7, 12, ... added in shuffled order, one isolated (1000);
    node ``weight``, edge ``weight`` and ``length`` attributes, all distinct."""
    rng = np.random.default_rng(seed)
    base = nx.gnm_random_graph(11, 20, seed=seed)
    g = nx.Graph()
    ids = {v: 5 * v + 2 for v in base}
    for v in rng.permutation(11).tolist():
        g.add_node(ids[v], weight=round(float(rng.uniform(0.5, 2.0)), 3))
    g.add_node(1000, weight=0.25)
    for k, (u, v) in enumerate(base.edges):
        g.add_edge(ids[u], ids[v], weight=round(0.05 + k / 25, 3),
                   length=round(float(rng.uniform(1.0, 3.0)), 2))
    return g


def brute_force_cover_weight(g: nx.Graph) -> float:
    """The lightest vertex cover by trying every node subset (numpy over 2^n masks)."""
    nodes = list(g)
    index = {v: i for i, v in enumerate(nodes)}
    masks = (np.arange(2 ** len(nodes))[:, None] >> np.arange(len(nodes))) & 1
    u, v = np.array([(index[a], index[b]) for a, b in g.edges]).T
    covers = masks[(masks[:, u] | masks[:, v]).all(axis=1)]
    return float((covers @ np.array([g.nodes[v]["weight"] for v in nodes])).min())


def plain_greedy_matching_weight(g: nx.Graph) -> float:
    """Heaviest edge first, written plainly on networkx (weights are distinct)."""
    matched, total = set(), 0.0
    for u, v, w in sorted(g.edges(data="weight"), key=lambda e: -e[2]):
        if u not in matched and v not in matched:
            matched |= {u, v}
            total += w
    return total


def test_the_graph_keeps_ids_weights_and_lengths():
    g = user_nx()
    graph = Graph.from_networkx(g)
    assert graph.node_ids == tuple(sorted(g)) and graph.num_nodes == 12
    for v in g:
        assert graph.weights[graph.index_of(v)] == g.nodes[v]["weight"]
    for (i, j), w, length in zip(graph.edges, graph.edge_weights, graph.lengths):
        data = g.edges[graph.id_of(i), graph.id_of(j)]
        assert (w, length) == (data["weight"], data["length"])


def test_mvc_exact_and_greedy_on_the_users_graph():
    g = user_nx()
    env = mvc.MinVertexCoverEnv({"graphs": [g], "reference": "exact"})
    graph = env.settings.source.fixed[0]
    assert env.reset(seed=0)[0]["node_mask"].sum() == 12  # the isolated node plays too
    exact = mvc.play_exact(env, seed=0)
    best = brute_force_cover_weight(g)
    assert exact["cover_weight"] == pytest.approx(best)
    assert mvc.exact_mvc(graph)[1] == pytest.approx(best)  # scipy's ILP
    cover = {graph.id_of(i) for i in np.flatnonzero(env.in_cover)}
    assert all(u in cover or v in cover for u, v in g.edges) and 1000 not in cover
    greedy = mvc.play_greedy(env, seed=0)
    assert greedy["cover_weight"] == pytest.approx(mvc.greedy_mvc(graph)[1])
    assert greedy["cover_weight"] >= best - 1e-9


def test_matching_plays_the_users_edge_weights_exact_and_greedy_agree_with_networkx():
    g = user_nx()
    env = matching.MaxMatchingEnv({"graphs": [g], "reference": "exact"})
    assert env.settings.edge_weights == "graph"
    graph = env.settings.source.fixed[0]
    exact = matching.play_exact(env, seed=0)
    pairs = nx.max_weight_matching(g, weight="weight")
    assert exact["matching_weight"] == pytest.approx(sum(g.edges[e]["weight"] for e in pairs))
    chosen = {frozenset(map(graph.id_of, graph.edges[k])) for k in env.matching.chosen}
    assert chosen == {frozenset(e) for e in pairs}
    greedy = matching.play_greedy(env, seed=1)
    assert greedy["matching_weight"] == pytest.approx(plain_greedy_matching_weight(g))


def test_navigation_walks_the_users_lengths_from_a_chosen_start_to_a_chosen_goal():
    g = user_nx()
    env = NavigationEnv({"graphs": [g]})
    component = sorted(max(nx.connected_components(g), key=len))
    for start, goal in itertools.islice(itertools.permutations(component, 2), 0, None, 7):
        info = play(env, ShortestPathPolicy(), seed=0, options={"start": start, "goal": goal})
        expected = nx.shortest_path_length(g, start, goal, weight="length")
        assert info["success"] == 1.0
        assert info["shortest_path_length"] == pytest.approx(expected)
        assert info["path_length"] == pytest.approx(expected)
        assert env.core.nav.graph.id_of(env.core.starts[0]) == start


@pytest.mark.parametrize("options, match", [
    ({"start": 7, "goal": 7}, r"options\['goal'\] = 7 is the start .*gymnasium's reset cannot"),
    ({"start": 1000, "goal": 7}, r"options\['goal'\] = 7 cannot be reached from "
                                 r"options\['start'\] = 1000"),
    ({"start": 8, "goal": 7}, r"options\['start'\] = 8 is not a node id of the graph"),
    ({"goal": 7}, r"must give both 'start' and 'goal'.*got only 'goal'"),
    ({"starts": [7], "goals": [12]}, r"reset option 'starts' is not one of this single-agent"),
])
def test_bad_navigation_options_are_refused(options, match):
    env = NavigationEnv({"graphs": [user_nx()]})
    with pytest.raises(ValueError, match=match):
        env.reset(seed=0, options=options)


def test_the_team_navigates_from_chosen_starts_to_chosen_goals():
    g = user_nx()
    env = NavigationParallelEnv({"graphs": [g], "num_agents": 2})
    starts, goals = [7, 12], [22, 2]
    info = play_parallel(env, ShortestPathPolicy(), seed=0,
                         options={"starts": starts, "goals": goals})
    expected = sum(nx.shortest_path_length(g, s, t, weight="length")
                   for s, t in zip(starts, goals))
    assert info["success"] == 1.0 and info["path_length"] == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"options\['goals'\] must name 2 distinct nodes"):
        env.reset(options={"starts": starts, "goals": [22, 22]})


def test_patrolling_start_nodes_are_the_users_ids():
    env = PatrollingParallelEnv({"graphs": [user_nx()], "num_agents": 2})
    env.reset(seed=0, options={"start_nodes": [1000, 7]})
    graph = env.core.graph
    assert [graph.id_of(v) for v in env.core.positions] == [1000, 7]
    with pytest.raises(ValueError, match=r"options\['start_nodes'\]\[1\] = 3 is not a node id"):
        env.reset(options={"start_nodes": [1000, 3]})


# ---------------------------------------------------------------------------- edge weights
def test_matching_never_replaces_a_graphs_edge_weights_silently():
    g, bare = user_nx(), nx.path_graph(4)
    with pytest.raises(ValueError, match=r"edge_weights='uniform' would replace the edge "
                                         r"weights that graphs\[0\] carries"):
        matching.MaxMatchingEnv({"graphs": [g], "edge_weights": "uniform"})
    with pytest.raises(ValueError, match=r"graphs\[1\] carries no edge weights, which "
                                         r"graphs\[0\] does"):
        matching.MaxMatchingEnv({"graphs": [g, bare]})
    with pytest.raises(ValueError, match=r"edge_weights='graph' needs graphs that carry"):
        matching.MaxMatchingEnv({"edge_weights": "graph"})
    env = matching.MaxMatchingEnv({"graphs": [bare], "edge_weights": "unit"})
    env.reset(seed=0)
    assert env.settings.edge_weights == "unit" and env.matching.weights.tolist() == [1.0] * 3
    assert matching.MaxMatchingEnv({"graphs": [bare]}).settings.edge_weights == "uniform"


# ---------------------------------------------------------------------------- fixed lists
def test_an_evaluation_over_a_fixed_list_plays_every_graph_once_in_order():
    graphs = [Graph.from_networkx(nx.path_graph(n)) for n in (3, 4, 5, 6)]
    played = []

    def exact(env, seed):
        info = mvc.play_exact(env, seed)
        played.append(env.graph)
        return info

    rows = compare(entry("mvc"), {"exact": exact}, {"graphs": graphs}, episodes=4, seed=0)
    assert played == graphs and rows[0]["episodes"] == 4
