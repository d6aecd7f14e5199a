"""The environments by stable name, with their problem metric and baseline players.

Entries name classes and functions as ``"module:attr"`` strings so that listing the catalog
imports nothing heavy; :meth:`EnvEntry.make` and :meth:`EnvEntry.baselines` import on use.
``rllib_gnn`` registers every entry with Ray Tune under the same name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envs._validation import require_choice


def _load(path: str) -> Any:
    module, attr = path.split(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class EnvEntry:
    """One registered environment.

    Attributes:
        env_class: ``"module:Class"`` of the gymnasium Env or PettingZoo ParallelEnv.
        multi_agent: whether it is a PettingZoo ParallelEnv.
        metric: the ``info`` key holding the problem metric at episode end.
        goal: ``"min"`` or ``"max"`` — which way the metric improves.
        baselines: baseline name -> ``"module:function"`` playing one episode
            (``function(env, seed) -> final info``).
        reference: the baseline that is optimal (exact) or the strongest heuristic, the
            denominator of "ratio to the baseline".
        summary: one line for ``rllib-gnn envs``.
        ratio: the ``info`` key of the episode's metric over a reference the env computes
            itself (e.g. greedy's cover weight on the same graph), or None.
        extra_metrics: further final-``info`` keys that evaluation tables report beside
            ``metric``. A key may be missing from an episode's info (``path_ratio`` exists
            only when the episode succeeded; ``cover_ratio`` / ``matching_ratio`` only with
            ``env_config.reference`` set): :func:`envs.compare.compare` averages it over the
            episodes that have it.
        improve: ``"module:function"`` of a local improvement at inference,
            ``function(env, final info) -> final info`` of the improved solution, called
            right after an episode ended (the env still holds its final state), or None.
        vector_class: ``"module:Class"`` of a native gymnasium ``VectorEnv`` stepping B
            episodes of a single-agent env at once (``Class(num_envs, config)``), or None:
            :meth:`make_vector` then steps B copies in gymnasium's ``SyncVectorEnv``.
    """

    env_class: str
    multi_agent: bool
    metric: str
    goal: str
    baselines: dict[str, str] = field(default_factory=dict)
    reference: str | None = None
    summary: str = ""
    ratio: str | None = None
    extra_metrics: tuple[str, ...] = ()
    improve: str | None = None
    vector_class: str | None = None

    def make(self, config: dict | None = None, **overrides: Any):
        """Build the environment from a config dict."""
        return _load(self.env_class)(config, **overrides)

    def make_vector(self, num_envs: int, config: dict | None = None):
        """``num_envs`` episodes of a single-agent env in one gymnasium ``VectorEnv``."""
        if self.multi_agent:
            raise ValueError(f"{self.env_class} is a PettingZoo env: it has no vector form")
        if self.vector_class is not None:
            return _load(self.vector_class)(num_envs, config)
        from gymnasium.vector import SyncVectorEnv

        return SyncVectorEnv([lambda: self.make(config) for _ in range(num_envs)])

    def observation_version(self) -> int:
        """The version of what this env's observations mean
        (``EnvSettings.OBSERVATION_VERSION`` of its settings class)."""
        return _load(self.env_class).settings_class.OBSERVATION_VERSION

    def improver(self) -> Callable[[Any, dict], dict]:
        """The env's local improvement (see ``improve``); ValueError when it has none."""
        if self.improve is None:
            raise ValueError(f"{self.env_class.split(':')[1]} has no local improvement at "
                             f"inference; the envs with one: "
                             f"{[name for name, e in ENVS.items() if e.improve]}")
        return _load(self.improve)

    def baseline(self, name: str) -> Callable[..., dict]:
        """The player of baseline ``name``."""
        require_choice("baseline", name, self.baselines)
        return _load(self.baselines[name])


