"""Navigation on a graph: the env's settings and its episode core.

Both forms of the env (:class:`~envs.navigation.env.NavigationEnv`, one agent, and
:class:`~envs.navigation.multi.NavigationParallelEnv`, K agents) play one
:class:`NavigationCore`; the single-agent env is its K = 1 case with 5 node features. The
episode's graph arrays are :class:`envs.navigation.graph.NavGraph`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.sparse.csgraph import dijkstra

from envs._validation import require_bool, require_choice, require_float
from envs.contract import GraphObsSpec
from envs.episode import EpisodeCore
from envs.graphs import Graph, GraphSource, check_max_degree
from envs.navigation.graph import COMPASS, NavGraph, chosen_starts_goals, draw_starts_goals
from envs.settings import EnvSettings, degree_limit

#: Default graphs: random geometric graphs of 20 nodes in the unit square, unit node weights.
DEFAULT_GRAPHS: dict[str, Any] = {"generator": "random_geometric", "sizes": [20], "weights": "unit"}
#: Single-agent node features: is_agent, is_goal, visited, pos_x, pos_y.
SINGLE_FEATURES = ("is_agent", "is_goal", "visited", "pos_x", "pos_y")
#: Multi-agent node features, from one agent's perspective.
MULTI_FEATURES = ("is_self", "is_own_goal", "others_here", "visited_by_self", "pos_x", "pos_y")
#: What the last two node feature columns hold (``positions``): the node's position, or the
#: agent's goal's position minus the node's (so a node far from the goal knows where it lies).
POSITIONS = ("absolute", "to_goal")
#: Columns of the global ``state``'s ``x`` (both forms, with ``global_state``): active agents
#: on the node, active agents whose goal is the node, position, and the steps left before
#: truncation / max_steps (the same on every node: the critic's clock).
STATE_FEATURES = ("agents_here", "goals_here", "pos_x", "pos_y", "steps_left")
#: Graph draws tried at reset before giving up on a distribution that yields no usable graph.
MAX_DRAWS = 100


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True, kw_only=True)
class NavigationSettings(EnvSettings):
    """A validated navigation config: the shared settings plus the env's own keys (see the
    env docstrings). ``max_degree`` is None in compass mode. The default step limit is 4 x
    the episode graph's node count."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = DEFAULT_GRAPHS
    KEYS: ClassVar[tuple[str, ...]] = ("max_degree", "actions", "goal_reward", "stay_cost",
                                       "positions")
    TEAM_KEYS: ClassVar[tuple[str, ...]] = ("exclusive_nodes",)

    max_degree: int | None
    actions: str
    goal_reward: float
    stay_cost: float
    positions: str
    exclusive_nodes: bool

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        source, multi, k = common["source"], common["multi"], common["num_agents"]
        actions = require_choice("actions", merged.get("actions", "neighbours"),
                                 ("neighbours", "compass"))
        max_degree = _max_degree(merged, source, actions)
        if source.fixed is not None:
            _check_listed_graphs(source, actions, k)
        features = len(MULTI_FEATURES if multi else SINGLE_FEATURES)
        n, e = common["max_nodes"], common["max_edges"]
        return dict(
            max_degree=max_degree, actions=actions,
            goal_reward=require_float("goal_reward", merged.get("goal_reward", 2.0), minimum=0.0),
            stay_cost=require_float("stay_cost", merged.get("stay_cost", 0.1), minimum=0.0),
            positions=require_choice("positions", merged.get("positions", "absolute"),
                                     POSITIONS),
            exclusive_nodes=require_bool("exclusive_nodes", merged.get("exclusive_nodes", False)),
            view_spec=GraphObsSpec(
                max_nodes=n, max_edges=e, node_features=features, edge_features=1,
                num_actions=max_degree if actions == "neighbours" else len(COMPASS),
                max_degree=max_degree, agent_node=True),
            state_spec=GraphObsSpec(max_nodes=n, max_edges=e, node_features=len(STATE_FEATURES),
                                    num_actions=1, edge_features=1))

    def default_step_limit(self, graph: Graph) -> int:
        return 4 * graph.num_nodes


def _max_degree(merged: Mapping[str, Any], source: GraphSource, actions: str) -> int | None:
    """D in neighbours mode (given, or the source's bound); None in compass mode, which
    takes grid graphs only."""
    if actions == "neighbours":
        return degree_limit(merged, source)
    if merged.get("max_degree") is not None:
        raise ValueError("max_degree applies to actions='neighbours' only; with "
                         "actions='compass' there are always 5 actions (N, E, S, W, stay)")
    if source.fixed is None and source.distribution.generator != "grid":
        raise ValueError(f"actions='compass' needs grid graphs (generator 'grid'), got "
                         f"generator {source.distribution.generator!r}; "
                         f"use actions='neighbours'")
    return None


def _check_listed_graphs(source: GraphSource, actions: str, num_agents: int) -> None:
    """Check every listed graph now, not episodes later: compass moves need a grid, and each
    agent a start with a reachable goal."""
    for graph, name in zip(source.fixed, source.names):
        try:
            nav = NavGraph.build(graph, compass=actions == "compass")
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
        if int((np.bincount(nav.labels)[nav.labels] >= 2).sum()) < num_agents:
            raise ValueError(
                f"{name} ({graph.num_nodes} nodes) has fewer than "
                f"num_agents={num_agents} nodes with a neighbour-reachable goal (nodes in "
                f"connected components of 2 or more nodes)")


