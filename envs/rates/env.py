"""Rate allocation under neighbourhood capacities as a gymnasium environment."""

from __future__ import annotations

from envs.rates.core import RateCore, RateSettings
from envs.rates.problem import RateProblem
from envs.single import GraphEnv


class RateAllocationEnv(GraphEnv):
    """
    ## Description

    Every node of a wireless-style interference graph sets a transmission rate at once.
    Node ``v`` has a utility weight ``w_v`` per unit rate and hears every node of its closed
    neighbourhood ``N[v]`` (itself and its neighbours), whose rates must fit its capacity
    ``c_v``. The best rates solve the packing linear program

        max  sum_v w_v x_v   s.t.  sum_{u in N[v]} x_u <= c_v  for every v,  0 <= x_v <= 1,

    which the ``lp`` baseline solves exactly (``scipy.optimize.linprog``), so a policy has a
    ratio to the optimum. It is the natural case of one continuous action per node: a rate
    is a number, and how much a node may take depends on its two-hop neighbourhood. An
    episode is one step (a contextual bandit): the agent sees the instance and answers with
    all the rates. Graphs default to random geometric graphs of 10, 15 or 20 nodes in the
    unit square (radius 1.5x the connectivity threshold) with weights U[0, 1).

    ## Action Space

    ``Box(-1, 1, (max_nodes,), float32)``: node ``v`` asks for the rate
    ``x_v = (a_v + 1) / 2``. The symmetric box is what RLlib's ``normalize_actions`` (its
    default) and Stable-Baselines3 expect, so their mapping to the box is the identity and
    the env means the same under either. Values outside [-1, 1] are clipped (RLlib clips
    too); slots ``>= n`` (padding) are ignored; a wrong shape or a non-finite value is a
    ``ValueError``.

    ## Observation Space

    The graph contract of ``envs.contract`` (N = ``max_nodes``, E = ``max_edges``, F = 4, no
    edge features, A = N): keys ``x``, ``edge_index``, ``node_mask``, ``edge_mask``,
    ``action_mask`` (1 on every real node: all of them act; 0 on padding).

    | ``x`` column | feature | range |
    |---|---|---|
    | 0 | weight ``w_v`` | >= 0 |
    | 1 | capacity ``c_v`` | ``capacity`` |
    | 2 | log(1 + degree) | >= 0 |
    | 3 | equal-share offer ``c_v / (1 + degree)`` | > 0 |

    A node's own quantities only, never divided by a graph-wide figure, so they mean the
    same at every graph size.

    ## Rewards

    The utility ``sum_v w_v x'_v`` (with ``reward="per_node"``: divided by the node count
    n) of the *repaired* rates ``x'``: each node ``v`` whose load
    ``L_v = sum_{u in N[v]} x_u`` exceeds ``c_v`` throttles by ``s_v = c_v / L_v`` (else
    ``s_v = 1``), and each node keeps ``x_u min_{v in N[u]} s_v``. The repair leaves feasible
    rates unchanged and makes any rates feasible, so the best return is the LP optimum;
    asking for too much costs the throttled nodes' neighbours too. ``per_node`` has the
    same best rates on every instance (n is part of it) and rewards of one scale at every
    graph size, which a critic on a mean-pooled graph embedding can predict (the utility
    grows with n, which mean pooling does not see).

    ## Starting State

    A graph from ``graphs`` (drawn from the env's ``np_random``, or the next of a fixed
    list), its node weights (ones when the graph has none) and capacities
    ``c_v ~ U[capacity[0], capacity[1])`` drawn from ``np_random``. ``options`` of ``reset``
    are ignored.

    ## Episode End

    Termination after the one step. The final ``info`` holds ``utility`` (float, the
    reward times n with ``per_node``), ``requested_utility`` (float, before the repair), ``throttled`` (int, nodes the
    repair cut) and ``graph_nodes`` (int); with ``reference`` set to ``"lp"`` or
    ``"greedy"`` also ``reference_utility`` and ``utility_ratio`` (``utility /
    max(reference_utility, 1e-9)``, higher is better, <= 1 against ``"lp"``).

    ## Arguments

    ``RateAllocationEnv(config=None, **overrides)``; RLlib passes ``env_config`` as
    ``config``, keywords override it.

    | key | default | meaning |
    |---|---|---|
    | ``graphs`` | ``{"generator": "random_geometric", "sizes": [10, 15, 20]}`` | a generator, preset or files dict, or a list of graphs (``envs.graphs``) |
    | ``max_nodes`` / ``max_edges`` | the source's bounds | N / E |
    | ``capacity`` | ``[1.0, 2.0]`` | the range capacities are drawn from, 0 < low <= high |
    | ``reward`` | ``"utility"`` | ``"utility"`` or ``"per_node"`` (the utility / n) |
    | ``reference`` | ``"none"`` | ``"none"``, ``"lp"`` or ``"greedy"``: the utility ``utility_ratio`` divides by |
    | ``global_state`` | ``False`` | add the ``state`` key (a copy of the graph keys) |
    | ``invalid_action`` | ``"mask"`` | only ``"mask"``: no action is invalid |
    | ``max_steps`` | 1 | only 1 |

    There is no team (PettingZoo) form: one agent per node would be the natural one, but
    the team shell has a fixed agent count per env, not one per node of each graph.
    Baselines (``envs.rates.baselines``) read :attr:`problem`.
    """

    settings_class = RateSettings
    core_class = RateCore

    @property
    def problem(self) -> RateProblem:
        """The episode's instance (read it, do not mutate it)."""
        return self.started_core().problem
