"""The evaluation protocol's files: a record round-trips through JSON, is written atomically,
and `rllib-gnn report` renders its tables; a checkpoint's training cost is read from its
trial's results."""

import json
import math
import pickle

import pytest

from envs.catalog import entry
from envs.compare import play_episodes
from rllib_gnn.service.checkpoints import training_cost
from rllib_gnn.service.cli import main
from rllib_gnn.service.records import evaluation_record, read_record, record_file, write_record
from rllib_gnn.service.report import report
from rllib_gnn.training.files import json_safe

CONFIG = {"graphs": {"preset": "blog_mvc", "split": "test"}}
COST = {"trial": "/runs/t", "iteration": 7, "time_total_s": 123.4, "env_steps": 5678}


@pytest.fixture(scope="module")
def record():
    """A record file of 6 MVC episodes: exact, greedy and random, 'greedy' as the policy."""
    mvc = entry("mvc")
    played = play_episodes(mvc, {name: mvc.baseline(name) for name in mvc.baselines}, CONFIG,
                           range(1000, 1006))
    evaluation = evaluation_record("mvc", played, CONFIG, "blog test graphs",
                                   pairs_for=["random"], training=COST, checkpoint="/ck/pt")
    return record_file("MVC baselines", [evaluation], tables={"curve": [
        {"train_s": 1.5, "ratio": 1.25}]}, budget_s=60)


def test_a_record_round_trips_through_its_json_file(record, tmp_path):
    path = write_record(tmp_path / "out" / "mvc.json", record)
    back = read_record(path)
    # nothing lost but tuples (lists now) and NaN (null now: no cover_ratio was computed)
    assert back == json.loads(json.dumps(json_safe(record)))
    assert back["evaluations"][0]["per_episode"]["cover_ratio"]["exact"] == [None] * 6
    [evaluation] = back["evaluations"]
    assert (back["protocol"], back["budget_s"], back["host"]["cpus"] > 0) == (1, 60, True)
    assert evaluation["seeds"] == [1000, 1005] and evaluation["episodes"] == 6
    per = evaluation["per_episode"]
    assert per["seeds"] == list(range(1000, 1006))
    rows = {row["player"]: row for row in evaluation["rows"]}
    assert rows["greedy"]["env_steps"] == sum(per["length"]["greedy"])
    assert rows["random"]["cover_weight_mean"] == pytest.approx(
        sum(per["cover_weight"]["random"]) / 6)
    assert [(p["player"], p["against"]) for p in evaluation["pairs"]] == [("random", "greedy")]
    unresolved = [r["player"] for r in evaluation["rows"] if r["se_below_diff"] is False]
    assert evaluation["check"] == {"se_below_differences": not unresolved,
                                   "unresolved": unresolved}
    assert evaluation["training"] == COST and evaluation["checkpoint"] == "/ck/pt"


class Unwritable:
    """A value JSON cannot hold and whose text fails too (after the rows were serialised)."""

    def __str__(self):
        raise TypeError("no text for this value")


def test_a_record_that_cannot_be_serialised_leaves_the_old_file_whole(record, tmp_path):
    path = write_record(tmp_path / "mvc.json", record)
    before = path.read_bytes()
    broken = {**record, "zz_last": Unwritable()}
    with pytest.raises(TypeError, match="no text"):
        write_record(path, broken)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["mvc.json"]  # no temporary file left
    with pytest.raises(TypeError, match="no text"):
        write_record(tmp_path / "new.json", broken)
    assert not (tmp_path / "new.json").exists()


def test_nan_is_written_as_null_for_strict_json_readers(tmp_path):
    path = write_record(tmp_path / "r.json", record_file("t", [{"rows": [{"x": math.nan}]}]))
    json.loads(path.read_text(), parse_constant=lambda token: pytest.fail(token))
    assert read_record(path)["evaluations"][0]["rows"] == [{"x": None}]


@pytest.mark.parametrize("text, message", [
    ("{not json", "cannot read an evaluation record"),
    ("[1, 2]", "expected a JSON object"),
    ('{"protocol": 99, "evaluations": []}', "protocol 1 .*99"),
    ('{"protocol": 1, "evaluations": [{"rows": 3}]}', "'rows' list"),
])
def test_a_file_that_is_no_record_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        read_record(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_the_report_renders_the_tables_of_a_record_file(record, tmp_path, capsys):
    path = write_record(tmp_path / "mvc_baselines.json", record)
    assert main(["report", str(path)]) == 0
    out = tmp_path / "mvc_baselines_report"
    assert sorted(p.name for p in out.iterdir()) == ["evaluation.md", "report.html"]
    md = (out / "evaluation.md").read_text()
    evaluation = record["evaluations"][0]
    greedy = next(r for r in evaluation["rows"] if r["player"] == "greedy")
    header = next(line for line in md.splitlines() if line.startswith("| player |"))
    assert header.split(" | ")[:4] == ["| player", "episodes", "cover_weight", "length"]
    for column in ("ratio_to_exact", "diff_to_exact", "se_below_diff", "env_steps",
                   "wall_s_per_episode"):
        assert f" {column} |" in header
    line = next(line for line in md.splitlines() if line.startswith("| greedy |"))
    assert f"{greedy['ratio_to_exact']:.4f} ± {greedy['ratio_to_exact_se']:.4f}" in line
    assert f"| {greedy['env_steps']} |" in line
    assert "| random | greedy |" in md  # the pairs table
    assert "seeds 1000..1005" in md and "trained 123 s wall time, 5,678 env steps" in md
    assert "paired standard error" in md and "MVC baselines: curve" in md
    page = (out / "report.html").read_text()
    assert "<td>greedy</td>" in page and "report-data" not in page  # tables, no charts
    assert report(tmp_path, tmp_path / "dir_report")[1].read_text().count("| exact |") == 1


def test_a_folder_report_skips_other_json_and_a_bad_file_is_one_error(record, tmp_path,
                                                                        capsys):
    write_record(tmp_path / "mvc.json", record)
    (tmp_path / "env_throughput.json").write_text('{"rows": "not a list"}')
    md = report(tmp_path)[1].read_text()
    assert "Skipped, not evaluation records: `env_throughput.json`" in md
    assert md.count("### blog test graphs") == 1
    assert main(["report", str(tmp_path / "env_throughput.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rllib-gnn: error: ") and "env_throughput.json" in err
    assert "\n" not in err


def _trial(tmp_path, iteration):
    """A trial dir with 3 iterations of results and a checkpoint of ``iteration``."""
    trial = tmp_path / "run" / "trial_0"
    ckpt = trial / "checkpoint_000001"
    ckpt.mkdir(parents=True)
    lines = [json.dumps({"training_iteration": i, "time_total_s": 10.0 * i,
                         "env_runners": {"num_env_steps_sampled_lifetime": 1000 * i}})
             for i in (1, 2, 3)]
    (trial / "result.json").write_text("\n".join(lines) + "\n{\"training_it")  # torn line
    (ckpt / "algorithm_state.pkl").write_bytes(pickle.dumps({"training_iteration": iteration}))
    return ckpt


def test_the_training_cost_is_the_trial_result_at_the_checkpoint_iteration(tmp_path):
    ckpt = _trial(tmp_path, 2)
    assert training_cost(ckpt) == {"trial": str(ckpt.parent), "iteration": 2,
                                   "time_total_s": 20.0, "env_steps": 2000}
    assert training_cost(_trial(tmp_path / "later", 9)) is None  # results stop before it
    (ckpt.parent / "result.json").unlink()
    assert training_cost(ckpt) is None  # a checkpoint copied out of its trial
