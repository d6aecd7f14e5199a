"""Baselines for the Euclidean TSP: players of the env (exact, Christofides, nearest
neighbour, random).

The solvers on a set of cities (``exact_tour``, ``held_karp``, ``christofides_tour``,
``nearest_neighbour_tour``, ``nearest_choice``) live in :mod:`envs.tsp.exact` and
:mod:`envs.tsp.solvers` and are re-exported here. The ``play_*`` functions play an env to
the end through ``envs.rollout`` and return its final info (``tour_length``, ``unvisited``,
``invalid_actions``, ``graph_nodes``, plus ``return`` and ``length``), so a policy and a
baseline are measured by the same code on the same seeded episodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from envs.rollout import play
from envs.tsp.env import TravellingSalesmanEnv
from envs.tsp.exact import exact_tour, held_karp
from envs.tsp.solvers import christofides_tour, nearest_choice, nearest_neighbour_tour

__all__ = ["christofides_tour", "exact_tour", "held_karp", "nearest_choice",
           "nearest_neighbour_tour", "play_christofides", "play_exact",
           "play_nearest_neighbour", "play_random"]


class _TourPlan:
    """A solver's tour through the episode's cities (solved once per episode), followed
    from the env's start city: each step the city after the current one."""

    def __init__(self, solve: Callable[[np.ndarray], tuple[np.ndarray, float]]) -> None:
        self.solve = solve
        self.graph = None
        self.successor = np.zeros(0, np.int64)

    def next_city(self, env: TravellingSalesmanEnv, obs: dict) -> int:
        state = env.tour_state
        if self.graph is not state.graph:  # a new episode: solve it once
            tour = self.solve(state.points)[0]
            self.graph, self.successor = state.graph, np.empty_like(tour)
            self.successor[tour] = np.roll(tour, -1)
        return int(self.successor[state.current])


def play_exact(env: TravellingSalesmanEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode along :func:`exact_tour`'s optimal tour (up to 100 cities)."""
    return play(env, _TourPlan(exact_tour).next_city, seed=seed)


def play_christofides(env: TravellingSalesmanEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode along :func:`christofides_tour` (Christofides, 2-opt, Or-opt)."""
    return play(env, _TourPlan(christofides_tour).next_city, seed=seed)


def play_nearest_neighbour(env: TravellingSalesmanEnv,
                           seed: int | None = None) -> dict[str, Any]:
    """Play one episode always going on to the nearest unvisited city."""
    return play(env, lambda env, obs: nearest_choice(env.tour_state), seed=seed)


def play_random(env: TravellingSalesmanEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode picking uniformly among the unvisited cities (never an invalid one,
    even in penalty mode); the picks come from a Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return play(env, lambda env, obs: int(rng.choice(np.flatnonzero(env.tour_state.valid()))),
                seed=seed)
