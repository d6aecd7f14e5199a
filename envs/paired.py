"""Paired statistics of two players on the same episodes.

Players that meet the same seeded episodes (:mod:`envs.compare`) are compared episode by
episode: the mean of the per-episode differences (or ratios) and its *paired* standard
error, ``std(ddof=1) / sqrt(n)`` of those per-episode values. Pairing removes the spread
that comes from the episodes themselves (a large graph costs every player more), so it is
far smaller than the standard errors of the two means taken apart. A difference is
*resolved* when its paired standard error is below it.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["episode_ratios", "nan_mean", "paired", "standard_error"]


def _present(values) -> np.ndarray:
    values = np.asarray(values, np.float64)
    return values[~np.isnan(values)]


def nan_mean(values) -> float:
    """The mean over the values that are not NaN; NaN when none is."""
    present = _present(values)
    return float(present.mean()) if len(present) else math.nan


def standard_error(values) -> float:
    """The standard error of the mean of the values that are not NaN: their sample standard
    deviation (ddof=1) over the square root of their count; NaN for fewer than two."""
    present = _present(values)
    if len(present) < 2:
        return math.nan
    return float(present.std(ddof=1) / math.sqrt(len(present)))


def episode_ratios(values, reference) -> np.ndarray:
    """Per-episode ``values / reference``, NaN where the reference is 0 (a team whose
    shortest-path baseline never moved, a zero-weight optimum): a ratio to nothing is no
    ratio, so the means and spreads leave those episodes out rather than report inf."""
    values, reference = np.asarray(values, np.float64), np.asarray(reference, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reference != 0, values / reference, np.nan)


def paired(values, reference) -> dict[str, float | bool]:
    """``values`` against ``reference`` on the same episodes (equal-length sequences).

    Returns ``ratio`` (mean per-episode ratio, :func:`episode_ratios`), ``ratio_se`` (its
    paired standard error), ``diff`` (mean per-episode ``values - reference``), ``diff_se``
    (its paired standard error) and ``se_below_diff``: whether ``diff_se`` is below
    ``|diff|`` (False when it is not, or cannot be computed).
    """
    values, reference = np.asarray(values, np.float64), np.asarray(reference, np.float64)
    if values.shape != reference.shape or values.ndim != 1:
        raise ValueError(f"paired values need two 1-d arrays of one length, got shapes "
                         f"{values.shape} and {reference.shape}")
    diffs, ratios = values - reference, episode_ratios(values, reference)
    diff, diff_se = nan_mean(diffs), standard_error(diffs)
    return {"ratio": nan_mean(ratios), "ratio_se": standard_error(ratios), "diff": diff,
            "diff_se": diff_se, "se_below_diff": bool(diff_se < abs(diff))}
