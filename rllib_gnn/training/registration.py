"""Register every env of ``envs.catalog`` with Ray Tune under its catalog name.

Single-agent envs register as they are, and RLlib's env runners ask the creator for all
their envs at once (``gym_env_vectorize_mode="vector_entry_point"``: the config then holds
``num_envs``), which builds the env's native vector form where it has one
(:meth:`envs.catalog.EnvEntry.make_vector`). Multi-agent (PettingZoo) envs are wrapped in
:class:`TeamEnv`, RLlib's ``ParallelPettingZooEnv`` with the episode's end told right.
"""

from __future__ import annotations

from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

from envs.catalog import ENVS, EnvEntry


class TeamEnv(ParallelPettingZooEnv):
    """RLlib's PettingZoo wrapper, ending the episode when no agent is left.

    RLlib's own sets ``__all__`` only when every agent of the step was terminated, or every
    one truncated: when the last agents end the same step, some at their goal and the others
    at the time limit (navigation), or some leaving and the others truncated (patrolling's
    attrition), neither holds, RLlib steps the finished env again and the env runner fails.
    Here the episode ends when the env has no live agent: terminated if every agent of the
    last step was terminated, else truncated.
    """

    def step(self, action_dict):
        obs, rewards, terminateds, truncateds, infos = self.par_env.step(action_dict)
        over = not self.par_env.agents
        terminateds["__all__"] = over and all(terminateds.values())
        truncateds["__all__"] = over and not terminateds["__all__"]
        return obs, rewards, terminateds, truncateds, infos


def make_rllib_env(entry: EnvEntry, config: dict | None):
    """The env of ``entry`` as RLlib consumes it: a gymnasium Env, a gymnasium VectorEnv
    when the config holds ``num_envs`` (RLlib's vector entry point), or a MultiAgentEnv."""
    config = dict(config or {})
    if "num_envs" in config and not entry.multi_agent:
        return entry.make_vector(config.pop("num_envs"), config)
    env = entry.make(config)
    return TeamEnv(env) if entry.multi_agent else env


def register_envs() -> list[str]:
    """Register all catalog envs (idempotent); returns their names."""
    for name, entry in ENVS.items():
        register_env(name, lambda config, _entry=entry: make_rllib_env(_entry, config))
    return list(ENVS)
