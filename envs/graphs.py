"""Seeded graph generators, graph distributions and the seed blog's named presets.

A :class:`Graph` is plain numpy: ``num_nodes``, undirected ``edges`` (M, 2) with u < v, and
optional node ``weights`` and ``positions``. Generators wrap networkx's own and take their
randomness from one ``numpy.random.Generator`` so that one seed reproduces a whole stream of
graphs. :class:`GraphDistribution` samples a size, a graph and its weights from that stream.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from envs._validation import reject_unknown, require_choice, require_float, require_int


@dataclass(frozen=True, eq=False)
class Graph:
    """An undirected graph as numpy arrays.

    Attributes:
        num_nodes: n; nodes are ``0..n-1``.
        edges: (M, 2) int64, each undirected edge once with u < v, no self-loops.
        weights: (n,) float32 node weights, or None.
        positions: (n, 2) float32 node coordinates (grids, geometric graphs), or None.
    """

    num_nodes: int
    edges: np.ndarray
    weights: np.ndarray | None = None
    positions: np.ndarray | None = None

    @property
    def num_edges(self) -> int:
        """Number of undirected edges M."""
        return int(self.edges.shape[0])

    @property
    def edge_index(self) -> np.ndarray:
        """(2, 2M) directed edges in PyG's convention: edge k is ``edges[k]``, edge M+k its reverse."""
        return np.concatenate([self.edges.T, self.edges[:, ::-1].T], axis=1)

    def edge_lengths(self) -> np.ndarray:
        """(M,) Euclidean length of each edge when positions exist, else ones."""
        if self.positions is None:
            return np.ones(self.num_edges, np.float32)
        diff = self.positions[self.edges[:, 0]] - self.positions[self.edges[:, 1]]
        return np.linalg.norm(diff, axis=1).astype(np.float32)

    def degrees(self) -> np.ndarray:
        """(n,) node degrees."""
        return np.bincount(self.edges.ravel(), minlength=self.num_nodes)

    def to_networkx(self) -> nx.Graph:
        """networkx view with ``weight`` on nodes and ``length`` on edges (for baselines)."""
        g = nx.Graph()
        g.add_nodes_from(range(self.num_nodes))
        if self.weights is not None:
            nx.set_node_attributes(g, dict(enumerate(self.weights.tolist())), "weight")
        lengths = self.edge_lengths().tolist()
        g.add_edges_from((int(u), int(v), {"length": w})
                         for (u, v), w in zip(self.edges.tolist(), lengths))
        return g

    @classmethod
    def from_networkx(cls, g: nx.Graph, weights: np.ndarray | None = None) -> Graph:
        """Relabel ``g``'s nodes to ``0..n-1`` (in its node order) and take its edges.

        Node attribute ``pos`` becomes ``positions``.
        """
        index = {node: i for i, node in enumerate(g.nodes)}
        edges = np.array([(index[u], index[v]) for u, v in g.edges if u != v], np.int64)
        edges = np.sort(edges.reshape(-1, 2), axis=1)
        edges = np.unique(edges, axis=0)
        pos = nx.get_node_attributes(g, "pos")
        positions = (np.array([pos[node] for node in g.nodes], np.float32)
                     if len(pos) == g.number_of_nodes() and pos else None)
        return cls(g.number_of_nodes(), edges, weights, positions)


def check_max_degree(graph: Graph, max_degree: int) -> None:
    """Raise the contract's ``ValueError`` if a node of ``graph`` has over ``max_degree`` neighbours."""
    degrees = graph.degrees()
    if degrees.size and degrees.max() > max_degree:
        v = int(degrees.argmax())
        raise ValueError(f"node {v} has {int(degrees[v])} neighbours, over the env's "
                         f"max_degree={max_degree}; raise max_degree")


# ---------------------------------------------------------------------------- generators
def watts_strogatz(n: int, rng: np.random.Generator, k: int = 4, p: float = 0.3) -> Graph:
    """Watts–Strogatz small world: ring lattice of degree ``k``, each edge rewired w.p. ``p``."""
    return Graph.from_networkx(nx.watts_strogatz_graph(n, k, p, seed=rng))


