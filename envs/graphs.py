"""Where an env's graphs come from (the ``graphs`` key), and the public graph names.

``graphs`` in an env config is one of:

* a generator config ``{generator, sizes, params, weights}`` or a preset ``{preset, split}``
  (:class:`GraphDistribution`, :mod:`envs.generators`): a fresh graph per episode;
* files, ``{files: ..., node_weight, edge_weight, edge_length, node_pos}``
  (:mod:`envs.graph_files`), or a Python list of :class:`Graph`, networkx graphs and PyG
  ``Data`` objects (:mod:`envs.graph_objects`): a **fixed list** of L graphs.

The fixed-list rule: a seeded reset, ``reset(seed=s)``, plays graph ``s mod L``, so an
evaluation over seeds ``0..L-1`` (``envs.compare``) plays every graph once, in order; an
unseeded reset (what RLlib does after the first) draws one uniformly from the env's rng,
so training samples them.

The names every other module imports (:class:`Graph`, the generators, distributions and
presets) are importable from here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from envs._validation import require_int
from envs.generators import (
    GENERATORS,
    PRESETS,
    GraphDistribution,
    barabasi_albert,
    check_params,
    erdos_renyi,
    grid,
    preset,
    random_geometric,
    sample_graphs,
    uniform_points,
    watts_strogatz,
)
from envs.graph import Graph, check_max_degree
from envs.graph_files import absolute_files, load_graph_files, read_graph_file
from envs.graph_objects import as_graph, from_pyg

__all__ = [
    "GENERATORS", "PRESETS", "Graph", "GraphDistribution", "GraphSource", "absolute_files",
    "as_graph", "barabasi_albert", "check_max_degree", "check_params", "erdos_renyi",
    "from_pyg", "grid", "load_graph_files", "preset", "random_geometric", "read_graph_file",
    "sample_graphs", "source_from_config", "uniform_points", "watts_strogatz",
]


class GraphSource:
    """Where an env's episodes get their graph: a distribution, or a fixed list.

    Built from the ``graphs`` value (see the module docstring). A fixed list lets a policy
    and a baseline play the same episodes: ``next(rng, seed)`` takes graph ``seed mod L``
    for a seeded reset and a uniform draw from ``rng`` otherwise.

    Attributes:
        fixed: the listed graphs, or None for a distribution.
        names: how messages name each listed graph (``graphs[i]`` or its file).
        distribution: the :class:`GraphDistribution`, or None for a fixed list.
    """

    def __init__(self, graphs: Mapping[str, Any] | GraphDistribution | Sequence[Any]) -> None:
        self.fixed: list[Graph] | None = None
        self.names: list[str] = []
        self.distribution: GraphDistribution | None = None
        if isinstance(graphs, (list, tuple)):
            if not graphs:
                raise ValueError("graphs must not be an empty list")
            self.names = [f"graphs[{i}]" for i in range(len(graphs))]
            self.fixed = [as_graph(g, name) for g, name in zip(graphs, self.names)]
        elif isinstance(graphs, Mapping) and "files" in graphs:
            self.fixed, self.names = load_graph_files(graphs)
        elif isinstance(graphs, (Mapping, GraphDistribution)):
            self.distribution = GraphDistribution.from_config(graphs)
        else:
            raise ValueError(f"graphs must be a generator or preset dict, a {{files: ...}} "
                             f"dict, a GraphDistribution or a list of graphs, got {graphs!r}")

    @property
    def max_nodes(self) -> int:
        """Largest node count this source yields."""
        if self.fixed is not None:
            return max(g.num_nodes for g in self.fixed)
        return self.distribution.max_size

    @property
    def max_directed_edges(self) -> int:
        """Bound on directed edges (2 per undirected edge) this source yields."""
        if self.fixed is not None:
            return 2 * max(max(g.num_edges for g in self.fixed), 1)
        return 2 * max(self.distribution.max_undirected_edges(), 1)

    @property
    def min_nodes(self) -> int:
        """Fewest nodes a graph of this source has (a distribution's nominal count; checked
        again at reset)."""
        if self.fixed is not None:
            return min(g.num_nodes for g in self.fixed)
        return self.distribution.min_nodes()

    @property
    def max_degree(self) -> int:
        """Largest node degree (at least 1): exact for a fixed list, else the distribution's bound."""
        if self.fixed is not None:
            return max(1, max(int(g.degrees().max(initial=0)) for g in self.fixed))
        return self.distribution.max_degree_bound()

    def limits(self, max_nodes: int | None, max_edges: int | None) -> tuple[int, int]:
        """The env's (max_nodes, max_edges): given values are checked, None takes this source's bound."""
        n = self.max_nodes if max_nodes is None else require_int("max_nodes", max_nodes, minimum=1)
        e = (self.max_directed_edges if max_edges is None
             else require_int("max_edges", max_edges, minimum=1))
        if self.fixed is not None:
            over = [i for i, g in enumerate(self.fixed)
                    if g.num_nodes > n or 2 * g.num_edges > e]
            if over:
                g = self.fixed[over[0]]
                raise ValueError(
                    f"{self.names[over[0]]} has {g.num_nodes} nodes and {2 * g.num_edges} "
                    f"directed edges, over max_nodes={n} / max_edges={e}")
        elif self.distribution.max_size > n:
            raise ValueError(f"graphs draws sizes up to {self.distribution.max_size}, over "
                             f"max_nodes={n}; raise max_nodes or lower sizes")
        return n, e

    def next(self, rng: np.random.Generator, seed: int | None = None) -> Graph:
        """The next episode's graph: a fixed list's graph ``seed mod L`` for a seeded reset,
        else one drawn uniformly from ``rng``; a distribution's sample from ``rng``."""
        if self.fixed is None:
            return self.distribution.sample(rng)
        if seed is not None:
            return self.fixed[int(seed) % len(self.fixed)]
        return self.fixed[int(rng.integers(len(self.fixed)))]


def source_from_config(config: Mapping[str, Any], default: dict[str, Any]
                       ) -> tuple[GraphSource, int, int]:
    """An env config's graph source and its ``(max_nodes, max_edges)`` limits.

    ``config["graphs"]`` (missing or None: a copy of ``default``) gives the source;
    ``max_nodes`` and ``max_edges`` go through :meth:`GraphSource.limits`.
    """
    graphs = config.get("graphs")
    source = GraphSource(copy.deepcopy(default) if graphs is None else graphs)
    return (source, *source.limits(config.get("max_nodes"), config.get("max_edges")))
