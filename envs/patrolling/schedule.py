"""Agents on closed walks: which walk each agent patrols, from which slot, and the way there.

A :class:`Schedule` puts each live agent on a closed walk ``w`` of period ``L``
(:mod:`.tours`) with a *phase* ``p``: from its join time on, it stands on
``w[(p + t) mod L]`` after step ``t``, one walk move a step. Before that it follows its
*route*: a shortest path to the walk node where it meets that moving slot, then it waits
there if it is early.

**Meeting a slot.** An agent on node ``a`` meets relative phase ``f`` (the slot that stands
on ``w[f]`` now) at the first ``s >= 0`` with ``hops(a, w[(f + s) mod L]) <= s``.
Consecutive walk nodes are neighbours, so ``g(q) = q - hops(a, w[q mod L])`` never
decreases, and the first meeting of every phase at once is ``searchsorted(g, f) - f``
(:func:`arrival_table`).

**Spreading c agents on one walk** (:func:`spread`): the slots sit at offsets
``floor(j L / c)``, ``j < c``, evenly spaced (agents share a slot when ``c > L``). Every base
phase and both directions of the walk are tried; for each, the agents take the slots by a
min-cost assignment (``scipy.optimize.linear_sum_assignment``) of their meeting times, and
the schedule whose last agent meets its slot first (ties: the smaller sum of meeting times)
wins: from then on the agents are evenly spaced. The alternatives: ``join="by_id"``, the
agent of rank j among the c live ones takes slot j of base phase 0 (step count 0) in the
walk's own direction, which needs no teammate's position; ``join="nearest"``, each agent
walks round from its own node, unevenly spaced (``benchmarks/patrol_baselines.py``
measures it: 43-65% more average idleness than ``assign`` on grids with walls).

**Strategies** (:func:`plan`): the agents of each connected component (the env's grids have
one) patrol that component: ``cyclic`` spreads them all on one walk of the component;
``partition`` splits it into ``min(c, n_c)`` balanced connected regions
(:mod:`.regions`), gives each region an agent by a min-cost assignment of hop distances to
the region (rounds of it when agents outnumber regions), and spreads each region's agents
on that region's walk. Planning again for the agents still live (after attrition) spreads
the survivors on the same walk (``cyclic``) or splits the graph again for them
(``partition``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from envs._validation import require_choice
from envs.patrolling.regions import balanced_regions
from envs.patrolling.tours import closed_walk

#: :func:`plan`'s strategies and :func:`spread`'s ways of joining a walk.
STRATEGIES = ("cyclic", "partition")
JOINS = ("assign", "nearest", "by_id")


@dataclass
class Schedule:
    """Where each agent stands after every step from ``start`` on (see the module doc).

    Attributes:
        start: the step count when it was planned.
        live: the agents it plans for.
        walk: agent -> its closed walk (in the direction it walks it).
        phase: agent -> ``p``: on its walk it stands on ``walk[(p + t) mod L]`` after step t.
        join: agent -> the step count from which it is on its walk.
        route: agent -> the nodes it stands on after steps ``start + 1 .. join``.
    """

    start: int
    live: tuple[int, ...]
    walk: dict[int, np.ndarray] = field(default_factory=dict)
    phase: dict[int, int] = field(default_factory=dict)
    join: dict[int, int] = field(default_factory=dict)
    route: dict[int, np.ndarray] = field(default_factory=dict)

    def next_node(self, agent: int, t: int) -> int:
        """The node ``agent`` should stand on after step ``t + 1`` (now is step count t)."""
        if t + 1 <= self.join[agent]:
            return int(self.route[agent][t - self.start])
        walk = self.walk[agent]
        return int(walk[(self.phase[agent] + t + 1) % len(walk)])


def arrival_table(walk: np.ndarray, hops: np.ndarray) -> np.ndarray:
    """(c, L) steps until each agent (rows of ``hops``, (c, n) hop distances from its node)
    can stand on the slot of each relative phase of ``walk``."""
    period = len(walk)
    q = np.arange(2 * period)
    g = q[None, :] - hops[:, walk[q % period]]
    f = np.arange(period)
    return np.stack([np.searchsorted(row, f) for row in g]) - f


def spread(walk: np.ndarray, hops: np.ndarray, t0: int, join: str = "assign",
           ranks: np.ndarray | None = None, slots: int | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put the c agents whose hop rows are ``hops`` ((c, n)) on ``walk`` at step count t0.

    Returns ``(walk, phases, meetings)``: the walk in the direction chosen, each agent's
    relative phase and the steps until it meets its slot. ``join="by_id"`` gives the agent
    of rank ``ranks[i]`` slot ``ranks[i]`` of ``slots`` (by default ranks ``0..c-1`` of c).
    """
    c, period = len(hops), len(walk)
    if join == "nearest":
        arrivals = arrival_table(walk, hops)
        phases = np.argmin(arrivals, axis=1)
        return walk, phases, arrivals[np.arange(c), phases]
    if join == "by_id":
        ranks = np.arange(c) if ranks is None else np.asarray(ranks, np.int64)
        phases = (ranks * period // (slots or c) + t0) % period
        return walk, phases, arrival_table(walk, hops)[np.arange(c), phases]
    best = None
    offsets = np.arange(c) * period // c
    for way in (walk, walk[::-1]):
        arrivals = arrival_table(way, hops)
        for base in range(period):
            cost = arrivals[:, (base + offsets) % period]
            rows, cols = linear_sum_assignment(cost)
            key = (cost[rows, cols].max(), cost[rows, cols].sum())
            if best is None or key < best[0]:
                best = key, way, (base + offsets[cols]) % period, cost[rows, cols]
    return best[1:]


def plan(csr: csr_matrix, positions: np.ndarray, live: tuple[int, ...], t0: int,
         strategy: str = "cyclic", join: str = "assign", cache: dict | None = None
         ) -> Schedule:
    """The schedule of the ``live`` agents (standing on ``positions[live]``) on the graph
    ``csr`` from step count ``t0``; ``cache`` keeps walks between plans of one episode."""
    require_choice("strategy", strategy, STRATEGIES)
    require_choice("join", join, JOINS)
    if join == "by_id" and strategy != "cyclic":
        raise ValueError(f"join='by_id' is a cyclic rule, got strategy={strategy!r}")
    cache = {} if cache is None else cache
    agents = np.asarray(live, np.int64)
    schedule = Schedule(t0, tuple(int(a) for a in agents))
    if not len(agents):
        return schedule
    starts = positions[agents]
    hops, pred = dijkstra(csr, directed=False, unweighted=True, indices=starts,
                          return_predecessors=True)
    component = connected_components(csr, directed=False)[1]
    for comp in np.unique(component[starts]):
        rows = np.flatnonzero(component[starts] == comp)
        nodes = np.flatnonzero(component == comp)
        k = 1 if strategy == "cyclic" else min(len(rows), len(nodes))
        walks = _walks(csr, nodes, k, cache)
        for walk, group in zip(walks, _share(walks, hops[rows])):
            way, phases, meetings = spread(walk, hops[rows[group]], t0, join,
                                           ranks=rows[group], slots=len(agents))
            for i, f, s in zip(rows[group], phases, meetings):
                _place(schedule, int(agents[i]), way, int(f), int(s), pred[i])
    return schedule


class Replanner:
    """One episode's :class:`Schedule` of the live agents: planned (:func:`plan`) at the
    first call and again whenever the live agents change; walks cached between plans."""

    def __init__(self, strategy: str = "cyclic", join: str = "assign") -> None:
        self.strategy, self.join = strategy, join
        self.schedule: Schedule | None = None
        self.cache: dict = {}

    def current(self, csr: csr_matrix, positions: np.ndarray, live: tuple[int, ...],
                t: int) -> Schedule:
        """The schedule of the ``live`` agents (sorted ids) at step count ``t``."""
        if self.schedule is None or self.schedule.live != live:
            self.schedule = plan(csr, positions, live, t, self.strategy, self.join, self.cache)
        return self.schedule


def _walks(csr: csr_matrix, nodes: np.ndarray, k: int, cache: dict) -> list[np.ndarray]:
    """The closed walks of the k regions of the connected set ``nodes`` (cached)."""
    key = (int(nodes[0]), len(nodes), k)
    if key not in cache:
        regions = [nodes] if k == 1 else balanced_regions(csr, nodes, k)
        cache[key] = [closed_walk(csr, region) for region in regions]
    return cache[key]


def _share(walks: list[np.ndarray], hops: np.ndarray) -> list[np.ndarray]:
    """The agents (rows of ``hops``) of each walk: rounds of a min-cost assignment of hop
    distances to the walks, at most one agent per walk a round, until every agent has one
    (so every walk gets one when the agents are at least as many)."""
    cost = np.stack([hops[:, walk].min(axis=1) for walk in walks], axis=1)
    groups: list[list[int]] = [[] for _ in walks]
    left = np.arange(len(hops))
    while len(left):
        rows, cols = linear_sum_assignment(cost[left])
        for r, col in zip(rows, cols):
            groups[col].append(int(left[r]))
        left = np.delete(left, rows)
    return [np.array(sorted(g), np.int64) for g in groups]


def _place(schedule: Schedule, agent: int, walk: np.ndarray, phase: int, meeting: int,
           pred: np.ndarray) -> None:
    """Put ``agent`` on ``walk`` at relative ``phase``, met after ``meeting`` steps by a
    shortest path (``pred``: predecessors from its node), waiting at the end if early."""
    period = len(walk)
    target = int(walk[(phase + meeting) % period])
    path = [target]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    path = path[::-1][1:]  # the moves after its own node
    route = np.array(path + [target] * (meeting - len(path)), np.int64)
    schedule.walk[agent] = walk
    schedule.phase[agent] = (phase - schedule.start) % period
    schedule.join[agent] = schedule.start + meeting
    schedule.route[agent] = route
