"""The cities of a Euclidean TSP: a graph's node positions, and the neighbour graph over them.

A tour may go from any city to any other (the complete graph), but an observation carries
only the symmetrised k-nearest-neighbour graph of the cities: each city joined to its ``k``
nearest (found with a KD-tree in O(n log n), never an n x n matrix), an edge kept once when
either end chose it. This is the usual sparse input of graph networks for the TSP; the
graphs' own edges are not read.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from envs.graphs import Graph

#: The fewest cities a tour can visit (two cities: out and back).
MIN_CITIES = 2


def city_positions(graph: Graph, name: str) -> np.ndarray:
    """(n, 2) float64 city coordinates of ``graph``; a ``ValueError`` naming ``name`` if it
    has no positions or fewer than :data:`MIN_CITIES` nodes."""
    if graph.positions is None:
        raise ValueError(
            f"{name} ({graph.num_nodes} nodes) has no node positions: a Euclidean TSP needs "
            f"each city's (x, y); give every node a 'pos' attribute (networkx, or the "
            f"node_pos key of graphs: {{files: ...}}) or use graphs: {{generator: uniform_points}}")
    if graph.num_nodes < MIN_CITIES:
        raise ValueError(f"{name} has {graph.num_nodes} node(s); a tour needs at least "
                         f"{MIN_CITIES} cities")
    return graph.positions


def knn_edges(points: np.ndarray, k: int) -> np.ndarray:
    """(M, 2) int64 undirected edges (u < v, each once) of the symmetrised k-nearest-neighbour
    graph of ``points`` (k is capped at n - 1). Ties and coincident points are broken by the
    KD-tree's order; a city is never its own neighbour."""
    n = len(points)
    k = min(k, n - 1)
    _, found = cKDTree(points).query(points, k=k + 1)
    not_self = found != np.arange(n)[:, None]
    chosen = not_self & (np.cumsum(not_self, axis=1) <= k)  # the first k others of each row
    rows = np.broadcast_to(np.arange(n)[:, None], found.shape)
    pairs = np.sort(np.stack([rows[chosen], found[chosen]], axis=1), axis=1)
    return np.unique(pairs, axis=0).astype(np.int64)


def directed_edge_bound(n: int, k: int) -> int:
    """The most directed edges (both directions of each) a k-nearest-neighbour graph of n
    cities can have: ``min(2 n k, n (n - 1))``."""
    return max(1, min(2 * n * k, n * (n - 1)))
