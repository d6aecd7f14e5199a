"""Read a run dir for its report: trials (``params.json`` + ``progress.csv``), their groups
by configuration, and the evaluation record files (``evaluations/*.json``).

Trials are grouped by their params with ``seed`` (at any depth) and Tune's bookkeeping keys
removed, so one group is one configuration run over several seeds.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rllib_gnn.service.records import read_record

__all__ = ["Group", "Trial", "config_key", "find_trial_dirs", "group_trials",
           "read_evaluations", "read_records", "read_trial", "value_text"]

# Keys Tune (or its search algorithms) may put into a trial's params.json besides the
# experiment dict; they never distinguish configurations.
TUNE_KEYS = frozenset({"trial_id", "experiment_tag", "experiment_id", "date", "timestamp",
                       "hostname", "node_ip", "pid", "trial_resources", "logdir"})
SEED_KEYS = frozenset({"seed"})


@dataclass
class Trial:
    """One trial dir: its params and its progress.csv columns (raw strings)."""

    path: Path
    params: dict
    columns: dict[str, list[str]]

    @property
    def label(self) -> str:
        seed = self.params.get("seed")
        return f"seed={seed}" if seed is not None else self.path.name

    def column(self, name: str) -> np.ndarray:
        """The column as float64 (NaN where missing or not a number)."""
        return np.array([_to_float(v) for v in self.columns.get(name, ())], dtype=np.float64)

    def has(self, name: str) -> bool:
        return bool(np.isfinite(self.column(name)).any())


@dataclass
class Group:
    """Trials sharing one configuration (params without seed)."""

    name: str
    params: dict  # flattened "a.b" -> value, without seed / bookkeeping keys
    trials: list[Trial] = field(default_factory=list)


def _to_float(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def value_text(v) -> str:
    """A param value as text: strings as they are, anything else as compact JSON."""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), sort_keys=True, default=str)


def find_trial_dirs(run_dir: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every directory under ``run_dir`` (itself included) holding params.json + progress.csv.

    The search does not descend into a trial dir (checkpoints live there) nor into ``skip``.
    """
    skip = {p.resolve() for p in skip}
    found = []
    for root, dirs, files in os.walk(run_dir):
        here = Path(root)
        if "params.json" in files and "progress.csv" in files:
            found.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip)
    return sorted(found)


def read_trial(path: Path) -> Trial:
    """The trial of dir ``path`` (ValueError naming a params.json that is not an object)."""
    try:
        params = json.loads((path / "params.json").read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{path / 'params.json'}: cannot read params ({err})") from err
    if not isinstance(params, dict):
        raise ValueError(f"{path / 'params.json'}: expected a JSON object")
    columns: dict[str, list[str]] = {}
    with open(path / "progress.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None) or []
        columns = {name: [] for name in header}
        for row in reader:
            if not row:
                continue
            for name, value in zip(header, row):
                columns[name].append(value)
            for name in header[len(row):]:
                columns[name].append("")
    return Trial(path, params, columns)


def config_key(params: dict) -> dict:
    """``params`` flattened to ``{"a.b": value}`` without seed and Tune's bookkeeping keys."""
    flat: dict = {}

    def walk(d: dict, prefix: str) -> None:
        for k, v in d.items():
            k = str(k)
            if k in SEED_KEYS or k.startswith("__") or (not prefix and k in TUNE_KEYS):
                continue
            if isinstance(v, dict) and v:
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = v

    walk(params, "")
    return flat


def group_trials(trials: Sequence[Trial]) -> list[Group]:
    """Group trials by configuration; name groups by the params that differ between them."""
    by_key: dict[str, Group] = {}
    for trial in trials:
        flat = config_key(trial.params)
        key = json.dumps(flat, sort_keys=True, default=str)
        by_key.setdefault(key, Group("", flat)).trials.append(trial)
    groups = list(by_key.values())
    if len(groups) == 1:
        groups[0].name = "all"
        return groups
    keys = sorted({k for g in groups for k in g.params})
    differing = [k for k in keys
                 if len({value_text(g.params[k]) if k in g.params else "\0unset"
                         for g in groups}) > 1]
    seen: dict[str, int] = {}
    for g in groups:
        name = ", ".join(f"{k}={value_text(g.params[k]) if k in g.params else '-'}"
                         for k in differing) or "config"
        seen[name] = seen.get(name, 0) + 1
        g.name = name if seen[name] == 1 else f"{name} #{seen[name]}"
    return sorted(groups, key=lambda g: g.name)


def read_evaluations(run_dir: Path) -> list[tuple[Path, dict | None, str]]:
    """``(path, record or None, error)`` for every ``run_dir/evaluations/*.json``, sorted
    (:func:`~rllib_gnn.service.records.read_record`)."""
    return [read_records(path) for path in sorted((run_dir / "evaluations").glob("*.json"))]


def read_records(path: Path) -> tuple[Path, dict | None, str]:
    """``(path, record, "")`` of a record file, or ``(path, None, why)`` where it is none."""
    try:
        return path, read_record(path), ""
    except ValueError as err:
        return path, None, str(err)
