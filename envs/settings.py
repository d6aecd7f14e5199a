"""The settings every graph env shares, parsed once; each env subclasses them with its own.

An env config (RLlib's ``env_config``) is one flat dict. :meth:`EnvSettings.parse` merges it
with keyword overrides, rejects unknown keys, validates the keys every env has
(:data:`COMMON_KEYS`, plus ``reference`` and ``num_agents`` where they apply) and hands the
merged dict to the subclass's :meth:`EnvSettings.parse_own` for the env's own keys and its
observation specs. Every problem raises one ``ValueError`` naming the key and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from gymnasium import spaces

from envs._validation import (
    invalid_action_config,
    merge_config,
    optional_int,
    parse_action,
    require_bool,
    require_choice,
    require_int,
)
from envs.contract import GraphObsSpec
from envs.graphs import Graph, GraphSource, check_max_degree, source_from_config

#: The keys of every env: the graphs and their limits, the invalid-action rule, the step
#: limit and the CTDE global state.
COMMON_KEYS = ("graphs", "max_nodes", "max_edges", "invalid_action", "invalid_penalty",
               "max_steps", "global_state")


@dataclass(frozen=True, kw_only=True)
class EnvSettings:
    """A validated env config: the fields every env shares; subclasses add their own.

    Attributes:
        source: where episodes get their graphs.
        max_nodes, max_edges: N and E of the observation contract.
        invalid_action: ``"mask"`` (a masked action raises) or ``"penalty"``.
        invalid_penalty: the reward added for an invalid action in penalty mode.
        max_steps: the configured step limit, None for the env's default
            (:meth:`step_limit`).
        global_state: whether observations carry the ``state`` key (CTDE).
        reference: the solver behind the env's own ratio metric (``"none"``: no ratio).
        num_agents: the team size K (1 for the single-agent form).
        multi: whether this is the team (PettingZoo) form.
        view_spec: the spec of an agent's own keys (no ``state``).
        state_spec: the spec of the global graph: the ``state`` key and ``ParallelEnv.state()``.

    Class attributes a subclass sets: ``DEFAULT_GRAPHS``; ``KEYS`` (its own keys) and
    ``TEAM_KEYS`` (keys of the team form only, besides ``num_agents``); ``REFERENCES`` (the
    allowed ``reference`` values besides ``"none"``; empty: the env has no ``reference``
    key); ``DEFAULT_TEAM_SIZE``; ``OBSERVATION_VERSION``, raised whenever what an
    observation means changes with its shapes unchanged (a feature rescaled or replaced):
    checkpoints record it, and a checkpoint of another version is refused rather than fed
    features its weights were not trained on.
    """

    DEFAULT_GRAPHS: ClassVar[dict[str, Any]]
    OBSERVATION_VERSION: ClassVar[int] = 1
    KEYS: ClassVar[tuple[str, ...]] = ()
    TEAM_KEYS: ClassVar[tuple[str, ...]] = ()
    REFERENCES: ClassVar[tuple[str, ...]] = ()
    DEFAULT_TEAM_SIZE: ClassVar[int] = 2

    source: GraphSource
    max_nodes: int
    max_edges: int
    invalid_action: str
    invalid_penalty: float
    max_steps: int | None
    global_state: bool
    reference: str
    num_agents: int
    multi: bool
    view_spec: GraphObsSpec
    state_spec: GraphObsSpec

    @classmethod
    def allowed_keys(cls, multi: bool) -> tuple[str, ...]:
        """Every key a config of this env may hold (of its team form with ``multi``)."""
        return (*COMMON_KEYS, *(("reference",) if cls.REFERENCES else ()), *cls.KEYS,
                *(("num_agents", *cls.TEAM_KEYS) if multi else ()))

    @classmethod
    def parse(cls, where: str, config: Mapping | None, overrides: Mapping, *,
              multi: bool = False) -> EnvSettings:
        """Validate ``{**config, **overrides}`` into settings; ``where`` names the env in
        messages. ``global_state`` defaults to ``multi``."""
        merged = merge_config(where, config, overrides, cls.allowed_keys(multi))
        source, max_nodes, max_edges = source_from_config(merged, cls.DEFAULT_GRAPHS)
        invalid_action, invalid_penalty = invalid_action_config(merged)
        team_size = 1
        if multi:
            team_size = require_int("num_agents", merged.get("num_agents", cls.DEFAULT_TEAM_SIZE),
                                    minimum=1)
            if team_size > source.min_nodes:
                raise ValueError(
                    f"num_agents={team_size} is more than the {source.min_nodes} nodes of the "
                    f"smallest graph of graphs; use at most {source.min_nodes} agents or "
                    f"larger graphs")
        common = dict(
            source=source, max_nodes=max_nodes, max_edges=max_edges,
            invalid_action=invalid_action, invalid_penalty=invalid_penalty,
            max_steps=optional_int("max_steps", merged.get("max_steps"), minimum=1),
            global_state=require_bool("global_state", merged.get("global_state", multi)),
            reference=require_choice("reference", merged.get("reference", "none"),
                                     ("none", *cls.REFERENCES)),
            num_agents=team_size, multi=multi)
        return cls(**common, **cls.parse_own(merged, common))

    @classmethod
    def parse_own(cls, merged: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
        """The env's own fields from the merged config, plus ``view_spec`` and ``state_spec``;
        ``common`` holds the validated shared fields."""
        raise NotImplementedError

    # ------------------------------------------------------------------ derived
    @property
    def penalty(self) -> bool:
        """Whether invalid actions are penalised (True) or rejected (mask mode)."""
        return self.invalid_action == "penalty"

    @property
    def obs_spec(self) -> GraphObsSpec:
        """The spec of an agent's observation: its own keys, plus ``state`` when on."""
        return replace(self.view_spec, state=self.state_spec if self.global_state else None)

    @property
    def num_actions(self) -> int:
        """A, the size of every agent's ``Discrete`` action space (of a ``Box`` one, the
        length of ``action_mask``)."""
        return self.view_spec.num_actions

    def action_space(self) -> spaces.Space:
        """The single-agent form's action space: ``Discrete(A)`` (an env acting otherwise,
        e.g. with one continuous value per node, overrides it and :meth:`parse_action`)."""
        return spaces.Discrete(self.num_actions)

    def parse_action(self, action: Any) -> Any:
        """``action`` checked against :meth:`action_space` (``ValueError`` otherwise), in the
        form :meth:`EpisodeCore.apply <envs.episode.EpisodeCore.apply>` reads: an int."""
        return parse_action(action, self.num_actions)

    def step_limit(self, graph: Graph) -> int:
        """The truncation bound of an episode on ``graph``: ``max_steps`` when set, else
        :meth:`default_step_limit`."""
        return self.max_steps if self.max_steps is not None else self.default_step_limit(graph)

    def default_step_limit(self, graph: Graph) -> int:
        """The env's step limit when ``max_steps`` is not set (default: N)."""
        return self.max_nodes


def degree_limit(merged: Mapping[str, Any], source: GraphSource) -> int:
    """The ``max_degree`` key of an env with neighbours as actions: the given bound or the
    source's, with every listed graph checked against it now rather than at its episode."""
    max_degree = optional_int("max_degree", merged.get("max_degree"), minimum=1)
    if max_degree is None:
        max_degree = source.max_degree
    for graph, name in zip(source.fixed or (), source.names):
        try:
            check_max_degree(graph, max_degree)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
    return max_degree
