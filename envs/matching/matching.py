"""Maximum weighted matching: the matching in progress on one graph and its numpy transition.

The episode core (:mod:`envs.matching.core`, both env forms) and the solvers
(:mod:`envs.matching.solvers`) build on it.

Edges-as-actions: directed edge slots follow :attr:`envs.graphs.Graph.edge_index`, slot ``k``
(``k < M``) is ``edges[k]`` (u < v) and slot ``M + k`` its reverse. Both directions of an
undirected edge name the same edge and are valid together while it is available.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.graphs import Graph

#: Node features: matched, log(1 + available degree), log(1 + available weighted degree),
#: heaviest available incident edge weight (0 when none). A node's own quantities, never
#: divided by a graph-wide figure, so that they mean the same at any graph size; the heaviest
#: incident weight lets the edge head weigh an edge against each end's best alternative
#: (a maximum, which sum-aggregating encoders do not compute).
NODE_FEATURES = 4
#: Edge features per directed slot: weight, available.
EDGE_FEATURES = 2


def draw_edge_weights(graph: Graph, rng: np.random.Generator, mode: str) -> np.ndarray:
    """(M,) edge weights: the graph's own (``"graph"``), U[0, 1) float32 from ``rng``
    (``"uniform"``) or ones (``"unit"``)."""
    if mode == "graph":
        return graph.edge_weights
    if mode == "uniform":
        return rng.random(graph.num_edges, dtype=np.float64).astype(np.float32)
    return np.ones(graph.num_edges, np.float32)


class MatchingState:
    """One episode of maximum weighted matching on ``graph`` with ``weights`` per undirected edge.

    Attributes:
        graph: the episode's graph (M undirected edges ``graph.edges``).
        weights: (M,) float64 edge weights (drawn ones are float32 values).
        matched: (n,) bool, nodes covered by the matching.
        available: (M,) bool, edges whose endpoints are both unmatched.
        num_available: how many edges are available.
        chosen: undirected edge ids in the order they were picked.
        total: the matching's weight so far.
        invalid_actions: penalised picks so far (penalty mode; the envs count them).
    """

    def __init__(self, graph: Graph, weights: np.ndarray) -> None:
        if graph.num_edges == 0:
            raise ValueError(
                f"maximum matching needs a graph with at least one edge; got a graph of "
                f"{graph.num_nodes} nodes and no edges, so no episode can start (raise the "
                f"generator's edge density or sizes, or drop edgeless graphs from the list)")
        weights = np.asarray(weights, np.float64)
        if weights.shape != (graph.num_edges,):
            raise ValueError(f"edge weights must have shape ({graph.num_edges},), "
                             f"got {weights.shape}")
        self.graph = graph
        self.num_nodes = graph.num_nodes
        self.num_edges = graph.num_edges
        self.u = graph.edges[:, 0].astype(np.int64)
        self.v = graph.edges[:, 1].astype(np.int64)
        self.weights = weights
        self.edge_index = graph.edge_index
        self.matched = np.zeros(self.num_nodes, bool)
        self.available = np.ones(self.num_edges, bool)
        self.num_available = self.num_edges
        self.chosen: list[int] = []
        self.total = 0.0
        self.invalid_actions = 0

    # ---------------------------------------------------------------- actions
    def edge_of(self, slot: int) -> int:
        """The undirected edge id of a real directed slot (``slot < 2M``)."""
        return slot if slot < self.num_edges else slot - self.num_edges

    def invalid_reason(self, slot: int) -> str | None:
        """Why directed slot ``slot`` cannot be picked now, or None when it can."""
        if slot >= 2 * self.num_edges:
            return (f"it is a padding slot (this graph has {self.num_edges} edges, "
                    f"directed slots 0..{2 * self.num_edges - 1})")
        k = self.edge_of(slot)
        if self.available[k]:
            return None
        u, v = int(self.u[k]), int(self.v[k])
        taken = [str(x) for x in (u, v) if self.matched[x]]
        return f"edge {k} ({u}, {v}) touches already matched node(s) {', '.join(taken)}"

    def pick(self, edge: int) -> float:
        """Add available undirected ``edge`` to the matching; returns its weight (the reward).

        Cost: O(the degrees of its endpoints): only the edges touching them stop being
        available (every other edge's endpoints are as unmatched as before)."""
        ends = np.array([self.u[edge], self.v[edge]])
        self.matched[ends] = True
        touching = self.graph.incident_edges(ends)
        touching = np.unique(touching[self.available[touching]])
        self.available[touching] = False
        self.num_available -= int(touching.size)
        weight = float(self.weights[edge])
        self.chosen.append(int(edge))
        self.total += weight
        return weight

    @property
    def done(self) -> bool:
        """No edge is left to pick."""
        return self.num_available == 0

    def slot_mask(self) -> np.ndarray:
        """(2M,) bool: directed slots whose edge is available (both directions alike)."""
        return np.concatenate([self.available, self.available])

    # ---------------------------------------------------------------- features
    def node_features(self) -> np.ndarray:
        """(n, 4) float32, columns as in :data:`NODE_FEATURES`."""
        u, v = self.u[self.available], self.v[self.available]
        w = self.weights[self.available].astype(np.float64)
        ends = np.concatenate([u, v])
        x = np.empty((self.num_nodes, NODE_FEATURES), np.float32)
        x[:, 0] = self.matched
        x[:, 1] = np.log1p(np.bincount(ends, minlength=self.num_nodes))
        x[:, 2] = np.log1p(np.bincount(ends, np.concatenate([w, w]), self.num_nodes))
        heaviest = np.zeros(self.num_nodes)
        np.maximum.at(heaviest, ends, np.concatenate([w, w]))
        x[:, 3] = heaviest
        return x

    def edge_features(self) -> np.ndarray:
        """(2M, 2) float32 per directed slot: weight, available."""
        attr = np.stack([self.weights, self.available.astype(np.float32)], axis=1)
        return np.concatenate([attr, attr], axis=0)

    def metrics(self) -> dict[str, Any]:
        """Episode-end info: ``matching_weight``, ``matching_size`` (floats),
        ``invalid_actions``, ``graph_nodes`` (ints)."""
        return {"matching_weight": float(self.total), "matching_size": float(len(self.chosen)),
                "invalid_actions": int(self.invalid_actions), "graph_nodes": int(self.num_nodes)}
