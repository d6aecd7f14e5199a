"""Tours over a distance matrix: length, nearest neighbour, 2-opt and Or-opt local search.

A tour is an int64 array of positions into a square distance matrix, visiting each once and
closing back to its first. The TSP's solvers (:mod:`envs.tsp.solvers`) and patrolling's
cyclic walks (:mod:`envs.patrolling.tours`) share these. Each local-search move is
vectorised over all pairs of positions (O(m^2) numpy per move, no loop over nodes);
:func:`nearest_neighbour_tour` takes one numpy step per node.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Segment lengths that Or-opt moves.
OR_OPT_LENGTHS = (1, 2, 3)


def tour_length(dist: np.ndarray, tour: np.ndarray) -> float:
    """The length of the closed tour ``tour`` (positions into ``dist``)."""
    return float(dist[tour, np.roll(tour, -1)].sum())


def nearest_neighbour_tour(dist: np.ndarray, start: int) -> np.ndarray:
    """From ``start``, always on to the nearest node not yet in the tour (ties: lowest)."""
    m = len(dist)
    free = np.ones(m, bool)
    tour = np.empty(m, np.int64)
    tour[0], free[start] = start, False
    for i in range(1, m):
        nxt = int(np.argmin(np.where(free, dist[tour[i - 1]], np.inf)))
        tour[i], free[nxt] = nxt, False
    return tour


def improve(dist: np.ndarray, tour: np.ndarray) -> np.ndarray:
    """Best-improvement 2-opt, then Or-opt when 2-opt is stuck, until neither shortens the
    tour (every move shortens it, so this ends)."""
    if len(tour) < 4:
        return tour
    while True:
        better = two_opt_move(dist, tour)
        if better is None:
            better = or_opt_move(dist, tour)
        if better is None:
            return tour
        tour = better


def two_opt_move(dist: np.ndarray, tour: np.ndarray) -> np.ndarray | None:
    """The tour after the best 2-opt move (reverse ``tour[i+1..j]``), or None if no move
    shortens it."""
    m = len(tour)
    nxt = np.roll(tour, -1)
    edge = dist[tour, nxt]
    gain = dist[np.ix_(tour, tour)] + dist[np.ix_(nxt, nxt)] - edge[:, None] - edge[None, :]
    gain[_not_two_opt(m)] = 0
    i, j = np.unravel_index(int(np.argmin(gain)), gain.shape)
    if gain[i, j] >= -1e-9:
        return None
    return np.concatenate([tour[: i + 1], tour[i + 1: j + 1][::-1], tour[j + 1:]])


@lru_cache(maxsize=8)
def _not_two_opt(m: int) -> np.ndarray:
    """(m, m) bool: the pairs ``(i, j)`` that are no 2-opt move (``j <= i + 1``, the pair of
    adjacent edges ``(0, m - 1)``)."""
    i, j = np.indices((m, m))
    return (j <= i + 1) | ((i == 0) & (j == m - 1))


def or_opt_move(dist: np.ndarray, tour: np.ndarray) -> np.ndarray | None:
    """The tour after the best Or-opt move (a segment of :data:`OR_OPT_LENGTHS` nodes taken
    out and put between two other neighbours of the tour, either way round), or None."""
    m = len(tour)
    best, best_move = -1e-9, None
    for s in OR_OPT_LENGTHS:
        if m < s + 3:
            break
        i = np.arange(m)
        a, b = tour[i], tour[(i + s - 1) % m]  # the segment's ends
        p, q = tour[(i - 1) % m], tour[(i + s) % m]  # its neighbours outside it
        removed = dist[p, a] + dist[b, q] - dist[p, q]  # (m,) saved by taking it out
        c, d = tour, np.roll(tour, -1)  # insertion between c = tour[j] and d = tour[j+1]
        base = -dist[c, d][None, :] - removed[:, None]
        forward = base + dist[c[None, :], a[:, None]] + dist[b[:, None], d[None, :]]
        backward = base + dist[c[None, :], b[:, None]] + dist[a[:, None], d[None, :]]
        inside = (np.arange(m)[None, :] - (i[:, None] - 1)) % m <= s  # j in i-1 .. i+s-1
        for way, gain in enumerate((forward, backward)):
            gain = np.where(inside, np.inf, gain)
            k = int(np.argmin(gain))
            if gain.flat[k] < best:
                best, best_move = gain.flat[k], (s, *divmod(k, m), way)
    return None if best_move is None else _move_segment(tour, *best_move)


def _move_segment(tour: np.ndarray, s: int, i: int, j: int, backward: int) -> np.ndarray:
    """``tour`` with ``tour[i..i+s-1]`` (cyclically) moved after ``tour[j]``."""
    m = len(tour)
    seg_idx = (i + np.arange(s)) % m
    segment = tour[seg_idx][::-1] if backward else tour[seg_idx]
    keep = np.ones(m, bool)
    keep[seg_idx] = False
    rest = tour[keep]
    at = int(np.flatnonzero(rest == tour[j])[0]) + 1
    return np.concatenate([rest[:at], segment, rest[at:]])
