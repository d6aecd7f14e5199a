"""rllib_gnn.service.report on a synthetic run dir: 2 configurations x 3 seeds, one
evaluation file."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from rllib_gnn.service.report import report
from rllib_gnn.service.report_curves import aggregate
from rllib_gnn.service.report_runs import find_trial_dirs, group_trials, read_trial
from rllib_gnn.training.trainable import save_experiment_files

X = "env_runners/num_env_steps_sampled_lifetime"
RET = "env_runners/episode_return_mean"
ENCODERS = ("gat", "gcn")
SEEDS = (0, 1, 2)
SLOPE = {"gat": 0.01, "gcn": 0.02}


def offset(encoder: str, seed: int) -> float:
    return {"gat": 1.0, "gcn": -3.0}[encoder] + 2.0 * seed


def line(encoder: str, seed: int, x: np.ndarray) -> np.ndarray:
    """Each seed's return is linear in x, so interpolation at any x is exact."""
    return SLOPE[encoder] * x + offset(encoder, seed)


def seed_x(seed: int) -> np.ndarray:
    """Seeds log at slightly different x: start 0/7/14, step 100, 20 rows."""
    return 7.0 * seed + 100.0 * np.arange(20)


def write_trial(run, encoder, seed):
    trial = run / f"ExperimentTrainable_{encoder}_{seed:05d}"
    trial.mkdir(parents=True)
    params = {"name": "sweep", "algorithm": "PPO", "env": "mvc", "seed": seed,
              "model": {"encoder": encoder, "hidden": 32},
              "training": {"lr": 3e-4}, "env_config": {"num_nodes": 10},
              "__trial_index__": seed}
    (trial / "params.json").write_text(json.dumps(params))
    x = seed_x(seed)
    ret = line(encoder, seed, x)
    with open(trial / "progress.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["training_iteration", X, RET, "rllib_gnn/metric", "rllib_gnn/ratio",
                    "time_total_s", "config/model"])
        for i, (xi, ri) in enumerate(zip(x, ret)):
            w.writerow([i + 1, xi, ri, 5.0 + seed + (encoder == "gcn"), 0.5 + 0.1 * seed,
                        float(i), "{'encoder': 'x'}"])
    (trial / "checkpoint_000000").mkdir()
    save_experiment_files(trial / "checkpoint_000000", params)
    return trial


@pytest.fixture()
def run_dir(tmp_path):
    run = tmp_path / "sweep"
    for encoder in ENCODERS:
        for seed in SEEDS:
            write_trial(run, encoder, seed)
    (run / "evaluations").mkdir()
    evaluation = {
        "rows": [
            {"player": "policy", "episodes": 8, "cover_weight_mean": 12.5, "cover_weight_std": 1.25,
             "length_mean": 7.0, "ratio_to_greedy": 1.1},
            {"player": "greedy", "episodes": 8, "cover_weight_mean": 13.75,
             "cover_weight_std": 0.5, "length_mean": 8.0, "ratio_to_greedy": 1.0},
        ],
        "env_config": {"num_nodes": 30}, "checkpoint": "/ckpt/checkpoint_000009",
        "episodes": 8, "seed": 123}
    (run / "evaluations" / "x.json").write_text(json.dumps(evaluation))
    return run


@pytest.fixture()
def written(run_dir):
    return report(run_dir)


def test_files_exist_and_pngs_are_valid(run_dir, written):
    out = run_dir / "report"
    names = {p.name for p in written}
    assert names == {"curves_env_runners_episode_return_mean.png", "curves_rllib_gnn_metric.png",
                     "curves_rllib_gnn_ratio.png", "report.html", "evaluation.md"}
    for p in written:
        assert p.parent == out and p.is_file()
    for p in out.glob("*.png"):
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 10_000
    assert not list(out.glob(".*tmp")), "temporary files left behind"


