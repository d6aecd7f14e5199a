"""Baselines for weighted minimum vertex cover: players of the env (exact, greedy, random).

The solvers on a plain :class:`~envs.graphs.Graph` (``exact_mvc``, ``greedy_mvc``,
``greedy_choice``) live in :mod:`envs.mvc.solvers` (the envs import them for their
``reference`` ratio) and are re-exported here. The ``play_*`` functions play an env to the
end through ``envs.rollout`` and return the env's final info (``cover_weight``,
``cover_size``, ``uncovered_edges``, ``invalid_actions``, ``graph_nodes``, plus ``return``
and ``length``), so a policy and a baseline are measured by the very same code on the same
seeded episodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.mvc.env import MinVertexCoverEnv
from envs.mvc.multi import MinVertexCoverParallelEnv
from envs.mvc.solvers import exact_mvc, greedy_choice, greedy_mvc
from envs.rollout import play, play_parallel

__all__ = ["exact_mvc", "greedy_choice", "greedy_mvc", "play_exact", "play_greedy",
           "play_greedy_parallel", "play_random"]


# ---------------------------------------------------------------------------- players
def play_exact(env: MinVertexCoverEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode adding the ILP optimum's nodes in id order, skipping any node the
    env no longer allows (with ``mask_useless``, a node whose edges are all covered)."""
    plan: dict[str, Any] = {"graph": None, "nodes": [], "next": 0}

    def choose(env: MinVertexCoverEnv, obs: dict) -> int:
        if plan["graph"] is not env.graph:  # a new episode: solve it once
            plan.update(graph=env.graph, nodes=exact_mvc(env.graph)[0].tolist(), next=0)
        valid = env.valid_actions
        while plan["next"] < len(plan["nodes"]):
            node = plan["nodes"][plan["next"]]
            plan["next"] += 1
            if valid[node]:
                return node
        raise RuntimeError("the exact cover ran out of nodes before the graph was covered")

    return play(env, choose, seed=seed)


def play_greedy(env: MinVertexCoverEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode with :func:`greedy_choice` (the same cover as :func:`greedy_mvc`)."""
    return play(env, lambda env, obs: greedy_choice(env.cover_state), seed=seed)


def play_random(env: MinVertexCoverEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode picking uniformly among the valid nodes (never an invalid one, even
    in penalty mode); the picks come from a Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return play(env, lambda env, obs: int(rng.choice(np.flatnonzero(env.valid_actions))),
                seed=seed)


def play_greedy_parallel(env: MinVertexCoverParallelEnv,
                         seed: int | None = None) -> dict[str, Any]:
    """Play one episode of the parallel env, each agent taking the next best distinct
    greedy node: agent i's pick is :func:`greedy_choice` after agents 0..i-1's picks of
    this step are applied to a copy of the state. The cover is therefore the one of
    :func:`greedy_mvc`, built K nodes per step; agents left once the copy is covered repeat
    agent_0's pick (a void duplicate)."""

    def choose(env: MinVertexCoverParallelEnv, obs: dict) -> dict[str, int]:
        simulated = env.cover_state.copy()
        picks: dict[str, int] = {}
        for agent in env.agents:
            if simulated.covered:
                picks[agent] = picks[env.agents[0]]
                continue
            picks[agent] = greedy_choice(simulated)
            simulated.add(np.array([picks[agent]]))
        return picks

    return play_parallel(env, choose, seed=seed)
