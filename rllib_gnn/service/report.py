"""Reports of a finished (or running) training run: learning curves and evaluation tables.

``report(run_dir)`` reads the run directory described in the service contract (trial dirs
with ``params.json`` + ``progress.csv``, and ``evaluations/*.json``) and writes, into
``run_dir / "report"`` by default:

    curves_<metric>.png   one PNG per metric: mean +- std over seeds, one line per group
    report.html           one self-contained page (inline SVG drawn by inline JavaScript
                          from embedded JSON; no network): hover shows values, a click on a
                          legend entry hides/shows a group; plus the tables below
    evaluation.md         final metrics per group and one table per evaluation file

Trials are grouped by their params with ``seed`` (at any depth) and Tune's bookkeeping keys
removed, so one group is one configuration run over several seeds. Seeds log at different
x; each is interpolated linearly onto a common grid over the x range they all cover, and
the group curve is the mean +- std (ddof=0) over seeds on that grid.

Only numpy and matplotlib (Agg, object-oriented API, no pyplot) are used: no torch / Ray.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rllib_gnn.training.files import json_safe, write_atomic

X_STEPS = "env_runners/num_env_steps_sampled_lifetime"
X_ITER = "training_iteration"
DEFAULT_METRICS = ("env_runners/episode_return_mean", "rllib_gnn/metric", "rllib_gnn/ratio")
# Keys Tune (or its search algorithms) may put into a trial's params.json besides the
# experiment dict; they never distinguish configurations.
TUNE_KEYS = frozenset({"trial_id", "experiment_tag", "experiment_id", "date", "timestamp",
                       "hostname", "node_ip", "pid", "trial_resources", "logdir"})
SEED_KEYS = frozenset({"seed"})
MAX_POINTS = 400  # at most this many grid points per group curve
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


# ----------------------------------------------------------------------------- reading
@dataclass
class Trial:
    """One trial dir: its params and its progress.csv columns (raw strings)."""

    path: Path
    params: dict
    columns: dict[str, list[str]]

    @property
    def label(self) -> str:
        seed = self.params.get("seed")
        return f"seed={seed}" if seed is not None else self.path.name

    def column(self, name: str) -> np.ndarray:
        """The column as float64 (NaN where missing or not a number)."""
        return np.array([_to_float(v) for v in self.columns.get(name, ())], dtype=np.float64)

    def has(self, name: str) -> bool:
        return bool(np.isfinite(self.column(name)).any())


@dataclass
class Group:
    """Trials sharing one configuration (params without seed)."""

    name: str
    params: dict  # flattened "a.b" -> value, without seed / bookkeeping keys
    trials: list[Trial] = field(default_factory=list)


def _to_float(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def find_trial_dirs(run_dir: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every directory under ``run_dir`` (itself included) holding params.json + progress.csv.

    The search does not descend into a trial dir (checkpoints live there) nor into ``skip``.
    """
    skip = {p.resolve() for p in skip}
    found = []
    for root, dirs, files in os.walk(run_dir):
        here = Path(root)
        if "params.json" in files and "progress.csv" in files:
            found.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip)
    return sorted(found)


def read_trial(path: Path) -> Trial:
    try:
        params = json.loads((path / "params.json").read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{path / 'params.json'}: cannot read params ({err})") from err
    if not isinstance(params, dict):
        raise ValueError(f"{path / 'params.json'}: expected a JSON object")
    columns: dict[str, list[str]] = {}
    with open(path / "progress.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None) or []
        columns = {name: [] for name in header}
        for row in reader:
            if not row:
                continue
            for name, value in zip(header, row):
                columns[name].append(value)
            for name in header[len(row):]:
                columns[name].append("")
    return Trial(path, params, columns)


def config_key(params: dict) -> dict:
    """``params`` flattened to ``{"a.b": value}`` without seed and Tune's bookkeeping keys."""
    flat: dict = {}

    def walk(d: dict, prefix: str) -> None:
        for k, v in d.items():
            k = str(k)
            if k in SEED_KEYS or k.startswith("__") or (not prefix and k in TUNE_KEYS):
                continue
            if isinstance(v, dict) and v:
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = v

    walk(params, "")
    return flat


def _value_text(v) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), sort_keys=True, default=str)


