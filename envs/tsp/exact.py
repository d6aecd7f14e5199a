"""Exact Euclidean TSP: Held-Karp dynamic programming and an integer program with cuts.

:func:`exact_tour` solves a city set to optimality: Held-Karp for up to
:data:`DP_MAX_NODES` cities (milliseconds there), above that the DFJ integer program up to
:data:`EXACT_MAX_NODES` cities (Dantzig-Fulkerson-Johnson: an edge variable per city pair,
degree 2 at every city, subtour cuts added as they are violated), solved by
``scipy.optimize`` (HiGHS). Before branching, the linear relaxation with its subtour cuts
gives a lower bound and reduced costs; an edge whose reduced cost lifts the bound above a
2-opt/Or-opt tour's length is in no better tour and is dropped (reduced-cost fixing), which
leaves the integer program a fraction of the n (n - 1) / 2 edges. Mean times per graph of
uniform points on a busy 2-core machine (``benchmarks/tsp_baselines.py``): 0.05 s at 20
cities (Held-Karp: 1.5 s), 0.9 s at 50, 9 s at 100 (0.3 s to over a minute).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components, depth_first_order
from scipy.spatial import distance_matrix

from envs.tour_search import improve, nearest_neighbour_tour, tour_length

#: The most cities :func:`held_karp` takes: its table has 2^(n-1) x (n-1) entries (80 MB).
HELD_KARP_MAX_NODES = 20
#: :func:`exact_tour` uses Held-Karp up to this many cities, the integer program above.
DP_MAX_NODES = 12
#: The most cities :func:`exact_tour` takes (the integer program's time grows fast above).
EXACT_MAX_NODES = 100
#: Nearest-neighbour starts of the 2-opt/Or-opt tour that bounds the integer program.
UPPER_BOUND_STARTS = 4


def held_karp(dist: np.ndarray) -> tuple[np.ndarray, float]:
    """The shortest tour over the square distance matrix ``dist`` by Held-Karp dynamic
    programming, vectorised over the subsets of each size; ``(tour from city 0, length)``.

    Raises a ``ValueError`` above :data:`HELD_KARP_MAX_NODES` cities."""
    n = len(dist)
    if n > HELD_KARP_MAX_NODES:
        raise ValueError(f"held_karp takes at most {HELD_KARP_MAX_NODES} cities (its table "
                         f"grows as 2^n), got {n}; use exact_tour for up to "
                         f"{EXACT_MAX_NODES}")
    if n <= 3:
        tour = np.arange(n, dtype=np.int64)
        return tour, tour_length(dist, tour)
    m, inner = n - 1, dist[1:, 1:]  # city i + 1 is bit i; city 0 starts and ends the tour
    best = np.full((1 << m, m), np.inf)  # best[S, j]: from 0 through the set S, ending at j
    parent = np.zeros((1 << m, m), np.int8)
    best[1 << np.arange(m), np.arange(m)] = dist[0, 1:]
    subsets = np.arange(1 << m)
    sizes = np.zeros(1 << m, np.int64)
    for bit in range(m):
        sizes += (subsets >> bit) & 1
    for size in range(2, m + 1):
        layer = subsets[sizes == size]
        for j in range(m):
            ending = layer[(layer >> j) & 1 == 1]
            cand = best[ending ^ (1 << j)] + inner[:, j]
            k = cand.argmin(axis=1)
            best[ending, j] = cand[np.arange(len(ending)), k]
            parent[ending, j] = k
    closing = best[-1] + dist[1:, 0]
    j, subset, backwards = int(closing.argmin()), (1 << m) - 1, []
    while subset:
        backwards.append(j + 1)
        subset, j = subset ^ (1 << j), int(parent[subset, j])
    return np.array([0, *backwards[::-1]], np.int64), float(closing.min())


def exact_tour(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The shortest closed tour through ``points`` ((n, 2) coordinates): ``(tour, length)``,
    the tour a permutation of ``0..n-1``. Raises a ``ValueError`` above
    :data:`EXACT_MAX_NODES` cities."""
    n = len(points)
    if n > EXACT_MAX_NODES:
        raise ValueError(f"exact_tour takes at most {EXACT_MAX_NODES} cities (an integer "
                         f"program; seconds to minutes at 100), got {n}; use christofides_tour "
                         f"for larger graphs")
    dist = distance_matrix(points, points)
    if n <= DP_MAX_NODES:
        return held_karp(dist)
    return _integer_program(dist)