def erdos_renyi(n: int, rng: np.random.Generator, p: float = 0.1) -> Graph:
    """Erdős–Rényi G(n, p)."""
    return Graph.from_networkx(nx.fast_gnp_random_graph(n, p, seed=rng))


def barabasi_albert(n: int, rng: np.random.Generator, m: int = 2) -> Graph:
    """Barabási–Albert preferential attachment, ``m`` edges per new node."""
    return Graph.from_networkx(nx.barabasi_albert_graph(n, m, seed=rng))


def grid(n: int, rng: np.random.Generator, rows: int | None = None, cols: int | None = None,
         removed: float = 0.0) -> Graph:
    """2-D grid (4-neighbour). Without ``rows``/``cols`` it is the largest square of <= n cells.

    ``removed`` is the fraction of cells deleted at random (walls, rooms and corridors); the
    largest connected component is kept. Positions are ``(col, row)`` so that +y is south.
    """
    if rows is None or cols is None:
        rows = cols = max(1, math.isqrt(n))
    g = nx.grid_2d_graph(rows, cols)
    if removed > 0:
        cells = list(g.nodes)
        drop = rng.choice(len(cells), size=int(round(removed * len(cells))), replace=False)
        g.remove_nodes_from([cells[i] for i in drop])
        if g.number_of_nodes():
            g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    nx.set_node_attributes(g, {cell: (cell[1], cell[0]) for cell in g.nodes}, "pos")
    return Graph.from_networkx(g)


def _default_radius(n: int) -> float:
    """1.5x the connectivity threshold of a random geometric graph of n nodes."""
    return 1.5 * math.sqrt(math.log(max(n, 2)) / (math.pi * max(n, 2)))


def random_geometric(n: int, rng: np.random.Generator, radius: float | None = None) -> Graph:
    """Random geometric graph in the unit square; default radius 1.5x the connectivity threshold."""
    if radius is None:
        radius = _default_radius(n)
    return Graph.from_networkx(nx.random_geometric_graph(n, radius, seed=rng))


GENERATORS: dict[str, Callable[..., Graph]] = {
    "watts_strogatz": watts_strogatz,
    "erdos_renyi": erdos_renyi,
    "barabasi_albert": barabasi_albert,
    "grid": grid,
    "random_geometric": random_geometric,
}

_PARAMS = {
    "watts_strogatz": {"k", "p"},
    "erdos_renyi": {"p"},
    "barabasi_albert": {"m"},
    "grid": {"rows", "cols", "removed"},
    "random_geometric": {"radius"},
}