def group_trials(trials: Sequence[Trial]) -> list[Group]:
    """Group trials by configuration; name groups by the params that differ between them."""
    by_key: dict[str, Group] = {}
    for trial in trials:
        flat = config_key(trial.params)
        key = json.dumps(flat, sort_keys=True, default=str)
        by_key.setdefault(key, Group("", flat)).trials.append(trial)
    groups = list(by_key.values())
    if len(groups) == 1:
        groups[0].name = "all"
        return groups
    keys = sorted({k for g in groups for k in g.params})
    differing = [k for k in keys
                 if len({_value_text(g.params[k]) if k in g.params else "\0unset"
                         for g in groups}) > 1]
    seen: dict[str, int] = {}
    for g in groups:
        name = ", ".join(f"{k}={_value_text(g.params[k]) if k in g.params else '-'}"
                         for k in differing) or "config"
        seen[name] = seen.get(name, 0) + 1
        g.name = name if seen[name] == 1 else f"{name} #{seen[name]}"
    return sorted(groups, key=lambda g: g.name)


# ----------------------------------------------------------------------------- curves
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
    with np.errstate(invalid="ignore"), warnings_off():
        return grid, np.nanmean(ys, axis=0), np.nanstd(ys, axis=0), count


@contextlib.contextmanager
def warnings_off():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _x_column(trials: Sequence[Trial]) -> str:
    return X_STEPS if all(t.has(X_STEPS) for t in trials) else X_ITER


def _metrics(trials: Sequence[Trial], metrics: Sequence[str] | None) -> list[str]:
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


def format_mean_std(mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    return f"{mean:.4f} ± {std:.4f}"


def sanitize(metric: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", metric).strip("_") or "metric"


# ----------------------------------------------------------------------------- writing
def _png(metric: str, x_col: str, series: list[dict]) -> bytes:
    from matplotlib.figure import Figure  # Agg canvas, no pyplot, no global backend change

    fig = Figure(figsize=(7.5, 4.5), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    for s in series:
        x, mean, std = (np.asarray(s[k], np.float64) for k in ("x", "mean", "std"))
        label = f"{s['group']} (n={s['n']})"
        if len(x) == 1:
            ax.errorbar(x, mean, yerr=std, fmt="o", color=s["color"], label=label, capsize=3)
        else:
            ax.plot(x, mean, color=s["color"], label=label, lw=1.6)
            ax.fill_between(x, mean - std, mean + std, color=s["color"], alpha=0.2, lw=0)
    ax.set_xlabel(x_col)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize="small")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _md_cell(v) -> str:
    text = f"{v:.4f}" if isinstance(v, float) else _value_text(v) if v is not None else ""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[dict]) -> str:
    """A Markdown table with one column per key (in first-seen order) of ``rows``."""
    if not rows:
        return "_(no rows)_"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(_md_cell(k) for k in keys) + " |",
             "|" + "|".join("---" for _ in keys) + "|"]
    lines += ["| " + " | ".join(_md_cell(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


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


def read_evaluations(run_dir: Path) -> list[tuple[Path, dict | None, str]]:
    """``(path, data or None, error)`` for every ``run_dir/evaluations/*.json``, sorted."""
    out = []
    for path in sorted((run_dir / "evaluations").glob("*.json")):
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("rows", []), list):
                raise ValueError("expected an object with a 'rows' list")
            out.append((path, data, ""))
        except (OSError, ValueError) as err:
            out.append((path, None, str(err)))
    return out


def _eval_heading(path: Path, data: dict) -> tuple[str, list[str]]:
    ckpt = data.get("checkpoint", "?")
    heading = f"{path.stem}: checkpoint `{ckpt}`"
    details = [f"eval env_config: `{_value_text(data.get('env_config'))}`"]
    for key in ("episodes", "seed"):
        if key in data:
            details.append(f"{key}: {_value_text(data[key])}")
    return heading, details


def _markdown(run_dir: Path, groups: Sequence[Group], metrics: Sequence[str], x_col: str,
              evaluations) -> str:
    parts = [f"# Report: {run_dir.name}", "", f"Run dir: `{run_dir}`", "",
             "## Groups", "",
             markdown_table([{"group": g.name, "seeds": len(g.trials),
                              "trials": ", ".join(t.path.name for t in g.trials)}
                             for g in groups]), "",
             "## Final metrics per group", "",
             "Last logged value of each seed, mean ± std (ddof=0) over the group's seeds.", "",
             markdown_table(_final_rows(groups, metrics, x_col)), "",
             "## Evaluations", ""]
    if not evaluations:
        parts += [f"No evaluations found (no `{run_dir / 'evaluations'}/*.json`).", ""]
    for path, data, error in evaluations:
        if data is None:
            parts += [f"### {path.stem}", "", f"Could not read `{path}`: {error}", ""]
            continue
        heading, details = _eval_heading(path, data)
        parts += [f"### {heading}", "", *[f"- {d}" for d in details], "",
                  markdown_table(data.get("rows", [])), ""]
    return "\n".join(parts)


def _html_table(rows: Sequence[dict]) -> str:
    if not rows:
        return "<p><em>(no rows)</em></p>"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    cell = lambda v: html.escape(_md_cell(v).replace("\\|", "|"))  # noqa: E731
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(k))}</td>" for k in keys) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(run_dir: Path, groups: Sequence[Group], metrics: Sequence[str], x_col: str,
          charts: list[dict], evaluations) -> str:
    data = {"x_label": x_col,
            "groups": [{"name": g.name, "color": COLORS[i % len(COLORS)], "seeds": len(g.trials)}
                       for i, g in enumerate(groups)],
            "charts": charts}
    payload = json.dumps(json_safe(data), separators=(",", ":"))
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    sections = ["<h2>Groups</h2>", _html_table(
        [{"group": g.name, "seeds": len(g.trials),
          "trials": ", ".join(t.path.name for t in g.trials)} for g in groups]),
        "<h2>Final metrics per group</h2>",
        "<p>Last logged value of each seed, mean ± std (ddof=0) over the group's seeds.</p>",
        _html_table(_final_rows(groups, metrics, x_col)), "<h2>Evaluations</h2>"]
    if not evaluations:
        sections.append("<p>No evaluations found.</p>")
    for path, ev, error in evaluations:
        if ev is None:
            sections.append(f"<h3>{html.escape(path.stem)}</h3><p>Could not read: "
                            f"{html.escape(error)}</p>")
            continue
        heading, details = _eval_heading(path, ev)
        sections.append(f"<h3>{html.escape(heading.replace('`', ''))}</h3><ul>"
                        + "".join(f"<li>{html.escape(d.replace('`', ''))}</li>" for d in details)
                        + "</ul>" + _html_table(ev.get("rows", [])))
    fill = {"TITLE": html.escape(f"Report: {run_dir.name}"), "RUNDIR": html.escape(str(run_dir)),
            "TABLES": "\n".join(sections), "SCRIPT": _SCRIPT, "DATA": payload}
    return re.sub(r"__(TITLE|RUNDIR|TABLES|SCRIPT|DATA)__", lambda m: fill[m.group(1)], _PAGE)


