"""Prioritised planning for team navigation with exclusive nodes.

Prioritised planning (Erdmann & Lozano-Pérez 1987; Silver 2005's cooperative A*) is the
standard fast planner for multi-agent path finding: the agents plan one after another, each
a shortest path in *space-time* that avoids the nodes the agents planned before it reserve.
They plan in index order first; when one finds no path, again with the failed agents first
(:func:`plan_team`). The reservations follow the env's collision rule exactly (:class:`~envs.navigation.multi.NavigationParallelEnv`): a
move onto a node that an active agent stood on at the start of the step, or that a
lower-index agent entered this step, is blocked, and an agent leaves the graph at its goal.
So for agent j, with ``occ[t]`` the nodes the agents planned before it stand on at time t
(each until its arrival, inclusive) and ``active[t]`` those of them still walking then
(before their arrival):

* j may stand on v at time t only if v is in neither ``occ[t]`` nor ``occ[t + 1]`` (an
  agent entering v during step t needs it empty at time t);
* j may enter v during step t only if v is not in ``active[t]``, nor, at step 0, the start
  of an agent not planned yet (it stands there then).

Every planned path is therefore executed as planned. The search minimises path length (the
env's metric), then arrival time, over time layers ``t = 0 .. horizon``: one vectorised
relaxation over all edges per layer (no loop over nodes or edges). An agent waits with
compass mode's ``stay``; in neighbours mode, which has no stay, it waits only as the env
lets it: by moving towards a neighbour that is taken this step (the move is blocked). Like
any prioritised planner it is incomplete: an agent without a path within the horizon (an
earlier agent's reservations can wall it in) walks its plain shortest path, unreserved, and
so does an agent whose plan broke.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.navigation.baselines import ShortestPathPolicy
from envs.navigation.graph import COMPASS
from envs.rollout import play_parallel


def space_time_path(src: np.ndarray, dst: np.ndarray, length: np.ndarray, start: int,
                    goal: int, occ: np.ndarray, active: np.ndarray, lower: np.ndarray,
                    start_block: np.ndarray, stay: bool) -> np.ndarray | None:
    """The nodes at times ``0..arrival`` of a shortest path from ``start`` to ``goal`` that
    respects the reservations ``occ`` and ``active`` ((horizon + 2, n) bool), or None.

    ``src, dst, length`` are the directed edges; ``start_block`` (n,) bool are the nodes
    that may not be entered during step 0. ``stay``: waiting is an action; otherwise an
    agent waits on v during step t only when a neighbour of v is taken then: stood on at
    time t, or entered during step t by a lower-index agent (``lower``: their stands).
    """
    horizon, n = len(occ) - 2, occ.shape[1]
    stand_ok = ~occ[:-1] & ~occ[1:]  # (horizon + 1, n)
    if not stand_ok[0, start]:
        return None
    dist = np.full(n, np.inf)
    dist[start] = 0.0
    parents = []
    best, arrival = np.inf, -1
    for t in range(horizon):
        walking = dist.copy()
        walking[goal] = np.inf  # the goal ends the walk
        if not np.isfinite(walking).any() or walking.min() >= best:
            break
        blocked = active[t] | (start_block if t == 0 else False)
        enter_ok = stand_ok[t + 1] & ~blocked
        cand = walking[src] + length
        cand[~enter_ok[dst]] = np.inf
        new = np.full(n, np.inf)
        np.minimum.at(new, dst, cand)
        parent = np.full(n, -1, np.int64)
        can_wait = stand_ok[t + 1]
        if not stay:  # a blocked move: a neighbour stood on now or entered this step
            taken = blocked | lower[t + 1]
            can_wait = can_wait & (np.bincount(src, taken[dst], minlength=n) > 0)
        waited = np.where(can_wait, walking, np.inf)
        waits = np.isfinite(waited) & (waited <= new)
        parent[waits] = np.flatnonzero(waits)
        new = np.minimum(new, waited)
        hit = np.isfinite(cand) & (cand == new[dst]) & (parent[dst] < 0)
        first = np.unique(dst[hit], return_index=True)
        parent[first[0]] = src[hit][first[1]]
        parents.append(parent)
        dist = new
        if dist[goal] < best:
            best, arrival = dist[goal], t + 1
    if arrival < 0:
        return None
    path = [goal]
    for t in range(arrival - 1, -1, -1):
        path.append(int(parents[t][path[-1]]))
    return np.array(path[::-1], np.int64)


def plan_order(core, order: np.ndarray) -> list[np.ndarray | None]:
    """Each agent's planned nodes at times 0..arrival (None: no path within the episode's
    steps left), the walking agents planned in ``order`` from the core's current nodes."""
    nav, k = core.nav, core.settings.num_agents
    n = nav.num_nodes
    src = np.repeat(np.arange(n), np.diff(nav.indptr))
    horizon = core.max_steps - core.steps
    occ = np.zeros((k, horizon + 2, n), bool)  # each planned agent's stands
    active = np.zeros_like(occ)  # ... before its arrival
    stay = core.settings.actions == "compass"
    paths: list[np.ndarray | None] = [None] * k
    for rank, i in enumerate(order):
        start_block = np.zeros(n, bool)
        start_block[core.nodes[order[rank + 1:]]] = True
        path = space_time_path(src, nav.indices, nav.lengths, int(core.nodes[i]),
                               int(core.goals[i]), occ.any(axis=0), active.any(axis=0),
                               occ[:i].any(axis=0), start_block, stay)
        if path is not None:
            occ[i, np.arange(len(path)), path] = True
            active[i, np.arange(len(path) - 1), path[:-1]] = True
        paths[i] = path
    return paths


