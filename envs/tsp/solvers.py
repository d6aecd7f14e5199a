"""Heuristic Euclidean TSP solvers and the env's reference ratio.

``christofides_tour`` (Christofides' 1.5-approximation from networkx, then 2-opt and Or-opt
local search: the strongest heuristic here) and ``nearest_neighbour_tour`` solve a set of
cities given as (n, 2) coordinates; ``nearest_choice`` is nearest neighbour's next city on a
:class:`~envs.tsp.tour.TourState`. The exact solvers are in :mod:`envs.tsp.exact`.
:func:`episode_info` builds the env's episode-end info, with the ratio keys when
``reference`` is not ``"none"``.

Stronger solvers exist outside this project's dependencies: Concorde (exact; no wheel on
PyPI), LKH-3 (``elkai`` ships a wheel, but LKH's licence allows non-commercial use only) and
OR-Tools' routing search (a large dependency for one baseline).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import distance_matrix

from envs.tour_search import improve
from envs.tour_search import nearest_neighbour_tour as _nearest_neighbour_over
from envs.tour_search import tour_length
from envs.tsp.exact import exact_tour
from envs.tsp.tour import TourState

#: Smallest denominator of ``tour_ratio`` (every city at one point: a zero-length optimum).
MIN_REFERENCE = 1e-9


def nearest_neighbour_tour(points: np.ndarray, start: int = 0) -> tuple[np.ndarray, float]:
    """From ``start``, always on to the nearest city not yet visited: ``(tour, length)``."""
    dist = distance_matrix(points, points)
    tour = _nearest_neighbour_over(dist, start)
    return tour, tour_length(dist, tour)


def christofides_tour(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Christofides' tour (``networkx.approximation.christofides`` on the complete graph),
    improved by best-improvement 2-opt and Or-opt until neither shortens it:
    ``(tour, length)``. Cost: the complete graph and a minimum-weight matching of the
    odd-degree cities of its spanning tree, in networkx (0.15 s at 100 cities)."""
    n = len(points)
    dist = distance_matrix(points, points)
    if n <= 3:
        tour = np.arange(n, dtype=np.int64)
        return tour, tour_length(dist, tour)
    complete = nx.Graph()
    u, v = np.triu_indices(n, 1)
    complete.add_weighted_edges_from(zip(u.tolist(), v.tolist(), dist[u, v].tolist()))
    cycle = nx.approximation.christofides(complete)
    tour = improve(dist, np.array(cycle[:-1], np.int64))
    return tour, tour_length(dist, tour)


def nearest_choice(state: TourState) -> int:
    """The unvisited city nearest to the current one (ties: lowest id); O(n) numpy."""
    return int(np.argmin(np.where(state.visited, np.inf, state.distances_from(state.current))))


#: The solvers behind the env's ``reference`` key.
REFERENCE_SOLVERS = {"exact": exact_tour, "christofides": christofides_tour}


def episode_info(state: TourState, invalid_actions: int, reference: str) -> dict[str, Any]:
    """The env's episode-end info: ``state.summary(invalid_actions)`` plus, unless
    ``reference`` is ``"none"``, ``reference_tour_length`` (the tour of ``exact_tour`` or
    ``christofides_tour`` through the episode's cities, solved once at its end) and
    ``tour_ratio`` = ``tour_length / max(reference_tour_length, 1e-9)`` (lower is better,
    >= 1 against ``"exact"``; 1.0 when both are 0). A truncated episode's open path is
    compared as it is (its ``unvisited`` is then > 0)."""
    info = state.summary(invalid_actions)
    if reference == "none":
        return info
    length, best = info["tour_length"], REFERENCE_SOLVERS[reference](state.points)[1]
    info["reference_tour_length"] = float(best)
    info["tour_ratio"] = float(1.0 if length == best else length / max(best, MIN_REFERENCE))
    return info