# ---------------------------------------------------------------------------- the problem
class NavigationCore(EpisodeCore):
    """K agents walking to their goals on one graph per episode (K = 1: the single-agent env).

    Attributes (valid after :meth:`reset`), besides the base class's ``steps``,
    ``max_steps`` and ``active`` (agents still walking):
        nav: the episode's :class:`~envs.navigation.graph.NavGraph`.
        starts, goals, nodes: (K,) start, goal and current node of each agent.
        success: (K,) agents that reached their goal.
        visited: (K, n) nodes each agent has stood on.
        travelled: (K,) sum of the edge lengths each agent walked.
        shortest: (K,) shortest-path length from each start to its goal (Dijkstra).
    """

    settings: NavigationSettings

    # ------------------------------------------------------------------ episode
    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        """Draw a graph, then the starts and goals from ``rng``, or take them from
        ``options`` (:func:`~envs.navigation.graph.chosen_starts_goals`)."""
        s = self.settings
        if any(key in options for key in ("start", "goal", "starts", "goals")):
            graph = self.draw_graph(rng)
            nav = NavGraph.build(graph, compass=s.actions == "compass")
            drawn = chosen_starts_goals(graph, nav.labels, options, s.num_agents, s.multi)
        else:
            graph, nav, drawn = self._draw(rng)
        k, n = s.num_agents, graph.num_nodes
        self.nav = nav
        self.starts, self.goals = drawn
        self.nodes = self.starts.copy()
        self.success = np.zeros(k, bool)
        self.visited = np.zeros((k, n), bool)
        self.visited[np.arange(k), self.starts] = True
        self.travelled = np.zeros(k, np.float64)
        dist = dijkstra(nav.matrix, directed=True, indices=self.starts)
        self.shortest = dist[np.arange(k), self.goals]
        self._pos = np.zeros((n, 2), np.float32)
        if graph.positions is not None:
            self._pos[:] = graph.positions
        return graph

    def _draw(self, rng: np.random.Generator
              ) -> tuple[Graph, NavGraph, tuple[np.ndarray, np.ndarray]]:
        """A graph with its starts and goals drawn from ``rng``. A drawn graph with fewer
        than K nodes in components of >= 2 nodes is redrawn (up to ``MAX_DRAWS`` times; a
        listed graph was checked at construction)."""
        s = self.settings
        for _ in range(MAX_DRAWS):
            graph = self.draw_graph(rng)
            nav = NavGraph.build(graph, compass=s.actions == "compass")
            drawn = draw_starts_goals(nav.labels, s.num_agents, rng)
            if drawn is not None:
                return graph, nav, drawn
        raise ValueError(
            f"graphs: {MAX_DRAWS} drawn graphs in a row had fewer than num_agents="
            f"{s.num_agents} nodes in connected components of 2 or more nodes; use larger "
            f"or denser graphs (e.g. a larger radius) or fewer agents")

    def check_graph(self, graph: Graph) -> None:
        """A node over ``max_degree`` is refused; a graph with too few usable start nodes is
        redrawn (:meth:`start`)."""
        if self.settings.max_degree is not None:
            check_max_degree(graph, self.settings.max_degree)

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
    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the walking agents in index order.

        With ``exclusive_nodes``, a move onto a node that an active agent stood on at the
        start of the step, or that a lower-index agent entered this step, is blocked: the
        agent stays and pays ``stay_cost``.
        """
        s = self.settings
        rewards = np.zeros(s.num_agents, np.float64)
        terminated = np.zeros(s.num_agents, bool)
        acting = np.flatnonzero(self.active)
        taken = None
        if s.exclusive_nodes:
            taken = np.zeros(self.nav.num_nodes, bool)
            taken[self.nodes[acting]] = True
        for i in acting:  # a loop over agents (K small)
            i = int(i)
            if not valid[i]:
                continue
            node, length = self.target(i, int(actions[i]))
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
        return rewards, terminated

    # ------------------------------------------------------------------ observation
    def node_features(self, i: int) -> np.ndarray:
        """(n, F) float32 from agent ``i``'s view (see ``SINGLE_FEATURES`` / ``MULTI_FEATURES``)."""
        x = np.zeros((self.nav.num_nodes, self.settings.view_spec.node_features), np.float32)
        x[:, -2:] = (self._pos[self.goals[i]] - self._pos if self.settings.positions == "to_goal"
                     else self._pos)
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
        x[:, 2:4] = self._pos
        x[:, 4] = (self.max_steps - self.steps) / self.max_steps
        return x

    def state(self) -> dict[str, np.ndarray]:
        """The packed global graph (the ``state`` key; fresh arrays), edge length as
        ``edge_attr``."""
        return self.settings.state_spec.pack_graph(self.state_features(), self.nav.edge_index,
                                                   self.nav.edge_attr)

    def observe(self, i: int, terminal: bool) -> dict[str, np.ndarray]:
        """Agent ``i``'s own keys (fresh arrays)."""
        s = self.settings
        v = int(self.nodes[i])
        return s.view_spec.pack(
            self.node_features(i), self.nav.edge_index, self.action_mask(i),
            edge_attr=self.nav.edge_attr, agent_node=v,
            neighbours=self.nav.neighbours(v) if s.actions == "neighbours" else None,
            terminal=terminal)

    def final_info(self, i: int) -> dict[str, Any]:
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
