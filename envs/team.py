"""The PettingZoo form of a graph env: a team of K agents playing one :class:`EpisodeCore`.

Also the team-final-info convention that rollouts and the training callback share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs._validation import parse_action
from envs.episode import EpisodeCore
from envs.settings import EnvSettings

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


class TeamParallelEnv(ParallelEnv):
    """A ParallelEnv of agents ``"agent_0"`` .. ``"agent_{K-1}"`` playing one episode core.

    A team env is a subclass naming its ``settings_class`` and ``core_class`` (see
    :class:`envs.single.GraphEnv` for the guide); ``default_action`` is the action of a live
    agent missing from :meth:`step`'s dict (None: every live agent must act).

    Built as ``Env(config=None, **overrides)`` (RLlib passes ``env_config`` as ``config``).
    ``reset(seed=s)`` reseeds the env's own ``numpy`` generator and plays graph ``s mod L``
    of a fixed ``graphs`` list (an unseeded reset draws one of them uniformly). Agents whose episode ends leave :attr:`agents` with
    their final observation and, in their info, the core's final metrics; when agents end at
    different steps the team's metrics also come under ``"team"`` on the last step.

    Attributes:
        settings: the validated config; core: the episode core.
        team_size: K, the config's ``num_agents`` (PettingZoo's ``num_agents`` counts the
            live agents).
        state_space: the ``Dict`` space of :meth:`state` (the global graph).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "graph_team_v0", "render_modes": []}
    render_mode = None
    settings_class: ClassVar[type[EnvSettings]]
    core_class: ClassVar[type[EpisodeCore]]
    default_action: ClassVar[int | None] = None

    def __init__(self, config: Mapping | None = None, **overrides: Any) -> None:
        self.settings = self.settings_class.parse(type(self).__name__, config, overrides,
                                                  multi=True)
        self.core = self.core_class(self.settings)
        self.team_size = self.settings.num_agents
        self.state_space = spaces.Dict(self.settings.state_spec.graph_spaces())
        self.possible_agents = [f"agent_{i}" for i in range(self.team_size)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._observation_space = self.settings.obs_spec.space()
        self._action_space = spaces.Discrete(self.settings.num_actions)
        self.observation_spaces = dict.fromkeys(self.possible_agents, self._observation_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, self._action_space)
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Space:
        """The observation space every agent shares (the same object each call)."""
        self._check_agent(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        """The action space every agent shares (the same object each call)."""
        self._check_agent(agent)
        return self._action_space

    @property
    def max_steps(self) -> int:
        """The current episode's step limit (0 before the first reset)."""
        return self.core.max_steps

    def reset(self, seed: int | None = None, options: dict | None = None
              ) -> tuple[dict[str, dict], dict[str, dict]]:
        """Start an episode; ``options`` go to the core (e.g. patrolling's ``start_nodes``)."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.core.reset(self._rng, options, seed)
        self.agents = list(self.possible_agents)
        return self._observe(np.zeros(self.team_size, bool)), {a: {} for a in self.agents}

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """One simultaneous step of the live agents (see :meth:`EpisodeCore.step`)."""
        self._check_step(actions)
        chosen = np.full(self.team_size, self.default_action or 0, np.int64)
        for agent in self.agents:
            if agent in actions:
                chosen[self._index[agent]] = parse_action(
                    actions[agent], self.settings.num_actions, f"{agent}'s action")
        rewards, terminated, truncated = self.core.step(
            chosen, lambda i: f"{self.possible_agents[i]}'s action")
        live = self.agents
        obs = self._observe(terminated | truncated)
        ended = {a: bool(terminated[self._index[a]] or truncated[self._index[a]]) for a in live}
        infos = {a: self.core.final_info(self._index[a]) if ended[a] else {} for a in live}
        self.agents = [a for a in live if not ended[a]]
        team = self.core.team_info() if not self.agents else None
        if team is not None:
            for info in infos.values():
                info[TEAM_INFO_KEY] = team
        return (obs, {a: float(rewards[self._index[a]]) for a in live},
                {a: bool(terminated[self._index[a]]) for a in live},
                {a: bool(truncated[self._index[a]]) for a in live}, infos)

    def state(self) -> dict[str, np.ndarray]:
        """The global view (the ``state`` key's graph, fresh arrays; with global_state off
        too)."""
        if self.core.graph is None:
            raise RuntimeError("state() called before reset()")
        return self.core.state()

    def _observe(self, terminal: np.ndarray) -> dict[str, dict]:
        """Every live agent's observation, the global state packed once and shared."""
        ids = [self._index[a] for a in self.agents]
        return dict(zip(self.agents, self.core.observations(ids, terminal)))

    def _check_agent(self, agent: str) -> None:
        if agent not in self._index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")

    def _check_step(self, actions: Mapping[str, Any]) -> None:
        """Raise unless an episode runs and ``actions`` names live agents only (each of
        them, unless ``default_action`` stands in for a missing one)."""
        if not self.agents:
            raise RuntimeError(f"{type(self).__name__}.step() called before reset() or after "
                               f"the episode ended; call reset()")
        problems = []
        missing = [a for a in self.agents if a not in actions]
        if self.default_action is None and missing:
            problems.append(f"missing an action for live agent(s) {missing}")
        extra = sorted(set(actions) - set(self.agents))
        if extra:
            problems.append(f"actions given for agent(s) {extra} that are not live")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (live agents: {self.agents})")

    def render(self) -> None:
        """No rendering (``render_modes`` is empty)."""
        return None

    def close(self) -> None:
        """Nothing to release."""
        return None
