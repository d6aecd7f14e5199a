"""Seeded graph generators, graph distributions and the seed blog's named presets.

Generators wrap networkx's own and take their randomness from one
``numpy.random.Generator`` so that one seed reproduces a whole stream of graphs.
:class:`GraphDistribution` samples a size, a graph and its weights from that stream; its
parameters are checked when it is built (one ``ValueError`` naming the key), never left for
networkx to refuse at reset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral
from typing import Any

import networkx as nx
import numpy as np

from envs._validation import reject_unknown, require_choice, require_float, require_int
from envs.graph import Graph
from envs.graph_networkx import networkx_fields


def _generated(g: nx.Graph) -> Graph:
    """The Graph of a generator's networkx graph: ids are the indices, ``pos`` kept."""
    fields = networkx_fields(g, node_weight=None, node_pos="pos", edge_weight=None,
                             edge_length=None)
    return Graph(**{**fields, "node_ids": None})


# ---------------------------------------------------------------------------- generators
def watts_strogatz(n: int, rng: np.random.Generator, k: int = 4, p: float = 0.3) -> Graph:
    """Watts–Strogatz small world: ring lattice of degree ``k``, each edge rewired w.p. ``p``.

    ``networkx.watts_strogatz_graph(n, k, p, seed=rng)`` step for step: the same draws
    through networkx's own wrapper of ``rng``, in the same order, so the same graph and the
    same ``rng`` state after it (``tests/envs/test_graphs.py`` compares them), on adjacency
    sets instead of an ``nx.Graph``. Training draws one per episode (the blog's preset): networkx took ~450 us
    a graph with the conversion, about a tenth of a vector env's sampling time.
    """
    draw = nx.utils.create_py_random_state(rng)
    nodes = list(range(n))
    neighbours = [set() for _ in range(n)]
    for j in range(1, k // 2 + 1):  # the ring lattice
        for u in range(n):
            neighbours[u].add((u + j) % n)
            neighbours[(u + j) % n].add(u)
    for j in range(1, k // 2 + 1):  # rewire (u, u + j), in networkx's order
        for u in range(n):
            if draw.random() < p:
                w = draw.choice(nodes)
                while w == u or w in neighbours[u]:
                    w = draw.choice(nodes)
                    if len(neighbours[u]) >= n - 1:
                        break  # u is joined to every node: no rewiring
                else:
                    v = (u + j) % n
                    neighbours[u].discard(v)
                    neighbours[v].discard(u)
                    neighbours[u].add(w)
                    neighbours[w].add(u)
    edges = [(u, v) for u in range(n) for v in sorted(neighbours[u]) if u < v]
    return Graph(num_nodes=n, edges=np.array(edges, np.int64).reshape(-1, 2))


def erdos_renyi(n: int, rng: np.random.Generator, p: float | None = None,
                mean_degree: float | None = None) -> Graph:
    """Erdős–Rényi G(n, p); ``mean_degree`` d instead of ``p`` gives p = d / (n - 1), the
    same expected degree at every size (sparse large graphs). Default p = 0.1."""
    return _generated(nx.fast_gnp_random_graph(n, _er_p(n, p, mean_degree), seed=rng))


def _er_p(n: int, p: float | None, mean_degree: float | None) -> float:
    """The edge probability of an n-node Erdős–Rényi graph given ``p`` or ``mean_degree``."""
    if mean_degree is not None:
        return min(1.0, mean_degree / max(n - 1, 1))
    return 0.1 if p is None else p


def barabasi_albert(n: int, rng: np.random.Generator, m: int = 2) -> Graph:
    """Barabási–Albert preferential attachment, ``m`` edges per new node."""
    return _generated(nx.barabasi_albert_graph(n, m, seed=rng))


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
    return _generated(g)


def _default_radius(n: int) -> float:
    """1.5x the connectivity threshold of a random geometric graph of n nodes."""
    return 1.5 * math.sqrt(math.log(max(n, 2)) / (math.pi * max(n, 2)))


def random_geometric(n: int, rng: np.random.Generator, radius: float | None = None) -> Graph:
    """Random geometric graph in the unit square; default radius 1.5x the connectivity threshold."""
    if radius is None:
        radius = _default_radius(n)
    return _generated(nx.random_geometric_graph(n, radius, seed=rng))


def uniform_points(n: int, rng: np.random.Generator) -> Graph:
    """``n`` points uniform in the unit square and no edges: the cities of a Euclidean TSP
    (the TSP env builds its own neighbour graph over them)."""
    return Graph(num_nodes=n, edges=np.zeros((0, 2), np.int64), positions=rng.random((n, 2)))


GENERATORS: dict[str, Callable[..., Graph]] = {
    "watts_strogatz": watts_strogatz,
    "erdos_renyi": erdos_renyi,
    "barabasi_albert": barabasi_albert,
    "grid": grid,
    "random_geometric": random_geometric,
    "uniform_points": uniform_points,
}

_PARAMS = {
    "watts_strogatz": {"k", "p"},
    "erdos_renyi": {"p", "mean_degree"},
    "barabasi_albert": {"m"},
    "grid": {"rows", "cols", "removed"},
    "random_geometric": {"radius"},
    "uniform_points": set(),
}


def _edge_bound(generator: str, n: int, params: dict[str, Any]) -> int:
    """A bound on undirected edges of a graph of n nodes (exact where the count is fixed)."""
    if generator == "uniform_points":
        return 0
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
        mean = _er_p(n, params.get("p"), params.get("mean_degree")) * n * (n - 1) / 2
    else:  # random_geometric: expected degree ~ n * pi * r^2
        radius = params.get("radius") or _default_radius(n)
        mean = n * (n - 1) / 2 * min(1.0, math.pi * radius**2)
    return min(n * (n - 1) // 2, int(mean + 6 * math.sqrt(mean) + 8))


def _degree_bound(generator: str, n: int, params: dict[str, Any]) -> int:
    """A bound on the largest node degree of a graph of n nodes, at least 1 and at most n - 1.

    4 for grids; 1 for points without edges; n - 1 for Barabási–Albert (hubs can reach any
    degree); otherwise the expected degree plus 6 standard deviations plus 8, as in
    :func:`_edge_bound`.
    """
    if generator == "grid":
        bound = 4
    elif generator == "uniform_points":
        bound = 0
    elif generator == "barabasi_albert":
        bound = n - 1
    else:
        if generator == "random_geometric":
            radius = params.get("radius") or _default_radius(n)
            mean = (n - 1) * min(1.0, math.pi * radius**2)
        elif generator == "erdos_renyi":
            mean = _er_p(n, params.get("p"), params.get("mean_degree")) * (n - 1)
        else:  # watts_strogatz
            mean = params.get("k", 4)
        bound = int(math.ceil(mean + 6 * math.sqrt(mean) + 8))
    return max(1, min(n - 1, bound))


def check_params(generator: str, params: Mapping[str, Any], sizes: tuple[int, ...]) -> None:
    """Raise a ``ValueError`` naming the parameter if ``params`` (defaults included) would
    make networkx fail at reset or silently build another graph than asked for."""
    smallest = min(sizes)
    if "p" in params:
        require_float("params.p", params["p"], minimum=0.0, maximum=1.0)
    if generator == "watts_strogatz":
        k = require_int("params.k", params.get("k", 4), minimum=2)
        if k % 2:
            raise ValueError(f"params.k must be even (k/2 neighbours on each side of the ring; "
                             f"networkx would silently use k={k - 1}), got {k}")
        if k >= smallest:
            raise ValueError(f"params.k must be < every size (a node of an n-node ring has at "
                             f"most n - 1 neighbours), got k={k} with sizes {list(sizes)}")
    elif generator == "barabasi_albert":
        m = require_int("params.m", params.get("m", 2), minimum=1)
        if m >= smallest:
            raise ValueError(f"params.m must be < every size (each new node links to m "
                             f"earlier ones), got m={m} with sizes {list(sizes)}")
    elif generator == "erdos_renyi" and params.get("mean_degree") is not None:
        if "p" in params:
            raise ValueError("give params.p or params.mean_degree, not both (mean_degree d "
                             "sets p = d / (n - 1) at each size)")
        if require_float("params.mean_degree", params["mean_degree"]) <= 0:
            raise ValueError(f"params.mean_degree must be > 0, got {params['mean_degree']}")
    elif generator == "grid":
        _check_grid(params, sizes)
    elif generator == "random_geometric" and params.get("radius") is not None:
        if require_float("params.radius", params["radius"]) <= 0:
            raise ValueError(f"params.radius must be > 0, got {params['radius']}")


def _check_grid(params: Mapping[str, Any], sizes: tuple[int, ...]) -> None:
    """``rows`` and ``cols`` both or neither, their product every size; ``removed`` in [0, 1)."""
    if "removed" in params and require_float("params.removed", params["removed"],
                                             minimum=0.0, maximum=1.0) == 1.0:
        raise ValueError("params.removed must be in [0, 1): removing every cell leaves no graph")
    given = [key for key in ("rows", "cols") if params.get(key) is not None]
    for key in given:
        require_int(f"params.{key}", params[key], minimum=1)
    if len(given) == 1:
        other = "cols" if given == ["rows"] else "rows"
        raise ValueError(f"params.{given[0]} needs params.{other} too (give both, or neither "
                         f"for the largest square of <= n cells)")
    if given and any(size != params["rows"] * params["cols"] for size in sizes):
        cells = params["rows"] * params["cols"]
        raise ValueError(f"sizes must be [{cells}] with params rows={params['rows']}, "
                         f"cols={params['cols']} (a {cells}-cell grid), got {list(sizes)}")


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
        if not isinstance(self.params, Mapping):
            raise ValueError(f"params must be a dict, got {self.params!r}")
        reject_unknown(f"{self.generator} params", self.params, _PARAMS[self.generator])
        if isinstance(self.sizes, (int, np.integer, str)) or not len(self.sizes):
            raise ValueError(f"sizes must be a non-empty list of node counts, got {self.sizes!r}")
        object.__setattr__(self, "sizes", tuple(self.sizes))
        for size in self.sizes:
            require_int("sizes[]", size, minimum=1)
        require_choice("weights", self.weights, ("uniform", "unit"))
        check_params(self.generator, self.params, self.sizes)

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
        return replace(graph, weights=weights)

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
        params = config.get("params") or {}
        dims = [params.get(key) for key in ("rows", "cols")] if isinstance(params, Mapping) else []
        if (config.get("generator") == "grid" and "sizes" not in config and len(dims) == 2
                and all(isinstance(d, Integral) and not isinstance(d, bool) for d in dims)):
            config["sizes"] = [dims[0] * dims[1]]  # a grid of rows x cols: its size
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


