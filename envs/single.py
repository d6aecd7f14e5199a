'''The gymnasium form of a graph env (one agent), and the guide to writing a new env.

How to add an env
=================

An env is a package ``envs/<name>/`` holding its problem once and two thin shells:

``core.py``
    An :class:`~envs.settings.EnvSettings` subclass (the env's own config keys, validated in
    ``parse_own``, and its observation specs) and an :class:`~envs.episode.EpisodeCore`
    subclass (the problem for K agents: ``start``, ``invalid_reason``, ``apply``,
    ``observe``, ``state``, ``final_info``). The base classes own what every env shares: the
    common keys (graphs and limits, ``invalid_action`` / ``invalid_penalty``, ``max_steps``,
    ``global_state``, ``reference``, ``num_agents``), the clock and truncation, the agents
    still acting, and the mask-or-penalty rule. Use :class:`~envs.episode.FullViewCore` when
    every agent sees the whole graph. No Python loop over nodes or edges: numpy per step.
``env.py`` and ``multi.py``
    :class:`GraphEnv` and :class:`~envs.team.TeamParallelEnv` subclasses naming the two
    classes, with the env's docstring as its spec (gymnasium's CartPole is the model:
    Description, Action Space, Observation Space, Rewards, Starting State, Episode End,
    Arguments).
``solvers.py`` and ``baselines.py``
    Exact and heuristic solvers on a :class:`~envs.graphs.Graph`, and players that play them
    through :mod:`envs.rollout` so that a policy and a baseline meet the same seeded episodes.

Optionally, ``vector.py``: a gymnasium ``VectorEnv`` stepping B episodes in array operations
(:mod:`envs.mvc.vector` is the model), named by the catalog entry's ``vector_class``; RLlib's
env runners then step it instead of B copies of the env.

Then name the env, its metric and its baselines in :mod:`envs.catalog`; ``rllib_gnn``
registers every catalog entry with Ray Tune. The smallest complete env, each pick earning a
node's weight (``tests/envs/test_skeleton.py`` runs this very code through gymnasium's and
PettingZoo's API checks)::

    from dataclasses import dataclass

    import numpy as np

    from envs._validation import require_int
    from envs.contract import GraphObsSpec
    from envs.episode import EpisodeCore
    from envs.settings import EnvSettings
    from envs.single import GraphEnv
    from envs.team import TeamParallelEnv


    @dataclass(frozen=True, kw_only=True)
    class PickSettings(EnvSettings):
        DEFAULT_GRAPHS = {"generator": "erdos_renyi", "sizes": [10], "params": {"p": 0.3}}
        KEYS = ("picks",)
        picks: int

        @classmethod
        def parse_own(cls, merged, common):
            spec = GraphObsSpec(common["max_nodes"], common["max_edges"], node_features=2,
                                num_actions=common["max_nodes"])
            return {"picks": require_int("picks", merged.get("picks", 3), minimum=1),
                    "view_spec": spec, "state_spec": spec}

        def default_step_limit(self, graph):
            return self.picks


    class PickCore(EpisodeCore):
        def start(self, rng, options):
            graph = self.draw_graph(rng)
            self.weight = rng.random(graph.num_nodes)
            self.picked = np.zeros(graph.num_nodes, bool)
            return graph

        def invalid_reason(self, agent, action):
            if action >= self.graph.num_nodes:
                return "it is a padding slot"
            return "the node is picked already" if self.picked[action] else None

        def apply(self, actions, valid):
            nodes = np.unique(actions[valid])
            self.picked[nodes] = True
            team = np.full(len(actions), self.weight[nodes].sum())
            return team, np.full(len(actions), self.picked.all())

        def features(self):
            return np.stack([self.weight, self.picked], axis=1)

        def observe(self, agent, terminal):
            return self.settings.view_spec.pack(self.features(), self.graph.edge_index,
                                                ~self.picked, terminal=terminal)

        def state(self):
            return self.settings.state_spec.pack_graph(self.features(), self.graph.edge_index)

        def final_info(self, agent):
            return {"picked_weight": float(self.weight[self.picked].sum())}


    class PickEnv(GraphEnv):
        """Pick nodes of high weight (a full docstring is the env's spec)."""
        settings_class, core_class = PickSettings, PickCore


    class PickParallelEnv(TeamParallelEnv):
        """A team picking nodes together; duplicate picks count once."""
        settings_class, core_class = PickSettings, PickCore
'''

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from envs._validation import parse_actions
from envs.episode import EpisodeCore
from envs.settings import EnvSettings


