"""The evaluation protocol's episodes: every player on the same held-out seeded episodes.

One protocol for every benchmark and ``rllib-gnn evaluate``: each player plays a fresh env
on the episode seeds ``HELD_OUT_SEED, HELD_OUT_SEED + 1, ...`` (:func:`held_out_seeds`), so
all of them meet the same graphs; each episode's metrics, length (env steps) and wall time
are kept (:func:`play_episodes`); and each player's row (:func:`comparison_rows`) carries,
beside the means, the paired difference and ratio to the env's reference player on the same
episodes with their paired standard errors (:mod:`envs.paired`) and whether that standard
error is below the difference. :func:`pair_rows` compares chosen players with the other
baselines the same way. The service layer writes these as one JSON schema
(``rllib_gnn.service.records``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._validation import require_int
from envs.catalog import EnvEntry
from envs.paired import paired

__all__ = ["HELD_OUT_SEED", "IMPROVED", "Episodes", "compare", "comparison_rows", "episodes_problem",
           "format_cell", "format_table", "held_out_seeds", "pair_rows", "play_episodes"]

#: The first held-out episode seed. Training envs are seeded from the experiment's small
#: ``seed`` upward, so evaluations (the periodic one during training, ``rllib-gnn
#: evaluate``, the benchmarks) play the episodes seeded 1000, 1001, ...
HELD_OUT_SEED = 1000
#: The suffix of a player's row after the env's local improvement at inference
#: (``EnvEntry.improve``): ``greedy_improved`` is greedy's solution, improved.
IMPROVED = "_improved"
#: How :func:`format_cell` shows a missing value (NaN: no episode reported the key).
MISSING = "-"


def held_out_seeds(episodes: int, first: int = HELD_OUT_SEED) -> range:
    """The episode seeds ``first..first+episodes-1`` (ValueError for episodes < 1)."""
    require_int("episodes", episodes, minimum=1)
    require_int("seed", first, minimum=0)
    return range(first, first + episodes)


@dataclass(frozen=True)
class Episodes:
    """One player's episodes, in seed order.

    Attributes:
        seeds: the episode seeds.
        values: (episodes, keys) of the metric then each extra metric, NaN where an
            episode's final info lacks the key.
        lengths: env steps per episode.
        wall_s: wall seconds per episode (the player's own work included).
    """

    seeds: tuple[int, ...]
    values: np.ndarray
    lengths: np.ndarray
    wall_s: np.ndarray

    @property
    def metric(self) -> np.ndarray:
        """The problem metric of each episode."""
        return self.values[:, 0]


def episodes_problem(env, episodes: int) -> str | None:
    """Why ``episodes`` episodes of ``env`` cannot all be different: a fixed list of fewer
    graphs, so an episode would repeat a graph and the standard errors would count it
    twice. None when they can."""
    fixed = env.settings.source.fixed
    if fixed is None or episodes <= len(fixed):
        return None
    return (f"{episodes} episodes on a fixed list of {len(fixed)} graphs would play some "
            f"graph twice; use at most {len(fixed)} episodes")


def play_episodes(entry: EnvEntry, players: Mapping[str, Callable[..., dict]],
                  config: dict | None, seeds: Sequence[int]) -> dict[str, Episodes]:
    """Each player (``player(env, seed) -> final info``) on a fresh env built from
    ``config``, episode by episode on ``seeds``: the same episodes for every player.

    Raises ValueError when the env plays a fixed list of fewer graphs than episodes
    (:func:`episodes_problem`).
    """
    keys = (entry.metric, *entry.extra_metrics)
    played = {}
    for name, player in players.items():
        env = entry.make(config)
        problem = episodes_problem(env, len(seeds))
        if problem:
            raise ValueError(problem)
        infos, wall = [], []
        for seed in seeds:
            start = time.perf_counter()
            infos.append(player(env, seed))
            wall.append(time.perf_counter() - start)
        played[name] = Episodes(
            tuple(seeds), np.array([[info.get(k, math.nan) for k in keys] for info in infos],
                                   dtype=np.float64).reshape(len(seeds), len(keys)),
            np.array([info["length"] for info in infos], dtype=np.int64), np.array(wall))
    return played


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """(mean, std) over the non-NaN values; (nan, nan) when there are none."""
    present = values[~np.isnan(values)]
    if not len(present):
        return math.nan, math.nan
    return float(present.mean()), float(present.std())


def _paired_columns(values: np.ndarray, reference: np.ndarray, name: str) -> dict[str, Any]:
    """The paired columns of ``values`` against player ``name``'s ``reference``."""
    stats = paired(values, reference)
    return {f"ratio_to_{name}": stats["ratio"], f"ratio_to_{name}_se": stats["ratio_se"],
            f"diff_to_{name}": stats["diff"], f"diff_to_{name}_se": stats["diff_se"],
            "se_below_diff": stats["se_below_diff"]}


def comparison_rows(entry: EnvEntry, played: Mapping[str, Episodes]) -> list[dict]:
    """One row per player of :func:`play_episodes`'s episodes.

    Columns: ``player``, ``episodes``, ``<metric>_mean`` / ``_std``, ``<key>_mean`` /
    ``_std`` of each of ``entry.extra_metrics`` over the episodes whose final info has the
    key (NaN when none has it, e.g. ``path_ratio`` of a player that never succeeds; a key
    no player's episode has, e.g. ``cover_ratio`` without ``env_config.reference``, gets no
    column), ``length_mean``; when ``entry.reference`` played too, the paired
    ``ratio_to_<reference>`` / ``_se``, ``diff_to_<reference>`` / ``_se`` and
    ``se_below_diff`` (None on the reference's own row); then ``env_steps`` (the sum of
    the episode lengths), ``wall_s`` and ``wall_s_per_episode``.
    """
    keys = (entry.metric, *entry.extra_metrics)
    everyone = np.concatenate([np.zeros((0, len(keys))), *(e.values for e in played.values())])
    reported = [0, *(j for j in range(1, len(keys)) if not np.isnan(everyone[:, j]).all())]
    reference = played.get(entry.reference)
    rows = []
    for name, episodes in played.items():
        row: dict[str, Any] = {"player": name, "episodes": len(episodes.seeds)}
        for j in reported:
            row[f"{keys[j]}_mean"], row[f"{keys[j]}_std"] = _mean_std(episodes.values[:, j])
        row["length_mean"] = float(episodes.lengths.mean())
        if reference is not None:
            row.update(_paired_columns(episodes.metric, reference.metric, entry.reference))
            if name == entry.reference:
                row["se_below_diff"] = None
        row["env_steps"] = int(episodes.lengths.sum())
        row["wall_s"] = float(episodes.wall_s.sum())
        row["wall_s_per_episode"] = row["wall_s"] / len(episodes.seeds)
        rows.append(row)
    return rows


def pair_rows(entry: EnvEntry, played: Mapping[str, Episodes], players: Sequence[str]
              ) -> list[dict]:
    """Each of ``players`` against every other baseline of ``entry`` that played, and its
    improved form (``<baseline>_improved``; the reference is in the rows already): ``player``, ``against`` and the paired columns of
    :func:`comparison_rows` without the player's name in their keys (``ratio``,
    ``ratio_se``, ``diff``, ``diff_se``, ``se_below_diff``)."""
    against = [b for b in played if b != entry.reference
               and b.removesuffix(IMPROVED) in entry.baselines]
    rows = []
    for name in players:
        for other in against:
            if other != name:
                stats = paired(played[name].metric, played[other].metric)
                rows.append({"player": name, "against": other, **stats})
    return rows


def compare(entry: EnvEntry, players: Mapping[str, Callable[..., dict]], config: dict | None,
            episodes: int, seed: int = HELD_OUT_SEED) -> list[dict]:
    """:func:`comparison_rows` of every player on the episodes seeded
    ``seed..seed+episodes-1``."""
    return comparison_rows(entry, play_episodes(entry, players, config,
                                                held_out_seeds(episodes, seed)))


def format_cell(value: Any) -> str:
    """A table cell: floats with 4 decimals, NaN as :data:`MISSING`, booleans as yes/no,
    None empty, the rest as ``str``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return MISSING if math.isnan(value) else f"{value:.4f}"
    return "" if value is None else str(value)


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table with one column per key of the first row."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [[format_cell(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = lambda items: "  ".join(s.rjust(w) for s, w in zip(items, widths))  # noqa: E731
    return "\n".join([line(keys), line(["-" * w for w in widths]), *map(line, cells)])
