"""`evaluate`: a checkpoint's policy vs the baselines on the same (larger) seeded graphs.

One tiny PPO run on MVC (15-node training graphs, 1 iteration) is checkpointed once for
the module; the policy is then evaluated on 20- and 100-node graphs (per_agent team checkpoints:
test_evaluation_per_agent.py). The players, the env-config
rule, the extra metrics and the file writing are also checked without Ray, on untrained
modules.
"""

import csv
import json

import numpy as np
import pytest

from envs.catalog import entry as catalog_entry
from rllib_gnn.service import checkpoints
from rllib_gnn.service import players as player_module
from rllib_gnn.service.checkpoints import load_policy
from rllib_gnn.service.evaluation import evaluate
from rllib_gnn.service.players import best_of_k_player, policy_player
from rllib_gnn.service.tables import format_evaluation
from rllib_gnn.training.experiment import evaluation_env_config
from rllib_gnn.training.trainable import save_experiment_files
from tests.tiny import TINY_MVC

TRAIN_ENV_CONFIG = TINY_MVC["env_config"]
MODEL = TINY_MVC["model"]
TEST_GRAPHS = {"graphs": {"preset": "blog_mvc", "split": "test"}}  # 20 nodes


def _experiment(env="mvc", env_config=TRAIN_ENV_CONFIG, model=MODEL):
    return {"name": "eval-test", "algorithm": "PPO", "env": env, "env_config": env_config,
            "model": model}


@pytest.fixture(scope="module")
def checkpoint(ray_session, tmp_path_factory):
    """<run>/trial_0/checkpoint_000001 of a 1-iteration PPO on 15-node MVC graphs."""
    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.experiment import resolve_experiment

    algo = build_algorithm_config(resolve_experiment(TINY_MVC)).build_algo()
    ckpt = tmp_path_factory.mktemp("run") / "trial_0" / "checkpoint_000001"
    try:
        algo.train()
        algo.save_to_path(str(ckpt))
    finally:
        algo.stop()
    save_experiment_files(ckpt, _experiment())
    return ckpt


@pytest.fixture(scope="module")
def evaluated(checkpoint):
    """(rows, the file's evaluation, json path, csv path) of 5 episodes on 20-node graphs,
    sample=2, on the default (held-out) seeds."""
    rows = evaluate(checkpoint, env_overrides=TEST_GRAPHS, episodes=5, sample=2)["rows"]
    out = checkpoint.parent.parent / "evaluations"
    files = sorted(out.iterdir())
    jsons = [f for f in files if f.suffix == ".json"]
    csvs = [f for f in files if f.suffix == ".csv"]
    assert len(jsons) == 1 and len(csvs) == 1, f"expected one JSON and one CSV in {out}: {files}"
    record = json.loads(jsons[0].read_text(), parse_constant=_reject)
    assert record["protocol"] == 1 and len(record["evaluations"]) == 1
    return rows, record["evaluations"][0], jsons[0], csvs[0]


def _reject(token: str):
    """json.loads hook: NaN / Infinity are not JSON, so a strict reader would fail here."""
    raise ValueError(f"non-standard JSON token {token} in the evaluation record")


# ---------------------------------------------------------------------------- checkpoint
def test_load_policy_gives_an_eval_mode_cpu_module(checkpoint):
    module, experiment = load_policy(checkpoint)
    assert experiment == _experiment()
    assert not module.training, "from_checkpoint returns training mode; load_policy must eval()"
    assert all(p.device.type == "cpu" for p in module.parameters())
    assert module.action_space.n == 15  # the training limit; evaluation runs on 20 and 100


def test_relative_checkpoint_path_loads(checkpoint, monkeypatch):
    monkeypatch.chdir(checkpoint.parent)
    module, _ = load_policy(checkpoint.name)  # pyarrow rejects relative paths on its own
    assert module.action_space.n == 15


def test_a_bad_checkpoint_path_gives_a_clear_value_error(tmp_path, checkpoint):
    with pytest.raises(ValueError, match="no such directory"):
        load_policy(tmp_path / "missing")
    with pytest.raises(ValueError, match=f"{tmp_path}.*experiment.json"):
        load_policy(tmp_path)
    save_experiment_files(tmp_path, _experiment())
    module_dir = r"module dir .*learner_group/learner/rl_module/default_policy"
    with pytest.raises(ValueError, match=module_dir):
        load_policy(tmp_path)
    with pytest.raises(ValueError, match=str(checkpoint.parent)):
        evaluate(checkpoint.parent, episodes=1)  # the trial dir, not a checkpoint


