"""Evaluation during training: every few iterations the current greedy policy plays the same
held-out episodes, so its curve shows what the policy has learned, not the noise of
exploring on whatever episodes training happened to draw.

The experiment's ``periodic_evaluation`` section becomes RLlib's evaluation settings
(:func:`configure_evaluation`): ``evaluation_interval`` is ``every``;
``evaluation_num_env_runners`` is ``env_runners`` (0: the trial's own process);
``evaluation_parallel_to_training`` is ``parallel``; the evaluation config is the training
config with the evaluation env config (``evaluation.env_config`` by the size-limit rule of
:func:`~rllib_gnn.training.experiment.evaluation_env_config`), ``explore=False`` and one env
per runner; and :class:`FixedEpisodes` is the ``custom_evaluation_function``, because RLlib's
own evaluation plays whatever episodes its vector envs reset to, never the same ones twice.

:class:`FixedEpisodes` splits the seeds ``seed..seed+episodes-1`` over the evaluation env
runners. Each plays its share greedily (:func:`rllib_gnn.nn.inference.play_episode`) with
its module, which RLlib syncs from the learner just before (and built for the evaluation
env's spaces), on an env built from its config; a seeded reset fixes the episode (a fixed
graph list plays graph ``seed mod L``). Each episode's metric (the team's, in a multi-agent
env) is paired with the catalog's reference baseline on the same seeded episode, played once
per trial process and cached. The evaluation logs under RLlib's ``evaluation`` result:
``env_runners/`` RLlib's ``episode_return_mean``, ``episode_len_mean``, ``num_episodes``,
``num_env_steps_sampled``, and ``rllib_gnn/``: ``metric`` (mean over the episodes),
``ratio`` (mean per-episode ratio to the reference, as ``envs.compare``'s
``ratio_to_<reference>``), ``reference`` (the reference's mean metric), ``episodes``,
``env_steps`` and ``wall_s`` (the evaluation's own). :class:`LatestEvaluation` turns that
into the trial result's ``rllib_gnn/eval/...``.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModule
from ray.rllib.utils.metrics import (ENV_RUNNER_RESULTS, EPISODE_LEN_MEAN, EPISODE_RETURN_MEAN,
                                     EVALUATION_RESULTS, NUM_ENV_STEPS_SAMPLED,
                                     NUM_ENV_STEPS_SAMPLED_LIFETIME, NUM_EPISODES)

from envs.catalog import ENVS
from envs.paired import episode_ratios, nan_mean
from rllib_gnn.nn.inference import play_episode
from rllib_gnn.training.experiment import evaluation_env_config
from rllib_gnn.training.threads import SAMPLING_THREADS, torch_threads

__all__ = ["FixedEpisodes", "LatestEvaluation", "configure_evaluation", "reference_values"]

logger = logging.getLogger(__name__)

#: The keys of an evaluation's ``rllib_gnn`` results that reach the trial result.
PUBLISHED = ("metric", "ratio", "reference", "episodes", "env_steps", "wall_s")


def configure_evaluation(config, experiment: Mapping[str, Any]):
    """``config`` (an AlgorithmConfig) with the experiment's ``periodic_evaluation`` as
    RLlib's evaluation settings; unchanged when ``every`` is 0 or the section is absent (an
    experiment saved before it existed)."""
    section = experiment.get("periodic_evaluation") or {}
    if not section.get("every"):
        return config
    config.evaluation(
        evaluation_interval=section["every"], evaluation_duration=section["episodes"],
        evaluation_duration_unit="episodes", evaluation_num_env_runners=section["env_runners"],
        evaluation_parallel_to_training=section["parallel"],
        custom_evaluation_function=FixedEpisodes(section["episodes"], section["seed"],
                                                 section["ratio"]))
    overrides = config.copy(copy_frozen=False)
    overrides.env_config = evaluation_env_config(experiment,
                                                 experiment["evaluation"]["env_config"])
    overrides.env_runners(explore=False, num_envs_per_env_runner=1)
    # A whole AlgorithmConfig, not a dict of overrides: RLlib deep-merges a dict into the
    # training env_config, which brings back the size limits the evaluation env config drops
    # and mixes two `graphs` sources into one.
    config.evaluation_config = overrides
    return config


@dataclass(frozen=True)
class FixedEpisodes:
    """RLlib's ``custom_evaluation_function``: the episodes of seeds
    ``seed..seed+episodes-1``, greedy, and with ``ratio`` the reference's on the same."""

    episodes: int
    seed: int
    ratio: bool = True

    @property
    def seeds(self) -> list[int]:
        return list(range(self.seed, self.seed + self.episodes))

    def __call__(self, algorithm, eval_workers) -> tuple[dict, int, int]:
        start = time.perf_counter()
        played = _play_on_runners(eval_workers, self.seeds)
        missing = sorted(set(self.seeds) - set(played))
        if missing:  # an evaluation env runner failed: no partial (incomparable) evaluation
            logger.warning("periodic evaluation skipped: episodes of seeds %s were not played "
                           "(an evaluation env runner failed)", missing)
            return {}, 0, 0
        config = algorithm.evaluation_config
        values = np.array([played[s][0] for s in self.seeds])
        results = {"metric": nan_mean(values), "episodes": self.episodes,
                   "env_steps": int(sum(played[s][2] for s in self.seeds))}
        if self.ratio:
            reference = reference_values(config.env, config.env_config, self.seeds)
            results["ratio"] = nan_mean(episode_ratios(values, reference))
            results["reference"] = nan_mean(reference)
        results["wall_s"] = time.perf_counter() - start
        _log(algorithm.metrics, results, played)
        return {}, results["env_steps"], results["env_steps"]  # (agent steps: not apart)


