"""Weighted minimum vertex cover: the env's settings and its episode core.

Shared by :class:`envs.mvc.env.MinVertexCoverEnv` (one node per step) and
:class:`envs.mvc.multi.MinVertexCoverParallelEnv` (K nodes per step) so that both forms
apply exactly the same rules; the cover itself is :class:`envs.mvc.cover.CoverState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from envs._validation import require_bool
from envs.contract import GraphObsSpec
from envs.episode import FullViewCore
from envs.graphs import Graph
from envs.mvc.cover import EDGE_FEATURES, NODE_FEATURES, CoverState, check_graph
from envs.mvc.solvers import episode_info
from envs.settings import EnvSettings


@dataclass(frozen=True, kw_only=True)
class MVCSettings(EnvSettings):
    """A validated MVC config: the shared settings plus ``mask_useless``. Every agent sees
    the whole graph (``state`` repeats its graph keys); the default step limit is N."""

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = {"preset": "blog_mvc", "split": "train"}
    OBSERVATION_VERSION: ClassVar[int] = 2  # 2: degree features on a log scale
    KEYS: ClassVar[tuple[str, ...]] = ("mask_useless",)
    REFERENCES: ClassVar[tuple[str, ...]] = ("greedy", "exact")

    mask_useless: bool

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        source = common["source"]
        for graph, name in zip(source.fixed or (), source.names):
            check_graph(graph, name)
        spec = GraphObsSpec(max_nodes=common["max_nodes"], max_edges=common["max_edges"],
                            node_features=len(NODE_FEATURES), num_actions=common["max_nodes"],
                            edge_features=len(EDGE_FEATURES))
        return {"mask_useless": require_bool("mask_useless", merged.get("mask_useless", True)),
                "view_spec": spec, "state_spec": spec}


class CoverCore(FullViewCore):
    """One MVC episode for K agents picking nodes together.

    All picks of a step are judged against the cover at the start of the step, then the
    valid distinct ones are added at once (a node picked by several agents counts once, for
    the lowest-index agent). Every agent's reward is minus the weight added this step.

    Attributes:
        cover: the episode's :class:`~envs.mvc.cover.CoverState`.
        invalid_actions: penalised picks so far, of all agents.
    """

    selection = True
    settings: MVCSettings

    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        graph = self.draw_graph(rng)
        self.cover = CoverState(graph, self.settings.mask_useless)
        self.invalid_actions = 0
        return graph

    def check_graph(self, graph: Graph) -> None:
        check_graph(graph, "the episode's graph")
        super().check_graph(graph)

    def invalid_reason(self, agent: int, action: int) -> str | None:
        return self.cover.invalid_reason(action)

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        picks = actions[valid]
        if len(picks) > 1:  # a node picked twice is added once, for the lowest-index agent
            _, first = np.unique(picks, return_index=True)
            picks = picks[np.sort(first)]
        added = self.cover.add(picks)
        if self.settings.penalty:
            self.invalid_actions += int((self.active & ~valid).sum())
        k = len(actions)
        return np.full(k, -added), np.full(k, self.cover.covered)

    def view(self, terminal: bool) -> dict[str, np.ndarray]:
        """The shared observation; penalty mode marks every real node slot valid, mask mode
        the nodes of :meth:`CoverState.valid`."""
        cover = self.cover
        mask = (np.ones(cover.num_nodes, np.int8) if self.settings.penalty
                else cover.valid().astype(np.int8))
        return self.settings.view_spec.pack(cover.features(), cover.edge_index, mask,
                                            edge_attr=cover.edge_attr(), terminal=terminal)

    def summary(self) -> dict[str, Any]:
        return episode_info(self.cover, self.invalid_actions, self.settings.reference)


class CoverViews:
    """Read-only views of the current episode, for baselines (both env forms)."""

    core: CoverCore

    def _require_cover(self) -> CoverState:
        if self.core.graph is None:
            raise RuntimeError("call reset() first: no episode has started")
        return self.core.cover

    @property
    def cover_state(self) -> CoverState:
        """The episode's :class:`~envs.mvc.cover.CoverState` (read it, do not mutate it)."""
        return self._require_cover()

    @property
    def graph(self) -> Graph:
        """The episode's graph."""
        return self._require_cover().graph

    @property
    def in_cover(self) -> np.ndarray:
        """(n,) bool, read-only: the nodes picked so far."""
        view = self._require_cover().in_cover.view()
        view.flags.writeable = False
        return view

    @property
    def valid_actions(self) -> np.ndarray:
        """(n,) bool: the nodes that are valid picks now, whatever ``invalid_action`` is."""
        return self._require_cover().valid()
