"""Single-agent maximum weighted matching (gymnasium), edges as actions."""

from __future__ import annotations

from envs.matching.core import MatchingCore, MatchingSettings, MatchingViews
from envs.matching.matching import MatchingState
from envs.single import GraphEnv


class MaxMatchingEnv(MatchingViews, GraphEnv):
    """
    ## Description

    Build a matching (a set of edges no two of which share a node) of maximum total edge
    weight, one edge per step. Each episode draws a graph and one weight per undirected edge
    (U[0, 1) from the env's rng right after the graph, or 1 with ``edge_weights="unit"``),
    or plays the graph's own ``edge_weights`` (``edge_weights="graph"``, the default for
    listed graphs or files that carry them; see ``envs.matching.core.edge_weights_mode``).
    The exact optimum is ``baselines.exact_matching`` (networkx's ``max_weight_matching``).

    ## Action Space

    ``Discrete(max_edges)``: a directed edge slot of the observation's ``edge_index``. Slot
    ``k < M`` is ``graph.edges[k]`` (u < v) and slot ``M + k`` its reverse; both directions mean
    the same undirected edge and are valid together while it is available, so a policy may
    score either. Slots ``>= 2M`` are padding and never valid.

    ## Observation Space

    The graph observation contract (``envs.contract``), a ``Dict`` of:

    | key           | shape  | meaning                                                        |
    |---------------|--------|----------------------------------------------------------------|
    | `x`           | (N, 4) | matched (0/1); log(1 + available degree); log(1 + sum of       |
    |               |        | available incident edge weights); heaviest available incident  |
    |               |        | edge weight (0 when none)                                      |
    | `edge_index`  | (2, E) | directed edges (both directions), padding columns 0            |
    | `edge_attr`   | (E, 2) | weight; available (0/1) (same for both directions)             |
    | `node_mask`   | (N,)   | 1 for real nodes                                               |
    | `edge_mask`   | (E,)   | 1 for real directed edge slots                                 |
    | `action_mask` | (E,)   | 1 for slots whose edge is available (both directions)          |
    | `state`       | Dict   | with ``global_state=True``: a copy of the five graph keys      |

    An edge is available while neither endpoint is matched. No feature is divided by a
    graph-wide figure (such as the largest degree): they mean the same at any graph size.

    ## Rewards

    + the picked edge's weight. In penalty mode an invalid pick (an unavailable edge or a
    padding slot) earns ``invalid_penalty`` and changes nothing.

    ## Starting State

    Nothing matched, every edge available (``reset`` ignores ``options``). A graph with no
    edges raises ``ValueError`` at reset (naming its size): no episode can start on it.

    ## Episode End

    1. Termination: no available edge remains (the matching is maximal).
    2. Truncation: ``max_steps`` steps taken (default the graph's node count; it can only
       bite in penalty mode, or when set below n / 2).

    The final step's ``info`` holds ``matching_weight`` (float), ``matching_size`` (float,
    edges in the matching), ``invalid_actions`` (int, penalised picks) and ``graph_nodes``
    (int); with ``reference`` set to ``"greedy"`` or ``"exact"`` also
    ``reference_matching_weight`` (float, the weight of ``greedy_matching`` /
    ``exact_matching`` on the episode's graph and edge weights, solved once at the episode's
    end) and ``matching_ratio`` (float, ``matching_weight / reference_matching_weight``, 1.0
    for a zero reference; higher is better, <= 1 against ``"exact"``); see
    :func:`envs.matching.solvers.episode_info`. Other steps' info is empty.

    ## Arguments

    ``MaxMatchingEnv(config=None, **overrides)`` (RLlib passes ``env_config`` positionally):

    | key               | default                       | meaning                                |
    |-------------------|-------------------------------|----------------------------------------|
    | `graphs`          | ER p=0.25, sizes [10, 15, 20] | generator/preset/files dict, GraphDistribution or a list of graphs (`envs.graphs`) |
    | `max_nodes`       | the source's bound            | N                                      |
    | `max_edges`       | the source's bound (directed) | E = the action count                   |
    | `edge_weights`    | `"graph"` if the graphs carry edge weights, else `"uniform"` | `"graph"` (theirs), `"uniform"` U[0,1) or `"unit"`; replacing weights the graphs carry is refused |
    | `invalid_action`  | `"mask"`                      | `"mask"` (raise) or `"penalty"`        |
    | `invalid_penalty` | -1.0                          | reward of an invalid pick (penalty), <= 0 |
    | `max_steps`       | None (graph's node count)     | truncation bound                       |
    | `reference`       | `"none"`                      | `"none"`, `"greedy"` or `"exact"`: the matching `matching_ratio` divides by |
    | `global_state`    | False                         | add the `state` key: a copy of the graph keys (see the multi-agent env) |

    In mask mode an invalid action raises ``ValueError`` saying why; in penalty mode every
    real slot is marked valid in ``action_mask`` (padding slots stay 0).
    """

    settings_class = MatchingSettings
    core_class = MatchingCore

    @property
    def state(self) -> MatchingState:
        """The episode's matching, as :attr:`matching` (kept under this name for the
        single-agent form; the team form's ``state()`` is PettingZoo's global view)."""
        return self.matching
