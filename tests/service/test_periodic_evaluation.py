"""A tiny run evaluated before its first iteration and every 2 iterations: the same seeded
episodes each time, the reference's values those of the exact solver on them, each
evaluation the checkpoint's own greedy policy on them (checked through envs.compare), every
progress.csv row carrying the latest, and the report's headline curves."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from envs.catalog import ENVS
from envs.compare import compare
from rllib_gnn.service.cli import main
from rllib_gnn.service.evaluation import evaluate
from rllib_gnn.training.experiment import evaluation_env_config
from tests.tiny import TINY_MVC

EPISODES, SEED, ITERATIONS, EVERY = 3, 1000, 4, 2
EXPERIMENT = {**TINY_MVC, "name": "curves",
              # a large step, so the greedy policy changes between evaluations
              "training": {**TINY_MVC["training"], "lr": 0.01},
              "stop": {"training_iteration": ITERATIONS},
              "periodic_evaluation": {"every": EVERY, "episodes": EPISODES, "seed": SEED},
              "evaluation": {**TINY_MVC["evaluation"], "episodes": 2},
              # Tune ranks by the latest evaluation's ratio, ASHA reads it at its milestones
              "tune": {"metric": "rllib_gnn/eval/ratio", "mode": "min",
                       "scheduler": {"type": "asha", "max_t": ITERATIONS, "grace_period": 2}}}


@pytest.fixture(scope="module")
def run(ray_session, tmp_path_factory):
    """``(run dir, progress rows, train's output)`` of the tiny run."""
    tmp = tmp_path_factory.mktemp("periodic")
    path = tmp / "curves.yaml"
    path.write_text(yaml.safe_dump({**EXPERIMENT, "storage": str(tmp / "results")}))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # (capsys is per test)
        assert main(["train", str(path)]) == 0
    run_dir = tmp / "results" / "curves"
    [trial] = [p for p in run_dir.iterdir() if (p / "progress.csv").exists()]
    with open(trial / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    return run_dir, rows, out.getvalue()


def column(rows: list[dict], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


def test_every_row_carries_the_latest_evaluation_at_its_own_env_steps(run):
    """Tune's progress.csv keeps only the columns of a trial's first result: the evaluation
    of the starting weights puts them there."""
    _, rows, out = run
    assert len(rows) == ITERATIONS
    steps = column(rows, "env_runners/num_env_steps_sampled_lifetime")
    # evaluations before iteration 1 (the starting weights), after iterations 2 and 4
    assert column(rows, "rllib_gnn/eval/at_iteration") == [0, 2, 2, 4]
    assert column(rows, "rllib_gnn/eval/at_env_steps") == [0, steps[1], steps[1], steps[3]]
    assert rows[2]["rllib_gnn/eval/metric"] == rows[1]["rllib_gnn/eval/metric"]  # carried
    assert column(rows, "rllib_gnn/eval/episodes") == [EPISODES] * ITERATIONS
    for row in rows:
        assert float(row["rllib_gnn/eval/wall_s"]) > 0
        assert float(row["rllib_gnn/eval/ratio"]) >= 1.0 - 1e-9  # exact is optimal
    assert out.count("eval cover_weight") == ITERATIONS and "(iter 4, " in out
    assert "evaluating " in out, "no best checkpoint by rllib_gnn/eval/ratio"


def test_the_reference_is_the_exact_optimum_on_the_same_seeds_each_time(run):
    run_dir, rows, _ = run
    experiment = json.loads(next(run_dir.glob("*/checkpoint_*/experiment.json")).read_text())
    config = evaluation_env_config(experiment, experiment["evaluation"]["env_config"])
    entry = ENVS["mvc"]
    [exact] = compare(entry, {"exact": entry.baseline("exact")}, config, EPISODES, SEED)
    assert column(rows, "rllib_gnn/eval/reference") == pytest.approx(
        [exact["cover_weight_mean"]] * ITERATIONS, rel=1e-12)
    [other] = compare(entry, {"exact": entry.baseline("exact")}, config, EPISODES, SEED + 1)
    assert other["cover_weight_mean"] != pytest.approx(exact["cover_weight_mean"])


def test_each_evaluation_is_its_checkpoints_greedy_policy_on_those_episodes(run, tmp_path):
    run_dir, rows, _ = run
    checkpoints = sorted(run_dir.glob("*/checkpoint_*"))
    assert len(checkpoints) == ITERATIONS  # checkpoint.frequency 1: one per iteration
    start, after_two = column(rows[:2], "rllib_gnn/eval/metric")
    assert after_two != start, "the policy never changed: the check below shows nothing"
    for row in (rows[1], rows[3]):  # evaluated after iterations 2 and 4
        checkpoint = checkpoints[int(row["training_iteration"]) - 1]
        table = {r["player"]: r for r in evaluate(checkpoint, episodes=EPISODES, seed=SEED,
                                                  out=tmp_path)["rows"]}
        assert float(row["rllib_gnn/eval/metric"]) == pytest.approx(
            table["policy"]["cover_weight_mean"], rel=1e-12)
        assert float(row["rllib_gnn/eval/ratio"]) == pytest.approx(
            table["policy"]["ratio_to_exact"], rel=1e-12)


def test_the_report_shows_the_eval_curves_first(run, capsys):
    run_dir, rows, _ = run
    assert main(["report", str(run_dir)]) == 0
    names = {Path(p).name for p in capsys.readouterr().out.split()}
    assert {"curves_rllib_gnn_eval_ratio.png", "curves_rllib_gnn_eval_metric.png"} <= names
    page = (run_dir / "report" / "report.html").read_text()
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    metrics = [c["metric"] for c in data["charts"]]
    assert metrics[:3] == ["rllib_gnn/eval/ratio", "rllib_gnn/eval/metric",
                           "env_runners/episode_return_mean"]
    headline = data["charts"][0]
    assert headline["x_label"] == "rllib_gnn/eval/at_env_steps"
    one_per_evaluation = [rows[0], rows[1], rows[3]]
    assert headline["series"][0]["x"] == column(one_per_evaluation,
                                                "rllib_gnn/eval/at_env_steps")
    assert headline["series"][0]["mean"] == pytest.approx(column(one_per_evaluation,
                                                                 "rllib_gnn/eval/ratio"))
    markdown = (run_dir / "report" / "evaluation.md").read_text()
    assert "Headline curves" in markdown and f"seeds {SEED}..{SEED + EPISODES - 1}" in markdown
    assert "Periodic evaluations: 3 in 1 trial(s)" in markdown


@pytest.mark.slow
def test_parallel_evaluation_on_its_own_env_runner_plays_the_weights_before(ray_session,
                                                                           tmp_path):
    """RLlib evaluates while the iteration trains: the weights of the iteration before."""
    experiment = {**EXPERIMENT, "stop": {"training_iteration": 2},
                  "periodic_evaluation": {"every": 1, "episodes": EPISODES, "seed": SEED,
                                          "env_runners": 1, "parallel": True},
                  "evaluation": {**TINY_MVC["evaluation"], "episodes": 0}}
    path = tmp_path / "parallel.yaml"
    path.write_text(yaml.safe_dump({**experiment, "storage": str(tmp_path / "results")}))
    assert main(["train", str(path)]) == 0
    [trial] = [p for p in (tmp_path / "results" / "curves").iterdir()
               if (p / "progress.csv").exists()]
    with open(trial / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    assert column(rows, "rllib_gnn/eval/at_iteration") == [0, 1]
    assert column(rows, "rllib_gnn/eval/at_env_steps") == [
        0, float(rows[0]["env_runners/num_env_steps_sampled_lifetime"])]
    first = sorted(trial.glob("checkpoint_*"))[0]  # the weights after iteration 1
    [policy] = [r for r in evaluate(first, episodes=EPISODES, seed=SEED, out=tmp_path)["rows"]
                if r["player"] == "policy"]
    assert float(rows[1]["rllib_gnn/eval/metric"]) == pytest.approx(
        policy["cover_weight_mean"], rel=1e-12)