def report(run_dir, out_dir=None, metrics: Sequence[str] | None = None) -> list[Path]:
    """Write learning-curve PNGs, ``report.html`` and ``evaluation.md`` for ``run_dir``.

    ``metrics``: progress.csv columns to plot (default: those of ``DEFAULT_METRICS``
    present). ``out_dir`` defaults to ``run_dir / "report"``. Returns the written paths.
    """
    run_dir = Path(run_dir).expanduser()
    out_dir = Path(out_dir).expanduser() if out_dir is not None else run_dir / "report"
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir}: not a directory")
    trial_dirs = find_trial_dirs(run_dir, skip=[out_dir])
    if not trial_dirs:
        raise ValueError(f"{run_dir}: no trial directories (a directory with params.json and "
                         "progress.csv) found")
    trials = [read_trial(p) for p in trial_dirs]
    groups = group_trials(trials)
    metrics = _metrics(trials, metrics)
    x_col = _x_column(trials)
    evaluations = read_evaluations(run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    charts = []
    for metric in metrics:
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
        path = out_dir / f"curves_{sanitize(metric)}.png"
        written.append(write_atomic(path, _png(metric, x_col, series)))
        charts.append({"metric": metric, "series": series})
    written.append(write_atomic(out_dir / "report.html",
                                _html(run_dir, groups, metrics, x_col, charts, evaluations)))
    written.append(write_atomic(out_dir / "evaluation.md",
                                _markdown(run_dir, groups, metrics, x_col, evaluations)))
    return written


# ----------------------------------------------------------------------------- page
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em}
.chart{position:relative;margin:18px 0 28px}
.chart svg{width:100%;max-width:860px;height:auto;display:block;background:#fff}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:4px 0;font-size:13px}
.legend span{cursor:pointer;user-select:none;white-space:nowrap}
.legend span.off{opacity:.35;text-decoration:line-through}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #999;
 border-radius:4px;padding:4px 7px;font-size:12px;display:none;white-space:nowrap;z-index:2}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
