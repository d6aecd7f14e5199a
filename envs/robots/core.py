"""Multi-robot path finding with communication: the env's settings and its episode core.

The team env (:class:`~envs.robots.multi.RobotsParallelEnv`, whose docstring is the spec)
plays one :class:`RobotsCore`. The map is :class:`envs.robots.world.GridMap`, the collision
rule :func:`envs.robots.moves.resolve_moves`, the agent graph :mod:`envs.robots.comm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from envs._validation import require_float, require_int
from envs.contract import GraphObsSpec
from envs.episode import EpisodeCore
from envs.graphs import Graph
from envs.robots.comm import comm_adjacency, edges_within, within_hops
from envs.robots.moves import resolve_moves
from envs.robots.world import GridMap
from envs.settings import EnvSettings

#: Default maps: 8 x 8 grids with 15% of the cells obstacles (largest free component kept).
DEFAULT_GRAPHS: dict[str, Any] = {
    "generator": "grid", "sizes": [64], "params": {"removed": 0.15}, "weights": "unit"}
#: The actions, as the compass table's columns: up (N), right (E), down (S), left (W), idle.
ACTIONS = ("up", "right", "down", "left", "idle")
#: A robot's own features after its two field-of-view windows (obstacles, other robots).
OWN_FEATURES = ("closer_up", "closer_right", "closer_down", "closer_left",
                "goal_distance", "at_goal")
#: Features an observing robot adds to every robot of its neighbourhood.
RELATIVE_FEATURES = ("rel_x", "rel_y", "is_self")
#: Edge features (both in observations and in the state): the offset from the source robot
#: to the target robot and its length, in units of ``max(comm_range, 1)`` cells.
EDGE_FEATURES = ("dx", "dy", "distance")
#: Graph draws tried at reset before giving up on a distribution whose maps are too small.
MAX_DRAWS = 100


def own_feature_names(fov_radius: int) -> tuple[str, ...]:
    """The names of the own-feature columns for field-of-view radius ``fov_radius``."""
    cells = [f"{dr}_{dc}" for dr in range(-fov_radius, fov_radius + 1)
             for dc in range(-fov_radius, fov_radius + 1)]
    return (*(f"obstacle_{c}" for c in cells), *(f"robot_{c}" for c in cells), *OWN_FEATURES)


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True, kw_only=True)
class RobotsSettings(EnvSettings):
    """A validated robots config: the shared settings plus the env's own keys (see the env
    docstring). ``max_nodes`` / ``max_edges`` bound the *map*; observations have one node
    slot per robot (N = K, E = K(K - 1)). The default step limit is 4 x (width + height)
    of the episode's map."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = DEFAULT_GRAPHS
    KEYS: ClassVar[tuple[str, ...]] = ("fov_radius", "comm_range", "comm_hops", "goal_reward",
                                       "step_cost", "collision_penalty")
    DEFAULT_TEAM_SIZE: ClassVar[int] = 4

    fov_radius: int
    comm_range: float
    comm_hops: int
    goal_reward: float
    step_cost: float
    collision_penalty: float

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        if not common["multi"]:
            raise ValueError("the robots env is a team env (RobotsParallelEnv); its single-"
                             "robot form would be plain grid navigation: use env 'nav'")
        k = common["num_agents"]
        fov = require_int("fov_radius", merged.get("fov_radius", 2), minimum=0)
        own = len(own_feature_names(fov))
        n, e = k, max(1, k * (k - 1))
        return dict(
            fov_radius=fov,
            comm_range=require_float("comm_range", merged.get("comm_range", 3.0), minimum=0.0),
            comm_hops=require_int("comm_hops", merged.get("comm_hops", 2), minimum=0),
            goal_reward=require_float("goal_reward", merged.get("goal_reward", 1.0), minimum=0.0),
            step_cost=require_float("step_cost", merged.get("step_cost", 0.05), minimum=0.0),
            collision_penalty=require_float("collision_penalty",
                                            merged.get("collision_penalty", -0.5), maximum=0.0),
            view_spec=GraphObsSpec(n, e, own + len(RELATIVE_FEATURES), len(ACTIONS),
                                   edge_features=len(EDGE_FEATURES), agent_node=True),
            state_spec=GraphObsSpec(n, e, own + 1, 1, edge_features=len(EDGE_FEATURES)))

    def default_step_limit(self, graph: Graph) -> int:
        extent = np.ptp(graph.positions, axis=0) + 1 if graph.positions is not None else (0, 0)
        return int(4 * (extent[0] + extent[1]))


