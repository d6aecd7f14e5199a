"""Multi-agent navigation (PettingZoo ParallelEnv): K agents, each walking to its own goal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.navigation.core import NavigationCore, as_action, parse_config


class NavigationParallelEnv(ParallelEnv):
    """
    ## Description

    K agents (``"agent_0"``..) share one graph per episode; each has its own start and goal
    in the same connected component. Starts are distinct, goals are distinct (an agent's
    goal may be another agent's start). Moves, edge lengths, action modes and rewards are
    those of :class:`~envs.navigation.env.NavigationEnv`, per agent.

    ## Collisions (``exclusive_nodes``)

    ``False`` (default): agents pass through each other and may share nodes.
    ``True``: agents move in index order; a move onto a node that an active agent stood on at
    the start of the step (even one leaving it this step), or that a lower-index agent entered
    this step, is blocked: the agent stays and pays ``stay_cost``. So no two active agents
    ever share a node and no pair swaps. Agents at their goal leave the graph (they block
    nothing from the next step on).

    ## Action Space

    Per agent, as the single-agent env: ``Discrete(max_degree)`` (neighbours) or
    ``Discrete(5)`` (compass: N, E, S, W, stay).

    ## Observation Space

    Per agent, the graph observation contract with ``x`` of shape (N, 6) from its own view:

    | col | feature           | meaning                                            |
    |-----|-------------------|----------------------------------------------------|
    | 0   | `is_self`         | 1 on the node this agent stands on                 |
    | 1   | `is_own_goal`     | 1 on this agent's goal                             |
    | 2   | `others_here`     | number of other active agents on the node          |
    | 3   | `visited_by_self` | 1 on nodes this agent has stood on                 |
    | 4-5 | `pos_x`, `pos_y`  | node position (0 without positions)                |

    plus ``edge_attr`` (edge length), ``action_mask``, ``agent_node`` and (neighbours mode)
    ``neighbours``, all from the agent's node.

    ## Rewards

    Per agent: ``-length`` of its move, ``-stay_cost`` for a stay or a blocked move,
    ``goal_reward x its shortest_path_length`` on reaching its goal, ``invalid_penalty`` for
    an invalid action in penalty mode.

    ## Episode End

    An agent is terminated on reaching its goal and removed from ``agents``; every agent
    still walking is truncated after ``max_steps`` steps (default 4 x the graph's nodes).
    An agent's final ``info`` holds ``success``, ``path_length``, ``shortest_path_length``,
    ``graph_nodes`` and, on success only, ``path_ratio`` (as the single-agent env).
    :meth:`team_info` gives the team's metrics under the same keys.

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (K, default 2; more than the nodes of
    the smallest graph raises ``ValueError``) and ``exclusive_nodes`` (default False).
    PettingZoo reset: ``seed`` reseeds the env's own ``numpy`` generator (and replays a
    fixed ``graphs`` list from its first graph); ``options`` is unused.
    """

    metadata = {"name": "navigation_v0", "render_modes": []}
    render_mode = None

    def __init__(self, config: Mapping | None = None, **overrides: Any) -> None:
        self.settings = parse_config("NavigationParallelEnv", config, overrides, multi=True)
        self.core = NavigationCore(self.settings)
        self.possible_agents = [f"agent_{i}" for i in range(self.settings.num_agents)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._observation_space = self.settings.spec.space()
        self._action_space = spaces.Discrete(self.settings.num_actions)
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Dict:
        """The (shared, cached) observation space of ``agent``."""
        self._check_agent(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Discrete:
        """The (shared, cached) action space of ``agent``."""
        self._check_agent(agent)
        return self._action_space

    def _check_agent(self, agent: str) -> None:
        if agent not in self._index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")

    def reset(self, seed: int | None = None, options: dict | None = None
              ) -> tuple[dict[str, dict], dict[str, dict]]:
        """Start an episode (``options`` is unused)."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self.settings.source.restart()
        self.core.reset(self._rng)
        self.agents = list(self.possible_agents)
        return ({a: self.core.observe(i) for i, a in enumerate(self.agents)},
                {a: {} for a in self.agents})

    def step(self, actions: Mapping[str, Any]):
        """One simultaneous step; ``actions`` must hold exactly the agents still walking."""
        if self.core.nav is None or not self.agents:
            raise RuntimeError("NavigationParallelEnv.step() called before reset() or after "
                               "the episode ended")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action for live agent(s) {missing}")
        extra = sorted(set(actions) - set(self.agents))
        if extra:
            raise ValueError(f"actions given for agent(s) {extra} that are not live")
        n_act = self.settings.num_actions
        by_index = {self._index[a]: as_action(actions[a], n_act) for a in self.agents}
        rewards, terminated, truncated = self.core.step(by_index)
        obs, rew, terms, truncs, infos = {}, {}, {}, {}, {}
        for agent in self.agents:
            i = self._index[agent]
            done = bool(terminated[i] or truncated[i])
            obs[agent] = self.core.observe(i, terminal=done)
            rew[agent] = float(rewards[i])
            terms[agent], truncs[agent] = bool(terminated[i]), bool(truncated[i])
            infos[agent] = self.core.end_info(i) if done else {}
        self.agents = [a for a in self.agents if self.core.active[self._index[a]]]
        return obs, rew, terms, truncs, infos

    def team_info(self) -> dict[str, Any]:
        """The episode's team metrics: ``success`` = fraction of agents at their goal,
        ``path_length`` and ``shortest_path_length`` summed over agents, ``graph_nodes``,
        and ``path_ratio`` (summed path / summed shortest) only when every agent succeeded."""
        if self.core.nav is None:
            raise RuntimeError("team_info() called before reset()")
        return self.core.team_info()

    def close(self) -> None:
        pass