def _log(metrics, results: Mapping[str, float], played: Mapping[int, tuple]) -> None:
    """The evaluation into RLlib's ``evaluation`` results (single items: this evaluation's)."""
    episodes = list(played.values())
    runners = {EPISODE_RETURN_MEAN: float(np.mean([e[1] for e in episodes])),
               EPISODE_LEN_MEAN: float(np.mean([e[2] for e in episodes])),
               NUM_EPISODES: len(episodes), NUM_ENV_STEPS_SAMPLED: results["env_steps"]}
    for key, value in runners.items():
        metrics.log_value((EVALUATION_RESULTS, ENV_RUNNER_RESULTS, key), value, reduce="item")
    for key, value in {**results, "done_at": time.time()}.items():
        metrics.log_value((EVALUATION_RESULTS, "rllib_gnn", key), value, reduce="item")


def _play_on_runners(workers, seeds: Sequence[int]) -> dict[int, tuple[float, float, int]]:
    """``seed -> (metric, return, length)`` of the episodes the evaluation env runners played:
    the local one, or the healthy remote ones, each a share of ``seeds``."""
    if not workers.num_remote_env_runners():
        return dict(play_seeds(workers.local_env_runner, seeds))
    remote = workers.healthy_env_runner_ids()
    if not remote:
        return {}
    shares = [list(seeds[i::len(remote)]) for i in range(len(remote))]
    results = workers.foreach_env_runner(
        [functools.partial(play_seeds, seeds=share) for share in shares],
        local_env_runner=False, remote_worker_ids=remote)
    return {seed: episode for played in results for seed, episode in played}


def play_seeds(runner, seeds: Sequence[int]) -> list[tuple[int, tuple[float, float, int]]]:
    """On an env runner: ``(seed, (metric, return, length))`` of each greedy episode its
    module plays on an env of its config, the multi-agent ones with the policy mapping."""
    entry = ENVS[runner.config.env]
    env = _env(runner.config.env, runner.config.env_config)
    module = runner.module
    if isinstance(module, MultiRLModule):
        mapping = runner.config.policy_mapping_fn
        module_for = lambda agent, *spaces: module[mapping(agent, None)]  # noqa: E731
    else:
        module_for = lambda agent, *spaces: module  # noqa: E731
    out = []
    with torch_threads(SAMPLING_THREADS):
        for seed in seeds:
            info = play_episode(env, module_for, seed)
            out.append((seed, (float(info.get(entry.metric, math.nan)), float(info["return"]),
                               int(info["length"]))))
    return out


