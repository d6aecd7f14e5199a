"""Evaluate a trained policy from a checkpoint against the env's baselines.

The evaluation protocol (:mod:`envs.compare`): the policy and every baseline of the env's
catalog entry play the SAME held-out seeded episodes (seeds 1000.. by default), usually on
other (larger) graphs than in training (the players: :mod:`rllib_gnn.service.players`);
each row carries the paired difference and ratio to the env's reference with their paired
standard errors, and the record what the policy cost to train (its trial's wall time and
env steps at the checkpoint).

::

    record = evaluate("results/mvc/PPO_mvc_0_.../checkpoint_000010",
                      env_overrides={"graphs": {"preset": "blog_mvc", "split": "test_100"}},
                      episodes=100, sample=8)
    print(format_record(record))   # rllib_gnn.service.tables: rows, pairs, check, cost

Files written (``out`` defaults to ``<RUN_DIR>/evaluations`` with RUN_DIR the parent of the
checkpoint's trial dir)::

    <trial>-<checkpoint>-<hash of env_overrides>.json   a record file of one evaluation
                                                         (rllib_gnn.service.records)
    <trial>-<checkpoint>-<hash of env_overrides>.csv    its rows

with ``-<label>`` after the hash when the policy commits several picks per forward pass
(``decoding``, e.g. ``-top_fraction_0.1``), so that the one-pick evaluation stays, and
``-<baseline>+<baseline>`` when only some baselines played, ``-improved`` with the
improved rows.

Each file is written to a temporary file in the same folder and moved into place with
``os.replace`` (:mod:`rllib_gnn.training.files`), so a crash never leaves a half-written
result.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from envs.catalog import EnvEntry, entry as catalog_entry
from envs.compare import HELD_OUT_SEED, IMPROVED, held_out_seeds, play_episodes
from rllib_gnn.nn.decoding import Decoding, check_decodable
from rllib_gnn.service.checkpoints import checkpoint_path, load_team, training_cost
from rllib_gnn.service.players import best_of_k_player, improved_player, policy_player
from rllib_gnn.service.records import evaluation_record, record_file, write_record
from rllib_gnn.service.tables import csv_text
from rllib_gnn.training.experiment import evaluation_env_config
from rllib_gnn.training.files import write_atomic

__all__ = ["evaluate"]


def _overrides_hash(overrides: Mapping) -> str:
    text = json.dumps(overrides, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


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


def _baseline_names(entry: EnvEntry, baselines: Sequence[str] | None) -> list[str]:
    """The baselines to play: all of the catalog entry's (None), or the named ones."""
    if baselines is None:
        return list(entry.baselines)
    unknown = [name for name in baselines if name not in entry.baselines]
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; this env's baselines are "
                         f"{list(entry.baselines)}")
    return list(dict.fromkeys(baselines))


def _players(module, mapping: Callable | None, entry: EnvEntry, sample: int,
             sampled: bool, decoding: Decoding, baselines: list[str], improve: bool
             ) -> dict[str, Callable]:
    """The rows' players: the policy (greedy, sampled, best of ``sample``), the baselines.
    With a ``decoding`` of several picks per pass the greedy row is ``policy_<label>``;
    with ``improve`` the greedy policy and each baseline but the reference are followed by
    their ``<name>_improved`` row."""
    name = "policy" if decoding.one_at_a_time else f"policy_{decoding.label()}"
    players = {name: policy_player(module, policy_mapping_fn=mapping, decoding=decoding)}
    if sampled:
        players["policy_sampled"] = policy_player(module, explore=True,
                                                  policy_mapping_fn=mapping)
    if sample > 0:
        players[f"policy_best_of_{sample}"] = best_of_k_player(module, sample, entry,
                                                               policy_mapping_fn=mapping)
    players.update({name: entry.baseline(name) for name in baselines})
    if not improve:
        return players
    with_improved = {}  # each one-episode player but the reference, then its improved form
    for name, player in players.items():
        with_improved[name] = player
        if _improvable(name, entry):
            with_improved[name + IMPROVED] = improved_player(player, entry)
    return with_improved


def _improvable(name: str, entry: EnvEntry) -> bool:
    """Whether row ``name`` gets an improved twin: not the reference (already the best),
    not a best-of-K row (its env holds the last rollout, not the best)."""
    return name != entry.reference and not name.startswith(("policy_best_of_",
                                                             "policy_sampled"))


def evaluate(checkpoint_dir: str | os.PathLike, env_overrides: Mapping | None = None,
             episodes: int | None = None, sample: int | None = None,
             seed: int = HELD_OUT_SEED, out: str | os.PathLike | None = None,
             sampled: bool = False, decoding: Mapping | None = None,
             baselines: Sequence[str] | None = None, improve: bool = False) -> dict:
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
        seed: the first episode seed (default :data:`envs.compare.HELD_OUT_SEED`).
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
        baselines: the catalog baselines to play (default: all of them); leave out one
            that cannot play these graphs, e.g. TSP's ``exact`` beyond 100 cities. Without
            the env's reference the rows carry no ratio to it, only the pairs.
        improve: also play the env's local improvement at inference (``EnvEntry.improve``,
            e.g. MVC's redundant-node pruning) after the greedy policy and after each
            baseline but the reference: rows ``<name>_improved``, timed with their episode.

    Returns:
        The evaluation record (:func:`rllib_gnn.service.records.evaluation_record`): its
        ``rows`` one per player (``policy``, ``policy_sampled``, ``policy_best_of_K``, then
        the baselines) as :func:`envs.compare.comparison_rows` makes them, its ``pairs``
        every policy row against each other baseline, ``training`` the checkpoint's
        :func:`~rllib_gnn.service.checkpoints.training_cost`.

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
    baselines = _baseline_names(entry, baselines)
    if improve:
        entry.improver()  # ValueError for an env without one, before any episode plays
    players = _players(module, mapping, entry, sample, sampled, decoding, baselines, improve)
    played = play_episodes(entry, players, config, held_out_seeds(episodes, seed))
    record = evaluation_record(
        experiment["env"], played, config, f"{ckpt.parent.name}/{ckpt.name}",
        pairs_for=[name for name in players if name.startswith("policy")],
        training=training_cost(ckpt), checkpoint=str(ckpt),
        experiment=experiment.get("name"), env_overrides=env_overrides, sample=sample,
        decoding=decoding.to_dict())

    out_dir = Path(out) if out is not None else ckpt.parent.parent / "evaluations"
    stem = f"{ckpt.parent.name}-{ckpt.name}-{_overrides_hash(env_overrides)}" + (
        "" if decoding.one_at_a_time else f"-{decoding.label()}") + (
        "" if baselines == list(entry.baselines) else f"-{'+'.join(baselines)}") + (
        "-improved" if improve else "")
    write_record(out_dir / f"{stem}.json", record_file(
        f"{experiment.get('name') or experiment['env']}: {ckpt.name} evaluated", [record]))
    write_atomic(out_dir / f"{stem}.csv", csv_text(record["rows"]))
    return record
