"""Multi-agent weighted minimum vertex cover as a PettingZoo ParallelEnv."""

from __future__ import annotations

from envs.mvc.core import CoverCore, CoverViews, MVCSettings
from envs.team import TeamParallelEnv


class MinVertexCoverParallelEnv(CoverViews, TeamParallelEnv):
    """
    ## Description

    Weighted minimum vertex cover built by a team of K agents (``"agent_0"``..) that each
    pick one node per step; see :class:`envs.mvc.env.MinVertexCoverEnv` for the problem,
    the graphs and the config keys, which are the same here plus ``num_agents``.

    ## Action Space

    ``Discrete(max_nodes)`` per agent: the node that agent adds to the cover.

    ## Observation Space

    Every agent gets the same observation (its own copy of the arrays) under the same
    space as the single-agent env: the graph contract with ``x`` = [weight, in cover,
    uncovered degree / D, uncovered-neighbour weight / D], ``edge_attr`` = covered flag, and
    the same ``action_mask``.

    With ``global_state=True`` (default) it also holds ``state``, the global view for a
    centralised critic (CTDE): the same graph keys (``x``, ``edge_index``, ``edge_attr``,
    ``node_mask``, ``edge_mask``) with the same values as the agents' own. Every agent already
    sees the whole graph, so the critic's view equals the actors'; the key is there so that
    one CTDE config (``critic="central"``) runs on every team env. It is packed once per step
    and the same arrays are shared by every agent's observation (treat them as read-only).
    :meth:`state` returns a fresh copy (with ``global_state`` off too).

    ## Transition

    All picks of a step are judged against the state at the start of the step, then applied
    at once:

    - Duplicate picks: a node picked by several agents is added once; the lowest-index agent
      gets it and the other picks are void (no effect, no penalty).
    - Mask mode: any agent picking a masked node raises ``ValueError`` naming the agent.
    - Penalty mode: an invalid pick (padding slot, node already in the cover, or with
      ``mask_useless=True`` a node touching no uncovered edge) is void and costs that agent
      ``invalid_penalty``.
    - Valid distinct picks are all added, even if an earlier agent's pick this step already
      covered their last edge.

    ## Rewards

    Team reward: every agent receives the full ``-(total weight added this step)``, plus
    ``invalid_penalty`` for its own invalid pick in penalty mode. Hence the sum of the
    rewards over agents is K times minus the weight added (``envs.rollout.play_parallel``'s
    ``return`` is K x minus the cover weight when no pick is invalid).

    ## Starting State

    As the single-agent env; the env keeps its own ``numpy`` Generator, re-seeded by
    ``reset(seed=...)``. ``options`` of ``reset`` are ignored.

    ## Episode End

    All agents terminate together when every edge is covered, or are truncated together
    after ``max_steps`` steps (default ``max_nodes``). Every agent's final ``info`` holds
    the single-agent env's keys (``cover_weight``, ``cover_size``, ``uncovered_edges``,
    ``invalid_actions`` counting penalised picks of all agents, ``graph_nodes``, and with
    ``reference`` set ``reference_cover_weight`` and ``cover_ratio``, solved once per
    episode and copied to every agent).

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (K, default 2); ``global_state``
    defaults to True here. K above the node count
    of a graph raises ``ValueError`` naming ``num_agents`` (when the env is built for a
    fixed list or a distribution's smallest size, else at reset). The config value is
    stored as :attr:`team_size`; ``num_agents`` keeps PettingZoo's meaning (live agents).
    """

    metadata = {"name": "min_vertex_cover_v0", "render_modes": []}
    settings_class = MVCSettings
    core_class = CoverCore
