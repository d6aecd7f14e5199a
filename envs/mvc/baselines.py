"""Baselines for weighted minimum vertex cover: exact ILP, weight/degree greedy, random.

``exact_mvc`` and ``greedy_mvc`` solve a :class:`~envs.graphs.Graph` directly. The
``play_*`` functions play an env to the end through ``envs.rollout`` and return the env's
final info (``cover_weight``, ``cover_size``, ``uncovered_edges``, ``invalid_actions``,
``graph_nodes``, plus ``return`` and ``length``), so a policy and a baseline are measured
by the very same code on the same seeded episodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from envs.graphs import Graph
from envs.mvc.core import CoverState, node_weights
from envs.mvc.env import MinVertexCoverEnv
from envs.mvc.multi import MinVertexCoverParallelEnv
from envs.rollout import play, play_parallel


# ---------------------------------------------------------------------------- solvers
def exact_mvc(graph: Graph) -> tuple[np.ndarray, float]:
    """Optimal weighted vertex cover by integer programming (``scipy.optimize.milp``).

    minimise sum_v w_v x_v  s.t.  x_u + x_v >= 1 for every edge (u, v),  x binary.

    Returns:
        (sorted int64 node ids of the cover, its weight). An edgeless graph gives
        ``(empty, 0.0)``.
    """
    n, edges = graph.num_nodes, np.asarray(graph.edges, np.int64).reshape(-1, 2)
    weights = node_weights(graph)
    if len(edges) == 0:
        return np.zeros(0, np.int64), 0.0
    rows = np.repeat(np.arange(len(edges)), 2)
    incidence = sparse.csr_array((np.ones(2 * len(edges)), (rows, edges.ravel())),
                                 shape=(len(edges), n))
    result = milp(weights, integrality=np.ones(n), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(incidence, lb=1, ub=np.inf))
    if not result.success:
        raise RuntimeError(f"milp failed on a {n}-node graph: {result.message}")
    cover = np.flatnonzero(result.x > 0.5).astype(np.int64)
    return cover, float(weights[cover].sum())


def greedy_choice(state: CoverState) -> int:
    """The node minimising weight / uncovered degree among nodes touching an uncovered
    edge (ties: lowest id). Always a valid pick while the graph is not covered."""
    degree = state.uncovered_degree
    ratio = np.full(state.num_nodes, np.inf)
    useful = degree > 0
    ratio[useful] = state.weights[useful] / degree[useful]
    return int(np.argmin(ratio))


def greedy_mvc(graph: Graph) -> tuple[np.ndarray, float]:
    """Weight-per-uncovered-degree greedy: repeatedly add the node minimising
    ``weight / uncovered degree`` until every edge is covered.

    Returns:
        (node ids in the order picked, the cover's weight).
    """
    state = CoverState(graph, mask_useless=True)
    while not state.covered:
        state.add(np.array([greedy_choice(state)]))
    cover = np.array(state.picks, np.int64)
    return cover, float(state.weights[cover].sum())


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
