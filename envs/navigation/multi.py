"""Multi-agent navigation (PettingZoo ParallelEnv): K agents, each walking to its own goal."""

from __future__ import annotations

from typing import Any

from envs.navigation.core import NavigationCore, NavigationSettings
from envs.team import TeamParallelEnv


class NavigationParallelEnv(TeamParallelEnv):
    """
    ## Description

    K agents (``"agent_0"``..) share one graph per episode; each has its own start and goal
    in the same connected component. Starts are distinct, goals are distinct (an agent's
    goal may be another agent's start). Moves, edge lengths, action modes and rewards are
    those of :class:`~envs.navigation.env.NavigationEnv`, per agent.

    ## Collisions (``exclusive_nodes``)

    ``False`` (default): agents pass through each other and may share nodes.
    ``True``: agents move in index order; a move onto a node that an active agent stood on at
    the start of the step (even one leaving it this step), or that a lower-index agent entered
    this step, is blocked: the agent stays and pays ``stay_cost``. So no two active agents
    ever share a node and no pair swaps. Agents at their goal leave the graph (they block
    nothing from the next step on).

    ## Action Space

    Per agent, as the single-agent env: ``Discrete(max_degree)`` (neighbours) or
    ``Discrete(5)`` (compass: N, E, S, W, stay).

    ## Observation Space

    Per agent, the graph observation contract with ``x`` of shape (N, 6) from its own view:

    | col | feature           | meaning                                            |
    |-----|-------------------|----------------------------------------------------|
    | 0   | `is_self`         | 1 on the node this agent stands on                 |
    | 1   | `is_own_goal`     | 1 on this agent's goal                             |
    | 2   | `others_here`     | number of other active agents on the node          |
    | 3   | `visited_by_self` | 1 on nodes this agent has stood on                 |
    | 4-5 | `pos_x`, `pos_y`  | node position (0 without positions); with          |
    |     |                   | `positions: to_goal` own goal's position - node's  |

    plus ``edge_attr`` (edge length), ``action_mask``, ``agent_node`` and (neighbours mode)
    ``neighbours``, all from the agent's node.

    With ``global_state=True`` (default) every observation also holds ``state``, the global
    view for a centralised critic (CTDE; actors should not read it): the same graph
    (``edge_index``, ``node_mask``, ``edge_mask``, ``edge_attr`` = edge length) with ``x`` of
    shape (N, 5):

    | col | feature       | meaning                                                |
    |-----|---------------|--------------------------------------------------------|
    | 0   | `agents_here` | number of active agents on the node (sums to the       |
    |     |               | number of agents still walking)                        |
    | 1   | `goals_here`  | number of active agents whose goal is the node         |
    | 2-3 | `pos_x/pos_y` | node position (0 without positions)                    |
    | 4   | `steps_left`  | (max_steps - steps) / max_steps, on every node: the    |
    |     |               | critic's clock for the truncation                      |

    It has no ``agent_node`` / ``neighbours`` (those stay per agent). The state is packed once
    per step and the same arrays are shared by every agent's observation (treat them as
    read-only); on a step where agents finish, it counts the agents still active after it.
    :meth:`state` returns a fresh copy of it (with ``global_state`` off too).

    ## Rewards

    Per agent: ``-length`` of its move, ``-stay_cost`` for a stay or a blocked move,
    ``goal_reward x its shortest_path_length`` on reaching its goal, ``invalid_penalty`` for
    an invalid action in penalty mode.

    ## Episode End

    An agent is terminated on reaching its goal and removed from ``agents``; every agent
    still walking is truncated after ``max_steps`` steps (default 4 x the graph's nodes).
    An agent's final ``info`` holds ``success``, ``path_length``, ``shortest_path_length``,
    ``graph_nodes`` and, on success only, ``path_ratio`` (as the single-agent env).
    :meth:`team_info` gives the team's metrics under the same keys; the final infos of the
    team's last step also carry them, under ``"team"``.

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (K, default 2; more than the nodes of
    the smallest graph raises ``ValueError``) and ``exclusive_nodes`` (default False);
    ``global_state`` defaults to True here.
    PettingZoo reset: ``seed`` reseeds the env's own ``numpy`` generator (and picks graph
    ``seed mod L`` of a fixed ``graphs`` list); ``options={"starts": [...], "goals": [...]}``
    chooses the K starts and goals (distinct starts, distinct goals, in the graph's node ids;
    the single-agent env's rules).
    """

    metadata = {"name": "navigation_v0", "render_modes": []}
    settings_class = NavigationSettings
    core_class = NavigationCore

    def team_info(self) -> dict[str, Any]:
        """The episode's team metrics: ``success`` = fraction of agents at their goal,
        ``path_length`` and ``shortest_path_length`` summed over agents, ``graph_nodes``,
        and ``path_ratio`` (summed path / summed shortest) only when every agent succeeded."""
        if self.core.graph is None:
            raise RuntimeError("team_info() called before reset()")
        return self.core.team_info()