# ---------------------------------------------------------------------------- evaluate
def test_rows_cover_the_policy_best_of_k_and_every_baseline(evaluated):
    rows, record, _, _ = evaluated
    by_player = {row["player"]: row for row in rows}
    assert list(by_player) == ["policy", "policy_best_of_2", "exact", "greedy", "random"]
    assert by_player["exact"]["ratio_to_exact"] == pytest.approx(1.0)
    assert by_player["exact"]["ratio_to_exact_se"] == pytest.approx(0.0)
    for row in rows:
        assert row["episodes"] == 5
        for key in ("cover_weight_mean", "cover_weight_std", "ratio_to_exact",
                    "ratio_to_exact_se", "diff_to_exact_se", "length_mean", "wall_s"):
            assert np.isfinite(row[key]), (row["player"], key)
        assert row["env_steps"] == sum(record["per_episode"]["length"][row["player"]])
    assert by_player["policy"]["wall_s"] > 0
    assert record["rows"] == rows
    assert [(p["player"], p["against"]) for p in record["pairs"]] == [
        ("policy", "greedy"), ("policy", "random"), ("policy_best_of_2", "greedy"),
        ("policy_best_of_2", "random")]


def test_the_eval_env_runs_larger_graphs_than_training(evaluated):
    _, record, _, _ = evaluated
    assert record["env_config"] == TEST_GRAPHS  # max_nodes: 15 dropped with the new graphs
    from envs.catalog import entry
    env = entry("mvc").make(record["env_config"])
    assert env.observation_space["x"].shape[0] == 20 and env.action_space.n == 20


def test_the_policy_never_beats_exact_per_episode(evaluated):
    from envs.catalog import entry
    from envs.mvc import play_exact

    _, record, _, _ = evaluated
    per = record["per_episode"]
    assert per["seeds"] == [1000, 1001, 1002, 1003, 1004]
    exact = np.array(per["cover_weight"]["exact"])
    # The JSON's per-episode values belong to these seeds: recompute exact independently.
    env = entry("mvc").make(record["env_config"])
    np.testing.assert_allclose([play_exact(env, s)["cover_weight"] for s in per["seeds"]], exact)
    for player in ("policy", "policy_best_of_2"):
        values = np.array(per["cover_weight"][player])
        assert values.shape == exact.shape
        assert (values >= exact - 1e-9).all(), f"{player} {values} beats the optimum {exact}"


def test_best_of_k_is_never_worse_than_greedy_per_episode(evaluated):
    _, record, _, _ = evaluated
    per = record["per_episode"]["cover_weight"]
    assert (np.array(per["policy_best_of_2"]) <= np.array(per["policy"]) + 1e-12).all()


def test_files_parse_and_hold_rows_config_checkpoint_episodes_seed(evaluated, checkpoint):
    rows, record, json_path, csv_path = evaluated
    assert json_path.parent == checkpoint.parent.parent / "evaluations"
    assert json_path.name.startswith("trial_0-checkpoint_000001-")
    assert csv_path.name == json_path.stem + ".csv"
    assert record["checkpoint"] == str(checkpoint)
    assert (record["episodes"], record["seeds"], record["sample"]) == (5, [1000, 1004], 2)
    assert record["training"] is None  # the fixture's checkpoint has no trial results
    assert record["env_overrides"] == TEST_GRAPHS
    with csv_path.open() as f:
        table = list(csv.DictReader(f))
    assert [r["player"] for r in table] == [r["player"] for r in rows]
    for line, row in zip(table, rows):
        assert float(line["cover_weight_mean"]) == pytest.approx(row["cover_weight_mean"])
    assert not [f for f in json_path.parent.iterdir() if f.name.endswith(".tmp")]


