"""Multi-agent graph patrolling (PettingZoo ParallelEnv): the primary form."""

from __future__ import annotations

from envs.patrolling.core import PatrolCore, PatrolSettings
from envs.team import TeamParallelEnv


class PatrollingParallelEnv(TeamParallelEnv):
    """
    ## Description

    A team of K agents (``"agent_0"`` .. ``"agent_{K-1}"``) walks a graph and should keep
    every node visited often. The *idleness* of a node is the number of steps since any agent
    last stood on it (0 for every node at reset). Each episode draws a graph (default: a 5x5
    grid with 10% of its cells removed, largest component kept) and K distinct start nodes
    from the env's rng. Agents may share a node. Options: partial observability
    (``observation_radius``), a global ``state`` for a centralised critic (``global_state``)
    and agent attrition (``attrition``, ``attrition_schedule``).

    ## Action Space

    Each agent: ``Discrete(max_degree + 1)``. Slot 0 stays, slot ``i >= 1`` moves to
    ``neighbours[i]``, the agent's neighbours sorted by node id (``neighbours[0]`` is the
    agent's own node). Slots past the node's degree are padding: masked in mask mode
    (stepping one raises ``ValueError``); in penalty mode every slot is unmasked and a padding
    slot keeps the agent in place and adds ``invalid_penalty`` to that agent's reward.
    A live agent missing from the action dict stays; an action for an agent that is not
    live raises ``ValueError``.

    ## Observation Space

    The same graph observation contract (``envs.contract``) for every agent, a ``Dict`` of:

    | key           | shape     | meaning                                                  |
    |---------------|-----------|----------------------------------------------------------|
    | `x`           | (N, 7)    | idleness / n (as this agent knows it); is_self;         |
    |               |           | count of other live agents here (only in view); in_view  |
    |               |           | (0/1); pos_x; pos_y; count of those agents here whose    |
    |               |           | index is below this agent's (only in view); with a       |
    |               |           | ``route_hint``, an 8th column `route_next`: 1 on the node |
    |               |           | the cyclic strategy moves this agent to (:mod:`.route`)  |
    | `edge_index`  | (2, E)    | directed edges (both directions), padding columns 0      |
    | `node_mask`   | (N,)      | 1 for real nodes                                         |
    | `edge_mask`   | (E,)      | 1 for real edges                                         |
    | `action_mask` | (D + 1,)  | 1 for slots 0..degree (all slots in penalty mode)        |
    | `agent_node`  | (1,)      | the node the agent stands on                             |
    | `neighbours`  | (D + 1,)  | slot i -> node action i moves to (padded with own node)  |
    | `state`       | Dict      | with ``global_state=True`` (default): the same graph,    |
    |               |           | x = (N, 5) true idleness / n, live agents here,          |
    |               |           | pos_x, pos_y, steps left / max_steps                     |

    There are no edge features (Fe = 0): a move takes one step whatever the edge's length.
    Positions are the graph's coordinates shifted to a minimum of 0 and divided by the largest
    extent (in [0, 1]); zeros for graphs without positions.

    Partial observability, ``observation_radius = r``: an agent sees nodes within r hops of
    its node (``in_view = 1``): their true idleness and the other agents on them. Elsewhere it
    sees no agents and the steps since the latest visit it saw there: the idleness it last
    saw plus the steps since (kept per agent; every node counts as visited at reset, which
    is then the truth). That estimate ages with the clock the agent has, and it is exact
    unless another agent has been there since, so it never under-states the idleness. Hop balls
    come from a precomputed all-pairs "within r hops" matrix for graphs of at most
    ``core.HOP_MATRIX_MAX_NODES`` nodes, else a radius-limited BFS
    (``scipy.sparse.csgraph.dijkstra(unweighted=True, limit=r)``) from each agent each step.

    ## Rewards

    ``reward="team"`` (default): one team reward, the same for every live agent each step,
    ``r_t = -mean_v(idleness_t(v)) / n`` after all moves of step t (n = the graph's node count).
    ``idleness_t(v) <= t``, so ``|r_t| <= max_steps / n``; K agents splitting a tour keep it
    near 1 / (2K).

    ``reward="collected"``: each live agent's own share of the team objective, the idleness
    its node would have had after step t had nobody stood there (``idleness_{t-1}(v) + 1``),
    / n, split equally between the agents on that node. Collected idleness weighted by the
    steps left is the team return exactly (``PatrolCore._collected``); with a discount near
    ``1 - 1/max_steps`` the plain sum is close to that weighting, and each agent is credited
    with its own visits instead of the team's (per-agent credit, lower-variance advantages).

    Penalty mode adds ``invalid_penalty`` to the reward of an agent whose move was invalid.

    ## Starting State

    A graph from ``graphs``; K distinct start nodes drawn from the env's rng (or
    ``reset(options={"start_nodes": [...]})``, the graph's node ids when it has them);
    idleness 0 everywhere; every agent live.

    ## Episode End

    1. Attrition (termination of one agent): after the moves of a step, each live agent
       leaves with probability ``attrition["prob"]`` (one draw per agent from the env's rng;
       if more would leave than the floor ``attrition["min_agents"]`` allows, those with the
       lowest draws leave), and the agents listed in ``attrition_schedule[t]`` leave at step t
       (no floor). A leaving agent gets ``terminated=True``, its final observation and the
       metrics so far in its info, and is gone from ``agents``. Its move of that step still
       counts; idleness goes on with the others. If every agent has left, the episode is over.
    2. Truncation of every live agent after ``max_steps`` steps.

    The ``info`` of an agent on the step it finishes holds ``avg_idleness`` (mean over the
    steps 1..t of the mean node idleness), ``worst_idleness`` (the largest idleness of any
    node at any step so far), ``graph_nodes`` (int) and ``agents_alive`` (int, agents still
    live after the step); other infos are empty.

    ## Arguments

    ``PatrollingParallelEnv(config=None, **overrides)`` (RLlib passes ``env_config``):

    | key                  | default                 | meaning                                   |
    |----------------------|-------------------------|-------------------------------------------|
    | `graphs`             | grid 25, removed 0.1    | dict (generator, preset, files), GraphDistribution or a list of graphs (`envs.graphs`) |
    | `num_agents`         | 3                       | K (at most the smallest graph's nodes)    |
    | `max_nodes`          | the source's bound      | N                                         |
    | `max_edges`          | the source's bound      | E (directed)                              |
    | `max_degree`         | the source's degree     | D; a node of larger degree -> ValueError  |
    |                      | bound (4 for grids)     |                                           |
    | `max_steps`          | 100                     | episode length                            |
    | `observation_radius` | None (full)             | hops an agent sees                        |
    | `global_state`       | True                    | add the `state` key                       |
    | `attrition`          | None                    | ``{"prob": p, "min_agents": m}`` (m=1)    |
    | `attrition_schedule` | None                    | ``{step: [agent indices]}``               |
    | `invalid_action`     | "mask"                  | "mask" or "penalty"                       |
    | `invalid_penalty`    | -1.0                    | added to the reward of an invalid move    |
    | `reward`             | "team"                  | "team" or "collected" (see Rewards)       |
    | `route_hint`         | "none"                  | "cyclic" (full observability only) or     |
    |                      |                         | "cyclic_by_id": the `route_next` column   |

    The default ``max_degree`` is :attr:`envs.graphs.GraphSource.max_degree`: a listed
    graph's largest degree, else the generator's bound (4 for grids, n - 1 for
    Barabási–Albert, else the expected degree + 6 sd + 8, at most n - 1).
    """

    metadata = {"name": "patrolling_v0", "render_modes": []}
    settings_class = PatrolSettings
    core_class = PatrolCore
    default_action = 0  # a live agent without an action stays
