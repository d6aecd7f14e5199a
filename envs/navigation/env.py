"""Single-agent navigation on a graph (gymnasium): walk from a start node to a goal node."""

from __future__ import annotations

from envs.navigation.core import NavigationCore, NavigationSettings
from envs.single import GraphEnv


class NavigationEnv(GraphEnv):
    """
    ## Description

    An agent stands on a node of a graph and must reach a goal node along the edges, paying
    each edge's length. Each episode draws a graph (by default a 20-node random geometric
    graph in the unit square; grids with walls via ``{"generator": "grid", "params":
    {"removed": 0.2}}``), then a start and a distinct goal in the start's connected component.
    Edge length is ``graph.edge_lengths()``: Euclidean with node positions, else 1. The
    optimum is the shortest path (``baselines.play_shortest_path``).

    ## Action Space

    ``actions="neighbours"`` (default): ``Discrete(max_degree)``; action ``i`` moves to
    ``obs["neighbours"][i]``, the agent's neighbours sorted by node id. Slots ``>= degree``
    are padding (they hold the agent's own node) and are masked.

    ``actions="compass"`` (grid graphs only): ``Discrete(5)`` = N, E, S, W, stay. Positions are
    ``(col, row)``; N is row - 1 (-y), E is col + 1. Moves that leave the grid or hit a removed
    cell are masked; stay is always valid.

    ## Observation Space

    The graph observation contract (``envs.contract``), a ``Dict`` of:

    | key           | shape   | meaning                                                     |
    |---------------|---------|-------------------------------------------------------------|
    | `x`           | (N, 5)  | is_agent, is_goal, visited (0/1), pos_x, pos_y (0 without   |
    |               |         | positions; grids: column and row indices); with `positions: |
    |               |         | to_goal` the goal's position minus the node's instead       |
    | `edge_index`  | (2, E)  | directed edges (both directions), padding columns 0         |
    | `edge_attr`   | (E, 1)  | edge length                                                 |
    | `node_mask`   | (N,)    | 1 for real nodes                                            |
    | `edge_mask`   | (E,)    | 1 for real directed edges                                   |
    | `action_mask` | (A,)    | 1 for the moves available from the agent's node             |
    | `agent_node`  | (1,)    | the node the agent stands on                                |
    | `neighbours`  | (D,)    | (neighbours mode) slot i = the node action i moves to       |
    | `state`       | Dict    | with ``global_state=True``: the global view of the          |
    |               |         | multi-agent env (x = agents_here, goals_here, pos_x, pos_y, |
    |               |         | steps_left; edge_attr = edge length): here the agent and    |
    |               |         | its goal, 0 on the final obs (the agent is no longer active)|

    ## Rewards

    ``-length`` of the edge walked; the compass ``stay`` costs ``stay_cost`` (default 0.1).
    Reaching the goal adds ``goal_reward x shortest_path_length`` (default 2.0 x): the
    shortest path then returns ``+shortest_path_length``, and any successful path with
    ``path_ratio < goal_reward`` returns more than any episode that never arrives (<= 0), on
    unit-square geometric graphs and unit-length grids alike. In penalty mode an invalid
    action earns ``invalid_penalty`` and changes nothing.

    ## Starting State

    The start is uniform over nodes whose connected component has >= 2 nodes; the goal is
    uniform over the other nodes of that component (``connected_components`` at reset). A
    drawn graph with no edge at all is redrawn (up to 100 draws, then ``ValueError``).
    ``reset(options={"start": s, "goal": g})`` chooses both instead, as the graph's own node
    ids (``graph.node_ids``: graphs from networkx or files) or indices when it has none; a
    goal equal to the start (an episode over before it begins, which gymnasium cannot
    express) and a goal unreachable from the start are refused with a ``ValueError``.

    ## Episode End

    1. Termination: the agent stands on the goal.
    2. Truncation: ``max_steps`` steps taken (default 4 x the graph's nodes).

    The final step's ``info`` holds ``success`` (1.0 / 0.0), ``path_length`` (edge lengths
    walked), ``shortest_path_length`` (Dijkstra, start to goal), ``graph_nodes`` (int) and,
    only when ``success`` is 1, ``path_ratio`` = path_length / shortest_path_length (left out
    on failure rather than NaN, so that RLlib's metric means stay finite: its mean is over
    successful episodes). Other steps' info is empty.

    ## Arguments

    ``NavigationEnv(config=None, **overrides)`` (RLlib passes ``env_config`` positionally):

    | key               | default                          | meaning                               |
    |-------------------|----------------------------------|---------------------------------------|
    | `graphs`          | random geometric, sizes [20]     | dict (generator, preset, files), GraphDistribution or a list of graphs (`envs.graphs`) |
    | `max_nodes`       | the source's bound               | N                                     |
    | `max_edges`       | the source's bound (directed)    | E                                     |
    | `max_degree`      | derived (see below)              | D = the action count (neighbours)     |
    | `actions`         | `"neighbours"`                   | `"neighbours"` or `"compass"`         |
    | `invalid_action`  | `"mask"`                         | `"mask"` (raise) or `"penalty"`       |
    | `invalid_penalty` | -1.0                             | reward of an invalid action (penalty), <= 0 |
    | `max_steps`       | None (4 x the graph's nodes)     | truncation bound                      |
    | `goal_reward`     | 2.0                              | goal bonus, x shortest_path_length    |
    | `stay_cost`       | 0.1                              | cost of the compass stay              |
    | `positions`       | `"absolute"`                     | last 2 features: `"absolute"` or `"to_goal"` (goal's position - node's) |
    | `global_state`    | False                            | add the `state` key (CTDE critic)     |

    Default ``max_degree``: a fixed list's largest degree; 4 for grids; for other generators
    the expected degree + 6 sd + 8, capped at max_nodes - 1 (19 for the default graphs). A
    drawn graph with a node over ``max_degree`` raises the contract's ``ValueError`` at reset
    (a listed graph, at construction).
    In mask mode an invalid action raises ``ValueError`` saying why; in penalty mode the mask
    marks every real action valid (all 5 compass moves; neighbour slots ``< degree``, the
    padded slots stay 0).
    """

    settings_class = NavigationSettings
    core_class = NavigationCore
