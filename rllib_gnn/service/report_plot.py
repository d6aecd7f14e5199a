"""A learning-curve chart of a report as PNG bytes (matplotlib's Agg canvas, no pyplot)."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["curve_png"]


def curve_png(metric: str, x_col: str, series: list[dict]) -> bytes:
    """The PNG of one metric: per group (``series`` of
    :func:`~rllib_gnn.service.report_curves.chart_series`) its mean line and a +-std band,
    or a point with error bar when the group has a single x."""
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
