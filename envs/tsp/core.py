"""Euclidean TSP: the env's settings and its episode core.

The tour itself is :class:`envs.tsp.tour.TourState`. There is one salesman (K = 1); the
docstring of :class:`envs.tsp.env.TravellingSalesmanEnv` says why there is no team form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from envs._validation import reject_unknown, require_int
from envs.contract import GraphObsSpec
from envs.episode import FullViewCore
from envs.graphs import Graph
from envs.settings import EnvSettings
from envs.tsp.cities import city_positions, directed_edge_bound
from envs.tsp.exact import EXACT_MAX_NODES
from envs.tsp.solvers import episode_info
from envs.tsp.tour import EDGE_FEATURES, NODE_FEATURES, TourState


@dataclass(frozen=True, kw_only=True)
class TSPSettings(EnvSettings):
    """A validated TSP config: the shared settings plus ``knn``, the neighbours each city is
    joined to in the observation. ``max_edges`` defaults to the k-nearest-neighbour graph's
    bound, not the source graphs' edges (which the env does not read)."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = {"generator": "uniform_points", "sizes": [20],
                                                "weights": "unit"}
    KEYS: ClassVar[tuple[str, ...]] = ("knn",)
    REFERENCES: ClassVar[tuple[str, ...]] = ("exact", "christofides")

    knn: int

    @classmethod
    def parse(cls, where: str, config: Mapping | None, overrides: Mapping, *,
              multi: bool = False) -> TSPSettings:
        settings = super().parse(where, config, overrides, multi=multi)
        return replace(settings, max_edges=settings.view_spec.max_edges)

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        source, n = common["source"], common["max_nodes"]
        for graph, name in zip(source.fixed or (), source.names):
            city_positions(graph, name)
        if common["reference"] == "exact" and n > EXACT_MAX_NODES:
            raise ValueError(f"reference='exact' solves up to {EXACT_MAX_NODES} cities and "
                             f"max_nodes={n}; use reference: christofides for larger graphs")
        knn = require_int("knn", merged.get("knn", 10), minimum=1)
        edges = (directed_edge_bound(n, knn) if merged.get("max_edges") is None
                 else common["max_edges"])
        spec = GraphObsSpec(max_nodes=n, max_edges=edges, node_features=len(NODE_FEATURES),
                            num_actions=n, edge_features=len(EDGE_FEATURES))
        return {"knn": knn, "view_spec": spec, "state_spec": spec}


class TourCore(FullViewCore):
    """One TSP episode: a salesman that starts at a city and picks the next city each step.

    Attributes:
        tour: the episode's :class:`~envs.tsp.tour.TourState`.
        invalid_actions: penalised picks so far.
    """

    settings: TSPSettings

    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        reject_unknown("reset options", options, ("start",))
        graph = self.draw_graph(rng)
        start = (graph.index_of(options["start"], "start") if "start" in options
                 else int(rng.integers(graph.num_nodes)))
        self.tour = TourState(graph, self.settings.knn, start)
        self.settings.view_spec.check_fits(graph.num_nodes, self.tour.edge_index.shape[1])
        self.invalid_actions = 0
        return graph

    def draw_graph(self, rng: np.random.Generator) -> Graph:
        """The source's next graph, checked by :meth:`check_graph`; the observation's size
        is checked on the neighbour graph (in :meth:`start`), not on the graph's own edges."""
        graph = self.settings.source.next(rng, self.seed)
        self.check_graph(graph)
        return graph

    def check_graph(self, graph: Graph) -> None:
        city_positions(graph, "the episode's graph")
        super().check_graph(graph)

    def invalid_reason(self, agent: int, action: int) -> str | None:
        return self.tour.invalid_reason(action)

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        added = self.tour.add(int(actions[0])) if valid[0] else 0.0
        self.invalid_actions += int(not valid[0])
        return np.array([-added]), np.array([self.tour.complete])

    def view(self, terminal: bool) -> dict[str, np.ndarray]:
        """The observation; penalty mode marks every real city valid, mask mode the
        unvisited ones."""
        tour = self.tour
        mask = (np.ones(tour.num_nodes, np.int8) if self.settings.penalty
                else tour.valid().astype(np.int8))
        return self.settings.view_spec.pack(tour.features(), tour.edge_index, mask,
                                            edge_attr=tour.edge_attr(), terminal=terminal)

    def summary(self) -> dict[str, Any]:
        return episode_info(self.tour, self.invalid_actions, self.settings.reference)