#: Envs built in this process, by env name and config: an evaluation resets by seed.
_BUILT: dict[str, Any] = {}
#: The reference's metric by env name, config and seed, in this process.
_REFERENCE: dict[str, dict[int, float]] = {}


def _key(env: str, env_config: Mapping[str, Any]) -> str:
    return json.dumps([env, env_config], sort_keys=True, default=repr)


def _env(name: str, env_config: Mapping[str, Any]):
    key = _key(name, env_config)
    if key not in _BUILT:
        _BUILT[key] = ENVS[name].make(dict(env_config))
    return _BUILT[key]


def reference_values(name: str, env_config: Mapping[str, Any], seeds: Sequence[int]
                     ) -> np.ndarray:
    """The metric of env ``name``'s reference baseline on each seeded episode, played the
    first time a seed is asked for and cached in this process (the episodes never change)."""
    entry = ENVS[name]
    cached = _REFERENCE.setdefault(_key(name, env_config), {})
    todo = [s for s in seeds if s not in cached]
    if todo:
        env, player = entry.make(dict(env_config)), entry.baseline(entry.reference)
        cached.update({s: float(player(env, s).get(entry.metric, math.nan)) for s in todo})
    return np.array([cached[s] for s in seeds], dtype=np.float64)


class LatestEvaluation:
    """The trial's latest periodic evaluation, for every trial result after it (Tune's
    ``metric`` and the progress lines read it; the report plots it at ``at_env_steps``).

    A trial process evaluates the weights it starts from before its first iteration
    (:meth:`start`): the curves start there, and every result it reports carries the
    evaluation's keys, which Tune's ``progress.csv`` needs (it keeps only the columns of
    the first result it writes, also when a restored trial appends to it).
    """

    def __init__(self, parallel: bool) -> None:
        self.parallel = parallel
        self.latest: dict[str, float] = {}
        self._done_at = None
        self._before = (0, 0)  # (iteration, env steps) of the weights of the last iteration

    def start(self, algorithm, iteration: int) -> None:
        """Evaluate ``algorithm``'s weights now, at trial iteration ``iteration``."""
        steps = algorithm.metrics.peek((ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME),
                                       default=0)
        self._before = (iteration, steps)
        self._take((algorithm.evaluate() or {}).get("rllib_gnn") or {}, iteration, steps)

    def update(self, result: Mapping[str, Any], iteration: int) -> float:
        """Take ``result``'s evaluation when it is a new one; return the seconds it kept
        this iteration's ``train()`` from training (0.0: none, or it ran in parallel).

        ``at_iteration`` / ``at_env_steps``: the iteration and env steps sampled whose
        weights it played: this iteration's, or in parallel the one before.
        """
        logged = (result.get(EVALUATION_RESULTS) or {}).get("rllib_gnn") or {}
        steps = (result.get(ENV_RUNNER_RESULTS) or {}).get(NUM_ENV_STEPS_SAMPLED_LIFETIME, 0)
        before, self._before = self._before, (iteration, steps)
        if not self._take(logged, *(before if self.parallel else (iteration, steps))):
            return 0.0
        return 0.0 if self.parallel else float(logged.get("wall_s", 0.0))

    def _take(self, logged: Mapping[str, Any], at_iteration: int, at_steps: float) -> bool:
        """Keep ``logged`` as the latest evaluation unless it is the one already kept."""
        if not logged or logged.get("done_at") in (None, self._done_at):
            return False
        self._done_at = logged["done_at"]
        self.latest = {key: logged[key] for key in PUBLISHED
                       if isinstance(logged.get(key), (int, float))
                       and math.isfinite(logged[key])}
        self.latest.update(at_iteration=at_iteration, at_env_steps=at_steps)
        return True