ENVS: dict[str, EnvEntry] = {
    "mvc": EnvEntry(
        "envs.mvc:MinVertexCoverEnv", False, "cover_weight", "min",
        {"exact": "envs.mvc:play_exact", "greedy": "envs.mvc:play_greedy",
         "random": "envs.mvc:play_random"}, "exact",
        "weighted minimum vertex cover; an action picks a node", "cover_ratio", ("cover_ratio",),
        "envs.mvc:improve_final_cover", "envs.mvc.vector:MinVertexCoverVectorEnv"),
    "mvc-multi": EnvEntry(
        "envs.mvc:MinVertexCoverParallelEnv", True, "cover_weight", "min",
        {"exact": "envs.mvc:play_exact_parallel", "greedy": "envs.mvc:play_greedy_parallel"},
        "exact", "weighted MVC by a team of K agents picking nodes together", "cover_ratio",
        ("cover_ratio",)),
    "nav": EnvEntry(
        "envs.navigation:NavigationEnv", False, "path_length", "min",
        {"shortest_path": "envs.navigation:play_shortest_path",
         "random": "envs.navigation:play_random"}, "shortest_path",
        "reach a goal node; action i moves to neighbours[i] (or compass moves on grids)",
        "path_ratio", ("success", "path_ratio")),
    "nav-multi": EnvEntry(
        "envs.navigation:NavigationParallelEnv", True, "path_length", "min",
        {"shortest_path": "envs.navigation:play_shortest_path_parallel",
         "prioritised": "envs.navigation:play_prioritised"}, "shortest_path",
        "K agents, each with its own goal", "path_ratio", ("success", "path_ratio")),
    "patrol": EnvEntry(
        "envs.patrolling:PatrollingEnv", False, "avg_idleness", "min",
        {"cyclic": "envs.patrolling:play_cyclic_single",
         "greedy_idleness": "envs.patrolling:play_greedy_idleness_single",
         "random_walk": "envs.patrolling:play_random_walk_single"}, "cyclic",
        "one agent patrols a graph; minimise node idleness", None, ("worst_idleness",)),
    "patrol-multi": EnvEntry(
        "envs.patrolling:PatrollingParallelEnv", True, "avg_idleness", "min",
        {"cyclic": "envs.patrolling:play_cyclic",
         "cyclic_by_id": "envs.patrolling:play_cyclic_by_id",
         "partition": "envs.patrolling:play_partition",
         "greedy_idleness": "envs.patrolling:play_greedy_idleness",
         "local_greedy": "envs.patrolling:play_local_greedy",
         "independent_greedy": "envs.patrolling:play_independent_greedy",
         "random_walk": "envs.patrolling:play_random_walk"}, "cyclic",
        "K agents patrol a graph; partial observability, attrition, global state for CTDE",
        None, ("worst_idleness",)),
    "matching": EnvEntry(
        "envs.matching:MaxMatchingEnv", False, "matching_weight", "max",
        {"exact": "envs.matching:play_exact", "greedy": "envs.matching:play_greedy",
         "random": "envs.matching:play_random"}, "exact",
        "maximum weighted matching; an action picks an edge", "matching_ratio",
        ("matching_ratio",), "envs.matching:improve_final_matching"),
    "matching-multi": EnvEntry(
        "envs.matching:MaxMatchingParallelEnv", True, "matching_weight", "max",
        {"greedy": "envs.matching:play_greedy_parallel"}, "greedy",
        "maximum weighted matching by a team of K agents", "matching_ratio",
        ("matching_ratio",)),
    "tsp": EnvEntry(
        "envs.tsp:TravellingSalesmanEnv", False, "tour_length", "min",
        {"exact": "envs.tsp:play_exact", "christofides": "envs.tsp:play_christofides",
         "nearest_neighbour": "envs.tsp:play_nearest_neighbour",
         "random": "envs.tsp:play_random"}, "exact",
        "Euclidean travelling salesman; an action picks the next city", "tour_ratio",
        ("tour_ratio",)),
    "rates": EnvEntry(
        "envs.rates:RateAllocationEnv", False, "utility", "max",
        {"lp": "envs.rates:play_lp", "greedy": "envs.rates:play_greedy",
         "equal_share": "envs.rates:play_equal_share", "random": "envs.rates:play_random"},
        "lp", "rate allocation under neighbourhood capacities; an action sets every node's "
        "rate (Box, one value per node)", "utility_ratio", ("utility_ratio",)),
    "robots": EnvEntry(
        "envs.robots:RobotsParallelEnv", True, "success", "max",
        {"prioritised": "envs.robots:play_prioritised",
         "independent": "envs.robots:play_independent"}, "prioritised",
        "K robots on a grid map, each to its own goal; observations are k-hop neighbourhoods "
        "of the communication graph", None, ("robots_at_goal", "makespan", "collisions")),
}


def entry(name: str) -> EnvEntry:
    """The catalog entry of env ``name`` (ValueError listing the names otherwise)."""
    require_choice("env", name, ENVS)
    return ENVS[name]
