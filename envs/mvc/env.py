"""Single-agent weighted minimum vertex cover as a gymnasium environment."""

from __future__ import annotations

from envs.mvc.core import CoverCore, CoverViews, MVCSettings
from envs.single import GraphEnv


class MinVertexCoverEnv(CoverViews, GraphEnv):
    """
    ## Description

    Weighted minimum vertex cover (MVC): given an undirected graph with node weights, pick a
    set of nodes (a *cover*) such that every edge has at least one endpoint in it, at the
    least total weight. The agent builds the cover one node per step, as in S2V-DQN
    (Khalil et al., 2017) and the seed blog's experiments. Graphs default to the blog's
    distribution ``{"preset": "blog_mvc", "split": "train"}``: Watts–Strogatz k=4, p=0.3,
    weights U[0, 1), 5, 10 or 15 nodes.

    ## Action Space

    ``Discrete(max_nodes)``: the node to add to the cover. Slots ``>= n`` (the episode
    graph's node count) are padding.

    ## Observation Space

    The graph contract of ``envs.contract`` (``GraphObsSpec``; N = ``max_nodes``,
    E = ``max_edges`` directed edge slots, F = 4, Fe = 1, A = N): keys ``x``, ``edge_index``,
    ``edge_attr``, ``node_mask``, ``edge_mask``, ``action_mask``.

    | ``x`` column | feature                      | range  |
    |--------------|------------------------------|--------|
    | 0            | node weight                  | >= 0   |
    | 1            | in cover (0/1)               | {0, 1} |
    | 2            | log(1 + uncovered degree)    | >= 0   |
    | 3            | log(1 + uncovered-neighbour weight): the sum of the weights of the neighbours across still-uncovered edges (what the cover must pay around the node if it is *not* picked) | >= 0 |

    Columns 2-3 are the node's own counts on a log scale, never divided by a graph-wide
    figure such as the largest degree, so that they mean the same on graphs of any size.
    ``edge_attr[:, 0]`` is 1
    where the edge is covered (both directions of an undirected edge carry the same flag).

    ``action_mask``: with ``invalid_action="mask"``, 1 for real nodes not yet in the cover
    that still touch an uncovered edge (``mask_useless=True``), or for every real node not
    yet in the cover (``mask_useless=False``, as in the seed blog). With
    ``invalid_action="penalty"`` every real node slot is 1 (padding slots stay 0).

    ## Rewards

    Minus the weight of the node added, so the return is minus the cover weight. In penalty
    mode an invalid pick (a padding slot, a node already in the cover, or with
    ``mask_useless=True`` a node touching no uncovered edge) earns ``invalid_penalty``
    (default -1) and leaves the state unchanged.

    ## Starting State

    A graph from ``graphs`` (drawn from the env's ``np_random``, or the next of a fixed
    list), an empty cover and every edge uncovered. A graph with no edges cannot start an
    episode: ``reset`` raises ``ValueError`` naming it (a fixed list is checked when the env
    is built). ``options`` of ``reset`` are ignored.

    ## Episode End

    1. Termination: every edge is covered.
    2. Truncation: ``max_steps`` steps (default ``max_nodes``) without termination (only
       reachable with penalties, or a ``max_steps`` below the graph's node count).

    The final ``info`` holds ``cover_weight`` (float, weight of the picked nodes),
    ``cover_size`` (int), ``uncovered_edges`` (int, 0 unless truncated),
    ``invalid_actions`` (int, penalised picks) and ``graph_nodes`` (int). With
    ``reference`` set to ``"greedy"`` or ``"exact"`` it also holds
    ``reference_cover_weight`` (float, the weight of ``greedy_mvc`` / ``exact_mvc``'s cover
    of the episode's graph, solved once at the episode's end) and ``cover_ratio`` (float,
    ``cover_weight / max(reference_cover_weight, 1e-9)``, 1.0 when both are 0; lower is
    better, >= 1 against ``"exact"``); see :func:`envs.mvc.solvers.episode_info`. Other
    steps give an empty ``info``.

    ## Arguments

    ``MinVertexCoverEnv(config=None, **overrides)``; RLlib passes ``env_config`` as
    ``config``, keywords override it.

    | key               | default                                   | meaning |
    |-------------------|-------------------------------------------|---------|
    | ``graphs``        | ``{"preset": "blog_mvc", "split": "train"}`` | a generator, preset or files dict, a ``GraphDistribution`` or a list of graphs (``envs.graphs``; a seeded reset plays graph seed mod L) |
    | ``max_nodes``     | the source's largest size                 | N |
    | ``max_edges``     | the source's directed-edge bound          | E |
    | ``invalid_action``| ``"mask"``                                | ``"mask"`` (a masked action raises ``ValueError``) or ``"penalty"`` |
    | ``invalid_penalty``| ``-1.0``                                 | reward of an invalid pick in penalty mode (<= 0) |
    | ``max_steps``     | ``max_nodes``                             | truncation horizon |
    | ``mask_useless``  | ``True``                                  | nodes touching no uncovered edge are invalid |
    | ``reference``     | ``"none"``                                | ``"none"``, ``"greedy"`` or ``"exact"``: the cover the final info's ``cover_ratio`` divides by |
    | ``global_state``  | ``False``                                 | add the ``state`` key: a copy of the observation's graph keys (see the multi-agent env) |

    Baselines (``envs.mvc.baselines``) read :attr:`graph`, :attr:`in_cover`,
    :attr:`valid_actions` and :attr:`cover_state`; :attr:`core` is the episode
    (:class:`~envs.mvc.core.CoverCore`).
    """

    settings_class = MVCSettings
    core_class = CoverCore
