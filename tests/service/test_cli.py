"""The `rllib-gnn` CLI: experiment validation, train -> evaluate -> report, kill and resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from rllib_gnn.service.cli import main
from tests.tiny import TINY_MVC

TINY = TINY_MVC


def _write(tmp_path: Path, name: str, experiment: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**experiment, "storage": str(tmp_path / "results")}))
    return path


def _progress(run_dir: Path) -> list[dict]:
    [trial] = [p for p in run_dir.iterdir() if (p / "progress.csv").exists()]
    with open(trial / "progress.csv") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------ validation (no Ray)
@pytest.mark.parametrize("change, expected", [
    ({"colour": "red"}, "unknown key(s) ['colour']"),
    ({"seed": "zero"}, "seed must be int, got 'zero'"),
    ({"env": "chess"}, "env must be one of"),
    ({"model": {"encoder": "lstm"}}, "encoder"),
    ({"model": {"head": "tree"}}, "head"),
    ({"training": {"learning_rate_typo": 1}}, "unknown key training.learning_rate_typo"),
    ({"stop": {"training_iteration": "ten"}}, "stop.training_iteration must be a number"),
    ({"tune": {"param_space": {"model.encoder": {"grid": ["gat", "lstm"]}}}}, "encoder"),
    ({"tune": {"scheduler": {"type": "hyperband"}}}, "tune.scheduler.type must be one of"),
    ({"env_config": {"graphs": {"generator": "nope"}}}, "env_config: generator must be one of"),
    ({"evaluation": {"decoding": {"top_fraction": 2}}},
     "evaluation.decoding.top_fraction must be a number in (0, 1], got 2"),
    ({"evaluation": {"decoding": {"top_k": 5}}}, "unknown decoding key(s) ['top_k']"),
    ({"evaluation": {"decoding": {"prob_ratio": 0.5}},
      "env_config": {**TINY_MVC["env_config"], "invalid_action": "penalty"}},
     "evaluation.decoding ranks the actions the observation's action_mask allows"),
])
def test_bad_experiments_fail_before_ray_with_one_line_each(tmp_path, capsys, change, expected):
    experiment = {**TINY, **change}
    assert main(["train", str(_write(tmp_path, "bad", experiment))]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    problem_lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(problem_lines) == 1, err


def test_several_problems_are_reported_together(tmp_path, capsys):
    experiment = {**TINY, "colour": 1, "model": {"encoder": "lstm"}, "seed": "x"}
    assert main(["train", str(_write(tmp_path, "bad", experiment))]) == 2
    err = capsys.readouterr().err
    assert "3 problems" in err and "colour" in err and "lstm" in err and "seed" in err


@pytest.mark.parametrize("argv, expected", [
    (["demo", "mvc", "--episodes", "0"], "argument --episodes: must be an integer >= 1, got 0"),
    (["demo", "mvc", "--episodes", "-3"], "argument --episodes: must be an integer >= 1"),
    (["demo", "mvc", "--episodes", "many"], "must be an integer >= 1, got 'many'"),
    (["demo", "mvc", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["demo", "mvc", "--env-config", "[1, 2]"], "argument --env-config: must be a JSON object"),
    (["evaluate", "ckpt", "--env-config", "[1,2]"],
     "argument --env-config: must be a JSON object such as '{\"max_nodes\": 50}', got '[1,2]'"),
    (["evaluate", "ckpt", "--env-config", "{max_nodes: 5}"],
     "argument --env-config: not valid JSON (Expecting property name"),
    (["evaluate", "ckpt", "--episodes", "0"], "argument --episodes: must be an integer >= 1"),
    (["evaluate", "ckpt", "--sample", "-2"], "argument --sample: must be an integer >= 0"),
    (["evaluate", "ckpt", "--top-fraction", "0"],
     "argument --top-fraction: decoding.top_fraction must be a number in (0, 1], got 0.0"),
    (["evaluate", "ckpt", "--prob-ratio", "half"], "argument --prob-ratio: invalid float"),
    (["evaluate", "ckpt", "--top-fraction", "0.1", "--one-pick"],
     "argument --one-pick: not allowed with argument --top-fraction"),
])
def test_bad_arguments_are_refused_by_the_parser(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_set_overrides_reach_the_experiment(tmp_path):
    from rllib_gnn.training.experiment import load_experiment

    exp = load_experiment(_write(tmp_path, "ok", TINY),
                          ["model.hidden=32", "stop.training_iteration=7", "tune.mode=min"])
    assert exp["model"]["hidden"] == 32
    assert exp["stop"] == {"training_iteration": 7}
    assert exp["tune"]["mode"] == "min" and exp["tune"]["num_samples"] == 1


def test_help_is_fast_and_imports_no_torch():
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c",
                          "import sys; from rllib_gnn.service.cli import main\n"
                          "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                          "print('torch' in sys.modules, 'ray' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False False")
    assert time.perf_counter() - start < 10


# ------------------------------------------------------------------ train / evaluate / report
def test_train_then_evaluate_larger_graphs_then_report(ray_session, tmp_path, capsys):
    assert main(["train", str(_write(tmp_path, "tiny", TINY))]) == 0
    out = capsys.readouterr().out
    assert "iter    1" in out and "cover_weight" in out
    for player in ("policy", "exact", "greedy", "random"):
        assert player in out, f"the end-of-run evaluation table lacks {player}"
    run_dir = tmp_path / "results" / "tiny"
    [checkpoint] = list(run_dir.glob("*/checkpoint_*"))
    assert (checkpoint / "experiment.json").exists()
    rows = _progress(run_dir)
    assert [r["training_iteration"] for r in rows] == ["1"]
    assert float(rows[0]["rllib_gnn/env_steps_per_s"]) > 0
    # TINY has no env_config.reference: no ratio is computed, so none is logged (never NaN)
    assert "rllib_gnn/ratio" not in rows[0] and float(rows[0]["rllib_gnn/metric"]) > 0

    # The same weights on graphs ~7x larger than any training graph.
    assert main(["evaluate", str(checkpoint), "--episodes", "2", "--env-config",
                 json.dumps({"graphs": {"preset": "blog_mvc", "split": "test_100"}})]) == 0
    table = capsys.readouterr().out
    assert "ratio_to_exact" in table and "policy" in table
    evaluations = list((run_dir / "evaluations").glob("*.json"))
    assert len(evaluations) == 2
    assert any(json.loads(p.read_text())["evaluations"][0]["env_config"]["graphs"]["split"]
               == "test_100" for p in evaluations)
    # Some baselines only (e.g. no exact solve on graphs too large for it): its own files.
    assert main(["evaluate", str(checkpoint), "--episodes", "1", "--baselines", "greedy"]) == 0
    table = capsys.readouterr().out
    assert "greedy" in table and "random" not in table and "ratio_to_exact" not in table
    assert len(list((run_dir / "evaluations").glob("*-greedy.json"))) == 1

    assert main(["report", str(run_dir)]) == 0
    written = [Path(line) for line in capsys.readouterr().out.split()]
    names = {p.name for p in written}
    assert {"report.html", "evaluation.md"} <= names
    assert "curves_rllib_gnn_metric.png" in names
    # no training-episode ratio without env_config.reference; the periodic evaluation (on by
    # default) evaluated the starting weights against the exact optimum
    assert "curves_rllib_gnn_ratio.png" not in names
    assert "curves_rllib_gnn_eval_ratio.png" in names
    assert all(p.exists() and p.stat().st_size > 0 for p in written)


def test_resume_after_the_driver_is_killed_continues_the_iteration_count(ray_session, tmp_path):
    """Kill `train` after its first checkpoint; `train --resume` finishes the run."""
    experiment = {**TINY, "stop": {"training_iteration": 20}, "evaluation": {"episodes": 0}}
    path = _write(tmp_path, "killed", experiment)
    run_dir = tmp_path / "results" / "killed"
    env = {**os.environ, "RAY_ADDRESS": ray_session.get_runtime_context().gcs_address}
    driver = subprocess.Popen([sys.executable, "-m", "rllib_gnn.service.cli", "train",
                               str(path)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not list(run_dir.glob("*/checkpoint_000001/experiment.json")):
            assert driver.poll() is None, "the driver ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.05)
        time.sleep(2.0)  # Tune snapshots its experiment state every second (training.tuner)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    done_before = {int(r["training_iteration"]) for r in _progress(run_dir)}
    assert 20 not in done_before, "the driver finished before it was killed; nothing to resume"

    assert main(["train", str(path), "--resume"]) == 0
    iterations = [int(r["training_iteration"]) for r in _progress(run_dir)]
    assert iterations[0] == 1 and iterations[-1] == 20, iterations
    assert sorted(set(iterations)) == list(range(1, 21)), "an iteration was lost"
    assert iterations.count(1) == 1, f"the resumed run started over from scratch: {iterations}"
    assert list(run_dir.glob("*/checkpoint_*"))


def test_resume_without_a_run_says_so(tmp_path, capsys):
    assert main(["train", str(_write(tmp_path, "never", TINY)), "--resume"]) == 2
    assert "no run to resume" in capsys.readouterr().err


def test_train_on_graph_files_given_by_relative_paths(ray_session, tmp_path, capsys, monkeypatch):
    # Tune runs each trial in a directory of its own: the relative paths of graphs.files are
    # made absolute against the directory `train` starts in, before Ray sees them.
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    files = {"files": ["examples/graphs/*.graphml", "examples/graphs/*.gml"]}
    experiment = {**TINY, "env_config": {"graphs": files},  # 2 graphs: 2 episodes at most
                  "evaluation": {"env_config": {}, "episodes": 2},
                  "periodic_evaluation": {"episodes": 2}}
    assert main(["train", str(_write(tmp_path, "own", experiment))]) == 0
    out = capsys.readouterr().out
    assert "policy" in out and "exact" in out
    [checkpoint] = list((tmp_path / "results" / "own").glob("*/checkpoint_*"))
    saved = json.loads((checkpoint / "experiment.json").read_text())["env_config"]["graphs"]
    assert all(Path(f).is_absolute() for f in saved["files"])
    monkeypatch.chdir(tmp_path)  # the checkpoint finds its graphs from anywhere
    assert main(["evaluate", str(checkpoint), "--episodes", "2"]) == 0


@pytest.mark.parametrize("pattern", ["*.graphml", "*.gml", "*.json", "*.edgelist"])
def test_each_graph_file_format_through_env_config_json(pattern, capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    config = json.dumps({"graphs": {"files": f"examples/graphs/{pattern}"}})
    assert main(["demo", "mvc", "--episodes", "1", "--env-config", config]) == 0  # 1 file
    table = capsys.readouterr().out
    assert "exact" in table and "greedy" in table and "ratio_to_exact" in table
