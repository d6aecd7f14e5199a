"""Play an environment to the end with any policy, so policies and baselines share episodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
from pettingzoo import ParallelEnv


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

    Returns the env's ``team_info()`` when it has one (envs whose final infos are per agent,
    e.g. navigation: the team's metrics under the same keys), else the last info of the last
    agent(s) to finish merged; plus the team ``return`` (sum over agents and steps) and
    ``length``.
    """
    obs, infos = env.reset(seed=seed, options=options)
    total, length, final = 0.0, 0, {}
    while env.agents:
        obs, rewards, terms, truncs, infos = env.step(choose(env, obs))
        total += float(sum(rewards.values()))
        length += 1
        for agent in rewards:
            if terms[agent] or truncs[agent]:
                final.update(infos.get(agent, {}))
    team_info = getattr(env.unwrapped, "team_info", None)
    if team_info is not None:
        final = team_info()
    return {**final, "return": total, "length": length}
