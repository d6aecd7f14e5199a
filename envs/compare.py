"""Play several players on the same seeded episodes and tabulate the problem's metrics."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from envs.catalog import EnvEntry

#: How :func:`format_cell` shows a missing value (NaN: no episode reported the key).
MISSING = "-"


def _stats(values: np.ndarray) -> tuple[float, float]:
    """(mean, std) over the non-NaN values; (nan, nan) when there are none."""
    present = values[~np.isnan(values)]
    if not len(present):
        return math.nan, math.nan
    return float(present.mean()), float(present.std())


def compare(entry: EnvEntry, players: dict[str, Callable[..., dict]], config: dict | None,
            episodes: int, seed: int = 0) -> list[dict]:
    """Run each player for ``episodes`` episodes with seeds ``seed..seed+episodes-1``.

    Every player gets a fresh env built from ``config`` and the same seeds, so the rows
    compare the same graphs. Returns one row per player: mean/std of the metric, then
    ``<key>_mean`` / ``<key>_std`` of each of ``entry.extra_metrics`` over the episodes whose
    final info has the key (NaN when none has it, e.g. ``path_ratio`` of a player that never
    succeeds; a key no player's episode has, e.g. ``cover_ratio`` without
    ``env_config.reference``, gets no column), mean episode length, and the mean
    per-episode ratio to ``entry.reference`` when that player ran too.
    """
    seeds = range(seed, seed + episodes)
    keys = (entry.metric, *entry.extra_metrics)
    values: dict[str, np.ndarray] = {}  # player -> (episodes, len(keys)), NaN where missing
    lengths: dict[str, float] = {}
    for name, player in players.items():
        env = entry.make(config)
        infos = [player(env, s) for s in seeds]
        values[name] = np.array([[info[entry.metric], *(info.get(k, math.nan) for k in keys[1:])]
                                 for info in infos], dtype=np.float64)
        lengths[name] = float(np.mean([info["length"] for info in infos]))
    everyone = np.concatenate([np.zeros((0, len(keys))), *values.values()])
    reported = [0, *(j for j in range(1, len(keys)) if not np.isnan(everyone[:, j]).all())]
    reference = values.get(entry.reference)
    rows = []
    for name, vals in values.items():
        row: dict[str, Any] = {"player": name, "episodes": episodes}
        for j in reported:
            row[f"{keys[j]}_mean"], row[f"{keys[j]}_std"] = _stats(vals[:, j])
        row["length_mean"] = lengths[name]
        if reference is not None:
            row[f"ratio_to_{entry.reference}"] = _stats(episode_ratios(vals[:, 0],
                                                                       reference[:, 0]))[0]
        rows.append(row)
    return rows


def episode_ratios(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-episode ``values / reference``, NaN where the reference is 0 (a team whose
    shortest-path baseline never moved, a zero-weight optimum): a ratio to nothing is no
    ratio, so the means and spreads leave those episodes out rather than report inf."""
    values, reference = np.asarray(values, np.float64), np.asarray(reference, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reference != 0, values / reference, np.nan)


def format_cell(value: Any) -> str:
    """A table cell: floats with 4 decimals, NaN as :data:`MISSING`, the rest as ``str``."""
    if isinstance(value, float):
        return MISSING if math.isnan(value) else f"{value:.4f}"
    return str(value)


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table with one column per key of the first row."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [[format_cell(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = lambda items: "  ".join(s.rjust(w) for s, w in zip(items, widths))  # noqa: E731
    return "\n".join([line(keys), line(["-" * w for w in widths]), *map(line, cells)])
