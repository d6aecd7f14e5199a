"""A networkx graph to the fields of a :class:`~envs.graph.Graph` and back, nothing lost.

Rules (``Graph.from_networkx`` and ``Graph.to_networkx`` document them to users):

* every node is kept, isolated ones too; node ``i`` of the Graph is the i-th of the graph's
  nodes **sorted** when they sort (ints, strings, tuples of them), else in insertion order;
  ``node_ids`` keeps the user's ids, so results map back;
* node weights, positions, edge weights and edge lengths come from the named attributes;
  an attribute on some nodes (edges) but not all is an error naming one without it, an
  attribute on none is not given;
* a ``DiGraph`` or ``MultiGraph`` is refused (convert it first: the choice of how to merge
  directions or parallel edges is the user's), and so is a self-loop.

This module builds plain dicts and networkx graphs; it does not import the Graph class
(which imports it).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import networkx as nx
import numpy as np


def node_order(g: nx.Graph) -> list[Hashable]:
    """``g``'s nodes sorted when they are mutually comparable, else in insertion order."""
    nodes = list(g.nodes)
    try:
        return sorted(nodes)
    except TypeError:
        return nodes


def check_kind(g: Any) -> None:
    """Raise unless ``g`` is an undirected simple networkx graph without self-loops."""
    if not isinstance(g, nx.Graph):
        raise ValueError(f"expected a networkx graph, got {type(g).__name__}")
    if g.is_directed():
        raise ValueError(f"got a directed {type(g).__name__}; a Graph is undirected: convert "
                         f"it first (e.g. g.to_undirected(), choosing how the attributes of "
                         f"u->v and v->u merge)")
    if g.is_multigraph():
        raise ValueError(f"got a {type(g).__name__} with parallel edges allowed; a Graph holds "
                         f"each edge once: collapse it first (e.g. nx.Graph(g) keeps one "
                         f"edge's attributes per pair)")
    loop = next(nx.selfloop_edges(g), None)
    if loop is not None:
        raise ValueError(f"edge ({loop[0]!r}, {loop[1]!r}) is a self-loop; a Graph has none "
                         f"(remove it: g.remove_edges_from(nx.selfloop_edges(g)))")


def _numbers(values: list, owners: Sequence, what: str, width: int | None) -> np.ndarray:
    """``values`` as a float64 array ((k,) or (k, width)); a bad entry raises naming its owner."""
    shape = (len(values),) if width is None else (len(values), width)
    try:
        array = np.array(values, dtype=np.float64)
        if array.shape == shape:
            return array
    except (TypeError, ValueError):
        pass
    for owner, value in zip(owners, values):  # the error path only: find the culprit
        try:
            ok = np.array(value, dtype=np.float64).shape == shape[1:]
        except (TypeError, ValueError):
            ok = False
        if not ok:
            need = "a number" if width is None else f"{width} numbers"
            raise ValueError(f"{what} of {owner!r} is {value!r}; it must be {need}")
    raise ValueError(f"{what} must be {shape}-shaped numbers")


def _values(g: nx.Graph, kind: str, owners: list, attr: str | None, key: str,
            width: int | None = None) -> np.ndarray | None:
    """Attribute ``attr`` of every node (``kind="node"``) or edge in ``owners`` order; None
    when ``attr`` is None or on none of them, an error naming one without it otherwise."""
    if attr is None:
        return None
    get = nx.get_node_attributes if kind == "node" else nx.get_edge_attributes
    found = get(g, attr)
    if not found:
        return None
    if len(found) < len(owners):
        missing = next(owner for owner in owners if owner not in found)
        raise ValueError(f"{kind} {missing!r} has no {attr!r} attribute, which other {kind}s "
                         f"have; give every {kind} one (or {key}=None to read none)")
    return _numbers([found[owner] for owner in owners], owners, f"{kind} attribute {attr!r}",
                    width)


def networkx_fields(g: nx.Graph, *, node_weight: str | None, node_pos: str | None,
                    edge_weight: str | None, edge_length: str | None) -> dict[str, Any]:
    """The keyword arguments of a ``Graph`` equal to ``g`` (see the module's rules).

    Edges come sorted by (u, v) after the ids are mapped to indices.
    """
    check_kind(g)
    order = node_order(g)
    index = {node: i for i, node in enumerate(order)}
    pairs = list(g.edges)  # networkx's own iteration, once per graph
    edges = np.sort(np.array([(index[u], index[v]) for u, v in pairs], np.int64)
                    .reshape(-1, 2), axis=1)
    sort = np.lexsort((edges[:, 1], edges[:, 0]))
    fields: dict[str, Any] = {
        "num_nodes": len(order), "edges": edges[sort], "node_ids": tuple(order),
        "weights": _values(g, "node", order, node_weight, "node_weight"),
        "positions": _values(g, "node", order, node_pos, "node_pos", width=2)}
    for field, attr, key in (("edge_weights", edge_weight, "edge_weight"),
                             ("lengths", edge_length, "edge_length")):
        values = _values(g, "edge", pairs, attr, key)
        fields[field] = None if values is None else values[sort]
    return fields


def networkx_graph(graph: Any, *, node_weight: str, node_pos: str, edge_weight: str,
                   edge_length: str) -> nx.Graph:
    """An ``nx.Graph`` of ``graph`` (a Graph) under its ``node_ids`` (else indices), with
    the node weights, positions and edge weights it carries and every edge's length as
    navigation walks it (``graph.edge_lengths()``) under the given attribute names."""
    ids = list(graph.node_ids) if graph.node_ids is not None else list(range(graph.num_nodes))
    g = nx.Graph()
    g.add_nodes_from(ids)
    if graph.weights is not None:
        nx.set_node_attributes(g, dict(zip(ids, graph.weights.tolist())), node_weight)
    if graph.positions is not None:
        nx.set_node_attributes(g, dict(zip(ids, map(tuple, graph.positions.tolist()))),
                               node_pos)
    attrs = [{edge_length: length} for length in graph.edge_lengths().tolist()]
    if graph.edge_weights is not None:
        for attr, weight in zip(attrs, graph.edge_weights.tolist()):
            attr[edge_weight] = weight
    g.add_edges_from((ids[u], ids[v], attr)
                     for (u, v), attr in zip(graph.edges.tolist(), attrs))
    return g
