"""Euclidean travelling salesman: a gymnasium environment, exact and heuristic solvers and
their baselines."""

from envs.tsp.baselines import (
    christofides_tour,
    exact_tour,
    held_karp,
    nearest_choice,
    nearest_neighbour_tour,
    play_christofides,
    play_exact,
    play_nearest_neighbour,
    play_random,
)
from envs.tsp.env import TravellingSalesmanEnv
from envs.tsp.tour import EDGE_FEATURES, NODE_FEATURES, TourState

__all__ = [
    "EDGE_FEATURES",
    "NODE_FEATURES",
    "TourState",
    "TravellingSalesmanEnv",
    "christofides_tour",
    "exact_tour",
    "held_karp",
    "nearest_choice",
    "nearest_neighbour_tour",
    "play_christofides",
    "play_exact",
    "play_nearest_neighbour",
    "play_random",
]