def _edge_bound(generator: str, n: int, params: dict[str, Any]) -> int:
    """A bound on undirected edges of a graph of n nodes (exact where the count is fixed)."""
    if generator == "watts_strogatz":
        return n * params.get("k", 4) // 2
    if generator == "barabasi_albert":
        m = params.get("m", 2)
        return m * max(n - m, 1)
    if generator == "grid":
        rows = params.get("rows") or max(1, math.isqrt(n))
        cols = params.get("cols") or rows
        return rows * (cols - 1) + cols * (rows - 1)
    if generator == "erdos_renyi":
        mean = params.get("p", 0.1) * n * (n - 1) / 2
    else:  # random_geometric: expected degree ~ n * pi * r^2
        radius = params.get("radius") or _default_radius(n)
        mean = n * (n - 1) / 2 * min(1.0, math.pi * radius**2)
    return min(n * (n - 1) // 2, int(mean + 6 * math.sqrt(mean) + 8))


def _degree_bound(generator: str, n: int, params: dict[str, Any]) -> int:
    """A bound on the largest node degree of a graph of n nodes, at least 1 and at most n - 1.

    4 for grids; n - 1 for Barabási–Albert (hubs can reach any degree); otherwise the
    expected degree plus 6 standard deviations plus 8, as in :func:`_edge_bound`.
    """
    if generator == "grid":
        bound = 4
    elif generator == "barabasi_albert":
        bound = n - 1
    else:
        if generator == "random_geometric":
            radius = params.get("radius") or _default_radius(n)
            mean = (n - 1) * min(1.0, math.pi * radius**2)
        elif generator == "erdos_renyi":
            mean = params.get("p", 0.1) * (n - 1)
        else:  # watts_strogatz
            mean = params.get("k", 4)
        bound = int(math.ceil(mean + 6 * math.sqrt(mean) + 8))
    return max(1, min(n - 1, bound))


@dataclass(frozen=True)
class GraphDistribution:
    """Graphs of a named generator at sizes drawn uniformly from ``sizes``.

    ``weights="uniform"`` draws node weights U[0, 1) from the same generator stream right
    after the graph; ``"unit"`` gives every node weight 1. One call of :meth:`sample` draws,
    in order: the size, the graph, the weights.
    """

    generator: str = "watts_strogatz"
    sizes: tuple[int, ...] = (20,)
    params: dict[str, Any] = field(default_factory=dict)
    weights: str = "uniform"

    def __post_init__(self) -> None:
        require_choice("generator", self.generator, GENERATORS)
        reject_unknown(f"{self.generator} params", self.params, _PARAMS[self.generator])
        if isinstance(self.sizes, (int, np.integer)) or not len(self.sizes):
            raise ValueError(f"sizes must be a non-empty list of node counts, got {self.sizes!r}")
        object.__setattr__(self, "sizes", tuple(self.sizes))
        for size in self.sizes:
            require_int("sizes[]", size, minimum=1)
        require_choice("weights", self.weights, ("uniform", "unit"))
        for key in ("p", "removed"):
            if key in self.params:
                require_float(f"params.{key}", self.params[key], minimum=0.0, maximum=1.0)
        for key in ("k", "m", "rows", "cols"):
            if key in self.params:
                require_int(f"params.{key}", self.params[key], minimum=1)

    @property
    def max_size(self) -> int:
        """The largest node count this distribution draws."""
        return max(self.sizes)

    def max_undirected_edges(self) -> int:
        """A bound on undirected edges over all sizes (exact for WS, BA and full grids)."""
        return max(_edge_bound(self.generator, n, self.params) for n in self.sizes)

    def max_degree_bound(self) -> int:
        """A bound on the largest node degree over all sizes (see :func:`_degree_bound`)."""
        return max(_degree_bound(self.generator, n, self.params) for n in self.sizes)

    def min_nodes(self) -> int:
        """The fewest nodes a graph is built with (a grid's ``rows x cols`` or largest square
        of <= n cells; cells that ``removed`` deletes are not counted)."""
        if self.generator == "grid":
            rows, cols = self.params.get("rows"), self.params.get("cols")
            if rows is not None and cols is not None:
                return rows * cols
            return min(max(1, math.isqrt(n)) ** 2 for n in self.sizes)
        return min(self.sizes)

    def sample(self, rng: np.random.Generator) -> Graph:
        """Draw one graph (size, structure, weights) from ``rng``."""
        n = int(self.sizes[rng.integers(len(self.sizes))]) if len(self.sizes) > 1 else self.sizes[0]
        graph = GENERATORS[self.generator](n, rng, **self.params)
        if self.weights == "uniform":
            weights = rng.random(graph.num_nodes, dtype=np.float64).astype(np.float32)
        else:
            weights = np.ones(graph.num_nodes, np.float32)
        return Graph(graph.num_nodes, graph.edges, weights, graph.positions)

    @classmethod
    def from_config(cls, config: dict[str, Any] | GraphDistribution) -> GraphDistribution:
        """Build from a dict ``{generator, sizes, params, weights}`` or a preset ``{preset, split}``."""
        if isinstance(config, GraphDistribution):
            return config
        if not isinstance(config, dict):
            raise ValueError(f"graphs must be a dict or a GraphDistribution, got {config!r}")
        config = dict(config)
        if "preset" in config:
            reject_unknown("graphs", config, {"preset", "split"})
            return preset(config["preset"], config.get("split", "train"))
        reject_unknown("graphs", config, {"generator", "sizes", "params", "weights"})
        return cls(**config)


# ---------------------------------------------------------------------------- presets
_WS = {"k": 4, "p": 0.3}
PRESETS: dict[str, dict[str, GraphDistribution]] = {
    # The seed blog's weighted MVC experiments: Watts–Strogatz k=4, p=0.3, weights U[0,1).
    "blog_mvc": {
        "train": GraphDistribution("watts_strogatz", (5, 10, 15), _WS, "uniform"),
        "validation": GraphDistribution("watts_strogatz", (15,), _WS, "uniform"),
        "test": GraphDistribution("watts_strogatz", (20,), _WS, "uniform"),
        "test_100": GraphDistribution("watts_strogatz", (100,), _WS, "uniform"),
        "test_1000": GraphDistribution("watts_strogatz", (1000,), _WS, "uniform"),
    },
}


def preset(name: str, split: str = "train") -> GraphDistribution:
    """A named distribution, e.g. ``preset("blog_mvc", "test")`` for the 20-node test graphs."""
    require_choice("preset", name, PRESETS)
    require_choice("split", split, PRESETS[name])
    return PRESETS[name][split]


def sample_graphs(distribution: GraphDistribution, count: int, seed: int) -> list[Graph]:
    """``count`` graphs from one seeded stream (a fixed test set)."""
    rng = np.random.default_rng(seed)
    return [distribution.sample(rng) for _ in range(count)]


class GraphSource:
    """Where an env's episodes get their graph: a distribution, or a fixed list in turn.

    A fixed list (``graphs=[...]``) lets a policy and a baseline play the same episodes.
    """

    def __init__(self, graphs: dict[str, Any] | GraphDistribution | Sequence[Graph]) -> None:
        if isinstance(graphs, (list, tuple)):
            if not graphs or not all(isinstance(g, Graph) for g in graphs):
                raise ValueError("graphs must be a non-empty list of envs.graphs.Graph, "
                                 "a GraphDistribution or a config dict")
            self.fixed: list[Graph] | None = list(graphs)
            self.distribution = None
        else:
            self.fixed = None
            self.distribution = GraphDistribution.from_config(graphs)
        self._next = 0

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
            worst = max(self.fixed, key=lambda g: (g.num_nodes > n, 2 * g.num_edges > e))
            if worst.num_nodes > n or 2 * worst.num_edges > e:
                raise ValueError(
                    f"a graph of graphs has {worst.num_nodes} nodes and {2 * worst.num_edges} "
                    f"directed edges, over max_nodes={n} / max_edges={e}")
        elif self.distribution.max_size > n:
            raise ValueError(f"graphs draws sizes up to {self.distribution.max_size}, over "
                             f"max_nodes={n}; raise max_nodes or lower sizes")
        return n, e

    def restart(self) -> None:
        """Go back to the first graph of a fixed list (a seeded reset replays the same episodes)."""
        self._next = 0

    def next(self, rng: np.random.Generator) -> Graph:
        """The next episode's graph."""
        if self.fixed is None:
            return self.distribution.sample(rng)
        graph = self.fixed[self._next % len(self.fixed)]
        self._next += 1
        return graph


def source_from_config(config: Mapping[str, Any], default: dict[str, Any]
                       ) -> tuple[GraphSource, int, int]:
    """An env config's graph source and its ``(max_nodes, max_edges)`` limits.

    ``config["graphs"]`` (missing or None: a copy of ``default``) gives the source;
    ``max_nodes`` and ``max_edges`` go through :meth:`GraphSource.limits`.
    """
    graphs = config.get("graphs")
    source = GraphSource(copy.deepcopy(default) if graphs is None else graphs)
    return (source, *source.limits(config.get("max_nodes"), config.get("max_edges")))
