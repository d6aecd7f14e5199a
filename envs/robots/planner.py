"""Prioritised planning: space-time A* for each robot in priority order (Silver 2005).

Centrally planned with full knowledge of the map, every start and every goal, before the
episode starts: robot 0 plans its shortest path; each next robot plans the fastest path that
avoids the cells and moves the earlier robots reserved. The reservation table holds

* ``(cell, t)``: a robot stands there at step t (vertex conflicts);
* ``(from, to, t)``: a robot moves from -> to arriving at step t (a later robot may not move
  to -> from at the same step: no swaps);
* a robot that has arrived stays on its goal for good, so later robots avoid its goal from
  its arrival on, and a robot may only finish on its goal once no earlier robot passes
  through that cell later.

These are exactly the env's collision rule (:mod:`envs.robots.moves`), so a complete plan
plays without a blocked move. Prioritised planning is incomplete: a robot may find no path
within the horizon (its start boxed in by earlier robots' goals, say); it then waits where it
is and the episode is likely to fail. A* runs over (cell, t) states with the true
shortest-path distance to the goal as its heuristic (consistent), so each robot's path is the
fastest one given the reservations.
"""

from __future__ import annotations

import heapq

import numpy as np


class Reservations:
    """The reservation table of the robots planned so far."""

    def __init__(self) -> None:
        self.vertex: set[tuple[int, int]] = set()
        self.edge: set[tuple[int, int, int]] = set()
        self.parked: dict[int, int] = {}  # goal cell -> step from which a robot stays there
        self.last_use: dict[int, int] = {}  # cell -> latest step a robot stands there

    def free(self, cell: int, nxt: int, t: int) -> bool:
        """Whether a robot at ``cell`` at step t may be at ``nxt`` at step t + 1."""
        if (nxt, t + 1) in self.vertex or (nxt, cell, t + 1) in self.edge:
            return False
        return nxt not in self.parked or t + 1 < self.parked[nxt]

    def add(self, path: list[int]) -> None:
        """Reserve ``path`` (the cells at steps 0, 1, ...; its robot then stays at the end)."""
        for t, cell in enumerate(path):
            self.vertex.add((cell, t))
            self.last_use[cell] = max(self.last_use.get(cell, -1), t)
            if t:
                self.edge.add((path[t - 1], cell, t))
        self.parked[path[-1]] = min(self.parked.get(path[-1], len(path) - 1), len(path) - 1)


def space_time_astar(compass: np.ndarray, to_goal: np.ndarray, start: int, goal: int,
                     horizon: int, reserved: Reservations) -> list[int] | None:
    """The fastest path (cells at steps 0..T) from ``start`` to ``goal`` avoiding
    ``reserved``, ending on the goal for good, with T <= ``horizon``; None if there is none.

    ``compass`` (n, 5) move targets (-1: none); ``to_goal`` (n,) steps to ``goal``."""
    if (start, 0) in reserved.vertex:
        return None
    frontier = [(int(to_goal[start]), 0, start)]
    parent: dict[tuple[int, int], tuple[int, int] | None] = {(start, 0): None}
    while frontier:  # a search over (cell, step) states: a planner, not an env's step
        _, t, cell = heapq.heappop(frontier)
        if cell == goal and reserved.last_use.get(goal, -1) < t:
            path = [cell]
            node = parent[(cell, t)]
            while node is not None:
                path.append(node[0])
                node = parent[node]
            return path[::-1]
        if t >= horizon:
            continue
        for nxt in compass[cell].tolist():
            if nxt < 0 or (nxt, t + 1) in parent or not reserved.free(cell, nxt, t):
                continue
            parent[(nxt, t + 1)] = (cell, t)
            heapq.heappush(frontier, (t + 1 + int(to_goal[nxt]), t + 1, nxt))
    return None


def prioritised_paths(compass: np.ndarray, to_goal: np.ndarray, starts: np.ndarray,
                      goals: np.ndarray, horizon: int) -> tuple[list[list[int]], np.ndarray]:
    """``(paths, planned)``: each robot's cells at steps 0, 1, .. (robots in index order) and
    (K,) bool of the robots that found a path; one that did not waits at its start (and is
    reserved there for the whole horizon)."""
    reserved = Reservations()
    paths, planned = [], np.zeros(len(starts), bool)
    for i, (start, goal) in enumerate(zip(starts.tolist(), goals.tolist())):  # K robots
        path = space_time_astar(compass, to_goal[i], start, goal, horizon, reserved)
        planned[i] = path is not None
        if path is None:
            path = [start] * (horizon + 1)
        reserved.add(path)
        paths.append(path)
    return paths, planned
