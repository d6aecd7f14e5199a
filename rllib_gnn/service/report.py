"""Reports of a finished (or running) training run: learning curves and evaluation tables.

``report(run_dir)`` reads a run dir as ``rllib-gnn train`` writes it (trial dirs with
``params.json`` + ``progress.csv``, and the ``evaluations/*.json`` of ``rllib-gnn
evaluate``) and writes, into ``run_dir / "report"`` by default:

    curves_<metric>.png   one PNG per metric: mean +- std over seeds, one line per group;
                          first the periodic evaluation's (the greedy policy on the same
                          held-out episodes each time), at the env steps sampled when each
                          evaluation ran, then the training episodes'
    report.html           one self-contained page (inline SVG drawn by inline JavaScript
                          from embedded JSON; no network): hover shows values, a click on a
                          legend entry hides/shows a group; plus the tables below
    evaluation.md         final metrics per group and the tables of each evaluation file

``report(record_file)`` (or a folder of record files without trials, such as
``benchmarks/results``) writes ``report.html`` and ``evaluation.md`` of the evaluation
record files alone (:mod:`rllib_gnn.service.records`, the evaluation protocol's schema).

The parts: reading and grouping trials (:mod:`~rllib_gnn.service.report_runs`), the
curves over seeds (:mod:`~rllib_gnn.service.report_curves`), the PNGs
(:mod:`~rllib_gnn.service.report_plot`), the sections (:mod:`~rllib_gnn.service.report_sections`,
:mod:`~rllib_gnn.service.report_records` for the evaluation records)
rendered to Markdown and HTML (:mod:`~rllib_gnn.service.report_render`) and the page
(:mod:`~rllib_gnn.service.report_page`). Only numpy and matplotlib (Agg, object-oriented
API, no pyplot) are used: no torch / Ray.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rllib_gnn.service.report_curves import (COLORS, chart_series, chart_x, select_metrics,
                                             x_column)
from rllib_gnn.service.records import read_record
from rllib_gnn.service.report_page import page
from rllib_gnn.service.report_plot import curve_png
from rllib_gnn.service.report_render import render_html, render_markdown
from rllib_gnn.service.report_records import record_sections
from rllib_gnn.service.report_runs import (Trial, find_trial_dirs, group_trials,
                                           read_evaluations, read_records, read_trial)
from rllib_gnn.service.report_sections import Section, report_sections
from rllib_gnn.training.files import write_atomic

__all__ = ["report"]


def sanitize(metric: str) -> str:
    """``metric`` as a file name part (runs of other characters than ``A-Za-z0-9._-``
    become one ``_``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", metric).strip("_") or "metric"


def report(run_dir, out_dir=None, metrics: Sequence[str] | None = None) -> list[Path]:
    """Write learning-curve PNGs, ``report.html`` and ``evaluation.md`` for ``run_dir``.

    ``metrics``: progress.csv columns to plot (default: those of
    :data:`~rllib_gnn.service.report_curves.DEFAULT_METRICS` present). ``out_dir`` defaults
    to ``run_dir / "report"``. ``run_dir`` may also be one evaluation record file (a
    benchmark's JSON; ``out_dir`` default: ``<file name without .json>_report`` beside it;
    ValueError when it is none) or a folder of them without trials (its other JSON files
    are named as skipped): then the page and the Markdown hold their tables alone.
    Returns the written paths.
    """
    run_dir = Path(run_dir).expanduser()
    if run_dir.is_file():
        out = run_dir.with_name(f"{run_dir.stem}_report") if out_dir is None else out_dir
        return _records_report([(run_dir, read_record(run_dir), "")], run_dir.name,
                               Path(out).expanduser())
    out_dir = Path(out_dir).expanduser() if out_dir is not None else run_dir / "report"
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir}: not a directory or an evaluation record file")
    trial_dirs = find_trial_dirs(run_dir, skip=[out_dir])
    if trial_dirs:
        return _run_report(run_dir, [read_trial(p) for p in trial_dirs], out_dir, metrics)
    found = [read_records(path) for path in sorted(run_dir.glob("*.json"))]
    if not any(record for _, record, _ in found):
        raise ValueError(f"{run_dir}: no trial directories (a directory with params.json and "
                         "progress.csv) and no evaluation record files (*.json) found")
    return _records_report(found, run_dir.name, out_dir)


def _records_report(found: Sequence[tuple], title: str, out_dir: Path) -> list[Path]:
    """``report.html`` and ``evaluation.md`` of the evaluation record files of ``found``
    (``(path, record or None, why not)``; the other JSON files are named as skipped), no
    charts."""
    skipped = [f"`{path.name}` ({why})" for path, record, why in found if record is None]
    head = Section(f"Report: {title}", 1, text=tuple(
        [f"Record file: `{path}`" for path, record, _ in found if record is not None]
        + ([f"Skipped, not evaluation records: {'; '.join(skipped)}"] if skipped else [])))
    sections = [section for path, record, _ in found if record is not None
                for section in record_sections(path, record)]
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_atomic(out_dir / "report.html", page(head.heading, render_html([head]),
                                                       render_html(sections))),
            write_atomic(out_dir / "evaluation.md", render_markdown([head, *sections]))]


def _run_report(run_dir: Path, trials: Sequence[Trial], out_dir: Path,
                metrics: Sequence[str] | None) -> list[Path]:
    """The report of a run dir with trials: curves, groups, final metrics, evaluations."""
    groups = group_trials(trials)
    metrics = select_metrics(trials, metrics)
    x_col = x_column(trials)
    out_dir.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    charts = []
    for metric in metrics:
        x = chart_x(metric, x_col)
        series = chart_series(groups, x, metric)
        written.append(write_atomic(out_dir / f"curves_{sanitize(metric)}.png",
                                    curve_png(metric, x, series)))
        charts.append({"metric": metric, "x_label": x, "series": series})
    evaluations = [section for found in read_evaluations(run_dir)
                   for section in record_sections(*found)]
    title, *sections = report_sections(run_dir, groups, metrics, x_col, evaluations)
    data = {"x_label": x_col,
            "groups": [{"name": g.name, "color": COLORS[i % len(COLORS)], "seeds": len(g.trials)}
                       for i, g in enumerate(groups)],
            "charts": charts}
    written.append(write_atomic(out_dir / "report.html", page(
        title.heading, render_html([title]), render_html(sections), data)))
    written.append(write_atomic(out_dir / "evaluation.md",
                                render_markdown([title, *sections])))
    return written
