"""Multi-robot path finding with communication (PettingZoo ParallelEnv)."""

from __future__ import annotations

from envs.robots.core import RobotsCore, RobotsSettings
from envs.team import TeamParallelEnv


class RobotsParallelEnv(TeamParallelEnv):
    """
    ## Description

    K robots (``"agent_0"`` ..) on a grid map with obstacles, each with its own goal cell,
    as in decentralised multi-robot path planning with graph neural networks (Li et al.
    2020, 2021: message-aware graph attention). Each robot sees a small window of the map
    around it; robots within ``comm_range`` of each other can talk, so the team forms an
    *agent graph* whose nodes are the robots and whose edges change every step as they move.
    A robot's observation is its own ``comm_hops``-hop neighbourhood of that graph, in the
    graph observation contract: a GNN over it is a policy that only uses what reaches the
    robot within k hops of communication, by construction.

    Each episode draws a map (default: an 8 x 8 grid with 15% of its cells obstacles, the
    largest free component kept), K distinct start cells and K distinct goal cells (a goal
    may be another robot's start) from the env's rng.

    ## Action Space

    Each robot: ``Discrete(5)``: up, right, down, left, idle (``core.ACTIONS``; up is -row).
    A move into an obstacle or off the map is masked in mask mode (stepping it raises
    ``ValueError``); in penalty mode every action is unmasked and such a move keeps the
    robot in place and adds ``invalid_penalty`` to its reward.

    ## Collisions

    Robots move simultaneously and never share a cell or swap. A move is *blocked* (the
    robot stays) when another robot ends the step in its target cell (a robot staying there
    keeps it; of several robots moving into a free cell the lowest index gets it) or when
    two robots would swap cells; blocking repeats until no conflict is left
    (``envs.robots.moves``). Following a robot that leaves its cell in the same step is
    allowed. Every blocked move counts as one collision in ``collisions`` and adds
    ``collision_penalty`` to that robot's reward.

    ## Observation Space

    Per robot i, the contract's ``Dict`` with one node slot per robot (N = K, robot j in
    slot j) and E = K(K - 1) edge slots:

    | key           | meaning                                                           |
    |---------------|-------------------------------------------------------------------|
    | `x`           | (K, F): rows of the robots within ``comm_hops`` hops of i, zero   |
    |               | rows elsewhere (see below)                                        |
    | `node_mask`   | 1 for the robots within ``comm_hops`` hops of i (i included)      |
    | `edge_index`  | this step's communication edges between those robots, both ways   |
    | `edge_attr`   | (E, 3): ``dx, dy, distance`` from source to target, in units of |
    |               | ``max(comm_range, 1)`` cells                                      |
    | `action_mask` | (5,): the moves that stay on free cells (idle always)             |
    | `agent_node`  | i                                                                 |
    | `state`       | with ``global_state=True`` (default): every robot (own features   |
    |               | and ``steps_left / max_steps``) over the whole agent graph        |

    Columns of ``x``, with r = ``fov_radius`` and w = (2r + 1)^2, for robot j in i's view:

    | cols          | feature            | meaning                                        |
    |---------------|--------------------|------------------------------------------------|
    | 0 .. w-1      | `obstacle_*`       | j's window, row-major: 1 on an obstacle or off |
    |               |                    | the map                                        |
    | w .. 2w-1     | `robot_*`          | 1 where another robot stands in j's window     |
    | 2w .. 2w+3    | `closer_*`         | 1 if moving up / right / down / left brings j  |
    |               |                    | closer to its goal along shortest paths (the   |
    |               |                    | heuristic channels of DHC, Ma et al. 2021)     |
    | 2w+4          | `goal_distance`    | log(1 + j's shortest-path steps to its goal)   |
    | 2w+5          | `at_goal`          | 1 if j stands on its goal                      |
    | 2w+6, 2w+7    | `rel_x`, `rel_y`   | j's cell minus i's, / max(comm_range, 1)       |
    | 2w+8          | `is_self`          | 1 on i's own row                               |

    Every feature is a robot's own quantity in cells or in units of ``max(comm_range, 1)``: none is
    divided by the team size or the map size, so a policy reads a larger team or map the
    same way. The robots beyond ``comm_hops`` hops have no row, no edge and no influence on
    anything robot i observes: with ``comm_hops=0`` a robot sees itself alone (the policy
    without communication). The state's ``x`` is the first 2w + 6 columns of every robot
    plus the clock; it is packed once per step and shared by every observation (read-only).

    ## Decentralised execution

    Robot i's observation is a function of the local views (cell, goal distances, window)
    of the robots within k = ``comm_hops`` hops and nothing else, so any policy on it, a GNN
    of any number of layers included, is decentralised: it is what i can compute after k
    rounds in which every robot relays what it has heard to its neighbours. A GNN with more
    than k layers runs further rounds on that local copy, one with fewer still reads the
    outer hops through the pooled graph embedding; with exactly k layers the agent-node
    embedding equals what k rounds of in-network message passing (embeddings exchanged, not
    views) would give. A robot's window shows robots that are not in its neighbourhood only
    when ``comm_range`` < ``fov_radius * sqrt(2)`` (default 3 >= 2.83: every robot in a window
    is a neighbour).

    ## Rewards

    Per robot and step: ``-step_cost`` if it is not on its goal after the step;
    ``+goal_reward`` when it arrives on its goal and ``-goal_reward`` when it leaves it;
    ``collision_penalty`` (<= 0) for a blocked move; ``invalid_penalty`` in penalty mode.

    ## Episode End

    Every robot stays on the map all episode (a robot on its goal still blocks the cell and
    may step aside). The episode terminates for all robots on the step on which every robot
    stands on its goal; all are truncated after ``max_steps`` (default 4 x (width + height)
    of the map). Every robot's final ``info`` holds the team's metrics: ``success`` (1.0 if
    all robots are on their goals), ``robots_at_goal`` (the fraction that are),
    ``collisions`` (blocked moves), ``graph_nodes`` (free cells) and, on success,
    ``makespan`` (the steps it took).

    ## Arguments

    | key                 | default          | meaning                                      |
    |---------------------|------------------|----------------------------------------------|
    | `graphs`            | 8x8 grid, 15%    | the maps: grid graphs (``generator: grid``,  |
    |                     | obstacles        | ``params.removed`` = obstacle fraction) or a |
    |                     |                  | list of connected grid graphs                |
    | `num_agents`        | 4                | K, the robots                                |
    | `fov_radius`        | 2                | r: each robot sees (2r + 1) x (2r + 1) cells |
    | `comm_range`        | 3.0              | robots at most this far apart (Euclidean,    |
    |                     |                  | cells) talk; obstacles do not block it       |
    | `comm_hops`         | 2                | k: a robot observes the robots within k hops |
    |                     |                  | of the communication graph (0: none)         |
    | `goal_reward`       | 1.0              | reward for arriving (minus for leaving)      |
    | `step_cost`         | 0.05             | per step off the goal                        |
    | `collision_penalty` | -0.5             | per blocked move                             |
    | `max_steps`         | 4 x (W + H)      | episode length                               |
    | `max_nodes`         | the source's     | bound on the map's cells (not on the         |
    |                     |                  | observation, which has K node slots)         |
    | `global_state`      | True             | add the ``state`` key (CTDE)                 |
    | `invalid_action`    | "mask"           | "mask" or "penalty"                          |

    Reset: ``seed`` reseeds the env's rng (and picks map ``seed mod L`` of a listed
    ``graphs``); ``options={"starts": [...], "goals": [...]}`` chooses the cells (node ids
    of the map, K distinct each). There is no single-robot form: one robot needs no
    communication (``nav`` with ``actions: compass`` is that problem).
    """

    metadata = {"name": "robots_v0", "render_modes": []}
    settings_class = RobotsSettings
    core_class = RobotsCore
