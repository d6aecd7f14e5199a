"""Weighted minimum vertex cover: the cover in progress on one graph and its numpy transition.

The episode core (:mod:`envs.mvc.core`, both env forms) and the solvers
(:mod:`envs.mvc.solvers`) build on it, so that every player applies exactly the same rules.
Everything per step is array work over the incident edges of the picked nodes
(:meth:`envs.graphs.Graph.incident_edges`), O(their degrees); there is no Python loop over
nodes or edges.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.graphs import Graph

#: Node feature columns of ``x`` (F = 4).
NODE_FEATURES = ("weight", "in_cover", "uncovered_degree", "uncovered_neighbour_weight")
#: Edge feature columns of ``edge_attr`` (Fe = 1).
EDGE_FEATURES = ("covered",)



# ---------------------------------------------------------------------------- graphs
def node_weights(graph: Graph) -> np.ndarray:
    """(n,) float64 node weights of ``graph`` (all ones when it has none)."""
    if graph.weights is None:
        return np.ones(graph.num_nodes, np.float64)
    return np.asarray(graph.weights, np.float64)


def check_graph(graph: Graph, name: str) -> None:
    """Raise a ``ValueError`` naming ``name`` if ``graph`` cannot be an MVC episode.

    An episode needs at least one edge (an edgeless graph would be covered before the first
    step, and gymnasium has no way to end an episode at reset) and finite, non-negative
    weights, one per node.
    """
    if graph.num_edges == 0:
        raise ValueError(
            f"{name} ({graph.num_nodes} nodes) has no edges: a vertex cover episode needs at "
            "least one edge to cover; use graphs with edges (e.g. larger sizes or a higher p)")
    if graph.weights is not None:
        w = np.asarray(graph.weights)
        if w.shape != (graph.num_nodes,):
            raise ValueError(f"{name} has weights of shape {w.shape}, expected ({graph.num_nodes},)")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(f"{name} has a negative or non-finite node weight; MVC weights "
                             "must be finite and >= 0")


# ---------------------------------------------------------------------------- state
class CoverState:
    """One episode's cover in progress on one graph.

    Attributes (read them, never write them from outside):
        graph: the episode's :class:`~envs.graphs.Graph`.
        weights: (n,) float64 node weights.
        in_cover: (n,) bool, nodes picked so far.
        uncovered: (M,) bool over the undirected edges ``graph.edges``.
        uncovered_degree: (n,) int64, uncovered edges touching each node.
        neighbour_weight: (n,) float64, sum of the weights of the neighbours across uncovered
            edges (what the cover must still pay around a node if that node is not picked).
        picks: the nodes in the order they joined the cover.
        mask_useless: whether nodes that touch no uncovered edge are invalid actions.
    """

    def __init__(self, graph: Graph, mask_useless: bool = True) -> None:
        n, edges = graph.num_nodes, np.asarray(graph.edges, np.int64).reshape(-1, 2)
        self.graph = graph
        self.mask_useless = bool(mask_useless)
        self.edges = edges
        self.edge_index = graph.edge_index
        self.weights = node_weights(graph)
        self.in_cover = np.zeros(n, bool)
        self.uncovered = np.ones(len(edges), bool)
        self.num_uncovered = len(edges)
        self.uncovered_degree = np.bincount(edges.ravel(), minlength=n).astype(np.int64)
        self.neighbour_weight = (
            np.bincount(edges[:, 0], weights=self.weights[edges[:, 1]], minlength=n)
            + np.bincount(edges[:, 1], weights=self.weights[edges[:, 0]], minlength=n))
        self.picks: list[int] = []

    # ---------------------------------------------------------------- queries
    @property
    def num_nodes(self) -> int:
        """n, the graph's node count."""
        return self.graph.num_nodes

    @property
    def covered(self) -> bool:
        """Whether every edge has an endpoint in the cover."""
        return self.num_uncovered == 0

    def valid(self) -> np.ndarray:
        """(n,) bool: the nodes a pick may add now (not in the cover and, with
        ``mask_useless``, touching an uncovered edge)."""
        if self.mask_useless:
            return self.uncovered_degree > 0  # a node in the cover touches no uncovered edge
        return ~self.in_cover

    def invalid_reason(self, action: int) -> str | None:
        """Why ``action`` (a node slot) may not be picked now, or None if it may."""
        if action >= self.num_nodes:
            return (f"it is a padding slot (the episode's graph has {self.num_nodes} nodes, "
                    f"slots 0..{self.num_nodes - 1})")
        if self.in_cover[action]:
            return "the node is already in the cover"
        if self.mask_useless and self.uncovered_degree[action] == 0:
            return "the node touches no uncovered edge (mask_useless=True)"
        return None

    def cover_weight(self) -> float:
        """Total weight of the nodes picked so far."""
        return float(self.weights[self.in_cover].sum())

    def summary(self, invalid_actions: int) -> dict[str, Any]:
        """The episode-end info: the metrics every player (env or baseline) reports."""
        return {
            "cover_weight": self.cover_weight(),
            "cover_size": int(self.in_cover.sum()),
            "uncovered_edges": int(self.num_uncovered),
            "invalid_actions": int(invalid_actions),
            "graph_nodes": int(self.num_nodes),
        }

    # ---------------------------------------------------------------- transition
    def add(self, nodes: np.ndarray) -> float:
        """Put ``nodes`` (distinct, valid, not yet in the cover) into the cover at once.

        Returns the weight added. Cost: O(sum of the nodes' degrees), all numpy.
        """
        nodes = np.asarray(nodes, np.int64).reshape(-1)
        if nodes.size == 0:
            return 0.0
        self.in_cover[nodes] = True
        self.picks.extend(nodes.tolist())
        edge_ids = self.graph.incident_edges(nodes)
        edge_ids = np.unique(edge_ids[self.uncovered[edge_ids]])  # an edge between two picks once
        if edge_ids.size:
            self.uncovered[edge_ids] = False
            self.num_uncovered -= int(edge_ids.size)
            u, v = self.edges[edge_ids, 0], self.edges[edge_ids, 1]
            np.subtract.at(self.uncovered_degree, u, 1)
            np.subtract.at(self.uncovered_degree, v, 1)
            np.subtract.at(self.neighbour_weight, u, self.weights[v])
            np.subtract.at(self.neighbour_weight, v, self.weights[u])
            ends = np.concatenate([u, v])  # the only nodes whose sums changed
            self.neighbour_weight[ends[self.uncovered_degree[ends] == 0]] = 0.0  # no float residue
        return float(self.weights[nodes].sum())

    def copy(self) -> CoverState:
        """An independent copy (baselines simulate picks on it)."""
        new = object.__new__(CoverState)
        new.__dict__.update(self.__dict__)
        for key in ("in_cover", "uncovered", "uncovered_degree", "neighbour_weight"):
            setattr(new, key, getattr(self, key).copy())
        new.picks = list(self.picks)
        return new

    # ---------------------------------------------------------------- observation
    def features(self) -> np.ndarray:
        """(n, 4) float32 node features, columns as in :data:`NODE_FEATURES`."""
        x = np.empty((self.num_nodes, len(NODE_FEATURES)), np.float32)
        x[:, 0] = self.weights
        x[:, 1] = self.in_cover
        # log(1 + .), not / the graph's largest degree: a node's own quantities, on a scale
        # that does not move with the graph's size (on Barabasi-Albert graphs the largest
        # degree grows with n, and a policy trained on 20 nodes fell to 1.21 x the optimum
        # at 1,000; with these features 1.013, greedy 1.024: benchmarks/mvc_quality.py).
        x[:, 2] = np.log1p(self.uncovered_degree)
        x[:, 3] = np.log1p(self.neighbour_weight)
        return x

    def edge_attr(self) -> np.ndarray:
        """(2M, 1) float32: 1 where the edge is covered, for both directions of each edge."""
        covered = (~self.uncovered).astype(np.float32)
        return np.concatenate([covered, covered])[:, None]
