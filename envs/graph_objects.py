"""Graphs from Python objects: a :class:`~envs.graph.Graph`, a networkx graph, or a PyTorch
Geometric ``Data`` read by duck typing (torch and PyG are never imported here).

A ``Data`` is any object with ``num_nodes`` and ``edge_index`` (a (2, E) integer array or
tensor). Its edges are directed, in PyG's convention for an undirected graph both
directions of each edge; :func:`from_pyg` reads ``(u, v)`` and ``(v, u)`` as one undirected
edge, which must then carry the same attribute values both ways. A directed edge given
twice, or an attribute that differs between the two directions, is refused.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from envs.graph import Graph
from envs.graph_checks import checked_floats, checked_pairs


def _numpy(value: Any) -> np.ndarray:
    """A numpy copy of an array or a tensor (on any device), by duck typing."""
    for method in ("detach", "cpu"):
        if hasattr(value, method):
            value = getattr(value, method)()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _attribute(data: Any, key: str, attr: str | None, count: int, width: int | None,
               per: str) -> np.ndarray | None:
    """``data.<attr>`` (``attr`` is the value of ``from_pyg``'s argument ``key``) as float64
    (count,) or (count, width), one row per ``per``; None if absent or None."""
    if attr is None or getattr(data, attr, None) is None:
        return None
    values = _numpy(getattr(data, attr))
    if width is None and values.ndim == 2 and values.shape[1:] == (1,):
        values = values[:, 0]
    shape = (count,) if width is None else (count, width)
    if values.shape != shape:
        need = "one number" if width is None else f"{width} numbers"
        raise ValueError(f"data.{attr} has shape {values.shape}, but {key} needs {need} per "
                         f"{per} ({shape}); convert with envs.graphs.from_pyg(data, "
                         f"{key}=...) naming another attribute, or None to read none")
    return checked_floats(f"data.{attr}", values, shape)


def _undirected(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(edges, first, group)``: the undirected edges (sorted), the directed index that
    gives each its values, and each directed edge's undirected edge."""
    ends = np.sort(pairs, axis=1)
    keys, first, group, counts = np.unique(ends[:, 0] * n + ends[:, 1], return_index=True,
                                           return_inverse=True, return_counts=True)
    forward = np.bincount(group, weights=pairs[:, 0] < pairs[:, 1], minlength=len(keys))
    bad = np.flatnonzero((counts > 2) | ((counts == 2) & (forward != 1)))
    if bad.size:
        u, v = divmod(int(keys[bad[0]]), n)
        raise ValueError(f"data.edge_index holds a directed edge of ({u}, {v}) twice; a Graph "
                         f"holds each undirected edge once (each direction at most once)")
    return np.stack(np.divmod(keys, n), axis=1), first, group


def from_pyg(data: Any, *, node_weight: str | None = "x", node_pos: str | None = "pos",
             edge_weight: str | None = "edge_weight", edge_length: str | None = None) -> Graph:
    """The Graph of a PyG ``Data`` (duck-typed), its edges read as undirected.

    Node weights come from ``data.<node_weight>`` ((n,) or (n, 1); default ``x``),
    positions from ``data.<node_pos>`` ((n, 2)), edge weights and lengths from
    ``data.<edge_weight>`` / ``data.<edge_length>`` (one value per directed edge, the same
    both ways). An attribute that is absent or None is not given; one of another shape is
    refused (pass None to read none). Other attributes (labels, masks, ``edge_attr`` unless
    named) are not part of a Graph. The nodes keep their indices (``node_ids`` None).
    """
    n = getattr(data, "num_nodes", None)
    if n is None:
        raise ValueError("data.num_nodes is not set; a Graph needs the node count")
    n = int(n)
    pairs = checked_pairs(_numpy(data.edge_index).T, n, "data.edge_index.T")
    edges, first, group = _undirected(pairs, n)
    per_edge = {}
    for field, key, attr in (("edge_weights", "edge_weight", edge_weight),
                             ("lengths", "edge_length", edge_length)):
        values = _attribute(data, key, attr, len(pairs), None, "directed edge")
        if values is not None:
            differ = np.flatnonzero(values != values[first][group])
            if differ.size:
                k = int(differ[0])
                raise ValueError(f"data.{attr} differs between the two directions of edge "
                                 f"{tuple(pairs[k].tolist())}; an undirected edge has one value")
            values = values[first]
        per_edge[field] = values
    return Graph(n, edges, weights=_attribute(data, "node_weight", node_weight, n, None, "node"),
                 positions=_attribute(data, "node_pos", node_pos, n, 2, "node"), **per_edge)


def is_pyg_like(obj: Any) -> bool:
    """Whether ``obj`` looks like a PyG ``Data``: it has ``num_nodes`` and ``edge_index``."""
    return hasattr(obj, "edge_index") and hasattr(obj, "num_nodes")


def as_graph(obj: Any, name: str = "graph") -> Graph:
    """``obj`` as a Graph: a Graph as is, a networkx graph by :meth:`Graph.from_networkx`, a
    PyG-like ``Data`` by :func:`from_pyg` (default attribute names); else a ``ValueError``
    naming ``name``. A conversion's error is prefixed with ``name``."""
    if isinstance(obj, Graph):
        return obj
    try:
        if isinstance(obj, nx.Graph):
            return Graph.from_networkx(obj)
        if is_pyg_like(obj):
            return from_pyg(obj)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    raise ValueError(f"{name} must be an envs.graphs.Graph, a networkx graph or a PyG Data "
                     f"(an object with num_nodes and edge_index), got {type(obj).__name__}")