# ---------------------------------------------------------------------------- the problem
class RobotsCore(EpisodeCore):
    """K robots walking to their own goals on a grid map, talking within ``comm_range``.

    Attributes (valid after :meth:`reset`), besides the base class's:
        world: the episode's :class:`~envs.robots.world.GridMap`.
        starts, goals, cells: (K,) start, goal and current cell (node id) of each robot.
        to_goal: (K, n) steps from each cell to each robot's goal.
        adjacency: (K, K) bool, this step's communication graph.
        reach: (K, K) bool, ``reach[i, j]``: robot j is within ``comm_hops`` hops of i.
        collisions: blocked moves so far (see :mod:`envs.robots.moves`).
        makespan: the step at which every robot first stood on its goal (None before).
    """

    settings: RobotsSettings

    # ------------------------------------------------------------------ episode
    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        """Draw a map, then K distinct starts and K distinct goals (a robot's goal may be
        another's start) from ``rng``, or take ``options["starts"]`` / ``["goals"]``."""
        s = self.settings
        graph, self.world = self._draw(rng)
        n, k = graph.num_nodes, s.num_agents
        if "starts" in options or "goals" in options:
            self.starts = _chosen("starts", options.get("starts"), k, n)
            self.goals = _chosen("goals", options.get("goals"), k, n)
        else:
            self.starts = rng.choice(n, size=k, replace=False).astype(np.int64)
            self.goals = rng.choice(n, size=k, replace=False).astype(np.int64)
        self.cells = self.starts.copy()
        self.to_goal = self.world.distances(self.goals)
        self.collisions = 0
        self.makespan = 0 if (self.cells == self.goals).all() else None
        self.steps = 0
        self._refresh()
        return graph

    def _draw(self, rng: np.random.Generator) -> tuple[Graph, GridMap]:
        """A connected map of at least K cells (drawn ones are redrawn, listed ones refused)."""
        s = self.settings
        for _ in range(MAX_DRAWS):
            graph = s.source.next(rng, self.seed)
            if graph.num_nodes > s.max_nodes:
                raise ValueError(f"the map has {graph.num_nodes} cells, over the env's "
                                 f"max_nodes={s.max_nodes}; raise max_nodes")
            world = GridMap.build(graph, s.fov_radius)
            pieces = int(world.nav.labels.max()) + 1 if graph.num_nodes else 0
            if pieces == 1 and graph.num_nodes >= s.num_agents:
                return graph, world
            if s.source.fixed is not None:
                raise ValueError(f"a robots map must be one connected piece of at least "
                                 f"num_agents={s.num_agents} cells; this one has {pieces} "
                                 f"piece(s) and {graph.num_nodes} cells")
        raise ValueError(f"graphs: {MAX_DRAWS} drawn maps in a row had fewer than num_agents="
                         f"{s.num_agents} free cells; use larger maps or fewer robots")

    def _refresh(self) -> None:
        """This step's per-robot arrays: own features, communication graph, k-hop sets."""
        s, world = self.settings, self.world
        xy = world.cells[self.cells]
        window = world.windows(self.cells).reshape(len(self.cells), -1)
        occupied = np.zeros(world.num_cells + 1, np.float32)  # the last slot: off the map
        occupied[self.cells] = 1.0
        robots = occupied[np.where(window >= 0, window, world.num_cells)]
        robots[:, robots.shape[1] // 2] = 0.0  # the robot itself
        k = np.arange(len(self.cells))
        here = self.to_goal[k, self.cells]
        moves = world.compass[self.cells, :4]
        there = np.where(moves >= 0, self.to_goal[k[:, None], np.maximum(moves, 0)], np.inf)
        self._own = np.concatenate([
            (window < 0).astype(np.float32), robots,
            (there < here[:, None]).astype(np.float32),
            np.log1p(here)[:, None].astype(np.float32),
            (self.cells == self.goals)[:, None].astype(np.float32)], axis=1)
        self._xy = xy.astype(np.float64)
        delta = (self._xy[None, :, :] - self._xy[:, None, :]) / max(s.comm_range, 1.0)
        self._pairs = np.concatenate([delta, np.linalg.norm(delta, axis=2, keepdims=True)],
                                     axis=2).astype(np.float32)  # (K, K, 3): i -> j
        self.adjacency = comm_adjacency(self._xy, s.comm_range)
        self.reach = within_hops(self.adjacency, s.comm_hops)

    # ------------------------------------------------------------------ actions
    def valid_actions(self, i: int) -> np.ndarray:
        """(5,) bool: the moves robot ``i`` can make (not into a wall or off the map)."""
        return self.world.compass[self.cells[i]] >= 0

    def invalid_reason(self, i: int, action: int) -> str | None:
        if self.valid_actions(i)[action]:
            return None
        col, row = self.world.cells[self.cells[i]].tolist()
        return (f"moving {ACTIONS[action]} from cell (col {col}, row {row}) hits an obstacle "
                f"or leaves the map")

    # ------------------------------------------------------------------ transition
    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move every robot at once by the collision rule (:mod:`envs.robots.moves`)."""
        s = self.settings
        moving = valid & self.active
        proposed = np.where(moving, self.world.compass[self.cells, np.where(moving, actions, 4)],
                            self.cells)
        final, blocked = resolve_moves(self.cells, proposed, self.world.num_cells)
        was, now = self.cells == self.goals, final == self.goals
        rewards = (np.where(now, 0.0, -s.step_cost) + s.goal_reward * (now & ~was)
                   - s.goal_reward * (was & ~now) + s.collision_penalty * blocked)
        self.cells = final
        self.collisions += int(blocked.sum())
        done = bool(now.all())
        if done and self.makespan is None:
            self.makespan = self.steps
        self._refresh()
        return rewards, np.full(len(final), done)

    # ------------------------------------------------------------------ observation
    def observe(self, i: int, terminal: bool) -> dict[str, np.ndarray]:
        """Robot ``i``'s k-hop neighbourhood of the communication graph (fresh arrays)."""
        s = self.settings
        nodes = self.reach[i]
        rel = (self._xy - self._xy[i]) / max(s.comm_range, 1.0)
        x = np.zeros((len(nodes), s.view_spec.node_features), np.float32)
        x[nodes, :-3] = self._own[nodes]
        x[nodes, -3:-1] = rel[nodes]
        x[i, -1] = 1.0
        edges = edges_within(self.adjacency, nodes)
        obs = s.view_spec.pack(x, edges, self.valid_actions(i) if not s.penalty else
                               np.ones(len(ACTIONS), bool), edge_attr=self._edge_attr(edges),
                               agent_node=i, terminal=terminal)
        obs["node_mask"][:] = nodes  # robots beyond k hops are padding: isolated, zero rows
        return obs

    def _edge_attr(self, edges: np.ndarray) -> np.ndarray:
        """(m, 3) ``dx, dy, distance`` / comm_range of ``edges`` (from this step's table)."""
        return self._pairs[edges[0], edges[1]]

    def state(self) -> dict[str, np.ndarray]:
        """Every robot's own features and the clock, over this step's whole agent graph."""
        s = self.settings
        clock = np.full((len(self.cells), 1), (self.max_steps - self.steps) / self.max_steps,
                        np.float32)
        edges = edges_within(self.adjacency, np.ones(len(self.cells), bool))
        return s.state_spec.pack_graph(np.concatenate([self._own, clock], axis=1), edges,
                                       self._edge_attr(edges))

    def final_info(self, i: int) -> dict[str, Any]:
        """The team's metrics (every robot ends with the team): ``success`` (all at their
        goals), ``robots_at_goal`` (fraction), ``collisions``, ``makespan`` on success."""
        at_goal = self.cells == self.goals
        info = {"success": float(at_goal.all()), "robots_at_goal": float(at_goal.mean()),
                "collisions": float(self.collisions), "graph_nodes": int(self.world.num_cells)}
        if self.makespan is not None:
            info["makespan"] = float(self.makespan)
        return info


def _chosen(key: str, value: Any, k: int, n: int) -> np.ndarray:
    """The ``starts`` / ``goals`` option: K distinct cell ids in ``0..n-1``."""
    cells = np.asarray(value if value is not None else [], np.int64).reshape(-1)
    if len(cells) != k or len(np.unique(cells)) != k or (cells < 0).any() or (cells >= n).any():
        raise ValueError(f"options[{key!r}] must be {k} distinct cell ids in 0..{n - 1}, "
                         f"got {value!r}")
    return cells
