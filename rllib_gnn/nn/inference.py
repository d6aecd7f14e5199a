"""Use a trained :class:`~rllib_gnn.nn.module.GraphRLModule` outside an Algorithm.

:func:`resize_module` moves the weights onto spaces with other limits (N, E, D): the weights
have no shape that depends on them. :func:`compute_action` acts on one raw env observation;
:func:`play_episode` plays one episode of an env with modules acting for its agents (the
players of evaluations, at the end of a run and during training).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import tree  # dm-tree: RLlib's own nested-structure helper
from ray.rllib.core.columns import Columns

from envs.rollout import play, play_parallel
from rllib_gnn.nn.distributions import gaussian_action
from rllib_gnn.nn.module import GraphRLModule

__all__ = ["check_observation", "compute_action", "is_multi_agent", "obs_to_batch",
           "play_episode", "resize_module"]


def resize_module(module: GraphRLModule, observation_space: gym.spaces.Dict,
                  action_space: gym.spaces.Space) -> GraphRLModule:
    """A new module for ``observation_space`` / ``action_space`` with ``module``'s weights.

    The new module has the same class, model_config and ``inference_only`` flag, the same
    train/eval mode, and loads ``module.state_dict()`` strictly.

    Raises:
        ValueError: the weights do not fit, e.g. a ``fixed`` head with another action
            count, or other feature widths (F, Fe).
    """
    new = type(module)(observation_space=observation_space, action_space=action_space,
                       inference_only=module.inference_only, model_config=module.model_config)
    try:
        new.load_state_dict(module.state_dict(), strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ValueError(
            "the trained weights do not fit the new spaces (only N, E, D may change; F, Fe "
            f"and a 'fixed' head's action count must stay): {' '.join(first[:3])}") from err
    new.train(module.training)
    return new


def obs_to_batch(obs: Mapping[str, Any], device: torch.device | str | None = None
                 ) -> dict[str, Any]:
    """One raw env observation (numpy dict, nested ``state`` allowed) as a batch of one."""
    return tree.map_structure(
        lambda value: torch.as_tensor(np.asarray(value), device=device).unsqueeze(0), obs)


def check_observation(space: gym.spaces.Space, obs: Any, key: str = "obs") -> Any:
    """``obs`` checked against the observation space ``space``, its arrays cast to the
    space's dtypes; ``key`` names it in messages.

    Raises:
        ValueError: one line naming the key that is missing or unexpected, or whose array
            has another shape than the space's (the shape got and the shape expected) or a
            dtype of another kind (a float array for int64 ``edge_index``).
    """
    if isinstance(space, gym.spaces.Dict):
        expected = list(space.spaces)
        if not isinstance(obs, Mapping):
            raise ValueError(f"{key} must be a dict with keys {expected}, got "
                             f"{type(obs).__name__}")
        missing = [k for k in expected if k not in obs]
        unknown = [k for k in obs if k not in space.spaces]
        if missing or unknown:
            raise ValueError(f"{key} has keys {list(obs)}; the module's observation space "
                             f"expects {expected}" + (f"; missing: {missing}" if missing else "")
                             + (f"; unexpected: {unknown}" if unknown else ""))
        return {k: check_observation(sub, obs[k], f"{key}[{k!r}]")
                for k, sub in space.spaces.items()}
    if not isinstance(space, gym.spaces.Box):
        return obs
    array = np.asarray(obs)
    if array.shape != space.shape:
        raise ValueError(f"{key} has shape {array.shape}; the module's observation space "
                         f"expects {space.shape} (an env with other limits: "
                         f"rllib_gnn.resize_module moves the weights onto its spaces)")
    if not np.can_cast(array.dtype, space.dtype, casting="same_kind"):
        raise ValueError(f"{key} has dtype {array.dtype}; the module's observation space "
                         f"expects {space.dtype}")
    return array.astype(space.dtype, copy=False)


def compute_action(module: GraphRLModule, obs: Mapping[str, Any], explore: bool = False, *,
                   generator: torch.Generator | None = None
                   ) -> tuple[int | np.ndarray, np.ndarray]:
    """The action for ONE raw env observation, without an Algorithm.

    Args:
        module: the policy.
        obs: one observation exactly as the env returns it (numpy arrays).
        explore: sample from the masked distribution (softmax of the masked logits, or of
            a Q-module's Q-values; a ``Box`` action's Gaussian) instead of taking its mode
            (the greedy argmax; a ``Box`` action's mean).
        generator: torch random generator for sampling (reproducible exploration).

    Returns:
        ``(action, logits)``: the action id and the (A,) masked logits (invalid actions at
        ``torch.finfo(float32).min``); for a ``Box`` action space (the ``gaussian`` head)
        the (N,) float32 action clipped to the box, as RLlib sends it to a ``[-1, 1]`` box,
        and the (3N,) ``concat[mu, log_std, mask]``.

    Raises:
        ValueError: ``obs`` does not fit the module's observation space
            (:func:`check_observation`): checked before torch sees it.
    """
    obs = check_observation(module.observation_space, obs)
    device = next(module.parameters()).device
    batch = {Columns.OBS: obs_to_batch(obs, device)}
    with torch.no_grad():
        # Sampling reads the inference pass's scores too: a GraphRLModule explores with
        # the same logits, a GraphQModule's exploration returns epsilon-greedy actions
        # only (sampling its Q-values is a Boltzmann policy at temperature 1).
        out = module.forward_inference(batch)
    logits = out[Columns.ACTION_DIST_INPUTS][0]
    space = module.action_space
    if isinstance(space, gym.spaces.Box):
        action = gaussian_action(logits, explore, generator).cpu().numpy()
        return np.clip(action, space.low, space.high).astype(space.dtype), logits.cpu().numpy()
    if explore:
        probs = torch.softmax(logits.double(), dim=-1)
        action = int(torch.multinomial(probs, 1, generator=generator))
    else:
        action = int(logits.argmax())
    return action, logits.cpu().numpy()


def is_multi_agent(env: Any) -> bool:
    """Whether ``env`` is a PettingZoo parallel env (per-agent spaces), not a gymnasium one."""
    return callable(getattr(env, "observation_space", None)) and hasattr(env, "possible_agents")


#: ``module_for(agent, observation_space, action_space)``: the module acting for ``agent``
#: (None in a single-agent env) on those spaces.
ModuleFor = Callable[[Any, gym.spaces.Space, gym.spaces.Space], GraphRLModule]


def play_episode(env: Any, module_for: ModuleFor, seed: int | None = None,
                 explore: bool = False, generator: torch.Generator | None = None) -> dict:
    """Play one episode of ``env`` (reset with ``seed``), every agent acting on its own
    observation with :func:`compute_action` of ``module_for(agent, its observation space,
    its action space)``: the greedy argmax, or with ``explore`` a sample (``generator``).

    Returns the final info with ``return`` and ``length`` (:func:`envs.rollout.play`); of a
    multi-agent env the team's (:func:`envs.rollout.play_parallel`).
    """
    if is_multi_agent(env):
        def choose_all(env, obs: dict) -> dict:
            # the live agents only: a step's observations hold those that just ended too
            return {agent: compute_action(module_for(agent, env.observation_space(agent),
                                                     env.action_space(agent)),
                                          obs[agent], explore, generator=generator)[0]
                    for agent in env.agents}
        return play_parallel(env, choose_all, seed=seed)
    module = module_for(None, env.observation_space, env.action_space)

    def choose(env, obs: dict) -> int:
        return compute_action(module, obs, explore, generator=generator)[0]
    return play(env, choose, seed=seed)