def test_groups_ignore_seed_and_bookkeeping(run_dir):
    trials = [read_trial(p) for p in find_trial_dirs(run_dir)]
    assert len(trials) == 6  # checkpoint dirs are not trials
    groups = group_trials(trials)
    assert [g.name for g in groups] == ["model.encoder=gat", "model.encoder=gcn"]
    for g, encoder in zip(groups, ENCODERS):
        assert sorted(t.params["seed"] for t in g.trials) == list(SEEDS)
        assert {t.params["model"]["encoder"] for t in g.trials} == {encoder}
    one = group_trials([t for t in trials if t.params["model"]["encoder"] == "gat"])
    assert [(g.name, len(g.trials)) for g in one] == [("all", 3)]


def test_interpolated_mean_at_known_x(run_dir):
    for encoder in ENCODERS:
        curves = [(seed_x(s), line(encoder, s, seed_x(s))) for s in SEEDS]
        grid, mean, std, count = aggregate(curves)
        # the grid is the overlap: from the latest start to the earliest end
        assert grid[0] == pytest.approx(14.0) and grid[-1] == pytest.approx(1900.0)
        assert (count == 3).all()
        for x in (14.0, 250.0, 1234.5, 1900.0):
            expected = np.mean([line(encoder, s, np.array(x)) for s in SEEDS])
            expected_std = np.std([line(encoder, s, np.array(x)) for s in SEEDS])
            assert np.interp(x, grid, mean) == pytest.approx(expected)
            assert np.interp(x, grid, std) == pytest.approx(expected_std)
    # nonlinear data: the mean at a seed's own x uses the others' interpolated values
    a = (np.array([0.0, 10.0]), np.array([0.0, 10.0]))
    b = (np.array([0.0, 5.0, 10.0]), np.array([0.0, 20.0, 0.0]))
    grid, mean, _, _ = aggregate([a, b])
    assert list(grid) == [0.0, 5.0, 10.0]
    assert mean[1] == pytest.approx((5.0 + 20.0) / 2)


def test_markdown_has_groups_final_metrics_and_evaluation(written):
    md = next(p for p in written if p.name == "evaluation.md").read_text()
    for encoder in ENCODERS:
        assert f"model.encoder={encoder}" in md
        finals = [line(encoder, s, seed_x(s)[-1:])[0] for s in SEEDS]
        assert f"{np.mean(finals):.4f} ± {np.std(finals):.4f}" in md
    assert "checkpoint_000009" in md and '{"num_nodes":30}' in md
    assert "| policy |" in md and "12.5000" in md and "ratio_to_greedy" in md


def test_html_is_self_contained_with_both_groups(written):
    page = next(p for p in written if p.name == "report.html").read_text()
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                      page, re.S)
    assert match
    data = json.loads(match.group(1))
    assert [c["metric"] for c in data["charts"]] == [RET, "rllib_gnn/metric", "rllib_gnn/ratio"]
    chart = data["charts"][0]
    assert [s["group"] for s in chart["series"]] == ["model.encoder=gat", "model.encoder=gcn"]
    for s in chart["series"]:
        assert len(s["x"]) == len(s["mean"]) == len(s["std"]) > 10 and s["n"] == 3
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "addEventListener(\"click\"" in page and "mousemove" in page
    assert "checkpoint_000009" in page


def test_out_dir_metrics_and_no_evaluations(run_dir, tmp_path):
    import shutil

    shutil.rmtree(run_dir / "evaluations")
    out = tmp_path / "elsewhere"
    written = report(str(run_dir), out_dir=out, metrics=["rllib_gnn/ratio"])
    assert sorted(p.name for p in written) == ["curves_rllib_gnn_ratio.png", "evaluation.md",
                                               "report.html"]
    assert "No evaluations found" in (out / "evaluation.md").read_text()
    with pytest.raises(ValueError, match="not_a_column"):
        report(run_dir, out_dir=out, metrics=["not_a_column"])


def test_empty_run_dir_raises(tmp_path):
    (tmp_path / "empty" / "trial").mkdir(parents=True)
    (tmp_path / "empty" / "trial" / "params.json").write_text("{}")  # no progress.csv
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / "empty"))):
        report(tmp_path / "empty")
