"""The route hint: where the cyclic strategy would send each agent next, as an observation.

With ``route_hint`` set, every agent's ``x`` gains a ``route_next`` column: 1 on the node
(its own or a neighbour) that the cyclic strategy's schedule (:mod:`.schedule`) has it stand
on after this step, 0 elsewhere. The schedule is planned at the episode's first
observation and again whenever the live agents change (attrition), exactly as
:class:`~envs.patrolling.baselines.WalkPlayer` plans it, so a policy that always takes the
hinted move plays that baseline move for move. A policy is free to do otherwise; an agent
off its schedule is hinted the first move of a shortest path to the node its slot stands on
next (ties: the lowest node id), so the hint always names a legal move.

The hint is what each agent could compute itself, decentralised:

* ``cyclic_by_id``: the walk (from the graph alone) and the agent's rank among the live
  agents; no teammate's position. Allowed with any observation radius.
* ``cyclic``: slots assigned by a min-cost assignment of every agent's meeting time, which
  needs every agent's node when it plans: allowed with full observability only (every
  agent then sees all nodes and runs the same deterministic planner).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from envs.patrolling.schedule import Replanner

#: Values of the ``route_hint`` key and the join rule of :func:`.schedule.spread` each uses.
ROUTE_HINTS = {"none": None, "cyclic": "assign", "cyclic_by_id": "by_id"}


def check_route_hint(hint: str, observation_radius: int | None) -> None:
    """Refuse a hint the agents could not compute from what they observe."""
    if hint == "cyclic" and observation_radius is not None:
        raise ValueError(
            f"route_hint='cyclic' plans from every agent's node, which an agent sees only "
            f"with full observability (observation_radius: null), got observation_radius="
            f"{observation_radius}; use route_hint='cyclic_by_id' with a radius")


class RouteHint(Replanner):
    """One episode's cyclic schedule and the hinted node of each agent.

    Args:
        join: the schedule's join rule (``"assign"`` or ``"by_id"``, :data:`ROUTE_HINTS`).
    """

    def __init__(self, join: str) -> None:
        super().__init__("cyclic", join)
        self.hops_to: dict[int, np.ndarray] = {}  # slot node -> hop distances to it

    def next_nodes(self, csr, positions: np.ndarray, alive: np.ndarray, t: int,
                   neighbours: np.ndarray) -> np.ndarray:
        """(K,) the hinted node of every agent at step count ``t`` (its own node for agents
        that left); plans again when the live agents differ from the last plan's.

        ``neighbours`` is the core's (n, D + 1) move table: row v lists v and its neighbours.
        """
        live = tuple(int(a) for a in np.flatnonzero(alive))
        schedule = self.current(csr, positions, live, t)
        hinted = positions.copy()
        for agent in live:
            here, goal = int(positions[agent]), schedule.next_node(agent, t)
            moves = neighbours[here]
            if (moves == goal).any():
                hinted[agent] = goal
            else:  # off schedule: one step of a shortest path towards the slot
                if goal not in self.hops_to:
                    self.hops_to[goal] = dijkstra(csr, directed=False, unweighted=True,
                                                  indices=goal)
                hinted[agent] = moves[np.argmin(self.hops_to[goal][moves])]
        return hinted
