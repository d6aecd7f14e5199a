"""What a report says, as one list of sections that both renderers
(:mod:`rllib_gnn.service.report_render`) turn into Markdown and HTML.

The sections: the title with the run dir, the groups, the final metrics per group, and
one per evaluation file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rllib_gnn.service.report_curves import final_stats
from rllib_gnn.service.report_runs import Group, value_text

__all__ = ["Section", "report_sections"]


@dataclass(frozen=True)
class Section:
    """A heading (``level`` 1-3), then its paragraphs, bullet items and tables, in that
    order. Text may hold Markdown code spans (between backticks); a table is a list of row
    dicts (one column per key, in first-seen order)."""

    heading: str
    level: int = 2
    text: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    tables: tuple[Sequence[dict], ...] = ()


def format_mean_std(mean: float, std: float) -> str:
    """``mean ± std`` with 4 decimals; ``n/a`` for a non-finite mean."""
    if not math.isfinite(mean):
        return "n/a"
    return f"{mean:.4f} ± {std:.4f}"


def _final_rows(groups: Sequence[Group], metrics: Sequence[str], x_col: str) -> list[dict]:
    rows = []
    for g in groups:
        row = {"group": g.name, "seeds": len(g.trials)}
        xm, xs, _ = final_stats(g, x_col)
        row[f"{x_col} (last)"] = format_mean_std(xm, xs)
        for m in metrics:
            mean, std, _ = final_stats(g, m)
            row[m] = format_mean_std(mean, std)
        rows.append(row)
    return rows


def _evaluation(path: Path, data: dict | None, error: str) -> Section:
    """The section of one evaluation file (``data`` None: it could not be read)."""
    if data is None:
        return Section(path.stem, 3, text=(f"Could not read `{path}`: {error}",))
    details = [f"eval env_config: `{value_text(data.get('env_config'))}`"]
    details += [f"{key}: {value_text(data[key])}" for key in ("episodes", "seed") if key in data]
    return Section(f"{path.stem}: checkpoint `{data.get('checkpoint', '?')}`", 3,
                   bullets=tuple(details), tables=(data.get("rows", []),))


def report_sections(run_dir: Path, groups: Sequence[Group], metrics: Sequence[str],
                    x_col: str, evaluations) -> list[Section]:
    """The report of ``run_dir``; ``evaluations`` as
    :func:`~rllib_gnn.service.report_runs.read_evaluations` gives them."""
    none_found = () if evaluations else (
        f"No evaluations found (no `{run_dir / 'evaluations'}/*.json`).",)
    return [
        Section(f"Report: {run_dir.name}", 1, text=(f"Run dir: `{run_dir}`",)),
        Section("Groups", tables=([{"group": g.name, "seeds": len(g.trials),
                                    "trials": ", ".join(t.path.name for t in g.trials)}
                                   for g in groups],)),
        Section("Final metrics per group",
                text=("Last logged value of each seed, mean ± std (ddof=0) over the group's "
                      "seeds.",),
                tables=(_final_rows(groups, metrics, x_col),)),
        Section("Evaluations", text=none_found),
        *(_evaluation(path, data, error) for path, data, error in evaluations),
    ]
