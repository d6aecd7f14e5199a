"""Graphs from files: edge lists, GraphML, GML and networkx node-link JSON, by suffix.

An env config gives them as ``graphs: {files: ...}`` (YAML, or JSON through
``--env-config``)::

    graphs:
      files: examples/graphs/*.graphml      # a path, a glob, or a list of them
      node_weight: weight                   # the attribute names read (null: none);
      edge_weight: weight                   # these are the defaults
      edge_length: length
      node_pos: pos

Rules:

* relative paths and globs are resolved against the **current directory** when the env is
  built (:func:`absolute_files` freezes them against a directory of your choice); a glob
  is expanded in sorted order; a glob matching nothing, a missing file and an unknown
  suffix are each a ``ValueError`` naming the entry;
* the suffix picks networkx's reader: ``.edgelist`` / ``.txt`` (``read_edgelist`` with
  data: ``u v {'weight': 1.0}`` per line; an edge list holds no isolated node and no node
  attribute), ``.graphml``, ``.gml`` (nodes by ``label``) and ``.json`` (node-link);
* node ids of the text formats (edge list, GraphML, GML) that are all canonical integers
  (``"5"``, ``"-2"``; not ``"05"``) become ints, as they were before writing; other ids
  stay strings; node-link JSON keeps its ids' JSON types;
* an edge given twice in a file (parallel edges, or a repeated edge-list line) is refused,
  never merged; a file declared as a multigraph without parallel edges is read as a simple
  graph; node-link JSON is undirected unless it says ``"directed": true``;
* every graph then goes through :meth:`Graph.from_networkx` (every node and id kept,
  directed graphs and self-loops refused) and the Graph's checks; a problem is one
  ``ValueError`` naming the file.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from envs._validation import reject_unknown
from envs.graph import Graph

#: The attribute-name keys of a ``files`` config and their defaults.
ATTRIBUTE_KEYS = {"node_weight": "weight", "edge_weight": "weight", "edge_length": "length",
                  "node_pos": "pos"}
#: Every key of a ``files`` config.
FILE_KEYS = ("files", *ATTRIBUTE_KEYS)

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _node_link(path: Path) -> nx.Graph:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError("a node-link JSON file holds an object with 'nodes' and 'edges'")
    # read as a multigraph so that an edge given twice is seen (_simple), not merged
    return nx.node_link_graph({**data, "multigraph": True},
                              edges="edges" if "edges" in data else "links")


def _simple(g: nx.Graph) -> nx.Graph:
    """``g`` without multigraph type: an edge given twice (in either direction, for an
    undirected file) raises naming it; a file's graph is kept whole or refused."""
    if not g.is_multigraph():
        return g
    seen: set = set()
    for u, v in g.edges():  # once per file
        key = (u, v) if g.is_directed() else frozenset((u, v))
        if key in seen:
            raise ValueError(f"edge ({u!r}, {v!r}) is given twice; a Graph holds each edge once")
        seen.add(key)
    return nx.DiGraph(g) if g.is_directed() else nx.Graph(g)


def _edge_list(path: Path) -> nx.Graph:
    # read as a multigraph so that a line repeating an edge is seen (_simple), not merged
    return nx.read_edgelist(path, data=True, create_using=nx.MultiGraph)


#: Suffix -> (format name, reader, whether its node ids are text).
READERS: dict[str, tuple[str, Callable[[Path], nx.Graph], bool]] = {
    ".edgelist": ("an edge list", _edge_list, True),
    ".txt": ("an edge list", _edge_list, True),
    ".graphml": ("GraphML", nx.read_graphml, True),
    ".gml": ("GML", nx.read_gml, True),
    ".json": ("node-link JSON", _node_link, False),
}


def _integer_ids(g: nx.Graph) -> nx.Graph:
    """``g`` with its ids as ints when every id is a canonical integer string, else ``g``."""
    if g.number_of_nodes() and all(isinstance(v, str) and _INTEGER.fullmatch(v) for v in g):
        return nx.relabel_nodes(g, int)
    return g


def read_graph_file(path: str | Path, **names: str | None) -> Graph:
    """The Graph of one file (format by suffix); ``names`` are the attribute names of
    :meth:`Graph.from_networkx`. Any problem is a ``ValueError`` naming the file."""
    path = Path(path)
    if path.suffix.lower() not in READERS:
        raise ValueError(f"graphs.files: {str(path)!r} has suffix {path.suffix!r}; known "
                         f"suffixes: {sorted(READERS)}")
    if not path.is_file():
        raise ValueError(f"graphs.files: no file {str(path)!r} (relative paths are resolved "
                         f"against the current directory, {os.getcwd()})")
    form, reader, text_ids = READERS[path.suffix.lower()]
    try:
        g = reader(path)
    except Exception as err:  # noqa: BLE001 - any reader failure is the file's problem
        raise ValueError(f"graphs.files: cannot read {str(path)!r} as {form}: "
                         f"{type(err).__name__}: {err}".replace("\n", " ")) from None
    try:
        g = _simple(_integer_ids(g) if text_ids else g)
        graph = Graph.from_networkx(g, **names)
    except ValueError as err:
        raise ValueError(f"graphs.files: {str(path)!r}: {err}") from None
    if graph.num_nodes == 0:
        raise ValueError(f"graphs.files: {str(path)!r} holds no node")
    return graph


def _entries(files: Any) -> list[str]:
    entries = [files] if isinstance(files, (str, os.PathLike)) else files
    if (not isinstance(entries, (list, tuple)) or not entries
            or not all(isinstance(e, (str, os.PathLike)) for e in entries)):
        raise ValueError(f"graphs.files must be a path, a glob or a non-empty list of them, "
                         f"got {files!r}")
    return [os.fspath(e) for e in entries]


def expand_files(files: Any) -> list[Path]:
    """The paths of a ``files`` value: each glob expanded (sorted), each entry checked."""
    paths: list[Path] = []
    for entry in _entries(files):
        if glob.has_magic(entry):
            found = sorted(glob.glob(os.path.expanduser(entry)))
            if not found:
                raise ValueError(f"graphs.files: {entry!r} matches no file (relative paths "
                                 f"are resolved against the current directory, {os.getcwd()})")
            paths += [Path(p) for p in found]
        else:
            paths.append(Path(os.path.expanduser(entry)))
    return paths


def load_graph_files(config: Mapping[str, Any]) -> tuple[list[Graph], list[str]]:
    """The graphs of a ``{files, node_weight, edge_weight, edge_length, node_pos}`` config
    and their names (the paths), in order."""
    reject_unknown("graphs (files)", config, FILE_KEYS)
    names = {key: config.get(key, default) for key, default in ATTRIBUTE_KEYS.items()}
    for key, value in names.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"graphs.{key} must be an attribute name or null, got {value!r}")
    paths = expand_files(config.get("files"))
    return [read_graph_file(p, **names) for p in paths], [str(p) for p in paths]


def absolute_files(config: Mapping[str, Any], base: str | Path | None = None) -> dict[str, Any]:
    """A copy of a ``{files, ...}`` config whose relative entries are absolute against
    ``base`` (default: the current directory), e.g. to freeze them before a process that
    changes directory (a Ray Tune trial) builds the env."""
    root = Path(base if base is not None else os.getcwd())
    entries = [os.path.expanduser(e) for e in _entries(config.get("files"))]
    absolute = [e if os.path.isabs(e) else str(root / e) for e in entries]
    single = isinstance(config.get("files"), (str, os.PathLike))
    return {**config, "files": absolute[0] if single else absolute}
