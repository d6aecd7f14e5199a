"""Learning curves of a report: each group's mean +- std over seeds, and final values.

Seeds log at different x; each is interpolated linearly onto a common grid over the x
range they all cover, and the group curve is the mean +- std (ddof=0) over seeds on that
grid.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from rllib_gnn.service.report_runs import Group, Trial

__all__ = ["COLORS", "DEFAULT_METRICS", "aggregate", "chart_series", "chart_x", "final_stats",
           "final_value", "select_metrics", "x_column"]

X_STEPS = "env_runners/num_env_steps_sampled_lifetime"
X_ITER = "training_iteration"
#: The periodic evaluation's results (rllib_gnn.training.periodic_evaluation): every row
#: after an evaluation carries the latest one, which is plotted once, at the x it measured.
EVAL_PREFIX = "rllib_gnn/eval/"
EVAL_X = {X_STEPS: EVAL_PREFIX + "at_env_steps", X_ITER: EVAL_PREFIX + "at_iteration"}
#: The headline curves first: the greedy policy on fixed held-out episodes, then the
#: training episodes' (sampled actions, whatever episodes training drew).
DEFAULT_METRICS = ("rllib_gnn/eval/ratio", "rllib_gnn/eval/metric",
                   "env_runners/episode_return_mean", "rllib_gnn/metric", "rllib_gnn/ratio")
MAX_POINTS = 400  # at most this many grid points per group curve
#: Group i is drawn in ``COLORS[i % len(COLORS)]``.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _clean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite points sorted by x, one per x (the last logged)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if len(x) > 1:
        last = np.append(x[1:] != x[:-1], True)
        x, y = x[last], y[last]
    return x, y


def aggregate(curves: Sequence[tuple[np.ndarray, np.ndarray]], max_points: int = MAX_POINTS
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Mean and std (ddof=0) over seeds on a common x grid.

    ``curves`` holds one ``(x, y)`` per seed. The grid is the union of the seeds' x inside
    the range all seeds cover (or ``max_points`` evenly spaced points there when that is
    longer); each seed is linearly interpolated onto it (``np.interp``). When the seeds'
    ranges do not overlap at all, the grid spans all x and each point averages the seeds
    that cover it. Returns ``(grid, mean, std, count)`` or None when no seed has data.
    """
    cleaned = [_clean(np.asarray(x, np.float64), np.asarray(y, np.float64)) for x, y in curves]
    cleaned = [(x, y) for x, y in cleaned if len(x)]
    if not cleaned:
        return None
    lo = max(x[0] for x, _ in cleaned)
    hi = min(x[-1] for x, _ in cleaned)
    overlap = lo <= hi
    if not overlap:
        lo, hi = min(x[0] for x, _ in cleaned), max(x[-1] for x, _ in cleaned)
    grid = np.unique(np.concatenate([x[(x >= lo) & (x <= hi)] for x, _ in cleaned]))
    if len(grid) > max_points:
        grid = np.linspace(lo, hi, max_points)
    ys = np.vstack([np.interp(grid, x, y, left=np.nan, right=np.nan) for x, y in cleaned])
    count = np.isfinite(ys).sum(axis=0)
    if overlap:
        return grid, ys.mean(axis=0), ys.std(axis=0), count
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN grid points
        return grid, np.nanmean(ys, axis=0), np.nanstd(ys, axis=0), count


def x_column(trials: Sequence[Trial]) -> str:
    """The curves' x: env steps sampled when every trial logs them, else the iteration."""
    return X_STEPS if all(t.has(X_STEPS) for t in trials) else X_ITER


def chart_x(metric: str, x_col: str) -> str:
    """The x column of ``metric``'s chart: ``x_col``, or for a periodic evaluation's result
    the same quantity at the evaluation (its env steps sampled, or its iteration)."""
    return EVAL_X[x_col] if metric.startswith(EVAL_PREFIX) else x_col


def select_metrics(trials: Sequence[Trial], metrics: Sequence[str] | None) -> list[str]:
    """``metrics`` (ValueError listing the columns when one is in no trial), or by default
    those of :data:`DEFAULT_METRICS` that some trial logs."""
    if metrics is None:
        return [m for m in DEFAULT_METRICS if any(t.has(m) for t in trials)]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    absent = [m for m in metrics if not any(t.has(m) for t in trials)]
    if absent:
        available = sorted({c for t in trials for c in t.columns})
        raise ValueError(f"metric(s) {absent} not in any progress.csv; available: {available}")
    return metrics


def final_value(trial: Trial, metric: str) -> float:
    """The last finite value of ``metric`` in the trial's progress.csv (NaN if none)."""
    values = trial.column(metric)
    values = values[np.isfinite(values)]
    return float(values[-1]) if len(values) else math.nan


def final_stats(group: Group, metric: str) -> tuple[float, float, int]:
    """(mean, std ddof=0, number of seeds) of the last value of ``metric`` per seed."""
    values = np.array([final_value(t, metric) for t in group.trials])
    values = values[np.isfinite(values)]
    if not len(values):
        return math.nan, math.nan, 0
    return float(values.mean()), float(values.std()), len(values)


def chart_series(groups: Sequence[Group], x_col: str, metric: str) -> list[dict]:
    """One curve per group with data: ``group``, ``color``, ``n`` (seeds), the grid ``x``,
    ``mean``, ``std`` and each seed's own points (``seeds``: ``label``, ``x``, ``y``)."""
    series = []
    for i, g in enumerate(groups):
        curves = [(t.column(x_col), t.column(metric)) for t in g.trials]
        agg = aggregate(curves)
        if agg is None:
            continue
        grid, mean, std, _ = agg
        seeds = []
        for t, (x, y) in zip(g.trials, curves):
            x, y = _clean(x, y)
            if len(x):
                seeds.append({"label": t.label, "x": x.tolist(), "y": y.tolist()})
        series.append({"group": g.name, "color": COLORS[i % len(COLORS)], "n": len(seeds),
                       "x": grid.tolist(), "mean": mean.tolist(), "std": std.tolist(),
                       "seeds": seeds})
    return series
