"""Solvers for maximum weighted matching on a plain graph, and the envs' reference ratio.

``exact_matching`` (networkx's blossom algorithm) and ``greedy_matching`` / ``greedy_order``
(heaviest available edge first) solve a :class:`~envs.graphs.Graph` with one weight per
undirected edge and return ``(edge ids, weight)``. :func:`episode_info` builds the episode-end
info of both env forms, with the ratio keys when ``reference`` is not ``"none"``. This module
depends only on :mod:`envs.matching.matching` and :mod:`envs.graphs` (``baselines`` imports it,
the envs' core imports it).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from envs.graphs import Graph
from envs.matching.matching import MatchingState


def total_weight(weights: np.ndarray, ids: np.ndarray) -> float:
    """The weight of edges ``ids``, added one by one in the given order from 0.0: the env's
    running ``matching_weight``, so an episode picking the same edges in the same order
    reports the very same float."""
    picked = np.asarray(weights, np.float64)[ids]
    return float(np.cumsum(picked)[-1]) if picked.size else 0.0  # cumsum adds sequentially


def _weights(graph: Graph, edge_weights: np.ndarray) -> np.ndarray:
    """(M,) float64 edge weights, or raise if ``edge_weights`` has the wrong shape."""
    w = np.asarray(edge_weights, np.float64)
    if w.shape != (graph.num_edges,):
        raise ValueError(f"edge_weights must have shape ({graph.num_edges},), got {w.shape}")
    return w


def exact_matching(graph: Graph, edge_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum weight matching by ``networkx.max_weight_matching(maxcardinality=False)``.

    Returns the matched undirected edge ids (sorted, int64) and their total weight (summed in
    that order, as :func:`total_weight` does).
    """
    w = _weights(graph, edge_weights)
    g = nx.Graph()
    g.add_nodes_from(range(graph.num_nodes))
    edges = graph.edges.tolist()
    g.add_weighted_edges_from((u, v, wt) for (u, v), wt in zip(edges, w.tolist()))
    index = {(u, v): k for k, (u, v) in enumerate(edges)}
    pairs = nx.max_weight_matching(g, maxcardinality=False, weight="weight")
    ids = np.sort(np.array([index[(min(a, b), max(a, b))] for a, b in pairs], np.int64))
    return ids, total_weight(w, ids)


def greedy_order(graph: Graph, edge_weights: np.ndarray,
                 available: np.ndarray | None = None) -> np.ndarray:
    """Edge ids that greedy (heaviest available edge first, ties to the lower id) picks, in order.

    Vectorised as rounds of locally dominant edges: an edge ranked first among the live edges
    at both its endpoints is one greedy would pick, and all such edges are disjoint, so each
    round picks them together. The result equals the sequential greedy's.
    ``available`` (M,) bool restricts the edges (default all).
    """
    w = _weights(graph, edge_weights)
    m, n = graph.num_edges, graph.num_nodes
    u, v = graph.edges[:, 0], graph.edges[:, 1]
    order = np.lexsort((np.arange(m), -w))
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m)
    live = np.ones(m, bool) if available is None else np.asarray(available, bool).copy()
    matched = np.zeros(n, bool)
    picked = []
    while live.any():
        idx = np.flatnonzero(live)
        best = np.full(n, m, np.int64)
        np.minimum.at(best, u[idx], rank[idx])
        np.minimum.at(best, v[idx], rank[idx])
        dom = idx[(best[u[idx]] == rank[idx]) & (best[v[idx]] == rank[idx])]
        picked.append(dom)
        matched[u[dom]] = True
        matched[v[dom]] = True
        live &= ~(matched[u] | matched[v])
    ids = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    return ids[np.argsort(rank[ids])].astype(np.int64)