def test_evaluation_on_100_node_graphs(checkpoint, tmp_path):
    overrides = {"graphs": {"preset": "blog_mvc", "split": "test_100"}}
    rows = evaluate(checkpoint, env_overrides=overrides, episodes=1, out=tmp_path)["rows"]
    assert [r["player"] for r in rows] == ["policy", "exact", "greedy", "random"]
    assert rows[0]["cover_weight_mean"] >= rows[1]["cover_weight_mean"] - 1e-9
    assert rows[0]["length_mean"] > 15  # more picks than the training graphs had nodes
    (json_file,) = tmp_path.glob("*.json")
    assert json.loads(json_file.read_text())["evaluations"][0]["env_config"] == overrides
    assert len(list(tmp_path.glob("*.csv"))) == 1
    text = format_evaluation(rows)
    assert "policy" in text and "±" in text and "ratio_to_exact" in text


def test_the_sampled_row_is_the_seeded_sampling_policy(checkpoint, tmp_path):
    rows = evaluate(checkpoint, env_overrides=TEST_GRAPHS, episodes=4, out=tmp_path,
                    sampled=True)["rows"]
    assert [r["player"] for r in rows] == ["policy", "policy_sampled", "exact", "greedy",
                                           "random"]
    (json_file,) = tmp_path.glob("*.json")
    per_episode = json.loads(json_file.read_text())["evaluations"][0]["per_episode"]
    module, experiment = load_policy(checkpoint)
    env = catalog_entry(experiment["env"]).make(evaluation_env_config(experiment, TEST_GRAPHS))
    sampling = policy_player(module, explore=True)
    assert per_episode["cover_weight"]["policy_sampled"] == [sampling(env, s)["cover_weight"]
                                                       for s in per_episode["seeds"]]
    # a 1-iteration policy is far from deterministic: sampling changes some cover
    assert per_episode["cover_weight"]["policy_sampled"] != per_episode["cover_weight"]["policy"]


# ---------------------------------------------------------------------------- env config
def test_new_graphs_drop_the_training_size_limits_unless_given():
    exp = _experiment(env_config={**TRAIN_ENV_CONFIG, "max_edges": 60, "max_degree": 6,
                                  "mask_useless": False})
    assert evaluation_env_config(exp, TEST_GRAPHS) == {**TEST_GRAPHS, "mask_useless": False}
    assert evaluation_env_config(exp, {**TEST_GRAPHS, "max_nodes": 30}) == {
        **TEST_GRAPHS, "max_nodes": 30, "mask_useless": False}
    # Without new graphs the training limits stay; other keys just update.
    assert evaluation_env_config(exp, {"mask_useless": True}) == {
        **exp["env_config"], "mask_useless": True}
    assert evaluation_env_config(exp, None) == exp["env_config"]
    evaluation_env_config(exp, TEST_GRAPHS)["graphs"]["split"] = "x"
    assert exp["env_config"]["graphs"]["split"] == "train"  # a copy, never the experiment's


# ---------------------------------------------------------------------------- players
def _fresh_module(env, head):
    from rllib_gnn.nn.module import GraphRLModule

    multi = callable(env.observation_space)
    space = env.observation_space("agent_0") if multi else env.observation_space
    action = env.action_space("agent_0") if multi else env.action_space
    return GraphRLModule(observation_space=space, action_space=action,
                         model_config={**MODEL, "head": head}).eval()