def _integer_program(dist: np.ndarray) -> tuple[np.ndarray, float]:
    """The DFJ integer program over the pairs of cities that survive reduced-cost fixing."""
    n = len(dist)
    upper = min((improve(dist, nearest_neighbour_tour(dist, int(s)))
                 for s in np.linspace(0, n - 1, UPPER_BOUND_STARTS).astype(np.int64)),
                key=lambda t: tour_length(dist, t))
    pairs = np.stack(np.triu_indices(n, 1), axis=1)
    cost = dist[pairs[:, 0], pairs[:, 1]]
    cuts, lower, reduced = _relaxation(n, pairs, cost)
    in_upper = np.zeros((n, n), bool)
    in_upper[upper, np.roll(upper, -1)] = True
    keep = (lower + reduced <= tour_length(dist, upper) + 1e-9) | (in_upper | in_upper.T)[
        pairs[:, 0], pairs[:, 1]]
    chosen = _branch(n, pairs[keep], cost[keep], cuts[:, keep])
    tour = depth_first_order(_adjacency(n, pairs[keep][chosen]), 0, directed=False,
                             return_predecessors=False)
    return tour.astype(np.int64), tour_length(dist, tour)


def _adjacency(n: int, edges: np.ndarray) -> sparse.csr_array:
    return sparse.csr_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))


def _degree_rows(n: int, pairs: np.ndarray) -> sparse.csr_array:
    """(n, m): row v has a 1 for every pair touching city v."""
    cols = np.tile(np.arange(len(pairs)), 2)
    return sparse.csr_array((np.ones(2 * len(pairs)), (pairs.T.ravel(), cols)),
                            shape=(n, len(pairs)))


def _subtour_cuts(n: int, pairs: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """(c, m) rows of the cuts ``sum of the pairs leaving S >= 2``, one per connected
    component S of the chosen pairs (none when they connect every city)."""
    count, label = connected_components(_adjacency(n, pairs[chosen]), directed=False)
    if count == 1:
        return np.zeros((0, len(pairs)))
    inside = label[None, :] == np.arange(count)[:, None]
    return (inside[:, pairs[:, 0]] != inside[:, pairs[:, 1]]).astype(np.float64)


def _relaxation(n: int, pairs: np.ndarray, cost: np.ndarray
                ) -> tuple[np.ndarray, float, np.ndarray]:
    """The linear relaxation with component cuts added until its support is connected:
    ``(cuts, lower bound, reduced costs of the pairs)``."""
    degree, cuts = _degree_rows(n, pairs), np.zeros((0, len(pairs)))
    while True:
        result = linprog(cost, A_ub=-cuts if len(cuts) else None,
                         b_ub=np.full(len(cuts), -2.0) if len(cuts) else None,
                         A_eq=degree, b_eq=np.full(n, 2.0), bounds=(0, 1), method="highs")
        if result.status != 0:
            raise RuntimeError(f"the TSP relaxation failed on {n} cities: {result.message}")
        new = _subtour_cuts(n, pairs, result.x > 1e-6)
        if not len(new):
            return cuts, float(result.fun), result.lower.marginals
        cuts = np.vstack([cuts, new])


def _branch(n: int, pairs: np.ndarray, cost: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """(m,) bool, the pairs of the optimal tour: the integer program re-solved with the
    subtours of each solution cut off until it is one tour."""
    degree = LinearConstraint(_degree_rows(n, pairs), 2, 2)
    while True:
        constraints = [degree, LinearConstraint(cuts, 2, np.inf)] if len(cuts) else [degree]
        result = milp(cost, integrality=np.ones(len(cost)), bounds=Bounds(0, 1),
                      constraints=constraints)
        if not result.success:
            raise RuntimeError(f"the TSP integer program failed on {n} cities: "
                               f"{result.message}")
        chosen = result.x > 0.5
        new = _subtour_cuts(n, pairs, chosen)
        if not len(new):
            return chosen
        cuts = np.vstack([cuts, new])
