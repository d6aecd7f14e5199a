"""The PettingZoo base of the multi-agent envs: a team of K agents sharing one pair of spaces.

Also the CTDE helpers of the envs whose every agent sees the whole graph (MVC, matching): their
global ``state`` is the observation's own graph keys, packed once a step and shared by every
agent's observation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.contract import GRAPH_KEYS, GraphObsSpec
from envs.graphs import GraphSource


# ---------------------------------------------------------------------------- final infos
#: The final-info key under which an env whose agents end at different steps reports the
#: team's metrics on the team's last step (same keys as an agent's own final info).
TEAM_INFO_KEY = "team"


def team_final_info(infos: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The team's final info from its agents' last infos: the metrics under
    :data:`TEAM_INFO_KEY` where the env reports them there, else the infos merged (team
    envs whose agents end together give every agent the same metrics)."""
    merged: dict[str, Any] = {}
    for info in infos:
        merged.update(info)
    return dict(merged.get(TEAM_INFO_KEY, merged))


# ---------------------------------------------------------------------------- CTDE helpers
def full_view_spec(view: GraphObsSpec, global_state: bool) -> GraphObsSpec:
    """The observation spec of an env whose agents all see the whole graph: ``view`` plus,
    with ``global_state``, a ``state`` of the same graph keys (the critic's view equals the
    actors')."""
    return replace(view, state=replace(view, state=None) if global_state else None)


def full_view_state(view: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``state`` of such an env: the graph keys of one packed ``view`` (not copied)."""
    return {key: view[key] for key in GRAPH_KEYS if key in view}


def share_full_view(view: Mapping[str, np.ndarray], agents: Iterable[Hashable],
                    global_state: bool) -> dict[Any, dict[str, Any]]:
    """Every agent's observation from one packed ``view`` (packed without ``state``).

    Each agent gets its own copy of ``view``'s arrays; with ``global_state`` all of them also
    hold the one same ``state`` dict: ``view``'s graph arrays themselves, packed once per step
    and never copied per agent (no agent's own keys alias it).
    """
    state = full_view_state(view) if global_state else None
    shared = {}
    for agent in agents:
        obs: dict[str, Any] = {key: value.copy() for key, value in view.items()}
        if state is not None:
            obs["state"] = state
        shared[agent] = obs
    return shared


def full_view_observation(view: dict[str, np.ndarray], global_state: bool) -> dict[str, Any]:
    """The single-agent form of :func:`share_full_view`: ``view`` itself when
    ``global_state`` is off."""
    return share_full_view(view, (0,), True)[0] if global_state else view


class TeamParallelEnv(ParallelEnv):
    """A ParallelEnv of agents ``"agent_0"`` .. ``"agent_{K-1}"`` under the same cached spaces.

    Attributes:
        team_size: K, the config's ``num_agents`` (PettingZoo's ``num_agents`` counts the
            live agents).
        state_space: the ``Dict`` space of :meth:`state` (the global graph), when the env
            passes a ``state_spec``.
    """

    render_mode = None

    def __init__(self, team_size: int, observation_space: spaces.Space,
                 action_space: spaces.Space, state_spec: GraphObsSpec | None = None) -> None:
        self.team_size = team_size
        if state_spec is not None:  # the space of ``state()`` (PettingZoo's global state)
            self.state_space = spaces.Dict(state_spec.graph_spaces())
        self.possible_agents = [f"agent_{i}" for i in range(team_size)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._observation_space = observation_space
        self._action_space = action_space
        self.observation_spaces = dict.fromkeys(self.possible_agents, observation_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, action_space)
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Space:
        """The observation space every agent shares (the same object each call)."""
        self._check_agent(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        """The action space every agent shares (the same object each call)."""
        self._check_agent(agent)
        return self._action_space

    def _check_agent(self, agent: str) -> None:
        if agent not in self._index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")

    def _check_team(self, num_nodes: int, what: str) -> None:
        """Raise if the team has more agents than the ``num_nodes`` nodes of ``what``."""
        if self.team_size > num_nodes:
            raise ValueError(f"num_agents={self.team_size} is more than the {num_nodes} nodes of "
                             f"{what}; use at most {num_nodes} agents or larger graphs")

    def _reseed(self, seed: int | None, source: GraphSource) -> np.random.Generator:
        """The episode's generator: a new one from ``seed`` when given (``source`` then
        replays a fixed list from its first graph), else the running one."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            source.restart()
        return self._rng

    def _check_step(self, actions: Mapping[str, Any], *, every_agent: bool = True) -> None:
        """Raise unless an episode runs and ``actions`` names live agents only (and, with
        ``every_agent``, each of them)."""
        if not self.agents:
            raise RuntimeError(f"{type(self).__name__}.step() called before reset() or after "
                               f"the episode ended; call reset()")
        problems = []
        missing = [a for a in self.agents if a not in actions]
        if every_agent and missing:
            problems.append(f"missing an action for live agent(s) {missing}")
        extra = sorted(set(actions) - set(self.agents))
        if extra:
            problems.append(f"actions given for agent(s) {extra} that are not live")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (live agents: {self.agents})")

    def _finish_step(self, terms: dict[str, bool], truncs: dict[str, bool],
                     final_info: Callable[[str], dict]) -> dict[str, dict]:
        """The step's infos (``final_info(agent)`` for agents that finished, else ``{}``);
        the finished agents leave ``agents``."""
        infos = {a: final_info(a) if terms[a] or truncs[a] else {} for a in self.agents}
        self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
        return infos

    def _finish_team_step(self, terminated: bool, truncated: bool,
                          final_info: Callable[[], dict]
                          ) -> tuple[dict[str, bool], dict[str, bool], dict[str, dict]]:
        """``(terms, truncs, infos)`` of a step after which all agents end together or none."""
        terms = dict.fromkeys(self.agents, terminated)
        truncs = dict.fromkeys(self.agents, truncated)
        return terms, truncs, self._finish_step(terms, truncs, lambda _: final_info())

    def render(self) -> None:
        """No rendering (``render_modes`` is empty)."""
        return None

    def close(self) -> None:
        """Nothing to release."""
        return None
