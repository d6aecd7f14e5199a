"""The TSP's solvers: Held-Karp and the integer program against brute force, the heuristics'
tours valid and never shorter than the optimum, the players following them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.spatial import distance_matrix

from envs.catalog import entry
from envs.compare import compare
from envs.tour_search import tour_length
from envs.tsp import (
    TravellingSalesmanEnv,
    christofides_tour,
    exact_tour,
    held_karp,
    nearest_neighbour_tour,
    play_christofides,
    play_exact,
    play_nearest_neighbour,
)
from envs.tsp.exact import DP_MAX_NODES, EXACT_MAX_NODES, HELD_KARP_MAX_NODES


def brute_force(dist: np.ndarray) -> float:
    n = len(dist)
    return min(tour_length(dist, np.array((0, *rest))) for rest in itertools.permutations(range(1, n)))


def assert_tour(tour: np.ndarray, length: float, points: np.ndarray) -> None:
    """A permutation of the cities whose closed length is ``length``."""
    assert sorted(tour.tolist()) == list(range(len(points)))
    assert length == pytest.approx(tour_length(distance_matrix(points, points), tour))


def instances(sizes, count: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.random((n, 2)) for n in sizes for _ in range(count)]


# ---------------------------------------------------------------------------- exact
@pytest.mark.parametrize("points", instances(range(2, 9), 3), ids=lambda p: f"n{len(p)}")
def test_held_karp_agrees_with_brute_force(points):
    dist = distance_matrix(points, points)
    tour, length = held_karp(dist)
    assert_tour(tour, length, points)
    assert length == pytest.approx(brute_force(dist), abs=1e-12)


@pytest.mark.parametrize("points", instances([DP_MAX_NODES + 1, 14, 15], 2, seed=1),
                         ids=lambda p: f"n{len(p)}")
def test_the_integer_program_agrees_with_held_karp(points):
    tour, length = exact_tour(points)  # above DP_MAX_NODES: the integer program
    assert_tour(tour, length, points)
    assert length == pytest.approx(held_karp(distance_matrix(points, points))[1], abs=1e-9)


def test_exact_solvers_refuse_sizes_over_their_limit_in_one_line():
    with pytest.raises(ValueError, match=rf"^held_karp takes at most {HELD_KARP_MAX_NODES} "
                                         rf"cities .*, got 21; use exact_tour .*$"):
        held_karp(np.zeros((21, 21)))
    with pytest.raises(ValueError, match=rf"^exact_tour takes at most {EXACT_MAX_NODES} cities "
                                         rf".*, got 101; use christofides_tour .*$"):
        exact_tour(np.zeros((101, 2)))


# ---------------------------------------------------------------------------- heuristics
@pytest.mark.parametrize("points", instances([2, 3, 4, 9, 20, 30], 2, seed=2),
                         ids=lambda p: f"n{len(p)}")
def test_heuristic_tours_are_valid_and_never_beat_the_optimum(points):
    best = exact_tour(points)[1]
    start = 1 % len(points)
    for tour, length in (christofides_tour(points), nearest_neighbour_tour(points, start)):
        assert_tour(tour, length, points)
        assert length >= best - 1e-9


def test_christofides_with_local_search_is_much_closer_than_nearest_neighbour():
    ratios = np.mean([np.array([christofides_tour(p)[1], nearest_neighbour_tour(p)[1]])
                      / exact_tour(p)[1] for p in instances([20], 10, seed=3)], axis=0)
    assert ratios[0] < 1.02 < 1.1 < ratios[1]


# ---------------------------------------------------------------------------- players
@pytest.mark.parametrize("seed", range(3))
def test_players_follow_their_solvers_from_the_env_start(seed):
    env = TravellingSalesmanEnv(graphs={"generator": "uniform_points", "sizes": [16]})
    nearest = play_nearest_neighbour(env, seed=seed)
    state = env.tour_state
    tour, length = nearest_neighbour_tour(state.points, start=state.start)
    assert state.order == tour.tolist() and nearest["tour_length"] == pytest.approx(length)
    assert play_exact(env, seed=seed)["tour_length"] == pytest.approx(exact_tour(state.points)[1])
    chris = play_christofides(env, seed=seed)
    assert env.tour_state.order[0] == state.start
    assert chris["tour_length"] == pytest.approx(christofides_tour(state.points)[1])


def test_compare_ranks_the_baselines_on_the_same_episodes():
    tsp = entry("tsp")
    players = {name: tsp.baseline(name) for name in tsp.baselines}
    rows = {row["player"]: row for row in compare(tsp, players, {}, episodes=5)}
    assert rows["exact"]["ratio_to_exact"] == pytest.approx(1.0)
    assert 1.0 <= rows["christofides"]["ratio_to_exact"] < rows["nearest_neighbour"][
        "ratio_to_exact"] < rows["random"]["ratio_to_exact"]
