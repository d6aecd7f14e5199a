"""The PettingZoo base of the multi-agent envs: a team of K agents sharing one pair of spaces."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.graphs import GraphSource


class TeamParallelEnv(ParallelEnv):
    """A ParallelEnv of agents ``"agent_0"`` .. ``"agent_{K-1}"`` under the same cached spaces.

    Attributes:
        team_size: K, the config's ``num_agents`` (PettingZoo's ``num_agents`` counts the
            live agents).
    """

    render_mode = None

    def __init__(self, team_size: int, observation_space: spaces.Space,
                 action_space: spaces.Space) -> None:
        self.team_size = team_size
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
