"""One episode of a graph problem: the rules that both forms of an env play.

An env is its problem, written once as an :class:`EpisodeCore` subclass for K agents, and two
thin shells that drive it: :class:`envs.single.GraphEnv` (gymnasium, K = 1) and
:class:`envs.team.TeamParallelEnv` (PettingZoo, K agents). The base class here owns what every
problem shares: the clock and truncation, which agents still act, and the mask-or-penalty
rule for invalid actions, so that no env writes them again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from envs.contract import GRAPH_KEYS
from envs.graphs import Graph
from envs.settings import EnvSettings


class EpisodeCore:
    """One episode of a graph problem played by K agents (K = 1: the single-agent env).

    A subclass implements the problem:

    - :meth:`start` begins an episode (draw the graph with :meth:`draw_graph`, place agents);
    - :meth:`invalid_reason` says why an agent's action is invalid now, or None;
    - :meth:`apply` is the transition of one step for the agents still acting;
    - :meth:`observe` packs one agent's own keys, :meth:`state` the global graph;
    - :meth:`final_info` is an agent's info at its episode end;

    and may override :meth:`check_graph` and :meth:`team_info`.

    Attributes:
        settings: the env's validated :class:`~envs.settings.EnvSettings`.
        graph: the episode's graph (None before the first reset).
        seed: the seed of the latest reset (None: unseeded).
        steps: steps taken in this episode.
        max_steps: this episode's truncation bound (``settings.step_limit(graph)``).
        active: (K,) bool, the agents still acting (not terminated, not truncated).
    """

    #: Whether an action names a graph element (a node, an edge) that keeps its meaning as
    #: the episode goes on, so that several actions ranked on one observation can be applied
    #: in turn (multi-pick decoding, :meth:`envs.single.GraphEnv.step_many`); a move
    #: relative to where an agent stands does not.
    selection: ClassVar[bool] = False

    def __init__(self, settings: EnvSettings) -> None:
        self.settings = settings
        self.graph: Graph | None = None
        self.seed: int | None = None
        self.steps = 0
        self.max_steps = 0
        self.active = np.zeros(settings.num_agents, bool)

    # ------------------------------------------------------------------ to implement
    def start(self, rng: np.random.Generator, options: Mapping[str, Any]) -> Graph:
        """Begin an episode with randomness from ``rng``; return its graph."""
        raise NotImplementedError

    def invalid_reason(self, agent: int, action: int) -> str | None:
        """Why ``action`` (in the action space) is invalid for ``agent`` now, or None."""
        raise NotImplementedError

    def apply(self, actions: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Play one step (``steps`` already counts it): ``actions`` (K,) ints, ``valid`` (K,)
        marks the acting agents whose action is valid (an invalid one must change nothing of
        its own). Returns ``(rewards, terminated)``, both (K,), penalties not included."""
        raise NotImplementedError

    def observe(self, agent: int, terminal: bool) -> dict[str, np.ndarray]:
        """``agent``'s own keys (``settings.view_spec.pack``); ``terminal`` on its last one."""
        raise NotImplementedError

    def state(self) -> dict[str, np.ndarray]:
        """The global graph (``settings.state_spec.pack_graph``), in fresh arrays."""
        raise NotImplementedError

    def final_info(self, agent: int) -> dict[str, Any]:
        """``agent``'s ``info`` on the step its episode ends: the problem's metrics."""
        raise NotImplementedError

    def check_graph(self, graph: Graph) -> None:
        """Raise a ``ValueError`` if no episode can start on ``graph`` (by default: if it
        has fewer nodes than the team has agents)."""
        k = self.settings.num_agents
        if k > graph.num_nodes:
            raise ValueError(f"num_agents={k} is more than the {graph.num_nodes} nodes of the "
                             f"episode's graph; use at most {graph.num_nodes} agents or larger "
                             f"graphs")

    def team_info(self) -> dict[str, Any] | None:
        """The team's metrics when its agents end at different steps (reported under
        ``"team"`` on the last step), else None: every agent's final info is the team's."""
        return None

    # ------------------------------------------------------------------ the shared rules
    def reset(self, rng: np.random.Generator, options: Mapping[str, Any] | None = None,
              seed: int | None = None) -> None:
        """Start an episode: :meth:`start`, then the clock and every agent acting. ``seed``
        is the reset's seed (None: unseeded), which picks a fixed list's graph."""
        self.seed = seed
        self.graph = self.start(rng, options or {})
        self.steps = 0
        self.max_steps = self.settings.step_limit(self.graph)
        self.active = np.ones(self.settings.num_agents, bool)

    def draw_graph(self, rng: np.random.Generator) -> Graph:
        """The next graph of the source (a fixed list's graph ``seed mod L`` on a seeded
        reset, see :meth:`envs.graphs.GraphSource.next`), checked against the spec and
        :meth:`check_graph`."""
        graph = self.settings.source.next(rng, self.seed)
        self.settings.view_spec.check_fits(graph.num_nodes, 2 * graph.num_edges)
        self.check_graph(graph)
        return graph

    def step(self, actions: np.ndarray, who: Callable[[int], str]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One step by the mask-or-penalty rule; returns (K,) rewards, terminated, truncated.

        Every acting agent's action is judged against the state at the start of the step.
        In mask mode an invalid one raises a ``ValueError`` naming ``who(agent)`` and the
        reason, before anything changes; in penalty mode it changes nothing of its own and
        adds ``invalid_penalty`` to that agent's reward. Agents still acting at
        ``max_steps`` steps are truncated.
        """
        acting = self.active
        valid = acting.copy()
        for i, (live, action) in enumerate(zip(acting.tolist(), actions.tolist())):
            reason = self.invalid_reason(i, action) if live else None  # K small
            if reason is not None:
                if not self.settings.penalty:
                    raise ValueError(f"{who(i)} {action} is invalid: {reason}")
                valid[i] = False
        self.steps += 1
        rewards, terminated = self.apply(actions, valid)
        if self.settings.penalty:
            rewards = np.where(valid != acting, rewards + self.settings.invalid_penalty, rewards)
        terminated = terminated & acting
        truncated = (acting & ~terminated if self.steps >= self.max_steps
                     else np.zeros(len(acting), bool))
        self.active = acting & ~(terminated | truncated)
        return rewards, terminated, truncated

    def observations(self, agents: Sequence[int], terminal: np.ndarray
                     ) -> list[dict[str, Any]]:
        """The observations of ``agents``; with ``global_state`` all of them hold the one
        ``state`` packed for this step (read-only: it is not copied per agent)."""
        state = self.state() if self.settings.global_state else None
        out = []
        for i in agents:
            obs = self.observe(i, bool(terminal[i]))
            if state is not None:
                obs["state"] = state
            out.append(obs)
        return out


class FullViewCore(EpisodeCore):
    """A core whose agents all see the whole graph and end together (MVC, matching).

    One view is packed per step (:meth:`view`) and every agent gets its own copy of it (a lone
    agent without ``state`` gets the view itself). The global ``state`` is that view's graph
    keys, so a centralised critic sees what the actors see; the key is there so that one CTDE
    config runs on every team env. The episode's final info (:meth:`summary`, which may solve
    a reference) is computed once and copied to every agent.
    """

    def __init__(self, settings: EnvSettings) -> None:
        super().__init__(settings)
        self._final: dict[str, Any] | None = None

    def view(self, terminal: bool) -> dict[str, np.ndarray]:
        """The observation every agent shares (own keys, fresh arrays)."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """The episode's metrics, the final info of every agent."""
        raise NotImplementedError

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any] | None = None,
              seed: int | None = None) -> None:
        super().reset(rng, options, seed)
        self._final = None

    def observe(self, agent: int, terminal: bool) -> dict[str, np.ndarray]:
        return self.view(terminal)

    def state(self) -> dict[str, np.ndarray]:
        return graph_keys(self.view(terminal=True))

    def observations(self, agents: Sequence[int], terminal: np.ndarray
                     ) -> list[dict[str, Any]]:
        view = self.view(bool(terminal[agents[0]]))  # all agents end together
        state = graph_keys(view) if self.settings.global_state else None
        if state is None and len(agents) == 1:
            return [view]
        copies = [{key: value.copy() for key, value in view.items()} for _ in agents]
        if state is not None:
            for obs in copies:
                obs["state"] = state
        return copies

    def final_info(self, agent: int) -> dict[str, Any]:
        if self._final is None:
            self._final = self.summary()
        return dict(self._final)


def graph_keys(view: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The graph keys of one packed observation (the arrays themselves, not copies)."""
    return {key: view[key] for key in GRAPH_KEYS if key in view}
