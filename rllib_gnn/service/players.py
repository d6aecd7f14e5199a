"""Players for :func:`envs.compare.compare`: a trained policy playing an env's episodes.

``player(env, seed) -> final info`` plays one episode. :func:`policy_player` acts greedily
(or sampled, with ``explore``); :func:`best_of_k_player` keeps the best of several
rollouts of each episode. The GNN's weights do not depend on N, E or D, so the module is
resized (:func:`rllib_gnn.nn.inference.resize_module`) to each env's spaces, once per
space shape.

Multi-agent envs are played with decentralised execution: each agent acts on its own
observation with its policy of training: the one shared module, or with a dict of
modules the agent's own one (found by the training's policy mapping fn). Per-agent
policies cannot play agents that did not exist in training (a larger team): ValueError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from envs.catalog import ENVS, EnvEntry, entry as catalog_entry
from rllib_gnn.nn.decoding import Decoding, decode_episode
from rllib_gnn.nn.inference import play_episode, resize_module
from rllib_gnn.training.threads import SAMPLING_THREADS, torch_threads

__all__ = ["best_of_k_player", "improved_player", "policy_player"]


def _space_key(observation_space, action_space) -> tuple:
    obs = tuple(sorted((k, tuple(s.shape)) for k, s in _flat_spaces(observation_space)))
    return obs, getattr(action_space, "n", None), tuple(action_space.shape or ())


def _flat_spaces(space, prefix: str = ""):
    spaces = getattr(space, "spaces", None)
    if isinstance(spaces, Mapping):
        for key, sub in spaces.items():
            yield from _flat_spaces(sub, f"{prefix}{key}/")
    else:
        yield prefix, space


class _Sized:
    """The module resized to each distinct (observation, action) space shape, cached.

    An env's spaces are fixed when it is built, so this resizes once per env (and once
    for envs sharing the same shapes), never per step.
    """

    def __init__(self, module) -> None:
        self.module = module
        self.cache: dict[tuple, Any] = {
            _space_key(module.observation_space, module.action_space): module}

        # Fast path by the space objects' ids; the entry holds the spaces, so an id is
        # never reused by another object while it is cached.
        self._by_id: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def __call__(self, observation_space, action_space):
        fast = self._by_id.get((id(observation_space), id(action_space)))
        if fast is not None:
            return fast[2]
        key = _space_key(observation_space, action_space)
        if key not in self.cache:
            self.cache[key] = resize_module(self.module, observation_space, action_space)
        self._by_id[(id(observation_space), id(action_space))] = (
            observation_space, action_space, self.cache[key])
        return self.cache[key]


def _policy_for(module, policy_mapping_fn: Callable | None) -> Callable[[Any], _Sized]:
    """``agent id -> the _Sized module acting for it``: ``module`` for every agent, or with
    a dict policy id -> module, ``module[policy_mapping_fn(agent)]``."""
    if not isinstance(module, Mapping):
        if policy_mapping_fn is not None:
            raise ValueError("policy_mapping_fn needs a dict of modules (policy id -> module), "
                             f"got one {type(module).__name__}")
        sized = _Sized(module)
        return lambda agent: sized
    if policy_mapping_fn is None:
        raise ValueError("a dict of modules (policy id -> module) needs policy_mapping_fn "
                         "(agent id -> policy id)")
    by_policy = {pid: _Sized(m) for pid, m in module.items()}

    def for_agent(agent) -> _Sized:
        pid = policy_mapping_fn(agent)
        if pid not in by_policy:
            raise ValueError(
                f"agent {agent!r} maps to policy {pid!r}, which the checkpoint does not have "
                f"(trained policies: {sorted(by_policy)}); independent (per_agent) policies "
                "play only the agents of training, so the team may not be larger")
        return by_policy[pid]
    return for_agent


def _episode(policy_for: Callable[[Any], _Sized], env, seed: int | None, explore: bool,
             generator: torch.Generator | None, decoding: Decoding = Decoding()) -> dict:
    """One episode of ``env`` (single- or multi-agent), each agent on ``policy_for(agent)``;
    with a ``decoding`` of several picks per pass, :func:`decode_episode` plays it."""
    with torch_threads(SAMPLING_THREADS):
        if not decoding.one_at_a_time:
            module = policy_for(None)(env.observation_space, env.action_space)
            return decode_episode(module, env, decoding, seed)
        return play_episode(env, lambda agent, obs_space, act_space:
                            policy_for(agent)(obs_space, act_space), seed, explore, generator)


def _generator(seed: int | None, rollout: int) -> torch.Generator | None:
    """A torch generator for sampled rollout ``rollout`` of the episode with ``seed``."""
    if seed is None:
        return None
    state = np.random.SeedSequence([int(seed), int(rollout), 0x6E4E]).generate_state(1)
    return torch.Generator().manual_seed(int(state[0]))


def policy_player(module, explore: bool = False, *, policy_mapping_fn: Callable | None = None,
                  decoding: Decoding = Decoding()) -> Callable[[Any, int | None], dict]:
    """A ``player(env, seed) -> final info`` for :func:`envs.compare.compare`.

    Plays one episode with :func:`~rllib_gnn.nn.inference.compute_action`: the greedy argmax,
    or with ``explore`` a sample of the masked distribution (seeded from the episode seed,
    so reproducible). A ``decoding`` of several picks per forward pass (greedy, single-agent
    selection envs) plays it with :func:`~rllib_gnn.nn.decoding.decode_episode` instead. The
    module is resized to the env's spaces once per space shape (so graphs larger than in
    training work). Multi-agent envs: each agent acts on its own observation, with
    ``module``, or, when ``module`` is a dict policy id -> module, with
    ``module[policy_mapping_fn(agent)]`` (ValueError naming an agent whose policy is not
    there). Torch runs on
    :data:`~rllib_gnn.training.threads.SAMPLING_THREADS` thread(s) while the episode plays.
    """
    if explore and not decoding.one_at_a_time:
        raise ValueError(f"decoding {decoding.to_dict()} commits the greedy policy's best "
                         f"picks; a sampling player (explore=True) picks one per pass")
    policy_for = _policy_for(module, policy_mapping_fn)

    def player(env, seed: int | None = None) -> dict:
        return _episode(policy_for, env, seed, explore,
                        _generator(seed, 0) if explore else None, decoding)
    return player


def _entry_of(env) -> EnvEntry:
    for candidate in ENVS.values():
        module_name, attr = candidate.env_class.split(":")
        if type(env) is getattr(importlib.import_module(module_name), attr):
            return candidate
    raise ValueError(f"{type(env).__name__} is not a catalog env; pass entry= "
                     "(an envs.catalog.EnvEntry or name) to best_of_k_player")


def best_of_k_player(module, k: int, entry: EnvEntry | str | None = None,
                     include_greedy: bool = True, *, policy_mapping_fn: Callable | None = None
                     ) -> Callable[[Any, int | None], dict]:
    """A player that, per episode seed, keeps the best of several rollouts.

    Each rollout resets the env with the same seed, so all play the same graph. The
    candidates are ``k`` sampled rollouts (seeded from the episode seed and the rollout
    number) plus, with ``include_greedy`` (default), the greedy rollout, so best-of-k is
    never worse than the greedy policy on an episode. The returned info is the candidate
    with the best ``entry.metric`` (min or max per ``entry.goal``; ties: the earliest).

    Args:
        entry: the env's catalog entry or name, for its metric and goal; by default looked
            up from the env's class.
        policy_mapping_fn: with a dict of modules, as :func:`policy_player`.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1 (sampled rollouts per episode), got {k!r}")
    if isinstance(entry, str):
        entry = catalog_entry(entry)
    policy_for = _policy_for(module, policy_mapping_fn)

    def player(env, seed: int | None = None) -> dict:
        the_entry = entry or _entry_of(env)
        sign = 1.0 if the_entry.goal == "min" else -1.0
        candidates = [_episode(policy_for, env, seed, True, _generator(seed, j + 1))
                      for j in range(k)]
        if include_greedy:
            candidates.insert(0, _episode(policy_for, env, seed, False, None))
        scores = [sign * float(info[the_entry.metric]) for info in candidates]
        best = dict(candidates[int(np.argmin(scores))])
        best["rollouts"] = len(candidates)
        return best
    return player


def improved_player(player: Callable[[Any, int | None], dict], entry: EnvEntry | str
                    ) -> Callable[[Any, int | None], dict]:
    """``player`` followed by the env's local improvement (``entry.improve``, e.g. MVC's
    :func:`~envs.mvc.improve_final_cover`): the final info of the improved solution. The
    player must leave the env at the end of the episode it reports (a best-of-K player
    does not)."""
    improve = (catalog_entry(entry) if isinstance(entry, str) else entry).improver()

    def player_improved(env, seed: int | None = None) -> dict:
        return improve(env, player(env, seed))
    return player_improved
