"""Register every env of ``envs.catalog`` with Ray Tune under its catalog name.

Single-agent envs register as they are; multi-agent (PettingZoo) envs are wrapped in
RLlib's ``ParallelPettingZooEnv`` so that RLlib's multi-agent API drives them.
"""

from __future__ import annotations

from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

from envs.catalog import ENVS, EnvEntry


def make_rllib_env(entry: EnvEntry, config: dict | None):
    """The env of ``entry`` as RLlib consumes it (a gymnasium Env or a MultiAgentEnv)."""
    env = entry.make(dict(config or {}))
    return ParallelPettingZooEnv(env) if entry.multi_agent else env


def register_envs() -> list[str]:
    """Register all catalog envs (idempotent); returns their names."""
    for name, entry in ENVS.items():
        register_env(name, lambda config, _entry=entry: make_rllib_env(_entry, config))
    return list(ENVS)
