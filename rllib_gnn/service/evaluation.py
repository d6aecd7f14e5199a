"""Evaluate a trained policy from a checkpoint against the env's baselines.

The policy and every baseline of the env's catalog entry play the SAME seeded episodes
(:func:`envs.compare.compare`), usually on other (larger) graphs than in training (the
players: :mod:`rllib_gnn.service.players`).

::

    rows = evaluate("results/mvc/PPO_mvc_0_.../checkpoint_000010",
                    env_overrides={"graphs": {"preset": "blog_mvc", "split": "test_100"}},
                    episodes=100, sample=8)
    print(format_evaluation(rows))   # rllib_gnn.service.tables

Files written (``out`` defaults to ``<RUN_DIR>/evaluations`` with RUN_DIR the parent of the
checkpoint's trial dir)::

    <trial>-<checkpoint>-<hash of env_overrides>.json   rows, per-episode metric values,
                                                         eval env_config, checkpoint, seeds
    <trial>-<checkpoint>-<hash of env_overrides>.csv    the rows

with ``-<label>`` after the hash when the policy commits several picks per forward pass
(``decoding``, e.g. ``-top_fraction_0.1``), so that the one-pick evaluation stays.

Each file is written to a temporary file in the same folder and moved into place with
``os.replace`` (:mod:`rllib_gnn.training.files`), so a crash never leaves a half-written
result.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from envs.catalog import EnvEntry, entry as catalog_entry
from envs.compare import compare, episode_ratios
from rllib_gnn.nn.decoding import Decoding, check_decodable
from rllib_gnn.service.checkpoints import checkpoint_path, load_team
from rllib_gnn.service.players import best_of_k_player, policy_player
from rllib_gnn.service.tables import csv_text
from rllib_gnn.training.experiment import evaluation_env_config
from rllib_gnn.training.files import write_atomic, write_json_atomic

__all__ = ["evaluate"]


def _overrides_hash(overrides: Mapping) -> str:
    text = json.dumps(overrides, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _recording(player: Callable, metric: str, log: dict) -> Callable:
    """``player`` that logs each episode's seed, metric value and wall seconds."""
    def run(env, seed):
        start = time.perf_counter()
        info = player(env, seed)
        log["wall_s"].append(time.perf_counter() - start)
        log["seeds"].append(seed)
        log[metric].append(float(info[metric]))
        return info
    return run


def _settings(experiment: Mapping[str, Any], env_overrides: Mapping | None,
              episodes: int | None, sample: int | None, decoding: Mapping | None
              ) -> tuple[Mapping, int, int, Decoding]:
    """``(env_overrides, episodes, sample, decoding)``: the arguments, or where None the
    experiment's ``evaluation`` section (else: no overrides, 100 episodes, no best-of-K, one
    pick per forward pass)."""
    defaults = experiment.get("evaluation") or {}
    if env_overrides is None:
        env_overrides = defaults.get("env_config") or {}
    episodes = int(defaults.get("episodes", 100) if episodes is None else episodes)
    sample = int(defaults.get("sample", 0) if sample is None else sample)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if sample < 0:
        raise ValueError(f"sample must be >= 0 (0: no best-of-K row), got {sample}")
    decoding = Decoding.parse(defaults.get("decoding") if decoding is None else decoding)
    return env_overrides, episodes, sample, decoding


def _players(module, mapping: Callable | None, entry: EnvEntry, sample: int,
             sampled: bool, decoding: Decoding) -> dict[str, Callable]:
    """The rows' players: the policy (greedy, sampled, best of ``sample``), the baselines.
    With a ``decoding`` of several picks per pass the greedy row is ``policy_<label>``."""
    name = "policy" if decoding.one_at_a_time else f"policy_{decoding.label()}"
    players = {name: policy_player(module, policy_mapping_fn=mapping, decoding=decoding)}
    if sampled:
        players["policy_sampled"] = policy_player(module, explore=True,
                                                  policy_mapping_fn=mapping)
    if sample > 0:
        players[f"policy_best_of_{sample}"] = best_of_k_player(module, sample, entry,
                                                               policy_mapping_fn=mapping)
    players.update({name: entry.baseline(name) for name in entry.baselines})
    return players


def _add_spread_and_time(rows: list[dict], logs: Mapping[str, dict], entry: EnvEntry,
                         episodes: int) -> None:
    """Add ``ratio_to_<reference>_std`` to every row, the wall seconds to the policy rows."""
    ref = entry.reference
    ref_vals = np.array(logs[ref][entry.metric]) if ref in logs else None
    for row in rows:
        name = row["player"]
        vals = np.array(logs[name][entry.metric])
        if ref_vals is not None:
            row[f"ratio_to_{ref}_std"] = float(np.nanstd(episode_ratios(vals, ref_vals)))
        if name.startswith("policy"):
            row["wall_s"] = float(sum(logs[name]["wall_s"]))
            row["wall_s_per_episode"] = row["wall_s"] / episodes


