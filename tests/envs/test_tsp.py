"""Tests of the Euclidean TSP env: the API checker, seeding, rewards, masks, own graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from envs.graphs import Graph
from envs.rollout import play
from envs.tsp import NODE_FEATURES, TravellingSalesmanEnv, play_exact, play_random
from envs.tsp.cities import knn_edges
from tests.envs.episodes import assert_replays, check_single_env, random_action


def points_graph(points, edges=()) -> Graph:
    return Graph(len(points), np.array(edges, np.int64).reshape(-1, 2),
                 positions=np.asarray(points, float))


def closed_length(points: np.ndarray, order: list[int]) -> float:
    ring = points[np.array(order + order[:1])]
    return float(np.linalg.norm(np.diff(ring, axis=0), axis=1).sum())


# ---------------------------------------------------------------------------- API and seeding
@pytest.mark.parametrize("config", [{"invalid_action": "penalty"},
                                    {"invalid_action": "penalty", "global_state": True},
                                    {"invalid_action": "penalty", "knn": 3, "reference": "exact",
                                     "graphs": {"generator": "uniform_points", "sizes": [8, 12]}}])
def test_gymnasium_check_env(config):
    # penalty mode: check_env steps an unmasked action_space.sample(), and in mask mode the
    # start city is masked from the reset on
    check_single_env(TravellingSalesmanEnv(config))


@pytest.mark.parametrize("config", [{}, {"invalid_action": "penalty"}])
def test_same_seed_same_episode(config):
    a, c = assert_replays(lambda: TravellingSalesmanEnv(config), seed=7, other_seed=8,
                          policy_seed=1)
    assert not np.array_equal(a[0][0]["x"], c[0][0]["x"])


def test_seeded_resets_repeat_the_cities_and_the_start():
    env = TravellingSalesmanEnv()
    env.reset(seed=5)
    points, start = env.tour_state.points.copy(), env.tour_state.start
    starts = set()
    for seed in range(5, 25):
        env.reset(seed=seed)
        starts.add(env.tour_state.start)
    env.reset(seed=5)
    assert np.array_equal(env.tour_state.points, points) and env.tour_state.start == start
    assert len(starts) > 5, "the start city is drawn, not always the same"


# ---------------------------------------------------------------------------- rewards and end
@pytest.mark.parametrize("seed", range(4))
def test_return_is_minus_the_closed_tour_length(seed):
    env = TravellingSalesmanEnv(graphs={"generator": "uniform_points", "sizes": [5, 15]})
    rng = np.random.default_rng(seed)
    final = play(env, lambda env, obs: random_action(rng, obs), seed=seed)
    order = env.tour_state.order
    assert sorted(order) == list(range(env.tour_state.num_nodes))
    assert final["length"] == env.tour_state.num_nodes - 1 and final["unvisited"] == 0
    assert final["return"] == -final["tour_length"]
    assert final["tour_length"] == pytest.approx(closed_length(env.tour_state.points, order))
    assert final["invalid_actions"] == 0


def test_the_last_pick_closes_the_tour():
    square = points_graph([[0, 0], [1, 0], [1, 1], [0, 1]])
    env = TravellingSalesmanEnv(graphs=[square])
    env.reset(options={"start": 0})
    steps = [env.step(city) for city in (1, 2, 3)]
    assert [s[1] for s in steps] == pytest.approx([-1.0, -1.0, -2.0])  # 3 -> 0 added at the end
    assert [s[2] for s in steps] == [False, False, True]
    assert steps[-1][4]["tour_length"] == pytest.approx(4.0)


def test_truncation_reports_the_open_path():
    env = TravellingSalesmanEnv(max_steps=3)
    obs, _ = env.reset(seed=0)
    rng, rewards = np.random.default_rng(0), []
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step(random_action(rng, obs))
        rewards.append(reward)
    assert truncated and not terminated
    assert info["unvisited"] == 20 - 4
    assert info["tour_length"] == pytest.approx(-sum(rewards))  # no closing edge


@pytest.mark.parametrize("reference", ["exact", "christofides"])
def test_final_info_carries_the_reference_ratio(reference):
    env = TravellingSalesmanEnv(reference=reference)
    exact = play_exact(env, seed=3)
    if reference == "exact":
        assert exact["tour_ratio"] == pytest.approx(1.0, abs=1e-9)
    else:  # Christofides with local search is never shorter than the optimum
        assert exact["tour_ratio"] <= 1.0 + 1e-9
    assert exact["reference_tour_length"] > 0
    rand = play_random(env, seed=3)
    assert rand["tour_ratio"] == pytest.approx(rand["tour_length"] / rand["reference_tour_length"])
    assert rand["tour_ratio"] > 1.0
    assert "tour_ratio" not in play_random(TravellingSalesmanEnv(), seed=3)


# ---------------------------------------------------------------------------- masks and penalties
def test_masked_actions_raise_one_clear_line():
    env = TravellingSalesmanEnv(graphs=[points_graph([[0, 0], [1, 0], [1, 1]])], max_nodes=5)
    obs, _ = env.reset(options={"start": 1})
    assert obs["action_mask"].tolist() == [1, 0, 1, 0, 0]
    with pytest.raises(ValueError, match=r"^action 1 is invalid: the city is already visited$"):
        env.step(1)
    with pytest.raises(ValueError, match=r"^action 4 is invalid: it is a padding slot \(the "
                                         r"episode's graph has 3 cities, slots 0..2\)$"):
        env.step(4)
    assert env.step(0)[1] == pytest.approx(-1.0)  # nothing changed before


def test_penalty_mode_penalises_and_changes_nothing():
    env = TravellingSalesmanEnv(invalid_action="penalty", invalid_penalty=-0.5)
    obs, _ = env.reset(seed=2)
    assert obs["action_mask"].all()
    start = env.tour_state.start
    obs2, reward, terminated, truncated, _ = env.step(start)
    assert reward == -0.5 and not (terminated or truncated)
    assert np.array_equal(obs["x"], obs2["x"])
    final = play(env, lambda env, obs: int(np.flatnonzero(env.tour_state.valid())[0]))
    assert final["invalid_actions"] == 0 and final["unvisited"] == 0


# ---------------------------------------------------------------------------- observations
def test_observation_features_match_their_definition():
    env = TravellingSalesmanEnv(graphs={"generator": "uniform_points", "sizes": [12]}, knn=4)
    obs, _ = env.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(3):
        obs, *_ = env.step(random_action(rng, obs))
    state, n = env.tour_state, 12
    x, pts = obs["x"][:n], state.points
    cols = {name: x[:, i] for i, name in enumerate(NODE_FEATURES)}
    assert cols["visited"].sum() == 4 and cols["visited"][state.order].all()
    assert np.flatnonzero(cols["current"]).tolist() == [state.order[-1]]
    assert np.flatnonzero(cols["start"]).tolist() == [state.order[0]]
    np.testing.assert_allclose(x[:, 3:5], pts - pts[state.current], atol=1e-6)
    np.testing.assert_allclose(cols["distance"], np.linalg.norm(pts - pts[state.current], axis=1),
                               atol=1e-6)
    np.testing.assert_allclose(cols["to_start"], np.linalg.norm(pts - pts[state.start], axis=1),
                               atol=1e-6)
    m = int(obs["edge_mask"].sum())
    u, v = obs["edge_index"][:, :m]
    np.testing.assert_allclose(obs["edge_attr"][:m, 0], np.linalg.norm(pts[u] - pts[v], axis=1),
                               atol=1e-6)
    assert obs["action_mask"][:n].tolist() == (1 - cols["visited"]).tolist()


def test_features_ignore_where_the_cities_are_and_how_many_there_are():
    """Moving every city together changes no observation; a far-away cluster beside the
    cities (the node count changes) leaves their rows as they were."""
    pts = np.random.default_rng(3).random((10, 2))
    far = np.random.default_rng(4).random((30, 2)) + 50.0
    views = []
    for cities in (pts, pts + [7.0, -3.0], np.concatenate([pts, far])):
        env = TravellingSalesmanEnv(graphs=[points_graph(cities)], knn=3)
        obs, _ = env.reset(options={"start": 0})
        obs, *_ = env.step(4)
        views.append(obs)
    np.testing.assert_allclose(views[0]["x"], views[1]["x"], atol=1e-5)
    np.testing.assert_array_equal(views[0]["edge_index"], views[1]["edge_index"])
    np.testing.assert_allclose(views[2]["x"][:10], views[0]["x"], atol=1e-6)


@pytest.mark.parametrize("n, k", [(2, 10), (12, 3), (60, 10)])
def test_the_neighbour_graph_is_symmetric_knn(n, k):
    pts = np.random.default_rng(n).random((n, 2))
    edges = knn_edges(pts, k)
    assert (edges[:, 0] < edges[:, 1]).all() and len(np.unique(edges, axis=0)) == len(edges)
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    nearest = np.argsort(dist, axis=1)[:, :min(k, n - 1)]
    expected = {tuple(sorted((i, int(j)))) for i in range(n) for j in nearest[i]}
    assert set(map(tuple, edges.tolist())) == expected


def test_coincident_cities_are_not_their_own_neighbours():
    pts = np.array([[0.5, 0.5]] * 5 + [[0.0, 0.0]])
    edges = knn_edges(pts, 2)
    assert (edges[:, 0] != edges[:, 1]).all()
    assert np.bincount(edges.ravel(), minlength=6).min() >= 2
    final = play_exact(TravellingSalesmanEnv(graphs=[points_graph(pts)], knn=2), seed=0)
    assert final["tour_length"] == pytest.approx(2 * np.sqrt(0.5))


# ---------------------------------------------------------------------------- your own graphs
def test_own_networkx_graph_with_positions_and_a_start_by_id():
    g = nx.complete_graph(["a", "b", "c", "d", "e"])  # its edges are not read
    nx.set_node_attributes(g, {"a": (0, 0), "b": (2, 0), "c": (2, 2), "d": (0, 2), "e": (1, 0)},
                           "pos")
    env = TravellingSalesmanEnv(graphs=[g], knn=2)
    env.reset(options={"start": "c"})
    assert env.graph.id_of(env.tour_state.start) == "c"
    final = play_exact(env, seed=0)
    assert final["tour_length"] == pytest.approx(8.0)
    with pytest.raises(ValueError, match="start = 'z' is not a node id"):
        env.reset(options={"start": "z"})
    with pytest.raises(ValueError, match=r"unknown reset options key\(s\) \['goal'\]"):
        env.reset(options={"goal": "a"})


def test_graphs_without_positions_are_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^graphs\[1\] \(3 nodes\) has no node positions: a "
                                         r"Euclidean TSP needs each city's \(x, y\)[^\n]*$"):
        TravellingSalesmanEnv(graphs=[points_graph([[0, 0], [1, 1]]), nx.path_graph(3)])
    env = TravellingSalesmanEnv(graphs={"generator": "erdos_renyi", "sizes": [8]})
    with pytest.raises(ValueError, match="the episode's graph .* has no node positions"):
        env.reset(seed=0)
    with pytest.raises(ValueError, match="a tour needs at least 2 cities"):
        TravellingSalesmanEnv(graphs=[points_graph([[0, 0]])])


@pytest.mark.parametrize("config, key", [
    ({"knn": 0}, "knn must be an integer >= 1"),
    ({"reference": "exact", "graphs": {"generator": "uniform_points", "sizes": [101]}},
     "reference='exact' solves up to 100 cities and max_nodes=101; use reference: christofides"),
    ({"reference": "greedy"}, r"reference must be one of \['none', 'exact', 'christofides'\]"),
    ({"num_agents": 2}, r"unknown TravellingSalesmanEnv config key\(s\) \['num_agents'\]"),
    ({"graphs": {"generator": "uniform_points", "sizes": [20], "params": {"k": 3}}},
     "unknown uniform_points params"),
])
def test_bad_config_names_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        TravellingSalesmanEnv(config)


def test_max_edges_bounds_the_neighbour_graph():
    env = TravellingSalesmanEnv(graphs={"generator": "uniform_points", "sizes": [50]})
    assert env.settings.max_edges == env.observation_space["edge_index"].shape[1] == 2 * 50 * 10
    env = TravellingSalesmanEnv(graphs={"generator": "uniform_points", "sizes": [50]},
                                max_edges=40)
    with pytest.raises(ValueError, match="raise max_edges"):
        env.reset(seed=0)
