"""Multi-agent graph patrolling: the problem state and its numpy transition.

Shared by :class:`~envs.patrolling.env.PatrollingEnv` (one agent) and
:class:`~envs.patrolling.multi.PatrollingParallelEnv` (K agents): config parsing, the episode
state (:class:`PatrolCore`) and the observation builder live here, once.

Per step everything is numpy over whole arrays: moves index a (n, D + 1) neighbour table
built once per reset from a CSR adjacency, idleness is ``idleness += 1;
idleness[positions] = 0``, visibility is a row of a precomputed boolean "within radius"
matrix (graphs of at most :data:`HOP_MATRIX_MAX_NODES` nodes) or a radius-limited BFS from
each agent's node (``scipy.sparse.csgraph.dijkstra(unweighted=True, limit=radius)``).
There is no Python loop over nodes or edges; loops run over the K agents only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from envs._validation import (
    optional_int,
    reject_unknown,
    require_choice,
    require_float,
    require_int,
)
from envs.contract import GraphObsSpec
from envs.episode import EpisodeCore
from envs.graphs import Graph, check_max_degree
from envs.patrolling.route import ROUTE_HINTS, RouteHint, check_route_hint
from envs.settings import EnvSettings, degree_limit

#: Graphs up to this many nodes get an all-pairs "within radius" matrix at reset; larger
#: graphs run a radius-limited BFS from each agent's node every step.
HOP_MATRIX_MAX_NODES = 2000

#: Columns of each agent's ``x``; a ``route_hint`` appends :data:`ROUTE_FEATURE`.
NODE_FEATURES = ("idleness", "is_self", "others_here", "in_view", "pos_x", "pos_y",
                 "lower_ids_here")
ROUTE_FEATURE = "route_next"
#: Columns of the global ``state``'s ``x``. ``steps_left`` (the same on every node) lets a
#: critic see the time limit coming: the team's return shrinks towards the end of an episode.
STATE_FEATURES = ("idleness", "agents_here", "pos_x", "pos_y", "steps_left")

DEFAULT_GRAPHS: dict[str, Any] = {
    "generator": "grid", "sizes": [25], "params": {"removed": 0.1}, "weights": "unit"}

#: Values of the ``reward`` key: one team reward for all, or each agent's collected idleness.
REWARDS = ("team", "collected")

#: The step limit when ``max_steps`` is not set.
DEFAULT_MAX_STEPS = 100


# ---------------------------------------------------------------------------- config
@dataclass(frozen=True, kw_only=True)
class PatrolSettings(EnvSettings):
    """A validated patrolling config: the shared settings plus the env's own keys (see the
    env classes' docstrings). The default step limit is :data:`DEFAULT_MAX_STEPS`."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = DEFAULT_GRAPHS
    KEYS: ClassVar[tuple[str, ...]] = ("max_degree", "observation_radius", "reward",
                                       "route_hint")
    TEAM_KEYS: ClassVar[tuple[str, ...]] = ("attrition", "attrition_schedule")
    DEFAULT_TEAM_SIZE: ClassVar[int] = 3

    max_degree: int
    observation_radius: int | None
    reward: str
    route_hint: str
    attrition_prob: float
    min_agents: int
    attrition_schedule: dict[int, tuple[int, ...]]

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        n, e, k = common["max_nodes"], common["max_edges"], common["num_agents"]
        max_degree = degree_limit(merged, common["source"])
        prob, floor = _attrition(merged.get("attrition"), k)
        slots = max_degree + 1
        radius = optional_int("observation_radius", merged.get("observation_radius"), minimum=0)
        hint = require_choice("route_hint", merged.get("route_hint", "none"), tuple(ROUTE_HINTS))
        check_route_hint(hint, radius)
        features = len(NODE_FEATURES) + (hint != "none")
        return dict(
            max_degree=max_degree, observation_radius=radius,
            reward=require_choice("reward", merged.get("reward", "team"), REWARDS),
            route_hint=hint, attrition_prob=prob, min_agents=floor,
            attrition_schedule=_attrition_schedule(merged.get("attrition_schedule"), k),
            view_spec=GraphObsSpec(n, e, features, slots, max_degree=slots, agent_node=True),
            state_spec=GraphObsSpec(n, e, len(STATE_FEATURES), 1))

    def default_step_limit(self, graph: Graph) -> int:
        return DEFAULT_MAX_STEPS