def test_policy_player_resizes_once_per_env_not_per_step(monkeypatch):
    from envs.catalog import entry

    calls = []
    real = player_module.resize_module
    monkeypatch.setattr(player_module, "resize_module",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    module = _fresh_module(entry("mvc").make(TRAIN_ENV_CONFIG), "node")
    player = policy_player(module)
    env = entry("mvc").make(TEST_GRAPHS)
    infos = [player(env, seed) for seed in range(3)]
    assert len(calls) == 1, f"resized {len(calls)} times for one env"
    assert all(info["uncovered_edges"] == 0 and info["graph_nodes"] == 20 for info in infos)
    assert player(env, 1) == infos[1]  # greedy: deterministic per seed


def test_best_of_k_maximises_when_the_goal_is_max():
    from envs.catalog import entry

    config = {"graphs": {"generator": "erdos_renyi", "sizes": [8], "params": {"p": 0.5}}}
    env = entry("matching").make(config)
    module = _fresh_module(env, "edge")
    greedy, best = policy_player(module), best_of_k_player(module, 3)  # entry from the env
    sampled = best_of_k_player(module, 3, "matching", include_greedy=False)
    for seed in range(4):
        g, b = greedy(env, seed)["matching_weight"], best(env, seed)
        assert b["matching_weight"] >= g and b["rollouts"] == 4
        assert b["matching_weight"] >= sampled(env, seed)["matching_weight"]
        assert sampled(env, seed) == sampled(env, seed)  # sampling is seeded per episode
    with pytest.raises(ValueError, match="k must be"):
        best_of_k_player(module, 0)


def test_multi_agent_evaluation_shares_one_module_across_agents(tmp_path):
    from envs.catalog import entry
    from envs.mvc import exact_mvc

    train = {**TRAIN_ENV_CONFIG, "num_agents": 2}
    module = _fresh_module(entry("mvc-multi").make(train), "node")
    ckpt = tmp_path / "trial_0" / "checkpoint_000000"
    module.save_to_path(str(ckpt / checkpoints.MODULE_SUBDIR / "default_policy"))
    save_experiment_files(ckpt, _experiment("mvc-multi", train))
    rows = evaluate(ckpt, TEST_GRAPHS, episodes=2, sample=1)["rows"]
    assert [r["player"] for r in rows] == ["policy", "policy_best_of_1", "exact", "greedy"]
    assert all(np.isfinite(r["cover_weight_mean"]) and r["cover_weight_mean"] > 0 for r in rows)
    # The team's cover weight over the exact optimum, beside the greedy heuristic.
    by_player = {r["player"]: r for r in rows}
    assert by_player["exact"]["ratio_to_exact"] == pytest.approx(1.0)
    assert by_player["greedy"]["ratio_to_exact"] >= 1 - 1e-9
    assert by_player["policy"]["ratio_to_exact"] >= 1 - 1e-9
    env = entry("mvc-multi").make({**TEST_GRAPHS, "num_agents": 2})
    optimum = []
    (record,) = (tmp_path / "evaluations").glob("trial_0-checkpoint_000000-*.json")
    per = json.loads(record.read_text())["evaluations"][0]["per_episode"]
    for seed in per["seeds"]:
        env.reset(seed=seed)
        optimum.append(exact_mvc(env.graph)[1])
    np.testing.assert_allclose(per["cover_weight"]["exact"], optimum)  # the ILP optimum of each
    assert by_player["policy"]["ratio_to_exact"] == pytest.approx(
        np.mean(np.array(per["cover_weight"]["policy"]) / optimum))


def test_patrol_team_rows_show_average_and_worst_idleness_beside_both_heuristics():
    from envs.catalog import entry
    from envs.compare import compare

    team = entry("patrol-multi")
    config = {"max_steps": 30}
    players = {"policy": policy_player(_fresh_module(team.make(config), "neighbour")),
               **{name: team.baseline(name) for name in team.baselines}}
    rows = compare(team, players, config, episodes=2)
    assert [r["player"] for r in rows] == ["policy", *team.baselines]
    for row in rows:
        assert np.isfinite(row["worst_idleness_mean"]) and np.isfinite(row["worst_idleness_std"])
        assert row["worst_idleness_mean"] >= row["avg_idleness_mean"] > 0, row
    header = format_evaluation(rows).splitlines()[0].split()
    assert header[:4] == ["player", "episodes", "avg_idleness", "worst_idleness"]


# ---------------------------------------------------------------------------- decoding
def _untrained_checkpoint(tmp_path, env: str = "mvc", env_config=TRAIN_ENV_CONFIG, **exp):
    """trial_0/checkpoint_000000 of an untrained module (no Ray) and ``exp``'s sections."""
    from envs.catalog import entry

    module = _fresh_module(entry(env).make(env_config), "node")
    ckpt = tmp_path / "trial_0" / "checkpoint_000000"
    module.save_to_path(str(ckpt / checkpoints.MODULE_SUBDIR / "default_policy"))
    save_experiment_files(ckpt, {**_experiment(env, env_config), **exp})
    return ckpt, module


def test_multi_pick_decoding_comes_from_the_experiment_or_the_argument(tmp_path):
    from rllib_gnn.nn.decoding import Decoding

    ckpt, module = _untrained_checkpoint(
        tmp_path, evaluation={"decoding": {"top_fraction": 0.25}})
    record = evaluate(ckpt, TEST_GRAPHS, episodes=3)
    rows = record["rows"]
    assert [r["player"] for r in rows] == ["policy_top_fraction_0.25", "exact", "greedy",
                                           "random"]
    assert rows[0]["ratio_to_exact"] >= 1 - 1e-9 and rows[0]["wall_s"] > 0
    (written,) = (tmp_path / "evaluations").glob("*-top_fraction_0.25.json")
    assert json.loads(written.read_text())["evaluations"][0]["decoding"] == {
        "top_fraction": 0.25}
    env = catalog_entry("mvc").make(TEST_GRAPHS)
    player = policy_player(module, decoding=Decoding(top_fraction=0.25))
    per_episode = record["per_episode"]
    played = [player(env, s) for s in per_episode["seeds"]]
    assert per_episode["cover_weight"]["policy_top_fraction_0.25"] == [
        info["cover_weight"] for info in played]
    assert all(info["forward_passes"] < info["length"] for info in played)
    one = evaluate(ckpt, TEST_GRAPHS, episodes=3, decoding={})  # the argument wins
    assert one["rows"][0]["player"] == "policy" and one["decoding"] == {}
    assert len(list((tmp_path / "evaluations").glob("*.json"))) == 2  # none overwritten
    with pytest.raises(ValueError, match="a sampling player"):
        policy_player(module, explore=True, decoding=Decoding(prob_ratio=0.5))


def test_a_decoding_that_cannot_play_fails_before_any_episode(tmp_path):
    ckpt, _ = _untrained_checkpoint(tmp_path)
    with pytest.raises(ValueError, match=r"^decoding.top_fraction must be a number in "
                                         r"\(0, 1\], got 2$"):
        evaluate(ckpt, TEST_GRAPHS, episodes=1, decoding={"top_fraction": 2})
    team = {**TRAIN_ENV_CONFIG, "num_agents": 2}
    ckpt, _ = _untrained_checkpoint(tmp_path / "team", "mvc-multi", team)
    with pytest.raises(ValueError, match="MinVertexCoverParallelEnv is a team env"):
        evaluate(ckpt, TEST_GRAPHS, episodes=1, decoding={"prob_ratio": 0.5})
    assert not list(tmp_path.rglob("evaluations"))


def test_a_dict_of_modules_needs_a_mapping_fn():
    from envs.catalog import entry

    module = _fresh_module(entry("mvc").make(TRAIN_ENV_CONFIG), "node")
    with pytest.raises(ValueError, match="needs policy_mapping_fn"):
        policy_player({"agent_0": module})
    with pytest.raises(ValueError, match="policy_mapping_fn needs a dict of modules"):
        best_of_k_player(module, 1, "mvc", policy_mapping_fn=lambda agent: agent)


def test_evaluate_plays_only_the_chosen_baselines(checkpoint, tmp_path):
    rows = evaluate(checkpoint, TEST_GRAPHS, episodes=2, out=tmp_path,
                    baselines=["greedy"])["rows"]
    assert [r["player"] for r in rows] == ["policy", "greedy"]
    assert not any(key.startswith("ratio_to_exact") for key in rows[0])  # no reference played
    with pytest.raises(ValueError, match=r"unknown baseline\(s\) \['optimal'\].*'exact'"):
        evaluate(checkpoint, TEST_GRAPHS, episodes=1, out=tmp_path, baselines=["optimal"])


def test_improve_adds_an_improved_row_for_the_policy_and_each_baseline_but_exact(
        checkpoint, tmp_path):
    record = evaluate(checkpoint, TEST_GRAPHS, episodes=3, out=tmp_path, improve=True,
                      baselines=["exact", "greedy"])
    assert [r["player"] for r in record["rows"]] == [
        "policy", "policy_improved", "exact", "greedy", "greedy_improved"]
    per = record["per_episode"]["cover_weight"]
    assert all(b <= a + 1e-9 for a, b in zip(per["policy"], per["policy_improved"]))
    assert all(b <= a + 1e-9 for a, b in zip(per["greedy"], per["greedy_improved"]))
    assert {(p["player"], p["against"]) for p in record["pairs"]} >= {
        ("policy_improved", "greedy_improved"), ("policy", "greedy_improved")}
    assert len(list(tmp_path.glob("*-exact+greedy-improved.json"))) == 1