class GraphEnv(gym.Env):
    """A gymnasium env of one agent playing an :class:`~envs.episode.EpisodeCore` (K = 1).

    A subclass names its ``settings_class`` and ``core_class``; this class owns the rest:
    building both from ``Env(config=None, **overrides)`` (RLlib passes ``env_config`` as
    ``config``), the spaces (the contract's ``Dict`` observations; ``settings.action_space()``,
    ``Discrete(A)`` unless the env says otherwise), reseeding (``reset(seed=s)`` reseeds
    ``np_random`` and plays graph ``s mod L`` of a fixed ``graphs`` list; an unseeded reset
    draws one of them uniformly), action parsing (``settings.parse_action``: for a
    ``Discrete`` space an integer, or an integer array of shape () or (1,)), the
    mask-or-penalty rule of :meth:`EpisodeCore.step`, the guard against stepping before a
    reset or after the episode ended, and :meth:`step_many` (several actions, one
    observation) for every env alike. See the module docstring for the guide to a new env.

    Attributes:
        settings: the validated config (an :class:`~envs.settings.EnvSettings` subclass).
        core: the episode core.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    render_mode = None
    settings_class: ClassVar[type[EnvSettings]]
    core_class: ClassVar[type[EpisodeCore]]

    def __init__(self, config: Mapping | None = None, **overrides: Any) -> None:
        super().__init__()
        self.settings = self.settings_class.parse(type(self).__name__, config, overrides)
        self.core = self.core_class(self.settings)
        self.observation_space = self.settings.obs_spec.space()
        self.action_space = self.settings.action_space()

    @property
    def max_steps(self) -> int:
        """The current episode's step limit (0 before the first reset)."""
        return self.core.max_steps

    def reset(self, *, seed: int | None = None, options: dict | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; ``options`` go to the core (e.g. patrolling's ``start_nodes``)."""
        self.start_episode(seed, options)
        return self.core.observations([0], np.zeros(1, bool))[0], {}

    def start_episode(self, seed: int | None = None, options: dict | None = None) -> None:
        """:meth:`reset` without packing the first observation (a vector form of the env
        that packs observations itself, such as :mod:`envs.mvc.vector`, starts them so)."""
        super().reset(seed=seed)
        self.core.reset(self.np_random, options, seed)

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """One step; the final step's ``info`` holds the core's metrics, others are empty."""
        self._require_episode()
        chosen = self.settings.parse_action(action)
        rewards, terminated, truncated = self.core.step(np.array([chosen]), lambda _: "action")
        return self._outcome(float(rewards[0]), bool(terminated[0]), bool(truncated[0]))

    def step_many(self, actions: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """Apply ``actions`` in order, each as a step of its own, and observe once at the end.

        Each action is judged against the state at its turn: one invalid then (made so by an
        earlier one, e.g. an MVC node whose edges they covered) is skipped: no step, no
        penalty, nothing changes. The episode's end ends the sequence; later actions are
        ignored. Returns :meth:`step`'s 5-tuple: the observation after the last step, the
        sum of the steps' rewards, the last step's ``terminated``, ``truncated`` and
        ``info``: what stepping the valid actions one at a time gives, with one observation
        packed instead of one per action. Decoders that commit several ranked actions per
        forward pass use it (``rllib_gnn.nn.decoding``).

        Raises:
            ValueError: ``actions`` is not a non-empty sequence of actions, or none of them
                is valid at its turn (naming the first one's reason).
        """
        self._require_episode()
        slots = parse_actions(actions, self.settings.num_actions).tolist()
        core, total, taken = self.core, 0.0, 0
        terminated = truncated = False
        for slot in slots:  # the env's own rules, one action at a time: O(its degree) each
            if core.invalid_reason(0, slot) is not None:
                continue
            rewards, ended, cut = core.step(np.array([slot]), lambda _: "action")
            total, taken = total + float(rewards[0]), taken + 1
            terminated, truncated = bool(ended[0]), bool(cut[0])
            if terminated or truncated:
                break
        if not taken:
            raise ValueError(f"none of the {len(slots)} actions is valid now: action {slots[0]} "
                             f"is invalid: {core.invalid_reason(0, slots[0])}")
        return self._outcome(total, terminated, truncated)

    def started_core(self) -> EpisodeCore:
        """The core, once an episode has started (baselines read its state); a
        ``RuntimeError`` before the first reset."""
        if self.core.graph is None:
            raise RuntimeError("call reset() first: no episode has started")
        return self.core

    def _require_episode(self) -> None:
        if not self.core.active[0]:
            raise RuntimeError(f"{type(self).__name__}.step() called before reset() or after "
                               f"the episode ended; call reset()")

    def _outcome(self, reward: float, terminated: bool, truncated: bool
                 ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """The step's 5-tuple: the observation now and, at the episode's end, the metrics."""
        done = terminated or truncated
        obs = self.core.observations([0], np.array([done]))[0]
        info = self.core.final_info(0) if done else {}
        return obs, reward, terminated, truncated, info
