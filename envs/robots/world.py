"""The robots' world: a grid map with obstacles as the arrays a step reads (built once a reset).

The map is a grid graph (``envs.generators.grid``: free cells are nodes at integer
``(col, row)`` positions, 4-neighbour edges); every cell of the bounding box that is not a
node is an obstacle. :class:`GridMap` holds, numpy only:

* the compass table (n, 5) of move targets ``N, E, S, W, stay`` (-1: wall or edge of the map),
  from :func:`envs.navigation.graph.compass_table`;
* a padded (H + 2r, W + 2r) table of cell ids (-1: obstacle or outside) from which every
  robot's field-of-view window is one fancy index;
* per episode, the (K, n) shortest-path distances from each robot's goal (one BFS,
  ``scipy.sparse.csgraph.dijkstra(unweighted=True)`` from the K goals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from envs.graphs import Graph
from envs.navigation.graph import NavGraph


@dataclass(frozen=True, eq=False)
class GridMap:
    """One episode's map.

    Attributes:
        nav: the map as a :class:`~envs.navigation.graph.NavGraph` (compass table included).
        cells: (n, 2) int64 ``(col, row)`` of each free cell.
        width, height: the bounding box of the free cells.
        radius: r, the field-of-view radius the padded table is built for.
        padded: (height + 2r, width + 2r) int64 cell id, -1 for an obstacle or outside.
    """

    nav: NavGraph
    cells: np.ndarray
    width: int
    height: int
    radius: int
    padded: np.ndarray

    @classmethod
    def build(cls, graph: Graph, radius: int) -> GridMap:
        """The map of a grid graph (``ValueError`` naming the problem if it is not one)."""
        try:
            nav = NavGraph.build(graph, compass=True)
        except ValueError as err:
            raise ValueError(f"robots need a grid map (generator 'grid'): "
                             f"{str(err).split(', but ')[-1].split(';')[0]}") from None
        cells = np.rint(graph.positions).astype(np.int64)
        cells -= cells.min(axis=0)
        width, height = (int(v) + 1 for v in cells.max(axis=0))
        padded = np.full((height + 2 * radius, width + 2 * radius), -1, np.int64)
        padded[cells[:, 1] + radius, cells[:, 0] + radius] = np.arange(graph.num_nodes)
        return cls(nav, cells, width, height, radius, padded)

    @property
    def num_cells(self) -> int:
        """n, the free cells."""
        return self.nav.num_nodes

    @property
    def compass(self) -> np.ndarray:
        """(n, 5) move targets ``N, E, S, W, stay`` (-1: no such move)."""
        return self.nav.compass

    def windows(self, at: np.ndarray) -> np.ndarray:
        """(K, 2r + 1, 2r + 1) cell ids around the cells ``at`` (K,), -1 off the map."""
        span = np.arange(2 * self.radius + 1)
        rows = self.cells[at, 1][:, None, None] + span[None, :, None]
        cols = self.cells[at, 0][:, None, None] + span[None, None, :]
        return self.padded[rows, cols]

    def distances(self, goals: np.ndarray) -> np.ndarray:
        """(K, n) steps from each cell to each of ``goals`` (the map is connected)."""
        return dijkstra(self.nav.matrix, directed=False, unweighted=True, indices=goals)
