"""RLlib callback that logs each episode's problem metric (cover weight, idleness, ...).

The env reports its metric in the final ``info`` of an episode (``envs.catalog`` names the
key, and the key of its ratio to a reference when the env computes one). The callback
logs both under ``env_runners/rllib_gnn/...``, averaged over the last 100 episodes like
RLlib's own ``episode_return_mean``, so they reach Tune's results and TensorBoard;
:func:`problem_result` lifts them to the trial result's ``rllib_gnn`` keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

from envs.catalog import ENVS, EnvEntry
from envs.team import team_final_info

WINDOW = 100


def final_info(episode: Any) -> dict[str, Any]:
    """The last info of an episode; for a multi-agent episode the team's
    (:func:`envs.team.team_final_info` of every agent's last info)."""
    if not isinstance(episode, MultiAgentEpisode):
        return dict(episode.get_infos(-1) or {})
    return team_final_info(agent_episode.get_infos(-1) or {}
                           for agent_episode in episode.agent_episodes.values()
                           if len(agent_episode))


class ProblemMetricsCallback(RLlibCallback):
    """Logs ``rllib_gnn/<metric>`` and ``rllib_gnn/<ratio key>`` at every episode end."""

    def on_episode_end(self, *, episode, env_runner=None, metrics_logger=None, **kwargs) -> None:
        entry = ENVS.get(env_runner.config.env) if env_runner is not None else None
        if entry is None or metrics_logger is None:
            return
        info = final_info(episode)
        for key in (entry.metric, entry.ratio):
            if key and isinstance(info.get(key), (int, float)):
                metrics_logger.log_value(("rllib_gnn", key), float(info[key]), reduce="mean",
                                         window=WINDOW)


def problem_result(entry: EnvEntry, runners: Mapping[str, Any], seconds: float
                   ) -> dict[str, float]:
    """The trial result's ``rllib_gnn`` dict from RLlib's ``env_runners`` result of one
    iteration that took ``seconds``: ``metric`` and ``ratio`` as the callback averaged them,
    and ``env_steps_per_s``.

    A key with nothing to report is left out, never NaN: the ratio of an env that computes
    none (no ``env_config.reference``, or no ratio at all), and either before the first
    episode ends. (A NaN would be logged as if measured: TensorBoard warns about it, and
    a NaN ratio looks like a failed run.)
    """
    logged = runners.get("rllib_gnn", {})
    out = {}
    for name, key in (("metric", entry.metric), ("ratio", entry.ratio)):
        value = logged.get(key) if key else None
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[name] = float(value)
    steps = runners.get("num_env_steps_sampled", 0)
    out["env_steps_per_s"] = steps / seconds if seconds > 0 else 0.0
    return out
