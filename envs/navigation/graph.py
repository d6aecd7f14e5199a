"""Navigation: one episode's graph as the arrays a step reads, and the starts and goals.

Per episode, :class:`NavGraph` builds once (numpy only, no loop over nodes or edges):

* a CSR adjacency ``indptr, indices, lengths`` whose row ``v`` lists ``v``'s neighbours
  sorted by node id (the ``neighbours`` slot order) with their edge lengths;
* the same adjacency as a ``scipy.sparse.csr_matrix`` (for ``dijkstra`` and
  ``connected_components``; explicit zero lengths stay edges);
* in compass mode, a ``(n, 5)`` table of move targets ``N, E, S, W, stay`` (-1: no move).

A step then reads one CSR row (O(degree)) per agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from envs.graphs import Graph

#: Compass actions, in action order. Positions are ``(col, row)``: N is ``row - 1`` (-y).
COMPASS = ("N", "E", "S", "W", "stay")
_COMPASS_DELTAS = np.array([[0, -1], [1, 0], [0, 1], [-1, 0]], np.int64)


# ---------------------------------------------------------------------------- graph arrays
def csr_adjacency(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, lengths)``: row ``v`` = ``v``'s neighbours sorted by id, their lengths.

    Built with one ``argsort`` and one ``bincount`` (no loop over edges).
    """
    n = graph.num_nodes
    edges = graph.edges.reshape(-1, 2).astype(np.int64)
    length = graph.edge_lengths().astype(np.float64)
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    dst = np.concatenate([edges[:, 1], edges[:, 0]])
    order = np.argsort(src * n + dst, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order], np.concatenate([length, length])[order]


def adjacency_matrix(graph: Graph) -> sp.csr_matrix:
    """The symmetric (n, n) sparse matrix of edge lengths (explicit zeros are edges to scipy)."""
    indptr, indices, lengths = csr_adjacency(graph)
    return sp.csr_matrix((lengths, indices, indptr), shape=(graph.num_nodes, graph.num_nodes))


def compass_table(graph: Graph, indptr: np.ndarray, indices: np.ndarray, lengths: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, costs)``, both (n, 5) over ``N, E, S, W, stay``; target -1 = no such move.

    Raises a ``ValueError`` naming ``actions`` unless the graph is a grid: integer positions,
    each edge one unit step along an axis, at most one neighbour per direction.
    """
    n = graph.num_nodes
    pos = graph.positions
    why = None
    if pos is None:
        why = "it has no node positions"
    elif not np.array_equal(pos, np.rint(pos)):
        why = "its node positions are not on the integer lattice"
    else:
        src = np.repeat(np.arange(n), np.diff(indptr))
        delta = np.rint(pos[indices] - pos[src]).astype(np.int64)
        code = (delta[:, 0] + 1) + 3 * (delta[:, 1] + 1)  # 3x3 neighbourhood -> 0..8
        lookup = np.full(9, -1, np.int64)
        lookup[(_COMPASS_DELTAS[:, 0] + 1) + 3 * (_COMPASS_DELTAS[:, 1] + 1)] = np.arange(4)
        in_box = (np.abs(delta) <= 1).all(axis=1)
        direction = np.where(in_box, lookup[np.clip(code, 0, 8)], -1)
        if (direction < 0).any():
            why = "an edge is not one unit step north, east, south or west"
        elif len(np.unique(src * 4 + direction)) != len(src):
            why = "a node has two neighbours in the same direction"
    if why is not None:
        raise ValueError(f"actions='compass' needs a grid graph (generator 'grid'), but {why}; "
                         f"use actions='neighbours'")
    targets = np.full((n, 5), -1, np.int64)
    costs = np.zeros((n, 5), np.float64)
    targets[src, direction] = indices
    costs[src, direction] = lengths
    targets[:, 4] = np.arange(n)
    return targets, costs


@dataclass(frozen=True, eq=False)
class NavGraph:
    """One episode's graph with the arrays a step reads (built once at reset).

    Attributes:
        graph: the graph.
        indptr, indices, lengths: CSR adjacency, neighbours of each node sorted by id.
        matrix: the same adjacency as a scipy ``csr_matrix`` of edge lengths.
        labels: (n,) connected component of each node.
        edge_index: (2, 2M) directed edges (``graph.edge_index``).
        edge_attr: (2M, 1) float32 edge length of each directed edge.
        compass: (n, 5) move targets for ``N, E, S, W, stay`` (-1: no move), or None.
        compass_cost: (n, 5) length of each compass move (stay: 0; the env adds stay_cost).
    """

    graph: Graph
    indptr: np.ndarray
    indices: np.ndarray
    lengths: np.ndarray
    matrix: sp.csr_matrix
    labels: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    compass: np.ndarray | None
    compass_cost: np.ndarray | None

    @classmethod
    def build(cls, graph: Graph, compass: bool = False) -> NavGraph:
        """Build the arrays (compass=True also builds the compass table or raises)."""
        n = graph.num_nodes
        indptr, indices, lengths = csr_adjacency(graph)
        matrix = sp.csr_matrix((lengths, indices, indptr), shape=(n, n))
        _, labels = connected_components(matrix, directed=False)
        length = graph.edge_lengths()
        table = cost = None
        if compass:
            table, cost = compass_table(graph, indptr, indices, lengths)
        return cls(graph, indptr, indices, lengths, matrix, labels.astype(np.int64),
                   graph.edge_index.astype(np.int64),
                   np.concatenate([length, length])[:, None].astype(np.float32), table, cost)

    @property
    def num_nodes(self) -> int:
        """n."""
        return self.graph.num_nodes

    def neighbours(self, node: int) -> np.ndarray:
        """``node``'s neighbours sorted by id (a view of the CSR row)."""
        return self.indices[self.indptr[node]:self.indptr[node + 1]]

    def degree(self, node: int) -> int:
        """``node``'s degree."""
        return int(self.indptr[node + 1] - self.indptr[node])


