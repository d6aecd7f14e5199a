"""Baselines for maximum weighted matching: players of the env (exact, greedy, random).

The solvers on a plain :class:`~envs.graphs.Graph` with edge weights (``exact_matching``,
``greedy_matching``, ``greedy_order``) live in :mod:`envs.matching.solvers` (the envs import
them for their ``reference`` ratio) and are re-exported here. The ``play_*`` functions play an
env to its end through :func:`envs.rollout.play` (or ``play_parallel``), reading the env's
internals, and return its final info (``matching_weight``, ``matching_size``,
``graph_nodes``, plus the rollout's ``return`` and ``length``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.matching.solvers import (
    exact_matching,
    greedy_matching,
    greedy_order,
    improve_matching,
    total_weight,
)
from envs.rollout import play, play_parallel

__all__ = ["exact_matching", "greedy_matching", "greedy_order", "improve_final_matching",
           "play_exact", "play_greedy", "play_greedy_parallel", "play_random"]


# ---------------------------------------------------------------------------- env players
def play_exact(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode along the exact optimum; returns the final info."""
    plan: dict[str, Any] = {}

    def choose(env, obs):
        state = env.unwrapped.matching
        if plan.get("state") is not state:
            ids, _ = exact_matching(state.graph, state.weights)
            plan["state"], plan["ids"] = state, list(ids[::-1])
        while plan["ids"]:
            k = int(plan["ids"].pop())
            if state.available[k]:
                return k
        # only zero-weight edges can remain beside an optimum: take any of them
        return int(np.flatnonzero(state.available)[0])

    return play(env, choose, seed)


def play_greedy(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode picking the heaviest available edge (lowest id on ties)."""
    def choose(env, obs):
        state = env.unwrapped.matching
        w = np.where(state.available, state.weights, -np.inf)
        return int(np.argmax(w))

    return play(env, choose, seed)


def play_random(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingEnv`` episode picking a uniformly random valid directed slot."""
    rng = np.random.default_rng(seed)

    def choose(env, obs):
        return int(rng.choice(np.flatnonzero(env.unwrapped.matching.slot_mask())))

    return play(env, choose, seed)


def play_greedy_parallel(env, seed: int | None = None) -> dict[str, Any]:
    """Play a ``MaxMatchingParallelEnv`` episode: agent i takes the i-th edge greedy would pick
    next (no void picks); agents left over repeat agent_0's pick (void). The final matching
    equals :func:`greedy_matching`'s (``return`` is K x its weight: full team rewards)."""
    def choose(env, obs):
        state = env.matching
        ids = greedy_order(state.graph, state.weights, state.available)
        return {a: int(ids[i] if i < len(ids) else ids[0]) for i, a in enumerate(env.agents)}

    return play_parallel(env, choose, seed)


def improve_final_matching(env, info: dict[str, Any]) -> dict[str, Any]:
    """The final ``info`` of the ``MaxMatchingEnv`` episode that just ended, for its matching
    after :func:`~envs.matching.solvers.improve_matching` (local improvement at inference):
    ``matching_weight``, ``matching_size`` and ``matching_ratio`` (when the env computed
    one) of the improved matching, and ``swapped_edges``, how many edges it changed."""
    state = env.unwrapped.matching
    before = np.sort(np.array(state.chosen, np.int64))
    ids = improve_matching(state.graph, state.weights, before)
    weight = total_weight(state.weights, ids)
    out = {**info, "matching_weight": weight, "matching_size": float(len(ids)),
           "swapped_edges": int(len(np.setxor1d(ids, before)))}
    if "reference_matching_weight" in info:
        best = info["reference_matching_weight"]
        out["matching_ratio"] = float(weight / best) if best > 0 else 1.0
    return out
