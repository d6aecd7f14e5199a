"""Evaluation rows as text: the plain-text table the CLI prints and the CSV file."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from envs.compare import format_cell, format_table

__all__ = ["csv_text", "format_evaluation"]


def _columns(rows: Sequence[dict]) -> list[str]:
    """Every key of ``rows`` in first-seen order."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return keys


def csv_text(rows: Sequence[dict]) -> str:
    """The rows as CSV, one column per key (first-seen order), blank where a row lacks it."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_columns(rows), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def format_evaluation(rows: Sequence[dict]) -> str:
    """The rows as a plain-text table; each ``X_mean``/``X_std`` (or ``X``/``X_std``) pair
    becomes one ``X`` column showing ``mean ± std``; a NaN (no episode of the player
    reported the key) shows as ``-``."""
    if not rows:
        return ""
    shown = []
    for row in rows:
        line: dict[str, str] = {}
        for key, value in row.items():
            if key.endswith("_std") or key == "wall_s_per_episode":
                continue
            base = key[:-5] if key.endswith("_mean") else key
            std = row.get(f"{base}_std")
            if isinstance(value, float) and isinstance(std, float) and not math.isnan(value):
                line[base] = f"{value:.4f} ± {std:.4f}"
            else:
                line[base] = format_cell(value)
        shown.append(line)
    keys = _columns(shown)
    return format_table([{k: line.get(k, "") for k in keys} for line in shown])
