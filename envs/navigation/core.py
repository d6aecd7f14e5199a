"""Navigation on a graph: the shared config, the episode's graph arrays and the numpy transition.

Both forms of the env (:class:`~envs.navigation.env.NavigationEnv`, one agent, and
:class:`~envs.navigation.multi.NavigationParallelEnv`, K agents) hold one
:class:`NavigationCore`; the single-agent env is its K = 1 case with 5 node features.

Per episode, :class:`NavGraph` builds once (numpy only, no loop over nodes or edges):

* a CSR adjacency ``indptr, indices, lengths`` whose row ``v`` lists ``v``'s neighbours
  sorted by node id (the ``neighbours`` slot order) with their edge lengths;
* the same adjacency as a ``scipy.sparse.csr_matrix`` (for ``dijkstra`` and
  ``connected_components``; explicit zero lengths stay edges);
* in compass mode, a ``(n, 5)`` table of move targets ``N, E, S, W, stay`` (-1: no move).

A step then reads one CSR row (O(degree)) per agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from envs._validation import (
    invalid_action_config,
    merge_config,
    optional_int,
    require_bool,
    require_choice,
    require_float,
    require_int,
)
from envs.contract import GraphObsSpec
from envs.graphs import Graph, GraphSource, check_max_degree, source_from_config

#: Default graphs: random geometric graphs of 20 nodes in the unit square, unit node weights.
DEFAULT_GRAPHS: dict[str, Any] = {"generator": "random_geometric", "sizes": [20], "weights": "unit"}
#: Config keys of the single-agent env; the multi-agent env adds ``MULTI_KEYS``.
COMMON_KEYS = ("graphs", "max_nodes", "max_edges", "max_degree", "actions", "invalid_action",
               "invalid_penalty", "max_steps", "goal_reward", "stay_cost", "global_state")
MULTI_KEYS = ("num_agents", "exclusive_nodes")
#: Compass actions, in action order. Positions are ``(col, row)``: N is ``row - 1`` (-y).
COMPASS = ("N", "E", "S", "W", "stay")
_COMPASS_DELTAS = np.array([[0, -1], [1, 0], [0, 1], [-1, 0]], np.int64)
#: Single-agent node features: is_agent, is_goal, visited, pos_x, pos_y.
SINGLE_FEATURES = ("is_agent", "is_goal", "visited", "pos_x", "pos_y")
#: Multi-agent node features, from one agent's perspective.
MULTI_FEATURES = ("is_self", "is_own_goal", "others_here", "visited_by_self", "pos_x", "pos_y")
#: Columns of the global ``state``'s ``x`` (both forms, with ``global_state``): active agents
#: on the node, active agents whose goal is the node, position, and the steps left before
#: truncation / max_steps (the same on every node: the critic's clock).
STATE_FEATURES = ("agents_here", "goals_here", "pos_x", "pos_y", "steps_left")
#: Graph draws tried at reset before giving up on a distribution that yields no usable graph.
MAX_DRAWS = 100


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


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True)
class NavigationSettings:
    """A validated config shared by both forms (see the env docstrings for each key)."""

    source: GraphSource
    max_nodes: int
    max_edges: int
    max_degree: int | None
    actions: str
    invalid_action: str
    invalid_penalty: float
    max_steps: int | None
    goal_reward: float
    stay_cost: float
    num_agents: int
    exclusive_nodes: bool
    multi: bool
    global_state: bool
    spec: GraphObsSpec
    state_spec: GraphObsSpec

    @property
    def num_actions(self) -> int:
        """A: ``max_degree`` (neighbours) or 5 (compass)."""
        return self.spec.num_actions

    @property
    def penalty(self) -> bool:
        """Whether invalid actions are penalised (True) or rejected (mask mode)."""
        return self.invalid_action == "penalty"


def parse_config(where: str, config: Mapping | None, overrides: Mapping, *, multi: bool
                 ) -> NavigationSettings:
    """Merge ``{**config, **overrides}``, reject unknown keys and validate every value."""
    merged = merge_config(where, config, overrides, COMMON_KEYS + (MULTI_KEYS if multi else ()))
    source, max_nodes, max_edges = source_from_config(merged, DEFAULT_GRAPHS)
    actions = require_choice("actions", merged.get("actions", "neighbours"),
                             ("neighbours", "compass"))
    invalid_action, invalid_penalty = invalid_action_config(merged)
    max_steps = optional_int("max_steps", merged.get("max_steps"), minimum=1)
    goal_reward = require_float("goal_reward", merged.get("goal_reward", 2.0), minimum=0.0)
    stay_cost = require_float("stay_cost", merged.get("stay_cost", 0.1), minimum=0.0)
    num_agents = require_int("num_agents", merged.get("num_agents", 2 if multi else 1), minimum=1)
    exclusive = require_bool("exclusive_nodes", merged.get("exclusive_nodes", False))
    global_state = require_bool("global_state", merged.get("global_state", multi))
    nominal = source.min_nodes
    if num_agents > nominal:
        raise ValueError(f"num_agents={num_agents} is more than the {nominal} nodes of the "
                         f"smallest graph graphs yields; each agent needs its own start node")

    max_degree = merged.get("max_degree")
    if actions == "neighbours":
        max_degree = (source.max_degree if max_degree is None
                      else require_int("max_degree", max_degree, minimum=1))
    elif max_degree is not None:
        raise ValueError("max_degree applies to actions='neighbours' only; with "
                         "actions='compass' there are always 5 actions (N, E, S, W, stay)")
    elif source.fixed is None and source.distribution.generator != "grid":
        raise ValueError(f"actions='compass' needs grid graphs (generator 'grid'), got "
                         f"generator {source.distribution.generator!r}; "
                         f"use actions='neighbours'")

    if source.fixed is not None:  # check every listed graph now, not episodes later
        for graph in source.fixed:
            nav = NavGraph.build(graph, compass=actions == "compass")
            if max_degree is not None:
                check_max_degree(graph, max_degree)
            if int((np.bincount(nav.labels)[nav.labels] >= 2).sum()) < num_agents:
                raise ValueError(
                    f"graphs: a listed graph of {graph.num_nodes} nodes has fewer than "
                    f"num_agents={num_agents} nodes with a neighbour-reachable goal (nodes in "
                    f"connected components of 2 or more nodes)")

    features = len(MULTI_FEATURES if multi else SINGLE_FEATURES)
    num_actions = max_degree if actions == "neighbours" else len(COMPASS)
    state_spec = GraphObsSpec(max_nodes=max_nodes, max_edges=max_edges,
                              node_features=len(STATE_FEATURES), num_actions=1, edge_features=1)
    spec = GraphObsSpec(max_nodes=max_nodes, max_edges=max_edges, node_features=features,
                        num_actions=num_actions, edge_features=1, max_degree=max_degree,
                        agent_node=True, state=state_spec if global_state else None)
    return NavigationSettings(source, max_nodes, max_edges, max_degree, actions, invalid_action,
                              invalid_penalty, max_steps, goal_reward, stay_cost, num_agents,
                              exclusive, multi, global_state, spec, state_spec)


def as_action(action: Any, num_actions: int) -> int:
    """``action`` as an int in ``[0, num_actions)``; anything else is outside the action space."""
    arr = np.asarray(action)
    if arr.size == 1 and arr.ndim <= 1:
        arr = arr.reshape(())
    if arr.ndim != 0 or arr.dtype.kind not in "iu":
        raise ValueError(f"action must be an integer in [0, {num_actions}), got {action!r}")
    value = int(arr)
    if not 0 <= value < num_actions:
        raise ValueError(f"action {value} is outside Discrete({num_actions})")
    return value


# ---------------------------------------------------------------------------- the problem
class NavigationCore:
    """K agents walking to their goals on one graph per episode (K = 1: the single-agent env).

    Attributes (valid after :meth:`reset`):
        nav: the episode's :class:`NavGraph`.
        starts, goals, nodes: (K,) start, goal and current node of each agent.
        active: (K,) agents still walking (not at their goal, not truncated).
        success: (K,) agents that reached their goal.
        visited: (K, n) nodes each agent has stood on.
        travelled: (K,) sum of the edge lengths each agent walked.
        shortest: (K,) shortest-path length from each start to its goal (Dijkstra).
        steps, max_steps: steps taken and the episode's truncation bound.
    """

    def __init__(self, settings: NavigationSettings) -> None:
        self.settings = settings
        self.nav: NavGraph | None = None

    # ------------------------------------------------------------------ episode
    def reset(self, rng: np.random.Generator) -> None:
        """Draw a graph, then the starts and goals, from ``rng``.

        A drawn graph with fewer than K nodes in components of >= 2 nodes is redrawn (up to
        ``MAX_DRAWS`` times; a listed graph was checked at construction).
        """
        s = self.settings
        for _ in range(MAX_DRAWS):
            graph = s.source.next(rng)
            s.spec.check_fits(graph.num_nodes, 2 * graph.num_edges)
            if s.max_degree is not None:
                check_max_degree(graph, s.max_degree)
            nav = NavGraph.build(graph, compass=s.actions == "compass")
            drawn = draw_starts_goals(nav.labels, s.num_agents, rng)
            if drawn is not None:
                break
        else:
            raise ValueError(
                f"graphs: {MAX_DRAWS} drawn graphs in a row had fewer than num_agents="
                f"{s.num_agents} nodes in connected components of 2 or more nodes; use larger "
                f"or denser graphs (e.g. a larger radius) or fewer agents")
        k, n = s.num_agents, graph.num_nodes
        self.nav = nav
        self.starts, self.goals = drawn
        self.nodes = self.starts.copy()
        self.active = np.ones(k, bool)
        self.success = np.zeros(k, bool)
        self.visited = np.zeros((k, n), bool)
        self.visited[np.arange(k), self.starts] = True
        self.travelled = np.zeros(k, np.float64)
        dist = dijkstra(nav.matrix, directed=True, indices=self.starts)
        self.shortest = dist[np.arange(k), self.goals]
        self.steps = 0
        self.max_steps = s.max_steps if s.max_steps is not None else 4 * n
        self._x = np.zeros((n, s.spec.node_features), np.float32)
        if graph.positions is not None:
            self._x[:, -2:] = graph.positions

    # ------------------------------------------------------------------ actions
    def valid_actions(self, i: int) -> np.ndarray:
        """(A,) bool: the moves agent ``i`` can make from where it stands."""
        v = int(self.nodes[i])
        if self.settings.actions == "compass":
            return self.nav.compass[v] >= 0
        return np.arange(self.settings.max_degree) < self.nav.degree(v)

    def action_mask(self, i: int) -> np.ndarray:
        """The obs's mask. Penalty mode marks every real slot valid: all 5 compass moves, or
        the neighbour slots ``< degree`` (the padded ``neighbours`` slots stay 0)."""
        if self.settings.penalty and self.settings.actions == "compass":
            return np.ones(len(COMPASS), bool)
        return self.valid_actions(i)

    def invalid_reason(self, i: int, action: int) -> str | None:
        """Why agent ``i`` cannot take ``action`` now, or None when it can."""
        if self.valid_actions(i)[action]:
            return None
        v = int(self.nodes[i])
        if self.settings.actions == "compass":
            return (f"moving {COMPASS[action]} from node {v} (position "
                    f"{self.nav.graph.positions[v].tolist()}) leaves the grid or hits a "
                    f"removed cell")
        return (f"node {v} has {self.nav.degree(v)} neighbours, so only slots "
                f"0..{self.nav.degree(v) - 1} move; slot {action} is padding")

    def target(self, i: int, action: int) -> tuple[int, float]:
        """``(node, edge length)`` a valid ``action`` of agent ``i`` leads to (O(degree))."""
        v = int(self.nodes[i])
        if self.settings.actions == "compass":
            return int(self.nav.compass[v, action]), float(self.nav.compass_cost[v, action])
        k = self.nav.indptr[v] + action
        return int(self.nav.indices[k]), float(self.nav.lengths[k])

    def action_to(self, i: int, node: int) -> int:
        """The action that moves agent ``i`` to neighbour ``node`` (for baselines)."""
        v = int(self.nodes[i])
        if self.settings.actions == "compass":
            return int(np.flatnonzero(self.nav.compass[v, :4] == node)[0])
        return int(np.searchsorted(self.nav.neighbours(v), node))

    # ------------------------------------------------------------------ transition
    def step(self, actions: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one action per active agent (keys: agent indices, values: validated ints).

        Agents move in index order. With ``exclusive_nodes``, a move onto a node that an
        active agent stood on at the start of the step, or that a lower-index agent entered
        this step, is blocked: the agent stays and pays ``stay_cost``. In mask mode every
        action is checked before anything moves. Returns (K,) rewards, terminated, truncated.
        """
        s = self.settings
        acting = np.flatnonzero(self.active)
        if set(actions) != set(acting.tolist()):
            raise ValueError(f"step needs one action for each active agent {acting.tolist()}, "
                             f"got actions for {sorted(actions)}")
        reasons = {int(i): self.invalid_reason(int(i), actions[int(i)]) for i in acting}
        if not s.penalty:
            for i, reason in reasons.items():
                if reason is not None:
                    who = f"agent_{i} " if s.multi else ""
                    raise ValueError(f"{who}action {actions[i]} is invalid: {reason}")
        k = s.num_agents
        rewards = np.zeros(k, np.float64)
        terminated = np.zeros(k, bool)
        truncated = np.zeros(k, bool)
        taken = None
        if s.exclusive_nodes:
            taken = np.zeros(self.nav.num_nodes, bool)
            taken[self.nodes[acting]] = True
        for i in acting:  # a loop over agents (K small)
            i = int(i)
            if reasons[i] is not None:
                rewards[i] = s.invalid_penalty
                continue
            node, length = self.target(i, actions[i])
            if node == self.nodes[i] or (taken is not None and taken[node]):
                rewards[i] = -s.stay_cost  # stay (compass) or blocked (exclusive_nodes)
                continue
            if taken is not None:
                taken[node] = True
            self.nodes[i] = node
            self.visited[i, node] = True
            self.travelled[i] += length
            rewards[i] = -length
            if node == self.goals[i]:
                rewards[i] += s.goal_reward * self.shortest[i]
                terminated[i] = True
                self.success[i] = True
        self.steps += 1
        if self.steps >= self.max_steps:
            truncated[acting] = ~terminated[acting]
        self.active &= ~(terminated | truncated)
        return rewards, terminated, truncated

    # ------------------------------------------------------------------ observation
    def node_features(self, i: int) -> np.ndarray:
        """(n, F) float32 from agent ``i``'s view (see ``SINGLE_FEATURES`` / ``MULTI_FEATURES``)."""
        x = self._x.copy()
        x[self.nodes[i], 0] = 1.0
        x[self.goals[i], 1] = 1.0
        if self.settings.multi:
            others = np.bincount(self.nodes[self.active], minlength=self.nav.num_nodes)
            if self.active[i]:
                others[self.nodes[i]] -= 1
            x[:, 2] = others
            x[:, 3] = self.visited[i]
        else:
            x[:, 2] = self.visited[i]
        return x

    def state_features(self) -> np.ndarray:
        """(n, 5) float32 global ``x``, columns :data:`STATE_FEATURES` (every active agent)."""
        n = self.nav.num_nodes
        x = np.zeros((n, len(STATE_FEATURES)), np.float32)
        x[:, 0] = np.bincount(self.nodes[self.active], minlength=n)
        x[:, 1] = np.bincount(self.goals[self.active], minlength=n)
        x[:, 2:4] = self._x[:, -2:]
        x[:, 4] = (self.max_steps - self.steps) / self.max_steps
        return x

    def state(self) -> dict[str, np.ndarray]:
        """The packed global graph (the ``state`` key; fresh arrays), edge length as
        ``edge_attr``."""
        return self.settings.state_spec.pack_graph(self.state_features(), self.nav.edge_index,
                                                   self.nav.edge_attr)

    def observe(self, i: int, terminal: bool = False,
                state: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Agent ``i``'s observation (fresh arrays but ``state``).

        With ``global_state``, ``state`` is the step's packed global view, shared as is by
        every agent's observation (packed here when None).
        """
        s = self.settings
        v = int(self.nodes[i])
        if s.global_state and state is None:
            state = self.state()
        return s.spec.pack(
            self.node_features(i), self.nav.edge_index, self.action_mask(i),
            edge_attr=self.nav.edge_attr, agent_node=v,
            neighbours=self.nav.neighbours(v) if s.actions == "neighbours" else None,
            state=state, terminal=terminal)

    def end_info(self, i: int) -> dict[str, Any]:
        """Agent ``i``'s episode-end info; ``path_ratio`` only when it reached its goal."""
        info = {"success": float(self.success[i]), "path_length": float(self.travelled[i]),
                "shortest_path_length": float(self.shortest[i]),
                "graph_nodes": int(self.nav.num_nodes)}
        if self.success[i]:
            info["path_ratio"] = _ratio(self.travelled[i], self.shortest[i])
        return info

    def team_info(self) -> dict[str, Any]:
        """The whole team's metrics: success = fraction of agents at their goal, path and
        shortest lengths summed over agents, ``path_ratio`` (their quotient) only when all
        agents succeeded."""
        info = {"success": float(self.success.mean()), "path_length": float(self.travelled.sum()),
                "shortest_path_length": float(self.shortest.sum()),
                "graph_nodes": int(self.nav.num_nodes)}
        if self.success.all():
            info["path_ratio"] = _ratio(self.travelled.sum(), self.shortest.sum())
        return info


def _ratio(travelled: float, shortest: float) -> float:
    """travelled / shortest; 1.0 for 0 / 0 (zero-length edges between coincident nodes)."""
    if shortest > 0:
        return float(travelled / shortest)
    return 1.0 if travelled == 0 else float("inf")