.axis text{font-size:11px;fill:#444}.axis line{stroke:#ddd}
</style></head><body>
<h1>__TITLE__</h1>
<p>Run dir: <code>__RUNDIR__</code></p>
<h2>Learning curves</h2>
<p>Mean ± std over seeds (each seed interpolated onto a common x grid). Hover a chart for
values; click a legend entry to hide or show a group (in every chart).
<label><input type="checkbox" id="show-seeds"> show individual seeds</label></p>
<noscript><p>The charts need JavaScript; see the curves_*.png files next to this page.</p></noscript>
<div id="charts"></div>
__TABLES__
<script type="application/json" id="report-data">__DATA__</script>
<script>
__SCRIPT__
</script>
</body></html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var W = 860, H = 380, M = {l: 72, r: 18, t: 16, b: 46};
  var hidden = {};
  var showSeeds = false;
  var charts = [];

  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v === null || !isFinite(v)) return "n/a";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(+v.toPrecision(6));
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; lo = lo - 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }
  function visible(chart) {
    return chart.series.filter(function (s) { return !hidden[s.group]; });
  }
  function extent(chart) {
    var vs = visible(chart); if (!vs.length) vs = chart.series;
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    vs.forEach(function (s) {
      s.x.forEach(function (x, i) {
        var m = s.mean[i], d = s.std[i] || 0;
        if (x === null || m === null) return;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, m - d); y1 = Math.max(y1, m + d);
      });
      if (showSeeds) s.seeds.forEach(function (sd) {
        sd.x.forEach(function (x, i) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x);
          y0 = Math.min(y0, sd.y[i]); y1 = Math.max(y1, sd.y[i]);
        });
      });
    });
    if (!isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    var pad = (y1 - y0) * 0.05;
    return [x0, x1, y0 - pad, y1 + pad];
  }
  function path(xs, ys, sx, sy) {
    var d = "", pen = false;
    for (var i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) { pen = false; continue; }
      d += (pen ? "L" : "M") + sx(xs[i]).toFixed(2) + "," + sy(ys[i]).toFixed(2);
      pen = true;
    }
    return d;
  }
  function render(chart) {
    var svg = chart.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var e = extent(chart);
    var sx = function (x) { return M.l + (x - e[0]) / (e[1] - e[0]) * (W - M.l - M.r); };
    var sy = function (y) { return H - M.b - (y - e[2]) / (e[3] - e[2]) * (H - M.t - M.b); };
    chart.sx = sx; chart.e = e;
    var ax = el("g", {"class": "axis"}, svg);
    niceTicks(e[0], e[1], 7).forEach(function (t) {
      el("line", {x1: sx(t), x2: sx(t), y1: M.t, y2: H - M.b}, ax);
      el("text", {x: sx(t), y: H - M.b + 15, "text-anchor": "middle"}, ax).textContent = fmt(t);
    });
    niceTicks(e[2], e[3], 6).forEach(function (t) {
      el("line", {x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t)}, ax);
      el("text", {x: M.l - 6, y: sy(t) + 4, "text-anchor": "end"}, ax).textContent = fmt(t);
    });
    el("rect", {x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, fill: "none",
                stroke: "#888"}, svg);
    el("text", {x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12},
       svg).textContent = DATA.x_label;
    el("text", {x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", "font-size": 12,
                transform: "rotate(-90 14 " + (M.t + H - M.b) / 2 + ")"}, svg).textContent = chart.metric;
    var clip = "clip-" + chart.index;
    var defs = el("defs", {}, svg);
    el("rect", {x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b},
       el("clipPath", {id: clip}, defs));
    var plot = el("g", {"clip-path": "url(#" + clip + ")"}, svg);
    visible(chart).forEach(function (s) {
      var up = s.mean.map(function (m, i) { return m === null ? null : m + (s.std[i] || 0); });
      var dn = s.mean.map(function (m, i) { return m === null ? null : m - (s.std[i] || 0); });
      var band = path(s.x, up, sx, sy);
      var back = path(s.x.slice().reverse(), dn.slice().reverse(), sx, sy);
      if (band && back) el("path", {d: band + "L" + back.slice(1) + "Z", fill: s.color,
                                    "fill-opacity": 0.18, stroke: "none"}, plot);
      if (showSeeds) s.seeds.forEach(function (sd) {
        el("path", {d: path(sd.x, sd.y, sx, sy), fill: "none", stroke: s.color,
                    "stroke-width": 0.8, "stroke-opacity": 0.45}, plot);
      });
      el("path", {d: path(s.x, s.mean, sx, sy), fill: "none", stroke: s.color,
                  "stroke-width": 2}, plot);
      if (s.x.length === 1) el("circle", {cx: sx(s.x[0]), cy: sy(s.mean[0]), r: 4,
                                          fill: s.color}, plot);
    });
    chart.hover = el("g", {}, svg);
    chart.sy = sy;
  }
  function onMove(chart, evt) {
    var rect = chart.svg.getBoundingClientRect();
    var px = (evt.clientX - rect.left) * W / rect.width;
    var e = chart.e, g = chart.hover;
    while (g.firstChild) g.removeChild(g.firstChild);
    if (px < M.l || px > W - M.r) { chart.tip.style.display = "none"; return; }
    var x = e[0] + (px - M.l) / (W - M.l - M.r) * (e[1] - e[0]);
    var lines = [];
    el("line", {x1: px, x2: px, y1: M.t, y2: H - M.b, stroke: "#555", "stroke-dasharray": "3,3"}, g);
    visible(chart).forEach(function (s) {
      if (!s.x.length) return;
      var i = nearest(s.x, x);
      if (s.mean[i] === null) return;
      el("circle", {cx: chart.sx(s.x[i]), cy: chart.sy(s.mean[i]), r: 3.5, fill: s.color,
                    stroke: "#fff"}, g);
      lines.push('<span style="color:' + s.color + '">\u25A0</span> ' + esc(s.group) +
                 ": " + fmt(s.mean[i]) + " \u00B1 " + fmt(s.std[i]) + " (x=" + fmt(s.x[i]) +
                 ", n=" + s.n + ")");
    });
    if (!lines.length) { chart.tip.style.display = "none"; return; }
    chart.tip.innerHTML = "<b>" + esc(DATA.x_label) + " \u2248 " + fmt(x) + "</b><br>" + lines.join("<br>");
    chart.tip.style.display = "block";
    var box = chart.div.getBoundingClientRect();
    var left = evt.clientX - box.left + 14, top = evt.clientY - box.top + 10;
    if (left + chart.tip.offsetWidth > box.width) left = Math.max(0, left - chart.tip.offsetWidth - 28);
    chart.tip.style.left = left + "px"; chart.tip.style.top = top + "px";
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  function legend(chart) {
    var box = chart.legend;
    while (box.firstChild) box.removeChild(box.firstChild);
    chart.series.forEach(function (s) {
      var span = document.createElement("span");
      span.className = hidden[s.group] ? "off" : "";
      span.title = "click to hide / show this group";
      span.innerHTML = '<i style="background:' + s.color + '"></i>' + esc(s.group) +
                       " (n=" + s.n + ")";
      span.addEventListener("click", function () {
        hidden[s.group] = !hidden[s.group];
        redraw();
      });
      box.appendChild(span);
    });
  }
  function redraw() {
    charts.forEach(function (c) { legend(c); render(c); });
  }
  var root = document.getElementById("charts");
  if (!DATA.charts.length) root.innerHTML = "<p>No metrics to plot.</p>";
  DATA.charts.forEach(function (c, index) {
    var div = document.createElement("div");
    div.className = "chart";
    var h = document.createElement("h3");
    h.textContent = c.metric;
    div.appendChild(h);
    var lg = document.createElement("div");
    lg.className = "legend";
    div.appendChild(lg);
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img"}, div);
    var tip = document.createElement("div");
    tip.className = "tip";
    div.appendChild(tip);
    root.appendChild(div);
    var chart = {metric: c.metric, series: c.series, svg: svg, legend: lg, tip: tip, div: div,
                 index: index};
    svg.addEventListener("mousemove", function (evt) { onMove(chart, evt); });
    svg.addEventListener("mouseleave", function () {
      tip.style.display = "none";
      if (chart.hover) while (chart.hover.firstChild) chart.hover.removeChild(chart.hover.firstChild);
    });
    charts.push(chart);
  });
  document.getElementById("show-seeds").addEventListener("change", function (evt) {
    showSeeds = evt.target.checked;
    redraw();
  });
  redraw();
})();
"""

