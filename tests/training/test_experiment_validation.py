"""The whole experiment file is checked before Ray starts: the AlgorithmConfig sections
(types, ranges, RLlib's own validate()), the scheduler, every sweep path and value; every
problem one line, all of them at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES
from rllib_gnn.training.algorithm_keys import CHOICES, KIND_OVERRIDES, RANGES, key_problems, \
    method_keys
from rllib_gnn.training.experiment import ExperimentError, resolve_experiment
from rllib_gnn.training.schema import ALGORITHM_SECTIONS
from tests.tiny import TINY_MVC

ROOT = Path(__file__).resolve().parents[2]
ASHA = {"type": "asha", "max_t": 10, "grace_period": 2}


def problems_of(**changes) -> list[str]:
    """The problems of TINY_MVC with ``changes`` (sections replaced as given)."""
    with pytest.raises(ExperimentError) as err:
        resolve_experiment({**TINY_MVC, **changes})
    return err.value.problems


def with_training(**keys) -> dict:
    return {"training": {**TINY_MVC["training"], **keys}}


def sweep(path: str, spec: dict, **tune) -> dict:
    return {"tune": {"param_space": {path: spec}, **tune}}


# The brief's bad files, one problem each: the line names the key, the value and what is
# allowed, and nothing else is reported.
@pytest.mark.parametrize("changes, expected", [
    (with_training(train_batch_size_per_learner=-64),
     "training.train_batch_size_per_learner must be >= 1, got -64"),
    (with_training(lr=-0.1), "training.lr must be > 0, got -0.1"),
    (with_training(gamma=5), "training.gamma must be in [0, 1], got 5"),
    (with_training(num_epochs=0), "training.num_epochs must be >= 1, got 0"),
    (with_training(num_epochs="2"), "training.num_epochs must be int, got '2' (a string"),
    (with_training(lr="1e-3"), "training.lr must be number or list, got '1e-3' (a string: "
                               "YAML reads 1e-3 as text, write 1.0e-3)"),
    (with_training(lambda_=1.5), "training.lambda_ must be in [0, 1], got 1.5"),
    (with_training(clip_param=0), "training.clip_param must be > 0, got 0"),
    (with_training(entropy_coeff=-0.01), "training.entropy_coeff must be >= 0, got -0.01"),
    (with_training(minibatch_size=256), "training.minibatch_size (256) must be <= "
                                        "training.train_batch_size_per_learner (128)"),
    (with_training(lr=[[0, 1e-3], [100, -1e-4]]),
     "training.lr schedule value -0.0001 (entry 1) must be >= 0"),
    (with_training(lr=[[5, 1e-3], [100, 1e-4]]), "training.lr as a schedule must be [[0, "),
    ({"env_runners": {"num_envs_per_env_runner": 0}},
     "env_runners.num_envs_per_env_runner must be >= 1, got 0"),
    ({"env_runners": {"num_env_runners": -1}}, "env_runners.num_env_runners must be >= 0"),
    ({"learners": {"num_learners": -1}}, "learners.num_learners must be >= 0, got -1"),
    ({"learners": {"num_gpus_per_learner": -1}}, "learners.num_gpus_per_learner must be >= 0"),
    ({"resources": {"num_cpus_for_main_process": "two"}},
     "resources.num_cpus_for_main_process must be number, got 'two'"),
    ({"resources": {"placement_strategy": "BEST"}}, "resources.placement_strategy must be "
                                                   "one of ['PACK', 'SPREAD'"),
    ({"fault_tolerance": {"max_num_env_runner_restarts": -2}},
     "fault_tolerance.max_num_env_runner_restarts must be >= 0, got -2"),
    ({"learners": {"learner_class": "my.Learner"}},
     "learners.learner_class takes a Python class or function"),
    ({"env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 2,
                      "rollout_fragment_length": 50}},
     "env_runners.rollout_fragment_length: RLlib refuses it: Your desired "
     "`total_train_batch_size` (128=0 learners x 128)"),
    ({"evaluation": {"episodes": -1}}, "evaluation.episodes must be >= 0, got -1"),
    ({"checkpoint": {"keep": 0}}, "checkpoint.keep must be >= 1, got 0"),
    ({"seed": -3}, "seed must be >= 0, got -3"),
    # scheduler parameters
    ({"tune": {"scheduler": {"type": "asha", "max_t": -5}}},
     "tune.scheduler.max_t must be >= 1, got -5"),
    ({"tune": {"scheduler": {**ASHA, "grace_period": 20}}},
     "tune.scheduler.grace_period (20) must be <= tune.scheduler.max_t (10)"),
    ({"tune": {"scheduler": {**ASHA, "reduction_fator": 3}}},
     "tune.scheduler.reduction_fator: asha takes no parameter 'reduction_fator'; allowed: "
     "['brackets', 'grace_period', 'max_t', 'reduction_factor', 'stop_last_trials']"),
    ({"tune": {"scheduler": {**ASHA, "reduction_factor": 1}}},
     "tune.scheduler.reduction_factor must be > 1, got 1"),
    ({"tune": {"scheduler": {**ASHA, "mode": "max"}}}, "asha takes no parameter 'mode' "
                                                       "(it is tune.mode)"),
    ({"tune": {"scheduler": {"type": "fifo", "max_t": 3}}}, "fifo takes no parameter 'max_t'"),
    ({"tune": {"scheduler": {"type": "pbt", "perturbation_interval": 0,
                             "hyperparam_mutations": {"training.lr": {"choice": [1e-3]}}}}},
     "tune.scheduler.perturbation_interval must be > 0, got 0"),
    ({"tune": {"scheduler": {"type": "pbt"}}}, "tune.scheduler.hyperparam_mutations is required"),
    # sweep paths and their values
    (sweep("training.learning_rate", {"grid": [0.1, 0.01]}),
     "tune.param_space.training.learning_rate: names no key: training has no key "
     "'learning_rate'; allowed: ["),
    (sweep("training.num_epochs", {"grid": [1, "two"]}),
     "tune.param_space.training.num_epochs: grid value 'two' -> training.num_epochs must be "
     "int, got 'two'"),
    (sweep("training.lr", {"choice": [1e-3, -1e-3]}),
     "tune.param_space.training.lr: choice value -0.001 -> training.lr must be > 0"),
    (sweep("training.gamma", {"uniform": [0.1, 1.5]}),
     "tune.param_space.training.gamma: uniform draws floats such as 1.5 -> training.gamma "
     "must be in [0, 1], got 1.5"),
    (sweep("training.gamma", {"uniform": [0.5, 3.5]}),
     "tune.param_space.training.gamma: uniform draws floats such as 2.0 -> training.gamma "
     "must be in [0, 1], got 2.0"),
    (sweep("training.num_epochs", {"uniform": [1, 4]}),
     "uniform draws floats such as 2.5 -> training.num_epochs must be int, got 2.5"),
    (sweep("env_runners.num_envs_per_env_runner", {"randint": [0, 4]}),
     "randint draws 0 -> env_runners.num_envs_per_env_runner must be >= 1, got 0"),
    (sweep("training.lr", {"loguniform": [0, 0.1]}), "loguniform must have low > 0"),
    (sweep("training.num_epochs", {"randint": [1.5, 4]}), "randint must be [low, high] of "
                                                          "integers"),
    (sweep("model.hidden", {"choice": [16, "wide"]}), "tune.param_space.model.hidden: choice "
                                                      "value 'wide' -> model:"),
    (sweep("model.width", {"grid": [16]}), "names no key: model has no key 'width'"),
    (sweep("env_config.max_nodes", {"grid": [15, 3]}),
     "tune.param_space.env_config.max_nodes: grid value 3 -> env_config:"),
    (sweep("seed", {"grid": [0, -1]}), "tune.param_space.seed: grid value -1 -> seed must be "
                                       ">= 0, got -1"),
    (sweep("seed.x", {"grid": [0]}), "seed is a value, not a section"),
    (sweep("stop.training_iteration", {"grid": [1, 2]}),
     "stop is read by the Tune driver, never by a trial, so it cannot be swept"),
    (sweep("training.lr.x", {"grid": [1]}), "training.lr is a value, not a section"),
    ({"tune": {"scheduler": {"type": "pbt", "hyperparam_mutations": {
        "model.hidden": {"choice": [16, 32]}}}}},
     "tune.scheduler.hyperparam_mutations.model.hidden: PBT restores another trial's "
     "weights"),
    ({"tune": {"scheduler": {"type": "pbt", "hyperparam_mutations": {
        "training.lr": {"grid": [1e-3, 1e-4]}}}}}, "(PBT mutates by choice, not grid)"),
    ({"tune": {"scheduler": {"type": "pbt", "hyperparam_mutations": {
        "training.gamma": {"uniform": [0.5, 1.2]}}}}},
     "tune.scheduler.hyperparam_mutations.training.gamma: uniform draws floats such as 1.2 "
     "-> training.gamma must be in [0, 1]"),
    # the metric
    ({"tune": {"metric": "rllib_gnn/ratio"}},
     "tune.metric 'rllib_gnn/ratio' needs env_config.reference (one of ['greedy', 'exact'])"),
    ({"tune": {"metric": "rllib_gnn/score"}}, "tune.metric 'rllib_gnn/score' is no result key"),
    ({"tune": {"metric": "env_runners/episode_reward_mean"}},
     "RLlib's new API stack reports 'env_runners/episode_return_mean'"),
    ({"env_runners": {"num_env_runners": 2, "num_cpus_per_env_runner": 0}},
     "env_runners.num_cpus_per_env_runner = 0 leaves each of the 2 remote env runners an "
     "empty resource bundle"),
    ({"training": {"sample_during_update": True}, "env_runners": {"num_env_runners": 1}},
     "training.sample_during_update = true samples with the trial's own env runner during "
     "the update, but env_runners.num_env_runners = 1 samples in remote processes"),
    ({"training": {"sample_during_update": "yes"}},
     "training.sample_during_update must be bool"),
    ({"algorithm": "APPO", "training": {"sample_during_update": True}},
     "training.sample_during_update"),
])
def test_a_bad_value_is_one_line_naming_key_value_and_what_is_allowed(changes, expected):
    [problem] = problems_of(**changes)
    assert expected in problem


#: A file holding every bad value of the issue, and the line each gets.
ALL_BAD = {"training": {"train_batch_size_per_learner": -64, "lr": -0.1, "gamma": 5,
                        "num_epochs": 0, "minibatch_size": "64"},
           "tune": {"param_space": {"training.learning_rate": {"grid": [0.1]},
                                    "model.hidden": {"grid": [16, "big"]}},
                    "scheduler": {"type": "asha", "max_t": -5, "grace_period": 10,
                                  "reduction_fator": 3}}}
ALL_EXPECTED = ["training.train_batch_size_per_learner must be >= 1, got -64",
                "training.lr must be > 0, got -0.1", "training.gamma must be in [0, 1], got 5",
                "training.num_epochs must be >= 1, got 0",
                "training.minibatch_size must be int, got '64'",
                "tune.param_space.training.learning_rate: names no key",
                "tune.param_space.model.hidden: grid value 'big' -> model:",
                "tune.scheduler.max_t must be >= 1, got -5",
                "tune.scheduler.grace_period (10) must be <= tune.scheduler.max_t (-5)",
                "tune.scheduler.reduction_fator: asha takes no parameter"]


def assert_all_lines(problems: list[str]) -> None:
    """Each expected line exactly once, and nothing else."""
    for line in ALL_EXPECTED:
        assert sum(line in p for p in problems) == 1, (line, problems)
    assert len(problems) == len(ALL_EXPECTED), problems


def test_every_problem_of_a_file_is_listed_at_once():
    assert_all_lines(problems_of(**ALL_BAD))


def test_a_problem_of_a_combination_of_sweep_values_is_found():
    """Each value is fine alone; 30-node graphs do not fit max_nodes 20."""
    env_config = {"graphs": {"preset": "blog_mvc", "split": "train"}}
    [problem] = problems_of(env_config=env_config, tune={"param_space": {
        "env_config.max_nodes": {"grid": [20]},
        "env_config.graphs": {"grid": [env_config["graphs"],
                                       {"generator": "erdos_renyi", "sizes": [30]}]}}})
    assert problem.startswith("tune.param_space: the combination {'env_config.max_nodes': 20, "
                              "'env_config.graphs': {'generator': 'erdos_renyi'")
    assert "max_nodes=20" in problem


def test_grace_period_over_max_t_is_reported_beside_another_scheduler_problem():
    problems = problems_of(tune={"scheduler": {**ASHA, "grace_period": 20, "metric": "x"}})
    assert len(problems) == 2 and "grace_period (20) must be <=" in problems[1]


def test_the_ratio_metric_is_fine_where_the_env_computes_it():
    resolve_experiment({**TINY_MVC, "env_config": {**TINY_MVC["env_config"],
                                                   "reference": "greedy"},
                        "tune": {"metric": "rllib_gnn/ratio", "mode": "min"}})
    [problem] = problems_of(env="patrol", env_config={}, model={"head": "neighbour"},
                            evaluation={"env_config": {}}, tune={"metric": "rllib_gnn/ratio"})
    assert "this env reports no ratio" in problem


def test_a_sweep_of_the_reference_is_checked_against_the_ratio_metric():
    [problem] = problems_of(
        env_config={**TINY_MVC["env_config"], "reference": "greedy"},
        tune={"metric": "rllib_gnn/ratio", "param_space": {
            "env_config.reference": {"grid": ["greedy", "none"]}}})
    assert problem.startswith("tune.param_space.env_config.reference: grid value 'none' -> "
                              "tune.metric 'rllib_gnn/ratio' needs env_config.reference")


@pytest.mark.parametrize("algorithm", sorted(CONFIG_CLASSES))
def test_every_algorithm_validates_with_consistent_batch_settings(algorithm):
    exp = resolve_experiment({**TINY_MVC, "algorithm": algorithm, "training": {
        "train_batch_size_per_learner": 128, "minibatch_size": 64},
        "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 2,
                        "rollout_fragment_length": 32}})
    assert exp["algorithm"] == algorithm


def test_a_box_env_refuses_imitation_in_one_line():
    rates = {"env": "rates", "env_config": {}, "model": {"head": "gaussian"},
             "evaluation": {"env_config": {}, "episodes": 3}}
    resolve_experiment({**TINY_MVC, **rates})  # the same without pretrain is fine
    assert problems_of(**rates, pretrain={"imitate": "greedy"}) == [
        "pretrain: env 'rates' acts with Box(-1.0, 1.0, (20,), float32); imitation clones "
        "Discrete actions only (remove the pretrain section)"]


def test_the_range_and_choice_tables_name_only_real_keys():
    """A typo in RANGES would leave a key unchecked silently."""
    known = {key for cls in CONFIG_CLASSES.values() for section in ALGORITHM_SECTIONS
             for key in method_keys(cls, section)}
    for table in (RANGES, CHOICES, KIND_OVERRIDES):
        assert set(table) <= known, sorted(set(table) - known)


def test_key_types_come_from_rllibs_annotations():
    ppo = CONFIG_CLASSES["PPO"]
    assert key_problems(ppo, "training", "use_gae", "yes") == [
        "training.use_gae must be bool, got 'yes'"]
    assert key_problems(ppo, "env_runners", "explore", True) == []
    assert key_problems(ppo, "training", "grad_clip", None) == []  # no clipping
    assert key_problems(ppo, "training", "gamma", None) == ["training.gamma must be in [0, 1], "
                                                            "got null"]


def test_a_bad_file_exits_2_in_seconds_without_starting_ray(tmp_path):
    """`rllib-gnn train bad.yaml` in a fresh process, the file holding every bad value of
    the issue: exit 2, one line each, no Traceback, Ray never initialised and no child
    process (raylet, GCS) started."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**TINY_MVC, **ALL_BAD}))
    script = ("import json, sys, psutil, ray\n"
              "from rllib_gnn.service.cli import main\n"
              f"rc = main(['train', {str(path)!r}])\n"
              "print(json.dumps({'rc': rc, 'ray': ray.is_initialized(),\n"
              "                  'children': len(psutil.Process().children(recursive=True))}))\n")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    seconds = time.perf_counter() - start
    status = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == {"rc": 2, "ray": False, "children": 0}, out.stderr
    assert "Traceback" not in out.stderr
    assert_all_lines(out.stderr.split("problems:\n")[1].splitlines())
    assert seconds < 60, f"validation took {seconds:.0f} s"