def draw_starts_goals(labels: np.ndarray, k: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """K distinct starts, then K distinct goals, each in its start's component, != its start.

    Starts are drawn (without replacement) among nodes whose component has >= 2 nodes, then
    goals agent by agent among the free nodes of the start's component. One rule keeps the
    draw from dead-ending: when a single later agent starts in the same component and only
    two free goals remain there, one of them that later agent's start, the current agent
    takes that start as its goal. Returns None when fewer than K nodes are eligible.
    """
    sizes = np.bincount(labels)
    eligible = np.flatnonzero(sizes[labels] >= 2)
    if len(eligible) < k:
        return None
    starts = rng.choice(eligible, size=k, replace=False).astype(np.int64)
    goals = np.empty(k, np.int64)
    free = np.ones(len(labels), bool)
    for i in range(k):  # a loop over agents (K small), numpy masks over nodes inside
        same = labels == labels[starts[i]]
        later = starts[i + 1:][labels[starts[i + 1:]] == labels[starts[i]]]
        available = same & free
        if len(later) == 1 and available.sum() == 2 and available[later[0]]:
            goals[i] = later[0]
        else:
            candidates = available.copy()
            candidates[starts[i]] = False
            goals[i] = rng.choice(np.flatnonzero(candidates))
        free[goals[i]] = False
    return starts, goals


def _chosen_nodes(graph: Graph, options: Mapping[str, Any], key: str, k: int,
                  multi: bool) -> tuple[np.ndarray, list[str]]:
    """The indices of option ``key`` (one id, or a list of K ids) and their names."""
    value = options[key]
    if not multi:
        name = f"options[{key!r}]"
        return np.array([graph.index_of(value, name)], np.int64), [name]
    if (isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray))
            or len(value) != k):
        raise ValueError(f"options[{key!r}] must be a list of num_agents={k} node ids, "
                         f"got {value!r}")
    names = [f"options[{key!r}][{i}]" for i in range(k)]
    return np.array([graph.index_of(v, name) for v, name in zip(value, names)], np.int64), names


def chosen_starts_goals(graph: Graph, labels: np.ndarray, options: Mapping[str, Any], k: int,
                        multi: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The starts and goals a reset's ``options`` choose, as node indices (None: none).

    ``{"start": s, "goal": g}`` for one agent, ``{"starts": [...], "goals": [...]}`` for K
    (both keys, or neither: then both are drawn; other keys are ignored, as gymnasium and
    PettingZoo expect, but the other form's keys are refused), in the user's node ids
    (``graph.node_ids``; indices when the graph has none). Starts are distinct, goals are
    distinct. A goal equal to its start is refused: that episode would be over before its
    first step, which gymnasium's reset cannot express; so is a goal in another connected
    component than its start (unreachable).
    """
    keys = ("starts", "goals") if multi else ("start", "goal")
    other = ("start", "goal") if multi else ("starts", "goals")
    wrong = [key for key in other if key in options]
    if wrong:
        raise ValueError(f"reset option {wrong[0]!r} is not one of this "
                         f"{'team' if multi else 'single-agent'} env's: it takes {keys}")
    given = [key for key in keys if key in options]
    if not given:
        return None
    if len(given) == 1:
        raise ValueError(f"reset options must give both {keys[0]!r} and {keys[1]!r} (or "
                         f"neither: both are drawn), got only {given[0]!r}")
    starts, start_names = _chosen_nodes(graph, options, keys[0], k, multi)
    goals, goal_names = _chosen_nodes(graph, options, keys[1], k, multi)
    for key, nodes in zip(keys, (starts, goals)):
        if len(np.unique(nodes)) < k:
            raise ValueError(f"options[{key!r}] must name {k} distinct nodes, got "
                             f"{options[key]!r}")
    same = np.flatnonzero(starts == goals)
    if same.size:
        i = int(same[0])
        raise ValueError(f"{goal_names[i]} = {graph.id_of(goals[i])!r} is the start "
                         f"({start_names[i]}): an episode that starts at its goal is over "
                         f"before its first step, which gymnasium's reset cannot express; "
                         f"choose another goal")
    apart = np.flatnonzero(labels[starts] != labels[goals])
    if apart.size:
        i = int(apart[0])
        raise ValueError(f"{goal_names[i]} = {graph.id_of(goals[i])!r} cannot be reached from "
                         f"{start_names[i]} = {graph.id_of(starts[i])!r}: they are in different "
                         f"connected components of the episode's graph")
    return starts, goals
