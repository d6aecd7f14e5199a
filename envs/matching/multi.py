"""Multi-agent maximum weighted matching (PettingZoo ParallelEnv): K agents pick edges together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._validation import require_int
from envs.matching.core import MatchingState, as_slot, new_episode, observe, parse_config
from envs.matching.solvers import episode_info
from envs.team import TeamParallelEnv, full_view_state, share_full_view


class MaxMatchingParallelEnv(TeamParallelEnv):
    """
    ## Description

    The matching problem of :class:`envs.matching.env.MaxMatchingEnv` played by a team of
    ``num_agents`` agents (``"agent_0"`` ..) that each pick one edge per step.

    ## Action Space

    Per agent ``Discrete(max_edges)``, directed edge slots exactly as in the single-agent env
    (slot ``k`` and ``M + k`` are the same undirected edge).

    ## Observation Space

    Per agent the single-agent observation (same spec, same arrays' values for every agent,
    each agent its own copy: the whole graph is shared knowledge).

    ``global_state=True`` (default) adds ``state`` for a centralised critic (CTDE), as in
    :class:`~envs.mvc.multi.MinVertexCoverParallelEnv`: the five graph keys, equal to the
    agents' own (the whole graph is already every agent's view), so that one CTDE config
    (``critic="central"``) runs on every team env. One ``state`` is packed per step and its
    arrays are shared by every agent's observation (read-only); :meth:`state` gives a fresh
    copy, with ``global_state`` off too.

    ## Step rule (deterministic)

    1. In mask mode every pick is first checked against the state at the start of the step;
       a masked pick raises ``ValueError`` naming the agent and the action, and nothing changes.
    2. Picks are then applied in agent-index order (``agent_0`` first). A pick that an earlier
       agent's pick in the same step made unavailable (the same edge, or an edge sharing a node
       with it) is **void**: it changes nothing and costs nothing.
    3. In penalty mode a pick that was already invalid at the start of the step earns that
       agent ``invalid_penalty`` (on top of the team reward) and changes nothing.

    ## Rewards

    Team reward = the summed weight of the edges added this step; **every agent receives the
    full team reward** (plus its own ``invalid_penalty`` in penalty mode), as in the MVC env.
    Hence the sum over agents of an episode's rewards is K x the matching weight
    (``envs.rollout.play_parallel``'s ``return``), penalties aside.

    ## Episode End

    All agents end together: terminated when no available edge remains, truncated at
    ``max_steps`` steps (default the graph's node count). Every agent's final ``info`` holds
    the single-agent keys (``matching_weight``, ``matching_size``, ``invalid_actions``
    counting penalised picks of all agents, ``graph_nodes``, and with ``reference`` set
    ``reference_matching_weight`` and ``matching_ratio``, solved once per episode and copied
    to every agent). Finished agents are removed from ``agents``.

    ``num_agents`` (the config value) is stored as :attr:`team_size`; PettingZoo's
    ``num_agents`` property keeps its meaning (live agents).

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (default 2, at least 1, at most the node
    count of the smallest graph the source draws, else ``ValueError`` naming ``num_agents``);
    ``global_state`` defaults to True here.
    """

    metadata = {"name": "max_matching_v0", "render_modes": []}

    def __init__(self, config: Mapping | None = None, **overrides: Any) -> None:
        self.settings, merged = parse_config("MaxMatchingParallelEnv", config, overrides,
                                             extra=("num_agents",), multi=True)
        k = require_int("num_agents", merged.get("num_agents", 2), minimum=1)
        super().__init__(k, self.settings.obs_spec.space(),
                         spaces.Discrete(self.settings.max_edges), self.settings.spec)
        self._check_team(self.settings.source.min_nodes, "the smallest graph in graphs")
        self.matching: MatchingState | None = None
        self._steps = 0
        self._limit = 0

    def reset(self, seed: int | None = None, options: dict | None = None
              ) -> tuple[dict[str, dict], dict[str, dict]]:
        state = new_episode(self.settings, self._reseed(seed, self.settings.source))
        self._check_team(state.num_nodes, "this episode's graph")
        self.matching = state
        self._steps = 0
        self._limit = self.settings.steps_limit(state.graph)
        self.agents = list(self.possible_agents)
        return self._observe(terminal=False), {a: {} for a in self.agents}

    def _observe(self, terminal: bool) -> dict[str, dict]:
        """The same observation for every live agent, packed once: each agent its own copy
        of the arrays, the ``state`` arrays shared."""
        view = observe(self.settings, self.matching, terminal=terminal)
        return share_full_view(view, self.agents, self.settings.global_state)

    def state(self) -> dict[str, np.ndarray]:
        """The global view (the ``state`` key's graph; available with global_state off too)."""
        if self.matching is None:
            raise RuntimeError("state() called before reset()")
        return full_view_state(observe(self.settings, self.matching, terminal=True))

    def step(self, actions: Mapping[str, Any]):
        self._check_step(actions)
        state = self.matching
        slots = [as_slot(actions[a], self.settings.max_edges) for a in self.agents]
        reasons = [state.invalid_reason(s) for s in slots]
        if not self.settings.penalty:
            for agent, slot, reason in zip(self.agents, slots, reasons):
                if reason is not None:
                    raise ValueError(f"{agent}'s action {slot} is invalid: {reason}")
        team = 0.0
        rewards = {}
        for agent, slot, reason in zip(self.agents, slots, reasons):
            if reason is not None:          # penalty mode: invalid before the step began
                rewards[agent] = self.settings.invalid_penalty
                state.invalid_actions += 1
                continue
            rewards[agent] = 0.0
            edge = state.edge_of(slot)
            if state.available[edge]:       # else void: taken by an earlier agent this step
                team += state.pick(edge)
        rewards = {a: float(r + team) for a, r in rewards.items()}
        self._steps += 1
        terminated = bool(state.done)
        truncated = bool(not terminated and self._steps >= self._limit)
        obs = self._observe(terminal=terminated)
        final = (episode_info(state, self.settings.reference)
                 if terminated or truncated else {})  # solved once, copied to every agent
        terms, truncs, infos = self._finish_team_step(terminated, truncated,
                                                      lambda: dict(final))
        return obs, rewards, terms, truncs, infos