@pytest.mark.parametrize("scheduler", [
    {"type": "fifo"}, {"type": "asha", "max_t": 10, "grace_period": 10, "reduction_factor": 2},
    {"type": "pbt", "perturbation_interval": 2,
     "hyperparam_mutations": {"training.lr": {"loguniform": [1e-4, 1e-2]}}}])
def test_a_scheduler_the_validation_accepts_builds(scheduler):
    from rllib_gnn.training.tuner import make_scheduler

    exp = resolve_experiment({**TINY_MVC, "tune": {"scheduler": scheduler}})
    built = make_scheduler(exp["tune"])
    assert type(built).__name__ == {"fifo": "FIFOScheduler", "asha": "AsyncHyperBandScheduler",
                                    "pbt": "PopulationBasedTraining"}[scheduler["type"]]
    if scheduler["type"] == "pbt":  # results lack the metric until an episode has ended
        assert built._require_attrs is False


def test_an_evaluation_plays_each_graph_of_a_fixed_list_at_most_once():
    """4 graph files: 5 evaluation or periodic episodes would play one twice."""
    files = {"graphs": {"files": [str(ROOT / "examples" / "graphs" / f"*.{suffix}")
                                  for suffix in ("graphml", "gml", "json", "edgelist")]}}
    problems = problems_of(
        env_config=files, evaluation={"env_config": {}, "episodes": 5},
        periodic_evaluation={"every": 1, "episodes": 6})
    assert problems == [
        "evaluation.episodes: 5 episodes on a fixed list of 4 graphs would play some graph "
        "twice; use at most 4 episodes",
        "periodic_evaluation.episodes: 6 episodes on a fixed list of 4 graphs would play "
        "some graph twice; use at most 4 episodes"]
    resolve_experiment({**TINY_MVC, "env_config": files,
                        "evaluation": {"env_config": {}, "episodes": 4},
                        "periodic_evaluation": {"every": 1, "episodes": 4}})


def test_discrete_heads_skip_rllibs_action_unsquash_pass():
    from rllib_gnn.training.algorithm import build_algorithm_config

    config = build_algorithm_config(resolve_experiment(TINY_MVC))
    assert (config.normalize_actions, config.clip_actions) == (False, False)
    rates = resolve_experiment(yaml.safe_load(
        (Path(__file__).parents[2] / "tune_configs" / "rates.yaml").read_text()))
    assert build_algorithm_config(rates).normalize_actions  # Box actions: RLlib's default
