"""Euclidean travelling salesman as a gymnasium environment."""

from __future__ import annotations

from envs.graphs import Graph
from envs.single import GraphEnv
from envs.tsp.core import TourCore, TSPSettings
from envs.tsp.tour import TourState


class TravellingSalesmanEnv(GraphEnv):
    """
    ## Description

    The Euclidean travelling salesman problem (TSP): visit every city once and return to
    the first, along the shortest closed tour. The salesman builds the tour one city per
    step (as in Khalil et al., 2017, and Kool et al., 2019). The cities are the nodes of a
    graph with positions: by default 20 points uniform in the unit square
    (``{"generator": "uniform_points", "sizes": [20]}``); your own graphs from networkx,
    PyG or files work when every node has a ``pos`` (a graph without positions is refused
    with a ``ValueError`` naming it). Distances are Euclidean between positions; the
    graph's own edges are not read (any city may follow any other).

    There is no PettingZoo form: K salesmen minimising the total length of their tours from
    one depot do no better than one salesman doing all of it (by the triangle inequality),
    so a team would solve the same problem. The team problem worth learning, min-max mTSP
    (the longest of K tours), has other rules and other baselines.

    ## Action Space

    ``Discrete(max_nodes)``: the next city. Slots ``>= n`` (the episode's city count) are
    padding.

    ## Observation Space

    The graph contract of ``envs.contract`` (N = ``max_nodes``, E = ``max_edges``, F = 7,
    Fe = 1, A = N): keys ``x``, ``edge_index``, ``edge_attr``, ``node_mask``,
    ``edge_mask``, ``action_mask``. The edges are the symmetrised ``knn``-nearest-neighbour
    graph of the cities (each city joined to its ``knn`` nearest, an edge once when either
    end chose it), fixed for the episode; ``edge_attr[:, 0]`` is the edge's length.

    | ``x`` column | feature                                      | range  |
    |--------------|----------------------------------------------|--------|
    | 0            | visited (0/1)                                | {0, 1} |
    | 1            | the current city (0/1)                       | {0, 1} |
    | 2            | the start city (0/1)                         | {0, 1} |
    | 3, 4         | the vector from the current city to this one | real   |
    | 5            | its length: the cost of going here next      | >= 0   |
    | 6            | the distance to the start city (the way home) | >= 0  |

    Every column is a flag or relative to the salesman, never an absolute coordinate or a
    figure of the whole graph (the convention of ``docs/architecture.md``): moving all
    cities together changes nothing, and a city's row means the same at every size.

    ``action_mask``: with ``invalid_action="mask"``, 1 for the unvisited cities; with
    ``"penalty"`` 1 for every real city (padding slots stay 0).

    ## Rewards

    Minus the length added: the distance from the current city to the next, plus on the
    last city the closing edge back to the start. The return is minus the tour length. In
    penalty mode an invalid pick (a padding slot or a visited city) earns
    ``invalid_penalty`` (default -1) and changes nothing.

    ## Starting State

    A graph from ``graphs`` (drawn from the env's ``np_random``, or graph ``seed mod L`` of
    a fixed list) and a start city drawn uniformly from the same generator, already
    visited. ``reset(options={"start": c})`` starts at city ``c`` (your node id, or the
    index for generated graphs); a reset with the same seed replays the same cities and
    start.

    ## Episode End

    1. Termination: every city is visited (n - 1 steps after the reset); the tour is
       closed then.
    2. Truncation: ``max_steps`` steps (default ``max_nodes``) without termination (only
       reachable with penalties, or a ``max_steps`` below n - 1).

    The final ``info`` holds ``tour_length`` (float; the open path so far when truncated),
    ``unvisited`` (int, 0 unless truncated), ``invalid_actions`` (int) and ``graph_nodes``
    (int). With ``reference`` set to ``"exact"`` or ``"christofides"`` it also holds
    ``reference_tour_length`` (the tour of ``exact_tour`` / ``christofides_tour`` through
    the same cities, solved at the episode's end) and ``tour_ratio`` (``tour_length`` over
    it; lower is better, >= 1 against ``"exact"``); see
    :func:`envs.tsp.solvers.episode_info`. Other steps give an empty ``info``.

    ## Arguments

    ``TravellingSalesmanEnv(config=None, **overrides)``; RLlib passes ``env_config`` as
    ``config``, keywords override it.

    | key               | default                        | meaning |
    |-------------------|--------------------------------|---------|
    | ``graphs``        | 20 ``uniform_points``          | a generator, preset or files dict, a ``GraphDistribution`` or a list of graphs with positions (``envs.graphs``) |
    | ``knn``           | 10                             | neighbours of each city in the observation's graph (capped at n - 1) |
    | ``max_nodes``     | the source's largest size      | N |
    | ``max_edges``     | ``min(2 N knn, N (N - 1))``    | E, the neighbour graph's bound |
    | ``invalid_action``| ``"mask"``                     | ``"mask"`` (a masked action raises ``ValueError``) or ``"penalty"`` |
    | ``invalid_penalty``| ``-1.0``                      | reward of an invalid pick in penalty mode (<= 0) |
    | ``max_steps``     | ``max_nodes``                  | truncation horizon |
    | ``reference``     | ``"none"``                     | ``"none"``, ``"exact"`` (up to 100 cities) or ``"christofides"``: the tour the final info's ``tour_ratio`` divides by |
    | ``global_state``  | ``False``                      | add the ``state`` key: a copy of the observation's graph keys |

    Baselines (``envs.tsp.baselines``) read :attr:`tour_state`; :attr:`core` is the episode
    (:class:`~envs.tsp.core.TourCore`).
    """

    settings_class = TSPSettings
    core_class = TourCore

    @property
    def tour_state(self) -> TourState:
        """The episode's :class:`~envs.tsp.tour.TourState` (read it, do not mutate it)."""
        return self.started_core().tour

    @property
    def graph(self) -> Graph:
        """The episode's graph."""
        return self.tour_state.graph
