"""Solvers of the rate-allocation LP on a :class:`~envs.rates.problem.RateProblem`.

``lp_rates`` is the exact optimum (``scipy.optimize.linprog`` with HiGHS); ``greedy_rates``
fills nodes in order of weight per unit of capacity used; ``RateProblem.equal_share`` is the
closed-form local rule. Each returns feasible rates. :func:`episode_info` builds the env's
episode-end info, with the ratio keys when ``reference`` is not ``"none"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from envs.rates.problem import RateProblem

#: Smallest denominator of ``utility_ratio`` (all weights zero: a zero optimum).
MIN_REFERENCE = 1e-9


def closed_neighbourhoods(problem: RateProblem) -> sparse.csr_matrix:
    """(n, n) 0/1 CSR matrix: row ``v`` marks ``N[v]``, the constraint matrix of the LP."""
    n = problem.num_nodes
    edges = problem.graph.edges
    rows = np.concatenate([np.arange(n), edges[:, 0], edges[:, 1]])
    cols = np.concatenate([np.arange(n), edges[:, 1], edges[:, 0]])
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def lp_rates(problem: RateProblem) -> tuple[np.ndarray, float]:
    """The optimum ``(rates, utility)`` of ``max w.x s.t. sum_{N[v]} x <= c_v, 0 <= x <= 1``
    (HiGHS; the rates are clipped into [0, 1], which HiGHS's tolerances may leave by 1e-9).

    Raises:
        RuntimeError: the solver did not report an optimum (it cannot be infeasible:
            ``x = 0`` is feasible).
    """
    if problem.num_nodes == 0:
        return np.zeros(0), 0.0
    result = linprog(-problem.weights, A_ub=closed_neighbourhoods(problem),
                     b_ub=problem.capacities, bounds=(0.0, 1.0), method="highs")
    if result.status != 0:
        raise RuntimeError(f"the rate LP was not solved: {result.message}")
    rates = np.clip(result.x, 0.0, 1.0)
    return rates, problem.utility(rates)


def greedy_rates(problem: RateProblem) -> tuple[np.ndarray, float]:
    """Greedy packing: nodes in order of ``w_v / |N[v]|`` (utility per unit of capacity
    its rate uses up; ties by id) each take the largest rate their neighbourhoods still
    allow. A baseline, not a hot path: one step per node over its neighbourhood."""
    hood = closed_neighbourhoods(problem)
    residual = problem.capacities.astype(np.float64).copy()
    rates = np.zeros(problem.num_nodes)
    sizes = np.diff(hood.indptr)
    order = np.lexsort((np.arange(problem.num_nodes), -problem.weights / sizes))
    for v in order.tolist():
        near = hood.indices[hood.indptr[v]:hood.indptr[v + 1]]
        rates[v] = max(0.0, min(1.0, float(residual[near].min())))
        residual[near] -= rates[v]
    return rates, problem.utility(rates)


def equal_share_rates(problem: RateProblem) -> tuple[np.ndarray, float]:
    """``(RateProblem.equal_share, its utility)``."""
    return problem.equal_share, problem.utility(problem.equal_share)


#: The solvers behind the env's ``reference`` key.
REFERENCE_SOLVERS = {"lp": lp_rates, "greedy": greedy_rates}


def episode_info(problem: RateProblem, requested: np.ndarray, rates: np.ndarray,
                 reference: str) -> dict[str, Any]:
    """The env's episode-end info for the ``requested`` rates and the feasible ``rates``
    they were repaired to: ``utility``, ``requested_utility``, ``throttled`` (nodes whose
    rate the repair cut), ``graph_nodes``; unless ``reference`` is ``"none"`` also
    ``reference_utility`` (``lp_rates`` or ``greedy_rates`` on the episode's instance) and
    ``utility_ratio`` = ``utility / max(reference_utility, 1e-9)`` (higher is better, <= 1
    against ``"lp"``; 1.0 when both are 0)."""
    utility = problem.utility(rates)
    info: dict[str, Any] = {
        "utility": utility, "requested_utility": problem.utility(requested),
        "throttled": int((rates < requested - 1e-12).sum()),
        "graph_nodes": problem.num_nodes}
    if reference == "none":
        return info
    best = REFERENCE_SOLVERS[reference](problem)[1]
    info["reference_utility"] = float(best)
    info["utility_ratio"] = float(1.0 if utility == best else utility / max(best, MIN_REFERENCE))
    return info
