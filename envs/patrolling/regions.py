"""Connected regions of balanced size: how the partition strategy splits a graph.

:func:`balanced_regions` splits a connected node set into k connected regions:

1. seeds: k nodes spread by farthest-point sampling in hop distance, from the set's lowest
   node (the seed farthest from those chosen so far, ties to the lowest node);
2. growth: while a node is unclaimed, the smallest region that can still grow (ties to the
   lowest index) claims its unclaimed neighbour nearest its own seed (ties to the lowest
   node). A region only ever claims a neighbour, so every region stays connected, and on a
   connected set every node is claimed;
3. refinement (sets of at most :data:`~envs.patrolling.tours.TOUR_MAX_NODES` nodes, where
   the hop distance matrix is affordable): the seeds move to their regions' medoids (the
   node with the smallest sum of hop distances to the region) and the regions grow again,
   up to :data:`REFINE_ROUNDS` times or until the seeds repeat.

Of the partitions grown, the one whose largest region is smallest is kept (ties: the
smaller sum of hop distances to the seeds). Deterministic: it depends on the graph, the set
and k alone.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from envs.patrolling.tours import TOUR_MAX_NODES

#: Medoid refinement rounds after the first growth.
REFINE_ROUNDS = 10


def balanced_regions(csr: csr_matrix, nodes: np.ndarray, k: int) -> list[np.ndarray]:
    """``k`` connected regions (sorted node arrays) of the connected node set ``nodes`` of
    the graph ``csr``, of balanced size; ``k`` at most the set's size."""
    nodes = np.sort(np.asarray(nodes, np.int64))
    m = len(nodes)
    if not 1 <= k <= m:
        raise ValueError(f"k must be in [1, {m}] (the set's node count), got {k}")
    sub = csr[nodes][:, nodes].tocsr()
    full = _hops(csr, nodes, np.arange(m)) if m <= TOUR_MAX_NODES else None
    seeds = _spread_seeds(csr, nodes, k, full)
    best, best_key, tried = None, None, set()
    for _ in range(REFINE_ROUNDS + 1):
        tried.add(tuple(seeds))
        dseed = full[seeds] if full is not None else _hops(csr, nodes, seeds)
        labels = grow(sub, seeds, dseed)
        key = (np.bincount(labels, minlength=k).max(),
               dseed[labels, np.arange(m)].sum())
        if best_key is None or key < best_key:
            best, best_key = labels, key
        if full is None:
            break
        seeds = np.array([_medoid(full, np.flatnonzero(labels == r)) for r in range(k)])
        if tuple(seeds) in tried:
            break
    return [nodes[best == r] for r in range(k)]


def grow(sub: csr_matrix, seeds: np.ndarray, dseed: np.ndarray) -> np.ndarray:
    """(m,) region label of each node of the set whose adjacency is ``sub``: the regions
    grown from ``seeds`` (positions into the set) one node at a time, the smallest first,
    each taking its unclaimed neighbour nearest its seed (``dseed``, (k, m) hops)."""
    k, m = len(seeds), sub.shape[0]
    labels = np.full(m, -1, np.int64)
    labels[seeds] = np.arange(k)
    sizes = np.ones(k, np.int64)
    frontier = np.zeros((k, m), bool)
    for r, s in enumerate(seeds):
        frontier[r, sub.indices[sub.indptr[s]: sub.indptr[s + 1]]] = True
    frontier[:, seeds] = False
    stuck = np.zeros(k, bool)
    for _ in range(m - k):
        while True:
            if stuck.all():
                raise ValueError("balanced_regions needs a connected node set: "
                                 f"{int((labels < 0).sum())} node(s) cannot be reached")
            r = int(np.argmin(np.where(stuck, np.iinfo(np.int64).max, sizes)))
            if frontier[r].any():
                break
            stuck[r] = True
        v = int(np.argmin(np.where(frontier[r], dseed[r], np.inf)))
        labels[v], sizes[r] = r, sizes[r] + 1
        frontier[:, v] = False
        nbrs = sub.indices[sub.indptr[v]: sub.indptr[v + 1]]
        frontier[r, nbrs[labels[nbrs] < 0]] = True
    return labels


def _hops(csr: csr_matrix, nodes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(len(rows), m) hop distances from ``nodes[rows]`` to every node of the set."""
    return dijkstra(csr, directed=False, unweighted=True, indices=nodes[rows])[:, nodes]


def _spread_seeds(csr: csr_matrix, nodes: np.ndarray, k: int,
                  full: np.ndarray | None) -> np.ndarray:
    """k positions into the set by farthest-point sampling from position 0."""
    seeds = [0]
    nearest = full[0] if full is not None else _hops(csr, nodes, np.array([0]))[0]
    for _ in range(k - 1):
        far = int(np.argmax(nearest))
        seeds.append(far)
        row = full[far] if full is not None else _hops(csr, nodes, np.array([far]))[0]
        nearest = np.minimum(nearest, row)
    return np.array(seeds, np.int64)


def _medoid(full: np.ndarray, members: np.ndarray) -> int:
    """The member with the smallest sum of hop distances to the others (ties: lowest)."""
    return int(members[np.argmin(full[np.ix_(members, members)].sum(axis=1))])
