"""Multi-agent maximum weighted matching (PettingZoo ParallelEnv): K agents pick edges together."""

from __future__ import annotations

from envs.matching.core import MatchingCore, MatchingSettings, MatchingViews
from envs.team import TeamParallelEnv


class MaxMatchingParallelEnv(MatchingViews, TeamParallelEnv):
    """
    ## Description

    The matching problem of :class:`envs.matching.env.MaxMatchingEnv` played by a team of
    ``num_agents`` agents (``"agent_0"`` ..) that each pick one edge per step.

    ## Action Space

    Per agent ``Discrete(max_edges)``, directed edge slots exactly as in the single-agent env
    (slot ``k`` and ``M + k`` are the same undirected edge).

    ## Observation Space

    Per agent the single-agent observation (same spec, same arrays' values for every agent,
    each agent its own copy: the whole graph is shared knowledge).

    ``global_state=True`` (default) adds ``state`` for a centralised critic (CTDE), as in
    :class:`~envs.mvc.multi.MinVertexCoverParallelEnv`: the five graph keys, equal to the
    agents' own (the whole graph is already every agent's view), so that one CTDE config
    (``critic="central"``) runs on every team env. One ``state`` is packed per step and its
    arrays are shared by every agent's observation (read-only); :meth:`state` gives a fresh
    copy, with ``global_state`` off too.

    ## Step rule (deterministic)

    1. In mask mode every pick is first checked against the state at the start of the step;
       a masked pick raises ``ValueError`` naming the agent and the action, and nothing changes.
    2. Picks are then applied in agent-index order (``agent_0`` first). A pick that an earlier
       agent's pick in the same step made unavailable (the same edge, or an edge sharing a node
       with it) is **void**: it changes nothing and costs nothing.
    3. In penalty mode a pick that was already invalid at the start of the step earns that
       agent ``invalid_penalty`` (on top of the team reward) and changes nothing.

    ## Rewards

    Team reward = the summed weight of the edges added this step; **every agent receives the
    full team reward** (plus its own ``invalid_penalty`` in penalty mode), as in the MVC env.
    Hence the sum over agents of an episode's rewards is K x the matching weight
    (``envs.rollout.play_parallel``'s ``return``), penalties aside.

    ## Episode End

    All agents end together: terminated when no available edge remains, truncated at
    ``max_steps`` steps (default the graph's node count). Every agent's final ``info`` holds
    the single-agent keys (``matching_weight``, ``matching_size``, ``invalid_actions``
    counting penalised picks of all agents, ``graph_nodes``, and with ``reference`` set
    ``reference_matching_weight`` and ``matching_ratio``, solved once per episode and copied
    to every agent). Finished agents are removed from ``agents``.

    ``num_agents`` (the config value) is stored as :attr:`team_size`; PettingZoo's
    ``num_agents`` property keeps its meaning (live agents).

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (default 2, at least 1, at most the node
    count of the smallest graph the source draws, else ``ValueError`` naming ``num_agents``);
    ``global_state`` defaults to True here.
    """

    metadata = {"name": "max_matching_v0", "render_modes": []}
    settings_class = MatchingSettings
    core_class = MatchingCore
