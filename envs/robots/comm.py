"""The communication graph of a robot team and each robot's k-hop neighbourhood in it.

Two robots can talk when their cells are at most ``comm_range`` apart (Euclidean, in cells;
obstacles do not block radio). The graph changes every step as robots move. Built with numpy
over the K robots, no loop over pairs: pairwise distances, then the k-hop sets by k boolean
matrix products of the (K, K) adjacency (K is a team size, tens at most).
"""

from __future__ import annotations

import numpy as np


def comm_adjacency(cells: np.ndarray, comm_range: float) -> np.ndarray:
    """(K, K) bool: robots at ``cells`` (K, 2) within ``comm_range`` of each other (no
    self loops)."""
    delta = cells[:, None, :] - cells[None, :, :]
    near = (delta ** 2).sum(-1) <= comm_range ** 2
    np.fill_diagonal(near, False)
    return near


def within_hops(adjacency: np.ndarray, hops: int) -> np.ndarray:
    """(K, K) bool: ``reach[i, j]`` when robot j is at most ``hops`` hops from robot i (every
    robot reaches itself; ``hops = 0``: itself only)."""
    reach = np.eye(len(adjacency), dtype=bool)
    for _ in range(hops):  # k boolean matrix products (k = the message-passing hops)
        grown = reach | (reach.astype(np.int64) @ adjacency.astype(np.int64) > 0)
        if np.array_equal(grown, reach):
            break
        reach = grown
    return reach


def edges_within(adjacency: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """(2, m) directed edges of ``adjacency`` between robots marked in ``nodes`` (K,) bool,
    both directions, in row-major order."""
    keep = adjacency & nodes[:, None] & nodes[None, :]
    return np.stack(np.nonzero(keep)).astype(np.int64)
