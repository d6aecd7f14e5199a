"""Short closed walks through every node of a connected node set: the patrol cycles.

A closed walk ``w_0 .. w_{L-1}`` visits every node of the set, and ``w_{i+1 mod L}`` is
``w_i`` or one of its neighbours: an agent that stands on ``w_i`` walks it one move a step
and is back after L steps (the period). It is built once per episode:

1. hop distances between the set's nodes, in the whole graph
   (``scipy.sparse.csgraph.dijkstra(unweighted=True)`` from each node of the set);
2. a TSP tour over those distances: nearest-neighbour tours from up to
   :data:`TOUR_STARTS` evenly spread start nodes, each improved by best-improvement 2-opt
   and Or-opt (segments of 1-3 nodes moved, either way round; :mod:`envs.tour_search`),
   vectorised over all pairs of positions; the shortest is kept;
3. the tour expanded into moves: a shortest path between consecutive tour nodes.

Everything is deterministic: the walk depends on the graph and the node set alone. On the
grids with walls that patrolling uses the walks are 8% (6x6, 30-32 nodes) and 7% (10x10,
~90 nodes) longer than the node count, 1% above what iterated local search with 200 random
kicks finds, in 10 and 60 ms. Size limits: the search runs from fewer starts above 128
nodes (one start costs O(m^2) per move), without improvement above
:data:`IMPROVE_MAX_NODES` (~1 s at 500 nodes) and, above :data:`TOUR_MAX_NODES` (the
distance matrix), the walk is the doubled depth-first spanning tree: ``2 (m - 1)`` moves
within the set, at most twice the optimum, computed without distances.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import depth_first_order, dijkstra

from envs.tour_search import improve, nearest_neighbour_tour, tour_length

#: Node sets up to this size get a TSP tour over a distance matrix; larger ones the doubled
#: depth-first spanning tree.
TOUR_MAX_NODES = 2000
#: Tours over sets up to this size are improved by 2-opt and Or-opt.
IMPROVE_MAX_NODES = 500
#: Nearest-neighbour tours built and improved per walk (from evenly spread start nodes), up
#: to 128 nodes; above, ``16 * 128**2 // m**2`` of them, at least one.
TOUR_STARTS = 16


def closed_walk(csr: csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """A short closed walk of the graph ``csr`` through every node of ``nodes`` (which the
    graph connects); one node: ``[v]``, a walk of period 1 that stays."""
    nodes = np.sort(np.asarray(nodes, np.int64))
    if len(nodes) <= 1:
        return nodes.copy()
    if len(nodes) > TOUR_MAX_NODES:
        return tree_walk(csr, nodes)
    dist, pred = dijkstra(csr, directed=False, unweighted=True, indices=nodes,
                          return_predecessors=True)
    tour = best_tour(dist[:, nodes])
    return expand(nodes[tour], tour, pred)


def best_tour(dist: np.ndarray) -> np.ndarray:
    """The shortest of :data:`TOUR_STARTS` improved nearest-neighbour tours over the square
    distance matrix ``dist`` (positions into it)."""
    m = len(dist)
    starts = max(1, min(TOUR_STARTS, TOUR_STARTS * 128**2 // m**2))
    best, best_cost = None, np.inf
    for start in np.unique(np.linspace(0, m - 1, starts).astype(np.int64)):
        tour = nearest_neighbour_tour(dist, int(start))
        if m <= IMPROVE_MAX_NODES:
            tour = improve(dist, tour)
        cost = tour_length(dist, tour)
        if cost < best_cost:
            best, best_cost = tour, cost
    return best


def expand(tour_nodes: np.ndarray, tour: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The closed walk of a tour: from each tour node a shortest path to the next.

    ``tour`` holds positions into the rows of ``pred`` (predecessors from each node of the
    set), ``tour_nodes`` the graph's nodes at those positions.
    """
    walk: list[int] = []
    for k, row in enumerate(tour):
        u, v = int(tour_nodes[k]), int(tour_nodes[(k + 1) % len(tour)])
        path = [v]
        while path[-1] != u:
            path.append(int(pred[row, path[-1]]))
        walk.extend(reversed(path[1:]))  # u .. the node before v
    return np.array(walk, np.int64)


def tree_walk(csr: csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """The doubled depth-first spanning tree of the subgraph ``nodes`` induces, from its
    lowest node: ``2 (m - 1)`` moves."""
    sub = csr[nodes][:, nodes]
    order, pred = depth_first_order(sub, 0, directed=False, return_predecessors=True)
    walk, stack = [0], [0]
    for v in order[1:]:
        while stack[-1] != pred[v]:
            stack.pop()
            walk.append(stack[-1])
        stack.append(int(v))
        walk.append(int(v))
    while len(stack) > 1:
        stack.pop()
        walk.append(stack[-1])
    return nodes[np.array(walk[:-1], np.int64)]
