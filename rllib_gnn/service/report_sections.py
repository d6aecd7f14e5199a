"""What a report says, as one list of sections that both renderers
(:mod:`rllib_gnn.service.report_render`) turn into Markdown and HTML.

The sections: the title with the run dir (and what the periodic evaluation's headline
curves are, when the run has them), the groups, the final metrics per group, and those of
the evaluation files (:mod:`rllib_gnn.service.report_records`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rllib_gnn.service.report_curves import EVAL_PREFIX, final_stats
from rllib_gnn.service.report_runs import Group, Trial, value_text

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


def evaluation_share(trial: Trial) -> tuple[int, float]:
    """``(evaluations, share of the trial's wall time they took)`` from its progress.csv:
    each evaluation counted once (later rows carry the latest one)."""
    at, wall = trial.column(EVAL_PREFIX + "at_iteration"), trial.column(EVAL_PREFIX + "wall_s")
    total = trial.column("time_total_s")
    ok = np.isfinite(at) & np.isfinite(wall)
    _, first = np.unique(at[ok], return_index=True)
    seconds = float(wall[ok][first].sum())
    total = total[np.isfinite(total)]
    return len(first), seconds / total[-1] if len(total) and total[-1] > 0 else float("nan")


def _periodic_text(groups: Sequence[Group]) -> tuple[str, ...]:
    """What the periodic evaluation's curves show, and what they cost, when some trial
    has them."""
    trials = [t for g in groups for t in g.trials if t.has(EVAL_PREFIX + "metric")]
    if not trials:
        return ()
    settings = trials[0].params.get("periodic_evaluation") or {}
    env_config = (trials[0].params.get("evaluation") or {}).get("env_config") or {}
    first, count = settings.get("seed"), settings.get("episodes")
    seeds = f"{first}..{first + count - 1}" if isinstance(first, int) and \
        isinstance(count, int) else "?"
    shares = [evaluation_share(t) for t in trials]
    finite = [share for _, share in shares if np.isfinite(share)]
    return (f"Headline curves (`{EVAL_PREFIX}...`): every {settings.get('every', '?')} "
            f"iterations the greedy policy played the same {count} held-out episodes (seeds "
            f"{seeds}) on the evaluation env config `{value_text(env_config)}`; `ratio` is "
            f"the mean per-episode ratio to the env's reference baseline on those episodes. "
            f"Each point is one evaluation, at the env steps sampled when it ran. The curves "
            f"of the training episodes (sampled actions, on the episodes training drew) "
            f"follow them.",
            f"Periodic evaluations: {sum(n for n, _ in shares)} in {len(trials)} trial(s), "
            f"{np.mean(finite) if finite else float('nan'):.1%} of the trials' wall time.")


def report_sections(run_dir: Path, groups: Sequence[Group], metrics: Sequence[str],
                    x_col: str, evaluations: Sequence[Section]) -> list[Section]:
    """The report of ``run_dir``; ``evaluations``: the sections of its evaluation files."""
    none_found = () if evaluations else (
        f"No evaluations found (no `{run_dir / 'evaluations'}/*.json`).",)
    return [
        Section(f"Report: {run_dir.name}", 1,
                text=(f"Run dir: `{run_dir}`", *_periodic_text(groups))),
        Section("Groups", tables=([{"group": g.name, "seeds": len(g.trials),
                                    "trials": ", ".join(t.path.name for t in g.trials)}
                                   for g in groups],)),
        Section("Final metrics per group",
                text=("Last logged value of each seed, mean ± std (ddof=0) over the group's "
                      "seeds.",),
                tables=(_final_rows(groups, metrics, x_col),)),
        Section("Evaluations", text=none_found),
        *evaluations,
    ]
