"""Maximum weighted matching: the env's settings and its episode core.

Both forms of the env (:class:`~envs.matching.env.MaxMatchingEnv` and
:class:`~envs.matching.multi.MaxMatchingParallelEnv`) play one :class:`MatchingCore`; the
matching itself is :class:`envs.matching.matching.MatchingState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from envs._validation import require_choice
from envs.contract import GraphObsSpec
from envs.episode import FullViewCore
from envs.graphs import Graph, GraphSource
from envs.matching.matching import (
    EDGE_FEATURES,
    NODE_FEATURES,
    MatchingState,
    draw_edge_weights,
)
from envs.matching.solvers import episode_info
from envs.settings import EnvSettings

#: Default graphs: Erdős–Rényi G(n, 0.25), n in {10, 15, 20}, unit node weights (unused).
DEFAULT_GRAPHS: dict[str, Any] = {
    "generator": "erdos_renyi", "sizes": [10, 15, 20], "params": {"p": 0.25}, "weights": "unit",
}


@dataclass(frozen=True, kw_only=True)
class MatchingSettings(EnvSettings):
    """A validated matching config: the shared settings plus ``edge_weights``
    (:func:`edge_weights_mode`). Every agent
    sees the whole graph (``state`` repeats its graph keys); the default step limit is the
    episode graph's node count."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = DEFAULT_GRAPHS
    OBSERVATION_VERSION: ClassVar[int] = 2  # 2: size-free degree features, heaviest edge
    KEYS: ClassVar[tuple[str, ...]] = ("edge_weights",)
    REFERENCES: ClassVar[tuple[str, ...]] = ("greedy", "exact")

    edge_weights: str

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        spec = GraphObsSpec(max_nodes=common["max_nodes"], max_edges=common["max_edges"],
                            node_features=NODE_FEATURES, num_actions=common["max_edges"],
                            edge_features=EDGE_FEATURES)
        return {"edge_weights": edge_weights_mode(merged.get("edge_weights"), common["source"]),
                "view_spec": spec, "state_spec": spec}

    def default_step_limit(self, graph: Graph) -> int:
        return graph.num_nodes


def edge_weights_mode(mode: str | None, source: GraphSource) -> str:
    """The ``edge_weights`` key: ``"graph"`` (the graphs' own ``edge_weights``),
    ``"uniform"`` or ``"unit"``. Left out: ``"graph"`` when the graphs are a fixed list
    carrying edge weights, else ``"uniform"``.

    The graphs' weights are never replaced silently: ``"uniform"`` / ``"unit"`` with listed
    graphs that carry edge weights is refused, and so is ``"graph"`` with graphs that carry
    none (generated graphs never do).
    """
    fixed = source.fixed or []
    carried = [i for i, g in enumerate(fixed) if g.edge_weights is not None]
    if mode is None:
        mode = "graph" if carried else "uniform"
    require_choice("edge_weights", mode, ("graph", "uniform", "unit"))
    if mode == "graph":
        if source.fixed is None:
            raise ValueError("edge_weights='graph' needs graphs that carry edge weights (files "
                             "or a list of graphs); generated graphs carry none: use "
                             "'uniform' or 'unit'")
        missing = sorted(set(range(len(fixed))) - set(carried))
        if missing:
            raise ValueError(f"edge_weights='graph': {source.names[missing[0]]} carries no edge "
                             f"weights, which {source.names[carried[0]] if carried else 'it'} "
                             f"does; give every listed graph edge weights, or none")
    elif carried:
        raise ValueError(f"edge_weights={mode!r} would replace the edge weights that "
                         f"{source.names[carried[0]]} carries; leave edge_weights out (or "
                         f"'graph') to play them, or load the graphs without them "
                         f"(graphs.edge_weight: null)")
    return mode


class MatchingCore(FullViewCore):
    """One matching episode for K agents picking edges together.

    Every pick is judged against the matching at the start of the step; the valid ones are
    then applied in agent-index order, and a pick that an earlier agent's pick of the same
    step made unavailable (the same edge, or one sharing a node with it) is void. Every
    agent's reward is the weight added this step.

    Attributes:
        matching: the episode's :class:`~envs.matching.matching.MatchingState`.
    """

    selection = True
    settings: MatchingSettings

    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        """Draw the next graph, then its edge weights from ``rng`` (or its own)."""
        graph = self.draw_graph(rng)
        self.matching = MatchingState(graph, draw_edge_weights(graph, rng,
                                                               self.settings.edge_weights))
        return graph

    def invalid_reason(self, agent: int, action: int) -> str | None:
        return self.matching.invalid_reason(action)

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.matching
        team = 0.0
        for action in actions[valid].tolist():  # agents in index order (K small)
            edge = m.edge_of(action)
            if m.available[edge]:  # else void: taken by an earlier agent this step
                team += m.pick(edge)
        if self.settings.penalty:
            m.invalid_actions += int((self.active & ~valid).sum())
        k = len(actions)
        return np.full(k, team), np.full(k, m.done)

    def view(self, terminal: bool) -> dict[str, np.ndarray]:
        """The shared observation; penalty mode marks every real edge slot valid."""
        m = self.matching
        mask = np.ones(2 * m.num_edges, bool) if self.settings.penalty else m.slot_mask()
        return self.settings.view_spec.pack(m.node_features(), m.edge_index, mask,
                                            edge_attr=m.edge_features(), terminal=terminal)

    def summary(self) -> dict[str, Any]:
        return episode_info(self.matching, self.settings.reference)


class MatchingViews:
    """The current episode's matching, for baselines (both env forms)."""

    core: MatchingCore

    @property
    def matching(self) -> MatchingState:
        """The episode's :class:`~envs.matching.matching.MatchingState` (read it only)."""
        if self.core.graph is None:
            raise RuntimeError("call reset() first: no episode has started")
        return self.core.matching
