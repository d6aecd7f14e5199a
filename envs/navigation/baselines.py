"""Navigation baselines: shortest paths (optimal) and a random walk, played through the envs.

The players run an env to its end via :func:`envs.rollout.play` / ``play_parallel`` and
return the env's final info (``success``, ``path_length``, ``shortest_path_length``,
``graph_nodes``, ``path_ratio`` on success) plus ``return`` and ``length``. The parallel
players return the team's metrics under the same keys (the env reports them under
``"team"`` on the team's last step, which ``play_parallel`` returns).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from envs.graphs import Graph
from envs.navigation.graph import adjacency_matrix
from envs.rollout import play, play_parallel


def shortest_path_length(graph: Graph, source: int, target: int) -> float:
    """Length of a shortest ``source``-``target`` path (edge lengths; ``inf`` if unreachable)."""
    for name, node in (("source", source), ("target", target)):
        if not 0 <= int(node) < graph.num_nodes:
            raise ValueError(f"{name} must be a node in [0, {graph.num_nodes}), got {node!r}")
    return float(dijkstra(adjacency_matrix(graph), indices=int(source))[int(target)])


class ShortestPathPolicy:
    """``choose(env, obs)`` that walks every agent along a shortest path to its goal.

    Once per episode (detected by the core's episode graph changing) it runs one Dijkstra
    from all goals with predecessors; ``pred[i, v]`` is then the next node from ``v`` towards
    agent ``i``'s goal, turned into the action that moves there. Works in both action modes,
    for the single-agent env (returns an int) and the parallel env (a dict by agent).
    """

    def __init__(self) -> None:
        self._nav = None
        self._pred: np.ndarray | None = None

    def _next_hops(self, core) -> np.ndarray:
        if self._nav is not core.nav:
            _, self._pred = dijkstra(core.nav.matrix, directed=True, indices=core.goals,
                                     return_predecessors=True)
            self._nav = core.nav
        return self._pred

    def action(self, core, i: int) -> int:
        """Agent ``i``'s next action on its shortest path."""
        pred = self._next_hops(core)
        return core.action_to(i, int(pred[i, core.nodes[i]]))

    def __call__(self, env, obs: dict) -> Any:
        core = env.unwrapped.core
        if core.settings.multi:
            agents = env.unwrapped.possible_agents
            return {agent: self.action(core, agents.index(agent)) for agent in env.agents}
        return self.action(core, 0)


class RandomPolicy:
    """``choose(env, obs)`` picking uniformly among the actions the obs's mask allows."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, agent_obs: dict) -> int:
        """One action uniform over ``agent_obs["action_mask"]``."""
        return int(self.rng.choice(np.flatnonzero(agent_obs["action_mask"])))

    def __call__(self, env, obs: dict) -> Any:
        if env.unwrapped.core.settings.multi:
            return {agent: self.pick(obs[agent]) for agent in env.agents}
        return self.pick(obs)


def play_shortest_path(env, seed: int | None = None) -> dict[str, Any]:
    """One episode of the single-agent env along a shortest path (``success`` is 1)."""
    return play(env, ShortestPathPolicy(), seed=seed)


def play_random(env, seed: int | None = None) -> dict[str, Any]:
    """One episode of the single-agent env with uniformly random valid moves (a random walk)."""
    return play(env, RandomPolicy(seed), seed=seed)


def play_shortest_path_parallel(env, seed: int | None = None) -> dict[str, Any]:
    """One episode of the parallel env, every agent on its own shortest path.

    Without ``exclusive_nodes`` every agent arrives along a shortest path. With it, agents
    may block each other (and can deadlock until truncation): a baseline, not an optimum.
    """
    return play_parallel(env, ShortestPathPolicy(), seed=seed)


def play_random_parallel(env, seed: int | None = None) -> dict[str, Any]:
    """One episode of the parallel env, every agent walking at random."""
    return play_parallel(env, RandomPolicy(seed), seed=seed)
