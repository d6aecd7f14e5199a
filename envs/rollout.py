"""Play an environment to the end with any policy, so policies and baselines share episodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
from pettingzoo import ParallelEnv

from envs.team import team_final_info


def play(env: gym.Env, choose: Callable[[gym.Env, dict], Any], seed: int | None = None,
         options: dict | None = None) -> dict[str, Any]:
    """Run one episode of a single-agent env; ``choose(env, obs)`` returns the action.

    Returns the final ``info`` plus ``return`` and ``length``.
    """
    obs, info = env.reset(seed=seed, options=options)
    total, length, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(choose(env, obs))
        total += float(reward)
        length += 1
        done = terminated or truncated
    return {**info, "return": total, "length": length}


def play_parallel(env: ParallelEnv, choose: Callable[[ParallelEnv, dict], dict],
                  seed: int | None = None, options: dict | None = None) -> dict[str, Any]:
    """Run one episode of a PettingZoo ParallelEnv; ``choose(env, obs_by_agent)`` returns actions.

    Returns the team's final info (:func:`envs.team.team_final_info` of the last infos of
    the agents as they finish: the team's metrics where the env reports them under
    ``"team"``, e.g. navigation, else those infos merged) plus the team ``return`` (sum
    over agents and steps) and ``length``.
    """
    obs, infos = env.reset(seed=seed, options=options)
    total, length, finals = 0.0, 0, []
    while env.agents:
        obs, rewards, terms, truncs, infos = env.step(choose(env, obs))
        total += float(sum(rewards.values()))
        length += 1
        finals += [infos.get(agent, {}) for agent in rewards if terms[agent] or truncs[agent]]
    return {**team_final_info(finals), "return": total, "length": length}