def greedy_matching(graph: Graph, edge_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Greedy matching: heaviest available edge first. Returns (ids in pick order, weight
    summed in pick order as :func:`total_weight` does)."""
    ids = greedy_order(graph, edge_weights)
    return ids, total_weight(_weights(graph, edge_weights), ids)


def improve_matching(graph: Graph, edge_weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A matching at least as heavy as ``ids``, by local search over short augmentations.

    While one improves the weight, the best of these moves is made (each scored for every
    edge at once in numpy):

    * *swap in* an unmatched edge (u, v), dropping the matched edges at u and v (0, 1 or 2);
    * *re-pair* a matched edge (a, b): drop it and take one edge (a, x) and one edge (b, y),
      x != y, dropping the matched edges at x and y: an augmenting path or cycle of three
      edges (Pettie & Sanders 2004 show that such short augmentations reach 2/3 of the
      optimum; greedy, which the first move cannot improve, gets 1/2).

    The weight rises strictly, so it ends. Returns the matched edge ids, sorted.
    """
    w = _weights(graph, edge_weights)
    m, n = graph.num_edges, graph.num_nodes
    u, v = graph.edges[:, 0].astype(np.int64), graph.edges[:, 1].astype(np.int64)
    src, dst = np.concatenate([u, v]), np.concatenate([v, u])  # directed: edge k, then k + m
    mate = np.full(n, -1, np.int64)  # the matched edge at each node
    ids = np.asarray(ids, np.int64)
    mate[u[ids]], mate[v[ids]] = ids, ids
    while True:
        held = np.where(mate >= 0, w[np.maximum(mate, 0)], 0.0)
        # swap in: gain of each unmatched edge
        swap = np.where(mate[u] == np.arange(m), -np.inf, w - held[u] - held[v])
        # re-pair: per node a, its two best new partners x (gain w(a, x) - held[x])
        step = np.where(mate[src] == mate[dst], -np.inf, np.tile(w, 2) - held[dst])
        order = np.lexsort((-step, src))
        first = np.searchsorted(src[order], np.arange(n))
        count = np.bincount(src, minlength=n)
        top = np.full((n, 2), -1, np.int64)  # directed edge ids, best first
        for r in range(2):
            has = count > r
            top[has, r] = order[first[has] + r]
        value = np.where(top >= 0, step[np.maximum(top, 0)], -np.inf)
        pairs = np.flatnonzero(np.bincount(mate[mate >= 0], minlength=m) == 2)
        best_pair, best_gain = None, 0.0
        if len(pairs):
            a, b = u[pairs], v[pairs]
            for i in range(2):
                for j in range(2):
                    ea, eb = top[a, i], top[b, j]
                    x, y = dst[np.maximum(ea, 0)], dst[np.maximum(eb, 0)]
                    shared = (mate[x] == mate[y]) & (mate[x] >= 0)  # one edge dropped once
                    gain = (value[a, i] + value[b, j] - w[pairs]
                            + np.where(shared, held[x], 0.0))
                    gain[(ea < 0) | (eb < 0) | (x == y)] = -np.inf
                    k = int(np.argmax(gain))
                    if gain[k] > best_gain:
                        best_gain, best_pair = gain[k], (int(ea[k]), int(eb[k]))
        k = int(np.argmax(swap))
        tol = 1e-12 * max(1.0, float(w.max()))
        if max(swap[k], best_gain) <= tol:
            break
        moves = [k] if swap[k] >= best_gain else [e % m for e in best_pair]
        for e in moves:
            for out in {int(mate[u[e]]), int(mate[v[e]])} - {-1}:
                mate[[u[out], v[out]]] = -1
        for e in moves:
            mate[[u[e], v[e]]] = e
    return np.unique(mate[mate >= 0])


# ---------------------------------------------------------------------------- env reference
def episode_info(state: MatchingState, reference: str) -> dict[str, Any]:
    """The episode-end info of both env forms: ``state.metrics()`` plus, unless ``reference``
    is ``"none"``, the reference keys.

    The matching of ``greedy_matching`` or ``exact_matching`` on the episode's graph and edge
    weights is computed once, and the info gains ``reference_matching_weight`` (float) and
    ``matching_ratio`` = ``matching_weight / reference_matching_weight`` (float; higher is
    better, <= 1 against ``"exact"``, may exceed 1 against ``"greedy"``), or 1.0 when the
    reference weighs 0 (every edge weight is then 0, and so is any matching's).
    """
    info = state.metrics()
    if reference == "none":
        return info
    solve = exact_matching if reference == "exact" else greedy_matching
    best = solve(state.graph, state.weights)[1]
    weight = info["matching_weight"]
    info["reference_matching_weight"] = float(best)
    info["matching_ratio"] = float(weight / best) if best > 0 else 1.0
    return info
