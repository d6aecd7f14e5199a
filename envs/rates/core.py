"""Rate allocation: the env's settings (a ``Box`` action space) and its one-step core.

The instance and its rules are :class:`envs.rates.problem.RateProblem`; the env's spec is
the docstring of :class:`envs.rates.env.RateAllocationEnv`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from envs._validation import require_choice, require_float
from envs.contract import GraphObsSpec
from envs.episode import FullViewCore
from envs.graphs import Graph
from envs.rates.problem import NODE_FEATURES, RateProblem
from envs.rates.solvers import episode_info
from envs.settings import EnvSettings


def capacity_range(value: Any) -> tuple[float, float]:
    """The ``capacity`` key: ``[low, high]`` with ``0 < low <= high``, finite."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"capacity must be a list [low, high] with 0 < low <= high, got "
                         f"{value!r}")
    low = require_float("capacity[0]", value[0], minimum=1e-6)
    high = require_float("capacity[1]", value[1], minimum=low)
    return low, high


@dataclass(frozen=True, kw_only=True)
class RateSettings(EnvSettings):
    """A validated rate-allocation config: the shared settings plus ``capacity`` and
    ``reward``.

    The action space is ``Box(-1, 1, (N,))``: one value per node slot. Every real node
    acts, so ``invalid_action`` must stay ``"mask"`` and an episode is one step
    (``max_steps`` may only be 1).
    """

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]] = {"generator": "random_geometric",
                                                "sizes": [10, 15, 20]}
    KEYS: ClassVar[tuple[str, ...]] = ("capacity", "reward")
    REFERENCES: ClassVar[tuple[str, ...]] = ("lp", "greedy")

    capacity: tuple[float, float]
    reward: str

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        if common["invalid_action"] != "mask":
            raise ValueError(f"invalid_action must be 'mask' for rate allocation (no action "
                             f"is invalid: rates are clipped to [0, 1] and repaired), got "
                             f"{common['invalid_action']!r}")
        if common["max_steps"] not in (None, 1):
            raise ValueError(f"max_steps must be 1 (or unset) for rate allocation: an "
                             f"episode is one step, got {common['max_steps']}")
        spec = GraphObsSpec(max_nodes=common["max_nodes"], max_edges=common["max_edges"],
                            node_features=len(NODE_FEATURES), num_actions=common["max_nodes"])
        return {"capacity": capacity_range(merged.get("capacity", [1.0, 2.0])),
                "reward": require_choice("reward", merged.get("reward", "utility"),
                                         ("utility", "per_node")),
                "view_spec": spec, "state_spec": spec}

    def default_step_limit(self, graph: Graph) -> int:
        return 1

    def action_space(self) -> spaces.Box:
        """``Box(-1, 1, (N,), float32)``: node ``v``'s rate is ``(a_v + 1) / 2``."""
        return spaces.Box(-1.0, 1.0, (self.max_nodes,), np.float32)

    def parse_action(self, action: Any) -> np.ndarray:
        """``action`` as an (N,) float64 array clipped to [-1, 1]; a ``ValueError`` for
        another shape, a non-numeric dtype or a non-finite value."""
        value = np.asarray(action)
        n = self.max_nodes
        if value.shape != (n,) or value.dtype.kind not in "fiu":
            raise ValueError(f"action must be an array of {n} numbers in [-1, 1] (one per "
                             f"node slot), got {type(action).__name__} of shape "
                             f"{value.shape} and dtype {value.dtype}")
        if not np.isfinite(value).all():
            slot = int(np.flatnonzero(~np.isfinite(value))[0])
            raise ValueError(f"action[{slot}] is {value[slot]}; actions must be finite")
        return np.clip(value.astype(np.float64), -1.0, 1.0)


class RateCore(FullViewCore):
    """One rate-allocation episode: one step, in which every node sets its rate.

    Attributes:
        problem: the episode's :class:`~envs.rates.problem.RateProblem`.
        requested: (n,) the rates the action asked for (None before the step).
        rates: (n,) the feasible rates they were repaired to (None before the step).
    """

    settings: RateSettings

    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        graph = self.draw_graph(rng)
        low, high = self.settings.capacity
        weights = (np.ones(graph.num_nodes) if graph.weights is None
                   else graph.weights.astype(np.float64))
        capacities = rng.uniform(low, high, graph.num_nodes)
        self.problem = RateProblem(graph, weights, capacities)
        self.requested = self.rates = None
        return graph

    def invalid_reason(self, agent: int, action: Any) -> str | None:
        return None  # parse_action clipped it; padding slots are ignored

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.problem.num_nodes
        self.requested = (actions[0, :n] + 1.0) / 2.0
        self.rates = self.problem.repair(self.requested)
        reward = self.problem.utility(self.rates)
        if self.settings.reward == "per_node":
            reward /= n
        return np.array([reward]), np.array([True])

    def view(self, terminal: bool) -> dict[str, np.ndarray]:
        """The observation: the instance's features; every real node acts."""
        problem = self.problem
        return self.settings.view_spec.pack(problem.features(), problem.graph.edge_index,
                                            np.ones(problem.num_nodes, np.int8),
                                            terminal=terminal)

    def summary(self) -> dict[str, Any]:
        return episode_info(self.problem, self.requested, self.rates, self.settings.reference)
