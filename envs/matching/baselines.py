"""Baselines for maximum weighted matching: exact (networkx), greedy, random.

``exact_matching`` / ``greedy_matching`` solve a :class:`~envs.graphs.Graph` with given edge
weights and return ``(edge ids, weight)``. The ``play_*`` functions play an env to its end
through :func:`envs.rollout.play` (or ``play_parallel``), reading the env's internals, and
return its final info (``matching_weight``, ``matching_size``, ``graph_nodes``, plus the
rollout's ``return`` and ``length``).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from envs.graphs import Graph
from envs.rollout import play, play_parallel


def _weights(graph: Graph, edge_weights: np.ndarray) -> np.ndarray:
    w = np.asarray(edge_weights, np.float64)
    if w.shape != (graph.num_edges,):
        raise ValueError(f"edge_weights must have shape ({graph.num_edges},), got {w.shape}")
    return w


def exact_matching(graph: Graph, edge_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum weight matching by ``networkx.max_weight_matching(maxcardinality=False)``.

    Returns the matched undirected edge ids (sorted, int64) and their total weight.
    """
    w = _weights(graph, edge_weights)
    g = nx.Graph()
    g.add_nodes_from(range(graph.num_nodes))
    edges = graph.edges.tolist()
    g.add_weighted_edges_from((u, v, wt) for (u, v), wt in zip(edges, w.tolist()))
    index = {(u, v): k for k, (u, v) in enumerate(edges)}
    pairs = nx.max_weight_matching(g, maxcardinality=False, weight="weight")
    ids = np.sort(np.array([index[(min(a, b), max(a, b))] for a, b in pairs], np.int64))
    return ids, float(w[ids].sum())


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
    """Greedy matching: heaviest available edge first. Returns (ids in pick order, weight)."""
    ids = greedy_order(graph, edge_weights)
    return ids, float(_weights(graph, edge_weights)[ids].sum())


# ---------------------------------------------------------------------------- env players
def play_exact(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode along the exact optimum; returns the final info."""
    plan: dict[str, Any] = {}

    def choose(env, obs):
        state = env.unwrapped.state
        if plan.get("state") is not state:
            ids, _ = exact_matching(state.graph, state.weights)
            plan["state"], plan["ids"] = state, list(ids[::-1])
        while plan["ids"]:
            k = int(plan["ids"].pop())
            if state.available[k]:
                return k
        # only zero-weight edges can remain beside an optimum: take any of them
        return int(np.flatnonzero(state.available)[0])

    return play(env, choose, seed)


def play_greedy(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode picking the heaviest available edge (lowest id on ties)."""
    def choose(env, obs):
        state = env.unwrapped.state
        w = np.where(state.available, state.weights, -np.inf)
        return int(np.argmax(w))

    return play(env, choose, seed)


def play_random(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode picking a uniformly random valid directed slot."""
    rng = np.random.default_rng(seed)

    def choose(env, obs):
        return int(rng.choice(np.flatnonzero(env.unwrapped.state.slot_mask())))

    return play(env, choose, seed)


def play_greedy_parallel(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingParallelEnv`` episode: agent i takes the i-th edge greedy would pick
    next (no void picks); agents left over repeat agent_0's pick (void). The final matching
    equals :func:`greedy_matching`'s (``return`` is K x its weight: full team rewards)."""
    def choose(env, obs):
        state = env.matching
        ids = greedy_order(state.graph, state.weights, state.available)
        return {a: int(ids[i] if i < len(ids) else ids[0]) for i, a in enumerate(env.agents)}

    return play_parallel(env, choose, seed)
