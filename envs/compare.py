"""Play several players on the same seeded episodes and tabulate the problem metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from envs.catalog import EnvEntry


def compare(entry: EnvEntry, players: dict[str, Callable[..., dict]], config: dict | None,
            episodes: int, seed: int = 0) -> list[dict]:
    """Run each player for ``episodes`` episodes with seeds ``seed..seed+episodes-1``.

    Every player gets a fresh env built from ``config`` and the same seeds, so the rows
    compare the same graphs. Returns one row per player: mean/std of the metric, mean
    episode length, and the mean per-episode ratio to ``entry.reference`` when that player
    ran too.
    """
    seeds = range(seed, seed + episodes)
    values: dict[str, np.ndarray] = {}
    lengths: dict[str, float] = {}
    for name, player in players.items():
        env = entry.make(config)
        infos = [player(env, s) for s in seeds]
        values[name] = np.array([info[entry.metric] for info in infos], dtype=np.float64)
        lengths[name] = float(np.mean([info["length"] for info in infos]))
    reference = values.get(entry.reference)
    rows = []
    for name, vals in values.items():
        row = {"player": name, "episodes": episodes, f"{entry.metric}_mean": float(vals.mean()),
               f"{entry.metric}_std": float(vals.std()), "length_mean": lengths[name]}
        if reference is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                row[f"ratio_to_{entry.reference}"] = float(np.nanmean(vals / reference))
        rows.append(row)
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table with one column per key of the first row."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [[f"{r.get(k, ''):.4f}" if isinstance(r.get(k), float) else str(r.get(k, ""))
              for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = lambda items: "  ".join(s.rjust(w) for s, w in zip(items, widths))  # noqa: E731
    return "\n".join([line(keys), line(["-" * w for w in widths]), *map(line, cells)])
