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