def evaluate(checkpoint_dir: str | os.PathLike, env_overrides: Mapping | None = None,
             episodes: int | None = None, sample: int | None = None, seed: int = 0,
             out: str | os.PathLike | None = None, sampled: bool = False,
             decoding: Mapping | None = None) -> list[dict]:
    """Compare the checkpoint's policy with the env's baselines on the same seeded episodes.

    Args:
        checkpoint_dir: a checkpoint dir of ``rllib-gnn train`` (with its experiment).
        env_overrides: changes to the training env_config (size-limit rule:
            :func:`~rllib_gnn.training.experiment.evaluation_env_config`); None takes the
            experiment's ``evaluation.env_config`` (none: the training config as is).
        episodes: episodes per player, seeds ``seed..seed+episodes-1``; None takes the
            experiment's ``evaluation.episodes``, else 100.
        sample: K > 0 adds the row ``policy_best_of_K`` (best of K sampled rollouts); None
            takes the experiment's ``evaluation.sample``, else 0.
        seed: the first episode seed.
        out: folder for the JSON and CSV; default ``<RUN_DIR>/evaluations`` where RUN_DIR is
            the checkpoint dir's grandparent (``<RUN_DIR>/<trial>/<checkpoint>``).
        sampled: also the row ``policy_sampled``: the policy sampling its actions (seeded
            per episode) instead of taking the argmax (agents sharing a policy can loop
            when acting by argmax).
        decoding: the greedy policy's picks per forward pass
            (:class:`~rllib_gnn.nn.decoding.Decoding`: ``{}`` one, ``{"top_fraction": f}``,
            ``{"prob_ratio": r}``); None takes the experiment's ``evaluation.decoding``,
            else one. Several picks per pass name the row ``policy_<label>`` (e.g.
            ``policy_top_fraction_0.1``) and its files ``...-<label>.json``.

    Returns:
        One row per player (``policy``, ``policy_sampled``, ``policy_best_of_K``, then the
        baselines): the rows of :func:`envs.compare.compare` (``<metric>_mean``,
        ``<metric>_std``, ``<key>_mean`` / ``<key>_std`` of the entry's ``extra_metrics``
        the episodes report, e.g. ``worst_idleness``, ``success`` and ``path_ratio`` (over
        successful episodes only), ``length_mean``, ``ratio_to_<reference>``) plus
        ``ratio_to_<reference>_std`` and, for policy rows, ``wall_s`` (seconds for all its
        episodes) and ``wall_s_per_episode``.

    Raises:
        ValueError: a bad checkpoint dir or argument; a per_agent checkpoint evaluated on
            a larger team than in training (naming the agent and the trained policies).
    """
    ckpt = checkpoint_path(checkpoint_dir)
    module, mapping, experiment = load_team(ckpt)
    entry = catalog_entry(experiment["env"])
    env_overrides, episodes, sample, decoding = _settings(experiment, env_overrides, episodes,
                                                          sample, decoding)
    config = evaluation_env_config(experiment, env_overrides)
    if not decoding.one_at_a_time:
        check_decodable(entry.make(config), decoding)  # before any episode plays
    players = _players(module, mapping, entry, sample, sampled, decoding)
    logs = {name: {"seeds": [], entry.metric: [], "wall_s": []} for name in players}
    recorded = {name: _recording(p, entry.metric, logs[name]) for name, p in players.items()}
    rows = compare(entry, recorded, config, episodes, seed)
    _add_spread_and_time(rows, logs, entry, episodes)

    out_dir = Path(out) if out is not None else ckpt.parent.parent / "evaluations"
    stem = f"{ckpt.parent.name}-{ckpt.name}-{_overrides_hash(env_overrides)}" + (
        "" if decoding.one_at_a_time else f"-{decoding.label()}")
    write_json_atomic(out_dir / f"{stem}.json", {
        "checkpoint": str(ckpt), "experiment": experiment.get("name"), "env": experiment["env"],
        "env_overrides": env_overrides, "env_config": config, "episodes": episodes,
        "seed": seed, "sample": sample, "decoding": decoding.to_dict(),
        "metric": entry.metric, "goal": entry.goal,
        "reference": entry.reference, "rows": rows,
        "per_episode": {"seeds": list(range(seed, seed + episodes)),
                        **{name: log[entry.metric] for name, log in logs.items()}}})
    write_atomic(out_dir / f"{stem}.csv", csv_text(rows))
    return rows
