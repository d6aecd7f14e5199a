"""Evaluation rows as text: the cells every table shows (the CLI's plain-text table, the
report's Markdown and HTML ones) and the CSV file."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from envs.compare import format_cell, format_table

__all__ = ["csv_text", "format_evaluation", "shown_rows"]

#: Columns a shown table leaves out: the total wall time, which ``wall_s_per_episode`` x
#: ``episodes`` gives.
HIDDEN = ("wall_s",)


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


def _shown(row: dict) -> dict[str, str]:
    line: dict[str, str] = {}
    for key, value in row.items():
        if key.endswith(("_std", "_se")) or key in HIDDEN:
            continue
        base = key[:-5] if key.endswith("_mean") else key
        spread = row.get(f"{base}_std", row.get(f"{key}_se"))
        if isinstance(value, float) and isinstance(spread, float) and not math.isnan(value):
            line[base] = f"{value:.4f} ± {spread:.4f}"
        else:
            line[base] = format_cell(value)
    return line


def shown_rows(rows: Sequence[dict]) -> list[dict[str, str]]:
    """The rows as the text cells of a table: each ``X_mean``/``X_std`` (or ``X``/``X_std``)
    pair becomes one ``X`` column showing ``mean ± std``, each ``X``/``X_se`` pair ``X``
    showing ``mean ± s.e.``; a NaN (no episode of the player reported the key) shows as
    ``-``, a boolean as yes/no; the total ``wall_s`` is left out. Every row has every
    column (empty where it lacks one)."""
    shown = [_shown(row) for row in rows]
    keys = _columns(shown)
    return [{k: line.get(k, "") for k in keys} for line in shown]


def format_evaluation(rows: Sequence[dict]) -> str:
    """The rows as a plain-text table of :func:`shown_rows`."""
    return format_table(shown_rows(rows)) if rows else ""


def check_text(evaluation: dict) -> str:
    """The protocol's check of an evaluation record, as one sentence."""
    check = evaluation.get("check")
    if not check:
        return "No paired standard errors (an evaluation written before the protocol)."
    where = f"to `{evaluation.get('reference')}`" + (" and between the pairs"
                                                    if evaluation.get("pairs") else "")
    if check["se_below_differences"]:
        return f"The paired standard error is below every difference {where}."
    return (f"The paired standard error is NOT below the difference {where} for: "
            f"{', '.join(check['unresolved'])} (more episodes, or no difference there).")


def training_text(evaluation: dict) -> str:
    """What the evaluated policy cost to train, as one sentence ('' when unknown)."""
    cost = evaluation.get("training")
    if not cost:
        return ""
    seconds, steps = cost.get("time_total_s"), cost.get("env_steps")
    where = f" (iteration {cost['iteration']})" if cost.get("iteration") is not None else ""
    return (f"The policy trained {seconds:.0f} s wall time, {steps:,} env steps{where}."
            if seconds is not None and steps is not None else "")


def format_record(evaluation: dict) -> str:
    """An evaluation record as plain text: what played, its rows, its pairs, the check and
    the training cost."""
    seeds = evaluation.get("seeds") or ["?", "?"]
    lines = [f"{evaluation.get('name', '')}: {evaluation.get('episodes')} episodes, seeds "
             f"{seeds[0]}..{seeds[-1]}, {evaluation.get('metric')} "
             f"({evaluation.get('goal')}imise)", format_evaluation(evaluation["rows"])]
    if evaluation.get("pairs"):
        lines += ["", format_evaluation(evaluation["pairs"])]
    lines += ["", check_text(evaluation)]
    training = training_text(evaluation)
    return "\n".join([*lines, training] if training else lines)