def _attrition(attrition: Any, k: int) -> tuple[float, int]:
    """``(prob, min_agents)`` of the ``attrition`` key (None: no random attrition)."""
    if attrition is None:
        return 0.0, 0
    if not isinstance(attrition, Mapping):
        raise ValueError(f"attrition must be a dict {{prob, min_agents}}, got {attrition!r}")
    reject_unknown("attrition", attrition, ("prob", "min_agents"))
    prob = require_float("attrition.prob", attrition.get("prob", 0.0), minimum=0.0, maximum=1.0)
    floor = require_int("attrition.min_agents", attrition.get("min_agents", 1), minimum=0)
    if floor > k:
        raise ValueError(f"attrition.min_agents must be <= num_agents={k}, got {floor}")
    return prob, floor


def _attrition_schedule(raw: Any, k: int) -> dict[int, tuple[int, ...]]:
    """The ``attrition_schedule`` key: step -> the ids of the agents that leave then."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"attrition_schedule must be a dict {{step: [agent ids]}}, got {raw!r}")
    schedule: dict[int, tuple[int, ...]] = {}
    for step, ids in raw.items():
        step = require_int("attrition_schedule step", step, minimum=1)
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
            raise ValueError(f"attrition_schedule[{step}] must be a list of agent ids, "
                             f"got {ids!r}")
        for i in ids:
            require_int(f"attrition_schedule[{step}][]", i, minimum=0)
            if i >= k:
                raise ValueError(f"attrition_schedule[{step}] names agent {i}, but "
                                 f"num_agents={k} (ids 0..{k - 1})")
        schedule[step] = tuple(int(i) for i in ids)
    return schedule


# ---------------------------------------------------------------------------- state
class PatrolCore(EpisodeCore):
    """One patrolling episode: graph arrays, agent positions, idleness, views and metrics.

    Attributes (read by the baselines; treat as read-only), besides the base class's:
        n: the graph's node count.
        neighbours: (n, D + 1) int64; row v is ``[v, sorted neighbours of v..., v, v]``.
        num_slots: (n,) int64, ``degree + 1``: the valid action slots at each node.
        positions: (K,) int64 node of each agent (frozen where it left, for removed agents).
        alive: (K,) bool, agents not removed by attrition.
        idleness: (n,) int64 true idleness.
    """

    settings: PatrolSettings

    @property
    def t(self) -> int:
        """The clock: steps taken (``steps``)."""
        return self.steps

    # ------------------------------------------------------------------ reset
    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        """Start an episode: agents on distinct nodes drawn from ``rng``, or on
        ``options["start_nodes"]`` (the user's node ids when the graph has ``node_ids``)."""
        cfg = self.settings
        graph = self.draw_graph(rng)
        n, k = graph.num_nodes, cfg.num_agents
        self.n, self.rng = n, rng
        self.edge_index = graph.edge_index.astype(np.int64)
        src, dst = self.edge_index
        order = np.lexsort((dst, src))  # CSR rows sorted by neighbour id
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        indices = dst[order]
        self.csr = csr_matrix((np.ones(len(indices), np.float64), indices, indptr), shape=(n, n))
        deg = np.diff(indptr)
        self.num_slots = deg + 1
        table = np.repeat(np.arange(n, dtype=np.int64)[:, None], cfg.max_degree + 1, axis=1)
        rows = np.repeat(np.arange(n), deg)
        table[rows, np.arange(len(indices)) - indptr[rows] + 1] = indices
        self.neighbours = table

        if graph.positions is not None and n:
            pos = graph.positions.astype(np.float64)
            pos = pos - pos.min(axis=0)
            scale = pos.max()
            self.pos_feat = (pos / scale if scale > 0 else pos).astype(np.float32)
        else:
            self.pos_feat = np.zeros((n, 2), np.float32)

        start_nodes = options.get("start_nodes")
        if start_nodes is None:
            self.positions = rng.choice(n, size=k, replace=False).astype(np.int64)
        else:
            self.positions = self._check_start(graph, start_nodes)
        self.alive = np.ones(k, bool)
        self.idleness = np.zeros(n, np.int64)
        self.steps = 0  # the clock of the observation below (reset() sets it too)
        self.idleness_sum = 0.0  # sum over steps of the mean idleness
        self.worst = 0
        join = ROUTE_HINTS[cfg.route_hint]
        self.route = RouteHint(join) if join else None
        self._hinted: tuple[int, np.ndarray] | None = None  # (step count, hinted nodes)
        radius = cfg.observation_radius
        if radius is not None:
            # (K, n) the step of the latest visit each agent knows of. Every node counts as
            # visited at step 0, which is then the truth.
            self.known_visit = np.zeros((k, n), np.int64)
            self.view = np.zeros((k, n), bool)
            self.near = (np.isfinite(dijkstra(self.csr, directed=False, unweighted=True,
                                              limit=radius))
                         if n <= HOP_MATRIX_MAX_NODES else None)
            self._look(np.arange(k))
        return graph

    def check_graph(self, graph: Graph) -> None:
        check_max_degree(graph, self.settings.max_degree)
        super().check_graph(graph)

    def _check_start(self, graph: Graph, start_nodes: Any) -> np.ndarray:
        """``options["start_nodes"]``: K distinct nodes, in the graph's ``node_ids`` when it
        has them (a list of ids), else indices."""
        k, n = self.settings.num_agents, self.n
        if graph.node_ids is not None:
            listed = start_nodes if isinstance(start_nodes, (list, tuple, np.ndarray)) else [
                start_nodes]
            start_nodes = [graph.index_of(v, f"options['start_nodes'][{i}]")
                           for i, v in enumerate(listed)]
        nodes = np.atleast_1d(np.asarray(start_nodes))
        if (nodes.shape != (k,) or not np.issubdtype(nodes.dtype, np.integer)
                or nodes.min() < 0 or nodes.max() >= n or len(np.unique(nodes)) != k):
            raise ValueError(f"options['start_nodes'] must be {k} distinct node ids in "
                             f"[0, {n - 1}], got {start_nodes!r}")
        return nodes.astype(np.int64)

    # ------------------------------------------------------------------ step
    def invalid_reason(self, agent: int, slot: int) -> str | None:
        """Why ``slot`` is not a real move (stay or an existing neighbour) for ``agent``."""
        v = int(self.positions[agent])
        if slot < self.num_slots[v]:
            return None
        deg = int(self.num_slots[v]) - 1
        return (f"the agent stands on node {v}, which has {deg} neighbour(s), so the valid "
                f"actions are 0 (stay) .. {deg}")

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the live agents with a valid slot (the others stay), then attrition.

        Returns ``(rewards, removed)``: each agent's reward under ``settings.reward`` (see
        :meth:`_collected`) and the agents that left the team this step (terminated).
        """
        slots = np.asarray(actions, np.int64)
        here = self.positions
        move = self.alive & valid
        self.positions = here.copy()
        self.positions[move] = self.neighbours[here[move], slots[move]]
        self.idleness += 1
        collected = self._collected() if self.settings.reward == "collected" else None
        self.idleness[self.positions[self.alive]] = 0
        mean = float(self.idleness.mean())
        self.idleness_sum += mean
        self.worst = max(self.worst, int(self.idleness.max()))
        rewards = (collected if collected is not None
                   else np.full(self.settings.num_agents, -mean / self.n))
        removed = self._attrition()
        looking = self.alive.copy()  # removed agents take a last look for their final obs
        self.alive &= ~removed
        if self.settings.observation_radius is not None:
            self._look(np.flatnonzero(looking))
        return rewards, removed

    def _collected(self) -> np.ndarray:
        """(K,) the idleness each live agent collects by standing where it now stands, / n.

        Called between ``idleness += 1`` and the reset of the visited nodes: a node's
        idleness then is what it would have had unvisited, and the agents on it share it
        equally. The sum over agents, C_t, is what the visits take off the total idleness:
        ``sum(idleness_{t+1}) = sum(idleness_t) + n - C_t``, so with S_0 = 0 the team
        return is ``sum_t -mean(idleness_{t+1}) / n = -T(T+1)/(2n) + sum_t (T-t) C_t / n^2``
        over an episode of T steps: collected idleness, weighted by the steps left, is the
        team objective split among the agents.
        """
        where = self.positions[self.alive]
        share = np.bincount(where, minlength=self.n)
        rewards = np.zeros(self.settings.num_agents, np.float64)
        rewards[self.alive] = self.idleness[where] / share[where] / self.n
        return rewards

    def _attrition(self) -> np.ndarray:
        cfg, k = self.settings, self.settings.num_agents
        removed = np.zeros(k, bool)
        scheduled = cfg.attrition_schedule.get(self.t)
        if scheduled:
            removed[list(scheduled)] = True
            removed &= self.alive
        if cfg.attrition_prob > 0:
            draws = self.rng.random(k)
            candidates = self.alive & ~removed & (draws < cfg.attrition_prob)
            room = max(int(self.alive.sum() - removed.sum()) - cfg.min_agents, 0)
            idx = np.flatnonzero(candidates)
            idx = idx[np.argsort(draws[idx], kind="stable")][:room]  # lowest draws leave
            removed[idx] = True
        return removed

    def _look(self, agents: np.ndarray) -> None:
        """Refresh ``view`` and the known last visits of ``agents`` (partial observability)."""
        if not len(agents):
            return
        where = self.positions[agents]
        if self.near is not None:
            view = self.near[where]
        else:
            view = np.isfinite(dijkstra(self.csr, directed=False, unweighted=True,
                                        indices=where, limit=self.settings.observation_radius))
        self.view[agents] = view
        self.known_visit[agents] = np.where(view, self.t - self.idleness,
                                            self.known_visit[agents])

    # ------------------------------------------------------------------ observe
    def seen_idleness(self, agent: int) -> np.ndarray:
        """(n,) idleness as ``agent`` knows it: true within its radius; elsewhere the steps
        since the latest visit it saw (the idleness it last saw plus the steps since), an
        upper bound that is exact unless another agent has been there since."""
        if self.settings.observation_radius is None:
            return self.idleness
        return self.t - self.known_visit[agent]

    def in_view(self, agent: int) -> np.ndarray:
        """(n,) bool: nodes ``agent`` currently sees."""
        if self.settings.observation_radius is None:
            return np.ones(self.n, bool)
        return self.view[agent]

    def node_features(self, agent: int) -> np.ndarray:
        """(n, 7) ``x`` of ``agent``, columns :data:`NODE_FEATURES` (and
        :data:`ROUTE_FEATURE`, the 8th, with a route hint: :mod:`.route`).

        ``lower_ids_here`` counts the teammates in view whose index is below ``agent``'s: a
        fixed priority that lets identical agents in identical views act differently (the
        greedy baseline's claim order), whatever the team's size.
        """
        n = self.n
        view = self.in_view(agent)
        others = self.alive.copy()
        others[agent] = False
        x = np.zeros((n, self.settings.view_spec.node_features), np.float32)
        x[:, 0] = self.seen_idleness(agent) / n
        x[self.positions[agent], 1] = 1.0
        x[:, 2] = np.bincount(self.positions[others], minlength=n) * view
        x[:, 3] = view
        x[:, 4:6] = self.pos_feat
        x[:, 6] = self.lower_ids_here(agent)
        if self.route is not None:
            x[self.hinted_nodes()[agent], 7] = 1.0
        return x

    def hinted_nodes(self) -> np.ndarray:
        """(K,) the route hint's node of every agent this step (computed once a step)."""
        if self._hinted is None or self._hinted[0] != self.t:
            self._hinted = self.t, self.route.next_nodes(
                self.csr, self.positions, self.alive, self.t, self.neighbours)
        return self._hinted[1]

    def lower_ids_here(self, agent: int) -> np.ndarray:
        """(n,) live teammates with an index below ``agent``'s on each node in its view (0
        elsewhere): the observation's ``lower_ids_here`` column."""
        below = self.positions[:agent][self.alive[:agent]]
        return np.bincount(below, minlength=self.n) * self.in_view(agent)

    def state_features(self) -> np.ndarray:
        """(n, 5) global ``x``, columns :data:`STATE_FEATURES` (true values, all agents)."""
        x = np.zeros((self.n, len(STATE_FEATURES)), np.float32)
        x[:, 0] = self.idleness / self.n
        x[:, 1] = np.bincount(self.positions[self.alive], minlength=self.n)
        x[:, 2:4] = self.pos_feat
        x[:, 4] = (self.max_steps - self.t) / self.max_steps
        return x

    def state(self) -> dict[str, np.ndarray]:
        """The packed global graph (the ``state`` key)."""
        return self.settings.state_spec.pack_graph(self.state_features(), self.edge_index)

    def action_mask(self, agent: int) -> np.ndarray:
        """(D + 1,) valid slots at the agent's node; every slot in penalty mode."""
        mask = np.zeros(self.settings.max_degree + 1, np.int8)
        if self.settings.invalid_action == "penalty":
            mask[:] = 1
        else:
            mask[: self.num_slots[self.positions[agent]]] = 1
        return mask

    def observe(self, agent: int, terminal: bool) -> dict[str, np.ndarray]:
        """One agent's own keys (fresh arrays)."""
        v = int(self.positions[agent])
        return self.settings.view_spec.pack(
            self.node_features(agent), self.edge_index, self.action_mask(agent),
            agent_node=v, neighbours=self.neighbours[v, : self.num_slots[v]], terminal=terminal)

    def final_info(self, agent: int) -> dict[str, float | int]:
        """The episode metrics so far (the ``info`` at an agent's episode end)."""
        return {"avg_idleness": self.idleness_sum / max(self.t, 1),
                "worst_idleness": float(self.worst),
                "graph_nodes": int(self.n),
                "agents_alive": int(self.alive.sum())}
