"""The checks a :class:`~envs.graph.Graph`'s arrays pass when it is built.

Each function returns a fresh, read-only numpy array (or tuple) or raises one ``ValueError``
naming the first offending entry and what is allowed. Everything is numpy over whole
arrays; no loop over nodes or edges.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _pair(array: np.ndarray, k: int) -> str:
    return str(tuple(array[k].tolist()))


def checked_pairs(pairs: Any, num_nodes: int, name: str = "edges") -> np.ndarray:
    """(M, 2) int64 node pairs, as given: integer ids in ``[0, num_nodes)``, no self-loop.

    An empty input (any shape) is no pairs; floats, bools and other dtypes are refused.
    """
    try:
        array = np.asarray(pairs)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an (M, 2) array of integer node ids: {err}") from None
    if array.size == 0:
        return np.zeros((0, 2), np.int64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (M, 2), got {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer node ids, got dtype {array.dtype} "
                         f"({name}[0] = {_pair(array, 0)})")
    outside = np.flatnonzero(((array < 0) | (array >= num_nodes)).any(axis=1))
    if outside.size:
        k = int(outside[0])
        raise ValueError(f"{name}[{k}] = {_pair(array, k)} names a node outside "
                         f"[0, {num_nodes}) (num_nodes={num_nodes})")
    loops = np.flatnonzero(array[:, 0] == array[:, 1])
    if loops.size:
        k = int(loops[0])
        raise ValueError(f"{name}[{k}] = {_pair(array, k)} is a self-loop; a Graph has none "
                         f"(drop it from the graph)")
    return array.astype(np.int64)


def checked_edges(edges: Any, num_nodes: int) -> np.ndarray:
    """(M, 2) int64 read-only undirected edges with u < v, in the given order.

    Checked as :func:`checked_pairs`; an edge given as ``(v, u)`` with ``v > u`` is stored
    as ``(u, v)`` (the same undirected edge, at the same index); an edge given twice, in
    either direction, is refused naming both places.
    """
    given = checked_pairs(edges, num_nodes)
    out = np.sort(given, axis=1)
    key = out[:, 0] * num_nodes + out[:, 1]
    order = np.argsort(key, kind="stable")
    repeat = key[order[1:]] == key[order[:-1]]
    if repeat.any():
        j = int(np.argmin(np.where(repeat, order[1:], len(key))))
        later, earlier = int(order[1:][j]), int(order[:-1][j])
        raise ValueError(f"edges[{later}] = {_pair(given, later)} repeats edges[{earlier}] = "
                         f"{_pair(given, earlier)}; a Graph holds each undirected edge once")
    return _frozen(out)


def checked_floats(name: str, values: Any, shape: tuple[int, ...], *,
                   minimum: float | None = None) -> np.ndarray:
    """``values`` as a read-only float64 array of ``shape``: finite, and ``>= minimum`` when
    given; else raise naming the first bad entry."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers of shape {shape}, got "
                         f"{str(values)[:80]!r}") from None
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    bad = ~np.isfinite(array)
    why = "is not finite"
    if minimum is not None and not bad.any():
        bad, why = array < minimum, f"is below {minimum}"
    if bad.any():
        index = np.argwhere(bad)[0]
        where = ", ".join(map(str, index.tolist()))
        raise ValueError(f"{name}[{where}] = {array[tuple(index)]} {why}; {name} must be "
                         f"finite{'' if minimum is None else f' and >= {minimum}'}")
    return _frozen(array)


def optional_floats(name: str, values: Any, shape: tuple[int, ...], *,
                    minimum: float | None = None) -> np.ndarray | None:
    """None, or ``values`` checked by :func:`checked_floats`."""
    return None if values is None else checked_floats(name, values, shape, minimum=minimum)


def checked_ids(node_ids: Sequence[Hashable] | None, num_nodes: int) -> tuple | None:
    """None, or ``node_ids`` as a tuple of ``num_nodes`` distinct hashable ids."""
    if node_ids is None:
        return None
    if isinstance(node_ids, (str, bytes)) or not isinstance(node_ids, Sequence):
        raise ValueError(f"node_ids must be a sequence of node ids, got {node_ids!r}")
    ids = tuple(node_ids)
    if len(ids) != num_nodes:
        raise ValueError(f"node_ids must hold one id per node ({num_nodes}), got {len(ids)}")
    try:
        distinct = len(set(ids))
    except TypeError:
        raise ValueError(f"node ids must be hashable (as networkx's are), got "
                         f"{_unhashable(ids)!r}") from None
    if distinct != num_nodes:
        seen: set = set()
        twice = next(node for node in ids if node in seen or seen.add(node))
        raise ValueError(f"node_ids holds {twice!r} twice; each node has its own id")
    return ids


def _unhashable(ids: tuple) -> Any:
    """The first id of ``ids`` that cannot be hashed."""
    for node in ids:
        try:
            hash(node)
        except TypeError:
            return node
    return None
