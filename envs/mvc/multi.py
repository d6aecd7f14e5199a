"""Multi-agent weighted minimum vertex cover as a PettingZoo ParallelEnv."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._validation import require_int
from envs.mvc.core import CoverState, CoverViews, check_graph, parse_config
from envs.mvc.env import node_action
from envs.mvc.solvers import episode_info
from envs.team import TeamParallelEnv, full_view_state, share_full_view


class MinVertexCoverParallelEnv(CoverViews, TeamParallelEnv):
    """
    ## Description

    Weighted minimum vertex cover built by a team of K agents (``"agent_0"``..) that each
    pick one node per step; see :class:`envs.mvc.env.MinVertexCoverEnv` for the problem,
    the graphs and the config keys, which are the same here plus ``num_agents``.

    ## Action Space

    ``Discrete(max_nodes)`` per agent: the node that agent adds to the cover.

    ## Observation Space

    Every agent gets the same observation (its own copy of the arrays) under the same
    space as the single-agent env: the graph contract with ``x`` = [weight, in cover,
    uncovered degree / D, uncovered-neighbour weight / D], ``edge_attr`` = covered flag, and
    the same ``action_mask``.

    With ``global_state=True`` (default) it also holds ``state``, the global view for a
    centralised critic (CTDE): the same graph keys (``x``, ``edge_index``, ``edge_attr``,
    ``node_mask``, ``edge_mask``) with the same values as the agents' own. Every agent already
    sees the whole graph, so the critic's view equals the actors'; the key is there so that
    one CTDE config (``critic="central"``) runs on every team env. It is packed once per step
    and the same arrays are shared by every agent's observation (treat them as read-only).
    :meth:`state` returns a fresh copy (with ``global_state`` off too).

    ## Transition

    All picks of a step are judged against the state at the start of the step, then applied
    at once:

    - Duplicate picks: a node picked by several agents is added once; the lowest-index agent
      gets it and the other picks are void (no effect, no penalty).
    - Mask mode: any agent picking a masked node raises ``ValueError`` naming the agent.
    - Penalty mode: an invalid pick (padding slot, node already in the cover, or with
      ``mask_useless=True`` a node touching no uncovered edge) is void and costs that agent
      ``invalid_penalty``.
    - Valid distinct picks are all added, even if an earlier agent's pick this step already
      covered their last edge.

    ## Rewards

    Team reward: every agent receives the full ``-(total weight added this step)``, plus
    ``invalid_penalty`` for its own invalid pick in penalty mode. Hence the sum of the
    rewards over agents is K times minus the weight added (``envs.rollout.play_parallel``'s
    ``return`` is K x minus the cover weight when no pick is invalid).

    ## Starting State

    As the single-agent env; the env keeps its own ``numpy`` Generator, re-seeded by
    ``reset(seed=...)``. ``options`` of ``reset`` are ignored.

    ## Episode End

    All agents terminate together when every edge is covered, or are truncated together
    after ``max_steps`` steps (default ``max_nodes``). Every agent's final ``info`` holds
    the single-agent env's keys (``cover_weight``, ``cover_size``, ``uncovered_edges``,
    ``invalid_actions`` counting penalised picks of all agents, ``graph_nodes``, and with
    ``reference`` set ``reference_cover_weight`` and ``cover_ratio``, solved once per
    episode and copied to every agent).

    ## Arguments

    The single-agent env's keys plus ``num_agents`` (K, default 2); ``global_state``
    defaults to True here. K above the node count
    of a graph raises ``ValueError`` naming ``num_agents`` (when the env is built for a
    fixed list or a distribution's smallest size, else at reset). The config value is
    stored as :attr:`team_size`; ``num_agents`` keeps PettingZoo's meaning (live agents).
    """

    metadata = {"name": "min_vertex_cover_v0", "render_modes": []}

    def __init__(self, config: Mapping | None = None, **overrides: Any) -> None:
        self._config = parse_config("MinVertexCoverParallelEnv", config, overrides,
                                    extra={"num_agents": 2}, multi=True)
        team_size = require_int("num_agents", self._config.extra["num_agents"], minimum=1)
        self._source = self._config.source
        self._spec = self._config.spec
        self.max_nodes, self.max_edges = self._config.max_nodes, self._config.max_edges
        self.max_steps = self._config.max_steps
        super().__init__(team_size, self._config.obs_spec.space(),
                         spaces.Discrete(self.max_nodes), self._spec)
        self._check_team(self._source.min_nodes, "the smallest graph of graphs")
        self._state: CoverState | None = None
        self._steps = 0
        self._invalid = 0

    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        graph = self._source.next(self._reseed(seed, self._source))
        check_graph(graph, "the episode's graph")
        self._check_team(graph.num_nodes, "the episode's graph")
        self._spec.check_fits(graph.num_nodes, 2 * graph.num_edges)
        self._state = CoverState(graph, self._config.mask_useless)
        self._steps, self._invalid = 0, 0
        self.agents = list(self.possible_agents)
        return self._observe(terminal=False), {agent: {} for agent in self.agents}

    def _view(self, terminal: bool) -> dict:
        return self._state.observation(self._spec, self._config.penalty, terminal=terminal)

    def _observe(self, terminal: bool) -> dict[str, dict]:
        """The same observation for every live agent, each with its own arrays (the
        ``state`` arrays shared)."""
        return share_full_view(self._view(terminal), self.agents, self._config.global_state)

    def state(self) -> dict[str, np.ndarray]:
        """The global view (the ``state`` key's graph; available with global_state off too)."""
        self._require_state()
        return full_view_state(self._view(terminal=True))

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        self._check_step(actions)
        state = self._state
        picks = [node_action(actions[a], self.max_nodes, f"{a}'s action") for a in self.agents]
        reasons = [state.invalid_reason(node) for node in picks]
        if not self._config.penalty:
            for agent, node, reason in zip(self.agents, picks, reasons):
                if reason is not None:
                    raise ValueError(f"{agent}'s action {node} is masked (invalid): {reason}")
        valid = np.array([node for node, reason in zip(picks, reasons) if reason is None], np.int64)
        _, first = np.unique(valid, return_index=True)  # lowest-index agent wins a duplicate
        team = -state.add(valid[np.sort(first)])
        invalid = [reason is not None for reason in reasons]
        self._invalid += sum(invalid)
        self._steps += 1

        terminated = state.covered
        truncated = not terminated and self._steps >= self.max_steps
        rewards = {agent: float(team + (self._config.invalid_penalty if bad else 0.0))
                   for agent, bad in zip(self.agents, invalid)}
        obs = self._observe(terminal=terminated or truncated)
        final = (episode_info(state, self._invalid, self._config.reference)
                 if terminated or truncated else {})  # solved once, copied to every agent
        terms, truncs, infos = self._finish_team_step(terminated, truncated,
                                                      lambda: dict(final))
        return obs, rewards, terms, truncs, infos