def walked(nav, path: np.ndarray) -> float:
    """The length a path of nodes walks (waits cost nothing)."""
    moves = path[:-1] != path[1:]
    return float(np.asarray(nav.matrix[path[:-1][moves], path[1:][moves]]).sum())


def plan_team(core) -> list[np.ndarray | None]:
    """:func:`plan_order` in index order; while some agent finds no path, again with the
    agents that failed planned first (at most K orders), keeping the order that planned the
    most agents, then the shortest total length."""
    order = np.flatnonzero(core.active)
    best, best_key = None, None
    for _ in range(max(len(order), 1)):
        paths = plan_order(core, order)
        failed = np.array([paths[i] is None for i in order])
        length = sum(walked(core.nav, p) for p in paths if p is not None)
        key = (failed.sum(), length)
        if best_key is None or key < best_key:
            best, best_key = paths, key
        if not failed.any():
            break
        order = np.concatenate([order[failed], order[~failed]])
    return best


class PrioritisedPlanner:
    """``choose(env, obs)`` that plays :func:`plan_team`'s paths (planned once per episode);
    agents without a plan walk their shortest path."""

    def __init__(self) -> None:
        self._nav = None
        self.paths: list[np.ndarray | None] = []
        self.fallback = ShortestPathPolicy()

    def action(self, core, i: int) -> int:
        """Agent ``i``'s next action."""
        path, t, here = self.paths[i], core.steps, int(core.nodes[i])
        if path is None or t + 1 >= len(path) or path[t] != here:
            return self.fallback.action(core, i)
        node = int(path[t + 1])
        if node != here:
            return core.action_to(i, node)
        if core.settings.actions == "compass":
            return COMPASS.index("stay")
        return core.action_to(i, self._taken_neighbour(core, i))

    def _taken_neighbour(self, core, i: int) -> int:
        """A neighbour of agent ``i``'s node that the env blocks this step (the plan has one):
        an active agent stands on it, or a lower-index agent enters it."""
        taken = set(core.nodes[core.active].tolist())
        taken.update(int(p[core.steps + 1]) for p in self.paths[:i]
                     if p is not None and core.steps + 1 < len(p))
        return next(int(u) for u in core.nav.neighbours(int(core.nodes[i])) if u in taken)

    def __call__(self, env, obs: dict) -> dict:
        core = env.unwrapped.core
        if self._nav is not core.nav:
            self.paths, self._nav = plan_team(core), core.nav
        agents = env.unwrapped.possible_agents
        return {agent: self.action(core, agents.index(agent)) for agent in env.agents}


def play_prioritised(env, seed: int | None = None) -> dict[str, Any]:
    """One episode of the parallel env under prioritised planning; the team's final info."""
    return play_parallel(env, PrioritisedPlanner(), seed=seed)
