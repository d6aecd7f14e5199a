"""The :class:`Graph` every env plays on: an undirected graph as checked numpy arrays."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np

from envs._validation import require_int
from envs.graph_checks import checked_edges, checked_ids, optional_floats
from envs.graph_networkx import networkx_fields, networkx_graph


@dataclass(frozen=True, eq=False)
class Graph:
    """An undirected graph as numpy arrays, checked when it is built.

    Nodes are the indices ``0..n-1``. ``Graph(...)`` refuses, with one ``ValueError`` naming
    the first offending entry: non-integer or out-of-range ids in ``edges``, a self-loop, an
    edge given twice (in either direction), and attributes of the wrong shape or not finite.
    An edge given as ``(v, u)`` with ``v > u`` is stored as ``(u, v)``: the same undirected
    edge, at the same index (its weight and length stay with it). Nothing else is changed:
    a graph is kept whole or refused. The arrays are read-only copies.

    Attributes:
        num_nodes: n.
        edges: (M, 2) int64, each undirected edge once with u < v.
        weights: (n,) float64 node weights (MVC), or None.
        positions: (n, 2) float64 node coordinates (grids, geometric graphs), or None.
        edge_weights: (M,) float64 edge weights >= 0 (matching), or None.
        lengths: (M,) float64 edge lengths >= 0 (navigation), or None: then Euclidean
            between ``positions``, else 1 (see :meth:`edge_lengths`).
        node_ids: the user's id of each node (graphs from networkx, files or lists), or
            None when the ids are the indices (generated graphs).
    """

    num_nodes: int
    edges: np.ndarray
    weights: np.ndarray | None = None
    positions: np.ndarray | None = None
    edge_weights: np.ndarray | None = None
    lengths: np.ndarray | None = None
    node_ids: tuple[Hashable, ...] | None = None

    def __post_init__(self) -> None:
        n = require_int("num_nodes", self.num_nodes, minimum=0)
        edges = checked_edges(self.edges, n)
        m = len(edges)
        fields = {
            "num_nodes": n, "edges": edges,
            "weights": optional_floats("weights", self.weights, (n,)),
            "positions": optional_floats("positions", self.positions, (n, 2)),
            "edge_weights": optional_floats("edge_weights", self.edge_weights, (m,),
                                            minimum=0.0),
            "lengths": optional_floats("lengths", self.lengths, (m,), minimum=0.0),
            "node_ids": checked_ids(self.node_ids, n)}
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ structure
    @property
    def num_edges(self) -> int:
        """Number of undirected edges M."""
        return int(self.edges.shape[0])

    @property
    def edge_index(self) -> np.ndarray:
        """(2, 2M) directed edges in PyG's convention: edge k is ``edges[k]``, edge M+k its reverse."""
        return np.concatenate([self.edges.T, self.edges[:, ::-1].T], axis=1)

    def edge_lengths(self) -> np.ndarray:
        """(M,) float64 length of each edge: ``lengths`` when given, else Euclidean between
        ``positions``, else ones."""
        if self.lengths is not None:
            return self.lengths
        if self.positions is None:
            return np.ones(self.num_edges, np.float64)
        diff = self.positions[self.edges[:, 0]] - self.positions[self.edges[:, 1]]
        return np.linalg.norm(diff, axis=1)

    def degrees(self) -> np.ndarray:
        """(n,) node degrees."""
        return np.bincount(self.edges.ravel(), minlength=self.num_nodes)

    @cached_property
    def _incidence(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR node -> incident edge ids: node v's edges are ``ids[indptr[v]:indptr[v + 1]]``."""
        order = np.argsort(self.edges.ravel(), kind="stable")
        ids = np.repeat(np.arange(self.num_edges, dtype=np.int64), 2)[order]
        indptr = np.concatenate([[0], np.cumsum(self.degrees())]).astype(np.int64)
        ids.flags.writeable = indptr.flags.writeable = False
        return indptr, ids

    def incident_edges(self, nodes: np.ndarray) -> np.ndarray:
        """The ids of the edges touching ``nodes``, node by node (an edge between two of them
        comes twice). Cost: O(the nodes' degrees) after a one-off O(M log M) table."""
        indptr, ids = self._incidence
        nodes = np.asarray(nodes, np.int64).reshape(-1)
        starts, lengths = indptr[nodes], indptr[nodes + 1] - indptr[nodes]
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return ids[offsets + np.arange(lengths.sum())]

    # ------------------------------------------------------------------ the user's ids
    @cached_property
    def _index(self) -> dict[Hashable, int]:
        return {node: i for i, node in enumerate(self.node_ids or ())}

    def index_of(self, node: Any, name: str = "node") -> int:
        """The index of the node the user calls ``node`` (an id of ``node_ids``, or an index
        when the graph has none); raise a ``ValueError`` naming ``name`` if there is none."""
        if self.node_ids is not None:
            try:
                return self._index[node]
            except (KeyError, TypeError):
                shown = ", ".join(map(repr, self.node_ids[:5])) + (
                    ", ..." if self.num_nodes > 5 else "")
                raise ValueError(f"{name} = {node!r} is not a node id of the graph (its "
                                 f"{self.num_nodes} ids: {shown})") from None
        value = np.asarray(node)
        if (value.shape != () or value.dtype.kind not in "iu"
                or not 0 <= int(value) < self.num_nodes):
            raise ValueError(f"{name} = {node!r} is not a node of the graph (its nodes are "
                             f"0..{self.num_nodes - 1})")
        return int(value)

    def id_of(self, index: int) -> Hashable:
        """The user's id of node ``index`` (the index itself when the graph has no ids)."""
        return int(index) if self.node_ids is None else self.node_ids[int(index)]

    # ------------------------------------------------------------------ networkx
    @classmethod
    def from_networkx(cls, g: nx.Graph, *, node_weight: str | None = "weight",
                      node_pos: str | None = "pos", edge_weight: str | None = "weight",
                      edge_length: str | None = "length") -> Graph:
        """The Graph of an undirected simple networkx graph, nothing lost.

        Every node is kept, isolated ones too; node i is the i-th of ``g``'s nodes sorted
        (when they sort; else in insertion order) and ``node_ids`` keeps the user's ids.
        Node weights, positions, edge weights and edge lengths come from the named
        attributes (None: not read); an attribute present on some nodes (edges) but not
        all raises a ``ValueError`` naming one without it. A ``DiGraph``, a ``MultiGraph``
        and a self-loop are refused (convert the graph first).
        """
        return cls(**networkx_fields(g, node_weight=node_weight, node_pos=node_pos,
                                     edge_weight=edge_weight, edge_length=edge_length))

    def to_networkx(self, *, node_weight: str = "weight", node_pos: str = "pos",
                    edge_weight: str = "weight", edge_length: str = "length") -> nx.Graph:
        """An ``nx.Graph`` under the user's ids (``node_ids``, else indices) carrying the node
        weights, positions and edge weights this graph has, and every edge's length as
        navigation walks it (:meth:`edge_lengths`) under ``edge_length``; the round trip
        ``Graph.from_networkx(g).to_networkx()`` gives back ``g``'s ids and attributes."""
        return networkx_graph(self, node_weight=node_weight, node_pos=node_pos,
                              edge_weight=edge_weight, edge_length=edge_length)


def check_max_degree(graph: Graph, max_degree: int) -> None:
    """Raise the contract's ``ValueError`` if a node of ``graph`` has over ``max_degree`` neighbours."""
    degrees = graph.degrees()
    if degrees.size and degrees.max() > max_degree:
        v = int(degrees.argmax())
        raise ValueError(f"node {graph.id_of(v)!r} has {int(degrees[v])} neighbours, over the env's "
                         f"max_degree={max_degree}; raise max_degree")
