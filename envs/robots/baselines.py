"""Robots baselines, played through the env: independent shortest paths with a waiting rule,
and prioritised planning (space-time A*, :mod:`envs.robots.planner`).

Both know the whole map and every robot's goal distances; neither communicates over the
agent graph. The independent one decides each step from what every robot can see next to it;
the prioritised one is planned centrally, with full knowledge, before the episode starts.
The players return the env's final info plus ``return`` and ``length``
(:func:`envs.rollout.play_parallel`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.robots.planner import prioritised_paths
from envs.rollout import play_parallel

IDLE = 4


def _actions(env, chosen: np.ndarray) -> dict[str, int]:
    """The dict of the live agents' actions from (K,) action ids."""
    index = env.unwrapped.possible_agents
    return {agent: int(chosen[index.index(agent)]) for agent in env.agents}


class IndependentPolicy:
    """``choose(env, obs)``: every robot steps to its neighbour cell closest to its goal
    (ties: the first in action order), or idles on its goal. Waiting rule: a robot whose
    next cell is occupied now, or claimed this step by a lower-index robot, waits."""

    def __call__(self, env, obs: dict) -> dict[str, int]:
        core = env.unwrapped.core
        cells, k = core.cells, len(core.cells)
        moves = core.world.compass[cells, :4]
        dist = np.where(moves >= 0, core.to_goal[np.arange(k)[:, None], np.maximum(moves, 0)],
                        np.inf)
        best = dist.argmin(axis=1)
        closer = dist[np.arange(k), best] < core.to_goal[np.arange(k), cells]
        target = np.where(closer, moves[np.arange(k), best], cells)
        occupied = np.zeros(core.world.num_cells, bool)
        occupied[cells] = True
        first = np.full(core.world.num_cells, k, np.int64)
        np.minimum.at(first, target[closer], np.flatnonzero(closer))
        wait = occupied[target] | (first[target] != np.arange(k))
        return _actions(env, np.where(closer & ~wait, best, IDLE))


class PrioritisedPolicy:
    """``choose(env, obs)`` following the prioritised plan made at the episode's first step
    (robots in index order, horizon = the episode's step limit)."""

    def __init__(self) -> None:
        self._paths: list[list[int]] | None = None
        self._world = None

    def __call__(self, env, obs: dict) -> dict[str, int]:
        core = env.unwrapped.core
        if self._world is not core.world or core.steps == 0:
            self._paths, _ = prioritised_paths(core.world.compass, core.to_goal, core.starts,
                                               core.goals, core.max_steps)
            self._world = core.world
        nxt = np.array([path[min(core.steps + 1, len(path) - 1)] for path in self._paths])
        hit = core.world.compass[core.cells] == nxt[:, None]  # (K, 5): the move that gets there
        return _actions(env, np.where(hit.any(axis=1), hit.argmax(axis=1), IDLE))


def play_independent(env, seed: int | None = None) -> dict[str, Any]:
    """One episode, every robot on its own shortest path with the waiting rule (robots can
    deadlock, e.g. two facing each other in a corridor, until truncation)."""
    return play_parallel(env, IndependentPolicy(), seed=seed)


def play_prioritised(env, seed: int | None = None) -> dict[str, Any]:
    """One episode along the prioritised plan (centrally planned, full knowledge)."""
    return play_parallel(env, PrioritisedPolicy(), seed=seed)
