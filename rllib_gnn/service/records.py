"""Evaluation records: the evaluation protocol's one JSON schema, written atomically.

``rllib-gnn evaluate`` and the quality benchmarks play their players with
:mod:`envs.compare` (the same held-out seeded episodes for every player) and write what
they measured as one record file, which ``rllib-gnn report`` renders as tables::

    {"protocol": 1,
     "title": "what the file holds",
     "host": {"cpus": 2, "machine": "x86_64", "load_1min": 1.9},   # when it was written
     "evaluations": [{
         "name": "what was evaluated (one env config)",
         "env": "nav", "env_config": {...}, "metric": "path_length", "goal": "min",
         "reference": "shortest_path", "seeds": [1000, 1199], "episodes": 200,
         "rows": [...],      # envs.compare.comparison_rows: one per player, with the paired
                             # ratio/diff to the reference, their s.e., env steps, wall time
         "pairs": [...],     # envs.compare.pair_rows: the policies against the other baselines
         "check": {"se_below_differences": true, "unresolved": []},
         "training": {"time_total_s": 603.3, "env_steps": 207113, "iteration": 101,
                      "trial": "..."} or null,   # what the evaluated policy cost to train
         "per_episode": {"seeds": [...], "path_length": {player: [...]},  # the metric
                         "success": {...}, ...,     # and each extra metric (null: missing)
                         "length": {player: [...]}, "wall_s": {player: [...]}},
         ...                 # the writer's context: checkpoint, env_overrides, sample, ...
     }, ...],
     "tables": {"name": [rows], ...},   # a benchmark's own tables (a learning curve, ...)
     ...}                               # the writer's own keys (budget, experiment, ...)

``check.unresolved`` names every row (``player``) and pair (``player vs other``) whose
paired standard error is not below its difference: a difference the episodes do not
resolve. Files are written with
:func:`~rllib_gnn.training.files.write_json_atomic`: the whole text is made before the file
is touched, then moved into place, so a failure leaves the old file or none.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envs.catalog import entry as catalog_entry
from envs.compare import Episodes, comparison_rows, pair_rows
from rllib_gnn.training.files import write_json_atomic

__all__ = ["PROTOCOL", "evaluation_record", "read_record", "record_file", "write_record"]

#: The schema version of the files this module writes.
PROTOCOL = 1


def _check(rows: Sequence[dict], pairs: Sequence[dict]) -> dict[str, Any]:
    unresolved = [r["player"] for r in rows if r.get("se_below_diff") is False]
    unresolved += [f"{p['player']} vs {p['against']}" for p in pairs if not p["se_below_diff"]]
    return {"se_below_differences": not unresolved, "unresolved": unresolved}


def evaluation_record(env: str, played: Mapping[str, Episodes], env_config: Mapping,
                      name: str, *, pairs_for: Sequence[str] = (),
                      training: Mapping[str, Any] | None = None, **context: Any) -> dict:
    """One evaluation of the file schema (module docstring) from the episodes of
    :func:`envs.compare.play_episodes` on catalog env ``env``.

    ``pairs_for``: the players compared with every other baseline as well (the
    policies); ``training``: what the evaluated policy cost to train; ``context``: further
    keys of the writer (checkpoint, overrides, ...).
    """
    entry = catalog_entry(env)
    rows = comparison_rows(entry, played)
    pairs = pair_rows(entry, played, pairs_for)
    seeds = list(next(iter(played.values())).seeds) if played else []
    values = {key: {p: e.values[:, j].tolist() for p, e in played.items()}
              for j, key in enumerate((entry.metric, *entry.extra_metrics))}
    return {
        "name": name, "env": env, "env_config": dict(env_config), "metric": entry.metric,
        "goal": entry.goal, "reference": entry.reference,
        "seeds": [seeds[0], seeds[-1]] if seeds else [], "episodes": len(seeds),
        "rows": rows, "pairs": pairs, "check": _check(rows, pairs),
        "training": dict(training) if training else None, **context,
        "per_episode": {"seeds": seeds, **values,
                        "length": {p: e.lengths.tolist() for p, e in played.items()},
                        "wall_s": {p: e.wall_s.tolist() for p, e in played.items()}}}


def record_file(title: str, evaluations: Sequence[dict],
                tables: Mapping[str, Sequence[dict]] | None = None, **extra: Any) -> dict:
    """A whole record file: ``evaluations`` (of :func:`evaluation_record`), a benchmark's
    own ``tables`` and ``extra`` keys, with the host it ran on."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"protocol": PROTOCOL, "title": title,
            "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "load_1min": load},
            "evaluations": list(evaluations), "tables": dict(tables or {}), **extra}


def write_record(path: str | os.PathLike, record: Mapping[str, Any]) -> Path:
    """Write a record file atomically (strict JSON, non-finite numbers as null)."""
    return write_json_atomic(Path(path), record)


def read_record(path: str | os.PathLike) -> dict:
    """The record file at ``path``; an evaluation file written before the protocol (an
    object with a ``rows`` list) becomes a record of that one evaluation.

    Raises:
        ValueError: one line naming the file, when it cannot be read or is neither.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: cannot read an evaluation record ({err})") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an evaluation record (expected a JSON object)")
    if "protocol" not in data and isinstance(data.get("rows"), list):
        return {"protocol": None, "title": path.stem, "evaluations": [data], "tables": {}}
    if data.get("protocol") != PROTOCOL:
        raise ValueError(f"{path}: not an evaluation record of protocol {PROTOCOL} (its "
                         f"\"protocol\" is {data.get('protocol')!r})")
    evaluations = data.get("evaluations")
    if not isinstance(evaluations, list) or not all(
            isinstance(e, dict) and isinstance(e.get("rows"), list) for e in evaluations):
        raise ValueError(f"{path}: \"evaluations\" must be a list of objects with a 'rows' list")
    if not isinstance(data.get("tables", {}), dict):
        raise ValueError(f"{path}: \"tables\" must be an object of named row lists")
    return data
