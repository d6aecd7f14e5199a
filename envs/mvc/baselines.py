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
from envs.mvc.solvers import MIN_REFERENCE, exact_mvc, greedy_choice, greedy_mvc, prune_cover
from envs.rollout import play, play_parallel

__all__ = ["exact_mvc", "greedy_choice", "greedy_mvc", "improve_final_cover", "play_exact",
           "play_exact_parallel", "play_greedy", "play_greedy_parallel", "play_random",
           "prune_cover"]


# ---------------------------------------------------------------------------- players
class _ExactPlan:
    """The ILP optimum of the env's episode graph (solved once per episode) and its nodes
    the env still allows, in id order.

    A node once invalid stays invalid (in the cover, or with ``mask_useless`` touching no
    uncovered edge), so skipping it never drops a node needed later.
    """

    def __init__(self) -> None:
        self.graph = None
        self.nodes = np.zeros(0, np.int64)

    def pending(self, env: MinVertexCoverEnv | MinVertexCoverParallelEnv) -> np.ndarray:
        """The optimum's nodes that are valid picks now (never empty before the end)."""
        if self.graph is not env.graph:  # a new episode: solve it once
            self.graph, self.nodes = env.graph, exact_mvc(env.graph)[0]
        pending = self.nodes[env.valid_actions[self.nodes]]
        if not len(pending):
            raise RuntimeError("the exact cover ran out of nodes before the graph was covered")
        return pending


def play_exact(env: MinVertexCoverEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode adding the ILP optimum's nodes in id order, skipping any node the
    env no longer allows (with ``mask_useless``, a node whose edges are all covered)."""
    plan = _ExactPlan()
    return play(env, lambda env, obs: int(plan.pending(env)[0]), seed=seed)


def play_exact_parallel(env: MinVertexCoverParallelEnv,
                        seed: int | None = None) -> dict[str, Any]:
    """Play one episode of the parallel env adding the ILP optimum's nodes, K per step: the
    live agents take the next distinct nodes of :func:`play_exact`'s order; agents left
    once they run out repeat agent_0's pick (a void duplicate). The cover weight is the
    optimum's."""
    plan = _ExactPlan()

    def choose(env: MinVertexCoverParallelEnv, obs: dict) -> dict[str, int]:
        picks = plan.pending(env)[:len(env.agents)].tolist()
        picks += picks[:1] * (len(env.agents) - len(picks))
        return dict(zip(env.agents, picks))

    return play_parallel(env, choose, seed=seed)


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


# ---------------------------------------------------------------------------- improvement
def improve_final_cover(env: MinVertexCoverEnv, info: dict[str, Any]) -> dict[str, Any]:
    """The final ``info`` of the episode ``env`` just ended, for its cover after
    :func:`~envs.mvc.solvers.prune_cover` (local improvement at inference): ``cover_weight``,
    ``cover_size`` and ``cover_ratio`` (when the env computed one) of the pruned cover, and
    ``pruned_nodes``, how many nodes it dropped. An unfinished cover (a truncated episode)
    is returned as it is."""
    if info.get("uncovered_edges", 0):
        return {**info, "pruned_nodes": 0}
    state = env.cover_state
    cover = prune_cover(state.graph, state.in_cover)
    weight = float(state.weights[cover].sum())
    out = {**info, "cover_weight": weight, "cover_size": int(cover.sum()),
           "pruned_nodes": int(state.in_cover.sum() - cover.sum())}
    if "reference_cover_weight" in info:
        best = info["reference_cover_weight"]
        out["cover_ratio"] = float(1.0 if weight == best else weight / max(best, MIN_REFERENCE))
    return out
