"""Solvers for weighted minimum vertex cover on a plain graph, and the envs' reference ratio.

``exact_mvc`` (ILP) and ``greedy_mvc`` (weight per uncovered degree) solve a
:class:`~envs.graphs.Graph`, ``prune_cover`` improves a cover of one; ``greedy_choice`` is greedy's next pick on a
:class:`~envs.mvc.cover.CoverState`. :func:`episode_info` builds the episode-end info of both
env forms, with the ratio keys when ``reference`` is not ``"none"``. This module depends only
on :mod:`envs.mvc.cover` and :mod:`envs.graphs` (``baselines`` imports the envs, whose core imports
this module).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from envs._validation import require_float
from envs.graphs import Graph
from envs.mvc.cover import CoverState, node_weights

#: Smallest denominator of ``cover_ratio`` (a zero-weight reference cover).
MIN_REFERENCE = 1e-9


class OptimumUnproven(TimeoutError):
    """:func:`exact_mvc` proved no optimum within its time limit.

    Attributes:
        bound: the best lower bound on the optimum's weight the ILP found (NaN: none), so a
            cover's weight / ``bound`` is at least its ratio to the optimum.
    """

    def __init__(self, message: str, bound: float) -> None:
        super().__init__(message)
        self.bound = bound


def exact_mvc(graph: Graph, time_limit: float | None = None) -> tuple[np.ndarray, float]:
    """Optimal weighted vertex cover by integer programming (``scipy.optimize.milp``).

    minimise sum_v w_v x_v  s.t.  x_u + x_v >= 1 for every edge (u, v),  x binary.

    Returns:
        (sorted int64 node ids of the cover, its weight). An edgeless graph gives
        ``(empty, 0.0)``.

    Raises:
        OptimumUnproven: ``time_limit`` seconds (None: no limit) passed first; it carries
            the ILP's lower bound. Large graphs need it: 10,000 blog-weight Watts-Strogatz
            nodes take minutes.
    """
    n, edges = graph.num_nodes, np.asarray(graph.edges, np.int64).reshape(-1, 2)
    weights = node_weights(graph)
    if len(edges) == 0:
        return np.zeros(0, np.int64), 0.0
    rows = np.repeat(np.arange(len(edges)), 2)
    incidence = sparse.csr_array((np.ones(2 * len(edges)), (rows, edges.ravel())),
                                 shape=(len(edges), n))
    limit = {} if time_limit is None else {
        "time_limit": require_float("time_limit", time_limit, minimum=0.0)}
    result = milp(weights, integrality=np.ones(n), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(incidence, lb=1, ub=np.inf), options=limit)
    if result.status == 1 and limit:  # HiGHS stopped at the time limit
        bound = float(getattr(result, "mip_dual_bound", None) or np.nan)
        raise OptimumUnproven(f"milp proved no optimum of the {n}-node graph within "
                              f"{time_limit:g} s (lower bound {bound:.6g})", bound)
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
        (node ids in the order picked, the cover's weight). The weight is summed as the env
        sums ``cover_weight`` (over the cover in id order), so an env episode that picks the
        same nodes reports the very same float.
    """
    state = CoverState(graph, mask_useless=True)
    while not state.covered:
        state.add(np.array([greedy_choice(state)]))
    return np.array(state.picks, np.int64), state.cover_weight()


def prune_cover(graph: Graph, in_cover: np.ndarray) -> np.ndarray:
    """Local improvement of a vertex cover: drop the nodes it does not need, heaviest first.

    A node of the cover whose neighbours are all in the cover is redundant; dropping it
    keeps every edge covered. Going through the nodes heaviest first (ties: lowest id) and
    dropping each node still redundant at its turn is a greedy maximal independent set, by
    weight, among the redundant nodes; it is computed in rounds of tensor operations, each
    dropping every redundant node that no heavier redundant neighbour precedes (the same
    set, in as many rounds as the longest chain of heavier redundant neighbours).

    Args:
        graph: the graph.
        in_cover: (n,) bool, a vertex cover of ``graph``.

    Returns:
        (n,) bool: a cover of ``graph`` inside ``in_cover`` with no redundant node left.

    Raises:
        ValueError: ``in_cover`` has another shape or leaves an edge uncovered.
    """
    cover = np.asarray(in_cover, bool).copy()
    if cover.shape != (graph.num_nodes,):
        raise ValueError(f"in_cover has shape {cover.shape}; the graph has "
                         f"{graph.num_nodes} nodes")
    u, v = graph.edges[:, 0], graph.edges[:, 1]
    if not (cover[u] | cover[v]).all():
        raise ValueError("in_cover is not a vertex cover: an edge has neither end in it")
    order = np.lexsort((np.arange(graph.num_nodes), -node_weights(graph)))
    rank = np.empty(graph.num_nodes, np.int64)
    rank[order] = np.arange(graph.num_nodes)  # 0: the heaviest
    n = graph.num_nodes
    while True:
        exposed = (np.bincount(u[~cover[v]], minlength=n)
                   + np.bincount(v[~cover[u]], minlength=n))  # neighbours outside
        redundant = cover & (exposed == 0)
        if not redundant.any():
            return cover
        both = redundant[u] & redundant[v]  # a redundant pair: only the heavier may go
        later = np.where(rank[u[both]] < rank[v[both]], v[both], u[both])
        preceded = np.zeros(n, bool)
        preceded[later] = True
        cover[redundant & ~preceded] = False


# ---------------------------------------------------------------------------- env reference
def episode_info(state: CoverState, invalid_actions: int, reference: str) -> dict[str, Any]:
    """The episode-end info of both env forms: ``state.summary(invalid_actions)`` plus, unless
    ``reference`` is ``"none"``, the reference keys.

    The cover of ``greedy_mvc`` or ``exact_mvc`` on the episode's graph is computed once,
    and the info gains ``reference_cover_weight`` (float) and ``cover_ratio`` =
    ``cover_weight / max(reference_cover_weight, 1e-9)`` (float; lower is better, >= 1 up
    to the ILP's tolerance against ``"exact"`` on a complete cover). A zero-weight reference
    gives 1.0 when the cover weighs 0 too and a large finite ratio otherwise (never inf or
    nan, which would spoil averaged metrics). A truncated episode's partial cover is
    compared as it is (its ``uncovered_edges`` is then > 0).
    """
    info = state.summary(invalid_actions)
    if reference == "none":
        return info
    solve = exact_mvc if reference == "exact" else greedy_mvc
    weight = info["cover_weight"]
    best = solve(state.graph)[1]
    info["reference_cover_weight"] = float(best)
    info["cover_ratio"] = float(1.0 if weight == best else weight / max(best, MIN_REFERENCE))
    return info
