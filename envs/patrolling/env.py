"""Single-agent graph patrolling (gymnasium): the K = 1 form of the patrolling core."""

from __future__ import annotations

from envs.patrolling.core import PatrolCore, PatrolSettings
from envs.single import GraphEnv


class PatrollingEnv(GraphEnv):
    """
    ## Description

    One agent walks a graph and should keep every node visited often. The *idleness* of a
    node is the number of steps since an agent last stood on it (0 for every node at reset).
    Each episode draws a graph (default: a 5x5 grid with 10% of its cells removed, largest
    component kept) and the agent's start node from the env's rng. This is the K = 1 form
    of :class:`~envs.patrolling.multi.PatrollingParallelEnv` (same core, no attrition); see
    that class for the multi-agent options.

    ## Action Space

    ``Discrete(max_degree + 1)``: slot 0 stays, slot ``i >= 1`` moves to ``neighbours[i]``,
    the agent's neighbours sorted by node id (``neighbours[0]`` is the agent's own node).
    Slots past the node's degree are padding: masked in mask mode (stepping one raises
    ``ValueError``); in penalty mode every slot is unmasked and a padding slot keeps the
    agent where it is and adds ``invalid_penalty`` to the reward.

    ## Observation Space

    The observation of one agent of :class:`~envs.patrolling.multi.PatrollingParallelEnv`
    (the graph observation contract; same keys, features and ``observation_radius`` rule):
    ``x`` (N, 7) is idleness / n as the agent knows it, is_self, other agents here
    (always 0), in_view, pos_x, pos_y, lower-index agents here (always 0); ``action_mask``
    and ``neighbours`` have D + 1 slots; ``agent_node`` is the agent's node; ``state`` is
    there only with ``global_state=True``.

    ## Rewards

    ``r_t = -mean_v(idleness_t(v)) / n`` after the move of step t (n = the graph's node count).
    ``idleness_t(v) <= t``, so ``|r_t| <= max_steps / n``; a tour visiting every node once
    per n steps keeps ``|r_t|`` near 1/2. With ``reward="collected"``, ``r_t`` is instead
    the idleness the agent's node would have had unvisited, / n (see the team env). Penalty
    mode adds ``invalid_penalty`` to it on an invalid move (time passes anyway, so replacing
    the reward could make an invalid move pay).

    ## Starting State

    A graph from ``graphs``; the agent on a node drawn uniformly from the env's rng (or
    ``reset(options={"start_nodes": [v]})``); idleness 0 everywhere.

    ## Episode End

    Truncation after ``max_steps`` steps (there is no termination). The last step's ``info``
    holds ``avg_idleness`` (mean over the steps 1..T of the mean node idleness), ``worst_idleness``
    (the largest idleness of any node at any step), ``graph_nodes`` (int) and ``agents_alive``
    (1); other steps' info is empty.

    ## Arguments

    ``PatrollingEnv(config=None, **overrides)`` (RLlib passes ``env_config`` positionally)
    takes the keys of :class:`~envs.patrolling.multi.PatrollingParallelEnv` but
    ``num_agents``, ``attrition`` and ``attrition_schedule``, with the same defaults except
    ``global_state`` (False here).
    """

    settings_class = PatrolSettings
    core_class = PatrolCore
