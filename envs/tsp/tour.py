"""A tour in progress over one episode's cities, its numpy transition and its observation.

The episode core (:mod:`envs.tsp.core`) and the baselines build on it, so that every player
applies the same rules. A step costs O(n) numpy (distances from the current city to all);
there is no n x n array and no Python loop over cities or edges.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.graphs import Graph
from envs.tsp.cities import city_positions, knn_edges

#: Node feature columns of ``x`` (F = 7): flags, and where a city lies relative to the
#: salesman (the vector and distance from the current city) and to the way home (its
#: distance to the start city). No absolute coordinate: a tour does not change when the
#: cities are moved together.
NODE_FEATURES = ("visited", "current", "start", "dx", "dy", "distance", "to_start")
#: Edge feature columns of ``edge_attr`` (Fe = 1): the edge's Euclidean length.
EDGE_FEATURES = ("length",)


class TourState:
    """One episode's tour: the cities visited so far, in order, from ``start``.

    Attributes (read them, never write them from outside):
        graph: the episode's :class:`~envs.graphs.Graph` (its positions are the cities).
        points: (n, 2) float64 city coordinates.
        edges: (M, 2) the k-nearest-neighbour graph (:func:`~envs.tsp.cities.knn_edges`).
        edge_index: (2, 2M) its directed edges; ``lengths``: (M,) their lengths.
        start, current: the first and the latest city of the tour.
        visited: (n,) bool; order: the cities in the order visited.
        length: the length so far, the closing edge back to ``start`` included once the
            last city is visited.
    """

    def __init__(self, graph: Graph, knn: int, start: int) -> None:
        self.graph = graph
        self.points = city_positions(graph, "the episode's graph")
        self.edges = knn_edges(self.points, knn)
        self.edge_index = np.concatenate([self.edges.T, self.edges[:, ::-1].T], axis=1)
        self.lengths = np.linalg.norm(self.points[self.edges[:, 0]] - self.points[self.edges[:, 1]],
                                      axis=1)
        self.start = self.current = int(start)
        self.visited = np.zeros(graph.num_nodes, bool)
        self.visited[self.start] = True
        self.order = [self.start]
        self.length = 0.0
        self._to_start = self.distances_from(self.start)

    # ---------------------------------------------------------------- queries
    @property
    def num_nodes(self) -> int:
        """n, the number of cities."""
        return self.graph.num_nodes

    @property
    def complete(self) -> bool:
        """Whether every city is visited (the tour is closed)."""
        return len(self.order) == self.num_nodes

    def distances_from(self, city: int) -> np.ndarray:
        """(n,) float64 Euclidean distances from ``city`` to every city."""
        return np.linalg.norm(self.points - self.points[city], axis=1)

    def valid(self) -> np.ndarray:
        """(n,) bool: the cities not yet visited (the valid next cities)."""
        return ~self.visited

    def invalid_reason(self, action: int) -> str | None:
        """Why ``action`` (a node slot) may not be the next city, or None if it may."""
        if action >= self.num_nodes:
            return (f"it is a padding slot (the episode's graph has {self.num_nodes} cities, "
                    f"slots 0..{self.num_nodes - 1})")
        if self.visited[action]:
            return "the city is already visited"
        return None

    def summary(self, invalid_actions: int) -> dict[str, Any]:
        """The episode-end info every player reports."""
        return {"tour_length": float(self.length),
                "unvisited": int(self.num_nodes - len(self.order)),
                "invalid_actions": int(invalid_actions), "graph_nodes": int(self.num_nodes)}

    # ---------------------------------------------------------------- transition
    def add(self, city: int) -> float:
        """Travel to ``city`` (valid: not visited); returns the length added, the closing
        edge back to the start included when it is the last city."""
        added = float(np.linalg.norm(self.points[city] - self.points[self.current]))
        self.visited[city] = True
        self.order.append(int(city))
        self.current = int(city)
        if self.complete:
            added += float(self._to_start[city])
        self.length += added
        return added

    # ---------------------------------------------------------------- observation
    def features(self) -> np.ndarray:
        """(n, 7) float32 node features, columns as in :data:`NODE_FEATURES`."""
        x = np.zeros((self.num_nodes, len(NODE_FEATURES)), np.float32)
        offset = self.points - self.points[self.current]
        x[:, 0] = self.visited
        x[self.current, 1] = 1.0
        x[self.start, 2] = 1.0
        x[:, 3:5] = offset
        x[:, 5] = np.hypot(offset[:, 0], offset[:, 1])
        x[:, 6] = self._to_start
        return x

    def edge_attr(self) -> np.ndarray:
        """(2M, 1) float32 edge lengths, for both directions of each edge."""
        return np.concatenate([self.lengths, self.lengths]).astype(np.float32)[:, None]
