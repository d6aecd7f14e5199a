"""The experiment's periodic_evaluation section: checked before Ray starts (one line per
problem), turned into RLlib's evaluation settings, and its results carried by the trial.
The tiny train -> evaluate -> report run is in tests/service/test_periodic_evaluation.py."""

from __future__ import annotations

import dataclasses

import pytest
from ray.rllib.algorithms.ppo import PPOConfig

from envs.catalog import ENVS
from rllib_gnn.training.experiment import resolve_experiment
from rllib_gnn.training.periodic_evaluation import (FixedEpisodes, LatestEvaluation,
                                                    configure_evaluation)
from tests.tiny import TINY_MVC
from tests.training.test_experiment_validation import ASHA, problems_of


def periodic(**keys) -> dict:
    return {"periodic_evaluation": keys}


TEAM = {"env": "mvc-multi", "env_config": {**TINY_MVC["env_config"], "num_agents": 2},
        "multi_agent": {"policies": "per_agent"}}


@pytest.mark.parametrize("changes, expected", [
    (periodic(every=-1), "periodic_evaluation.every must be >= 0, got -1"),
    (periodic(episodes=0), "periodic_evaluation.episodes must be >= 1, got 0"),
    (periodic(seed=-5), "periodic_evaluation.seed must be >= 0, got -5"),
    (periodic(seed="1000"), "periodic_evaluation.seed must be int, got '1000' (a string"),
    (periodic(every=2.5), "periodic_evaluation.every must be int, got 2.5"),
    (periodic(ratio="yes"), "periodic_evaluation.ratio must be bool, got 'yes'"),
    (periodic(env_runners=-1), "periodic_evaluation.env_runners must be >= 0, got -1"),
    (periodic(intervall=5), "unknown key periodic_evaluation.intervall; allowed: ['env_runners',"),
    (periodic(parallel=True), "periodic_evaluation.parallel needs periodic_evaluation."
                              "env_runners >= 1"),
    ({"periodic_evaluation": 10}, "periodic_evaluation must be dict, got 10"),
    ({**periodic(every=0), "tune": {"metric": "rllib_gnn/eval/ratio", "mode": "min"}},
     "tune.metric 'rllib_gnn/eval/ratio' needs the periodic evaluation: set "
     "periodic_evaluation.every >= 1"),
    ({**periodic(ratio=False), "tune": {"metric": "rllib_gnn/eval/ratio", "mode": "min"}},
     "tune.metric 'rllib_gnn/eval/ratio' needs periodic_evaluation.ratio: true"),
    ({"tune": {"metric": "rllib_gnn/eval/score"}},
     "tune.metric 'rllib_gnn/eval/score' is no result key"),
    ({**TEAM, "evaluation": {"env_config": {"num_agents": 3}}},
     "periodic_evaluation: evaluation.env_config has agents ['agent_2'] without a policy"),
    ({"tune": {"param_space": {"periodic_evaluation.every": {"grid": [5, -1]}}}},
     "tune.param_space.periodic_evaluation.every: grid value -1 -> periodic_evaluation.every "
     "must be >= 0"),
])
def test_a_bad_setting_is_one_line(changes, expected):
    [problem] = problems_of(**changes)
    assert expected in problem


def test_an_env_without_a_reference_has_no_ratio_to_ask_for(monkeypatch):
    monkeypatch.setitem(ENVS, "mvc", dataclasses.replace(ENVS["mvc"], reference=None))
    [problem] = problems_of()  # the default asks for the ratio
    assert problem.startswith("periodic_evaluation.ratio: env 'mvc' has no reference baseline")
    resolve_experiment({**TINY_MVC, **periodic(ratio=False)})
    resolve_experiment({**TINY_MVC, **periodic(every=0)})  # off: nothing to compare


def test_defaults_are_on_and_the_eval_ratio_is_a_metric_asha_accepts():
    exp = resolve_experiment({**TINY_MVC, "tune": {"metric": "rllib_gnn/eval/ratio",
                                                   "mode": "min", "scheduler": ASHA}})
    assert exp["periodic_evaluation"] == {"every": 10, "episodes": 20, "seed": 1000,
                                          "ratio": True, "env_runners": 0, "parallel": False}
    partial = resolve_experiment({**TINY_MVC, **periodic(every=3)})["periodic_evaluation"]
    assert partial["every"] == 3 and partial["episodes"] == 20  # the rest filled in
    # a per_agent team evaluated on its own team is fine
    resolve_experiment({**TINY_MVC, **TEAM, "evaluation": {"env_config": {}, "episodes": 3}})


def test_rllib_gets_the_evaluation_env_config_exactly():
    """RLlib would deep-merge a dict of overrides into the training env_config: the 20-node
    test graphs would get the training max_nodes=15 back."""
    from rllib_gnn.training.algorithm import build_algorithm_config

    exp = resolve_experiment({**TINY_MVC, **periodic(every=4, episodes=3, seed=7)})
    config = build_algorithm_config(exp)
    assert config.evaluation_interval == 4 and config.evaluation_num_env_runners == 0
    assert config.custom_evaluation_function == FixedEpisodes(episodes=3, seed=7, ratio=True)
    evaluation = config.get_evaluation_config_object()
    assert evaluation.env_config == {"graphs": {"preset": "blog_mvc", "split": "test"}}
    assert evaluation.explore is False and evaluation.num_envs_per_env_runner == 1
    assert config.env_config["max_nodes"] == 15  # training's own untouched
    off = build_algorithm_config(resolve_experiment({**TINY_MVC, **periodic(every=0)}))
    assert not off.evaluation_interval and off.custom_evaluation_function is None
    legacy = {key: value for key, value in exp.items() if key != "periodic_evaluation"}
    # an experiment saved before the section existed (a resumed run) evaluates as it did
    assert not configure_evaluation(PPOConfig(), legacy).evaluation_interval


def evaluation_result(done_at: float, metric: float, steps: int) -> dict:
    return {"evaluation": {"rllib_gnn": {"metric": metric, "ratio": 1.5, "wall_s": 0.25,
                                         "episodes": 3, "done_at": done_at}},
            "env_runners": {"num_env_steps_sampled_lifetime": steps}}


def test_the_latest_evaluation_is_carried_and_placed_at_the_weights_it_played():
    latest = LatestEvaluation(parallel=False)
    assert latest.update({"env_runners": {"num_env_steps_sampled_lifetime": 100}}, 1) == 0.0
    assert latest.latest == {}
    assert latest.update(evaluation_result(1.0, 5.0, 200), 2) == 0.25  # ran inside train()
    assert latest.latest == {"metric": 5.0, "ratio": 1.5, "wall_s": 0.25, "episodes": 3,
                             "at_iteration": 2, "at_env_steps": 200}
    # RLlib attaches the same evaluation to the next result: carried, not new
    assert latest.update(evaluation_result(1.0, 5.0, 300), 3) == 0.0
    assert latest.latest["at_iteration"] == 2 and latest.latest["at_env_steps"] == 200
    assert latest.update(evaluation_result(2.0, 4.0, 400), 4) == 0.25
    assert latest.latest["metric"] == 4.0 and latest.latest["at_env_steps"] == 400

    parallel = LatestEvaluation(parallel=True)  # played the weights of the iteration before
    assert parallel.update(evaluation_result(1.0, 5.0, 100), 1) == 0.0
    assert parallel.latest["at_iteration"] == 0 and parallel.latest["at_env_steps"] == 0
    assert parallel.update(evaluation_result(2.0, 4.0, 200), 2) == 0.0
    assert parallel.latest["at_iteration"] == 1 and parallel.latest["at_env_steps"] == 100


class StartingAlgorithm:
    """What LatestEvaluation.start reads of an Algorithm: its lifetime env steps, and the
    results of an evaluation it runs now."""

    def __init__(self, steps: int) -> None:
        self.metrics = type("Metrics", (), {"peek": lambda _, key, default: steps})()
        self.evaluated = 0

    def evaluate(self) -> dict:
        self.evaluated += 1
        return evaluation_result(9.0, 7.0, 0)["evaluation"]


def test_a_trial_process_first_evaluates_the_weights_it_starts_from():
    latest = LatestEvaluation(parallel=False)
    algorithm = StartingAlgorithm(steps=640)  # a trial restored after iteration 5
    latest.start(algorithm, 5)
    assert algorithm.evaluated == 1
    assert latest.latest["metric"] == 7.0
    assert (latest.latest["at_iteration"], latest.latest["at_env_steps"]) == (5, 640)
    # the first result carries that evaluation again: not a new one, nothing to subtract
    assert latest.update(evaluation_result(9.0, 7.0, 768), 6) == 0.0
    assert latest.latest["at_iteration"] == 5

    parallel = LatestEvaluation(parallel=True)
    parallel.start(StartingAlgorithm(steps=640), 5)
    parallel.update(evaluation_result(10.0, 6.0, 768), 6)  # played the weights of iteration 5
    assert (parallel.latest["at_iteration"], parallel.latest["at_env_steps"]) == (5, 640)


def test_a_team_whose_agents_end_apart_is_played_by_its_live_agents():
    """A step's observations hold the agents that just reached their goals too; acting for
    them raised ValueError ('actions given for agent(s) ... that are not live')."""
    import torch

    from rllib_gnn.nn.inference import play_episode
    from rllib_gnn.nn.module import GraphRLModule

    env = ENVS["nav-multi"].make({"graphs": {"generator": "grid", "sizes": [9]},
                                  "num_agents": 3})
    module = GraphRLModule(observation_space=env.observation_space("agent_0"),
                           action_space=env.action_space("agent_0"),
                           model_config={"encoder": "sage", "head": "neighbour", "hidden": 16,
                                         "num_layers": 2}).eval()
    live_counts, step = [], env.step

    def counting_step(actions):
        out = step(actions)
        live_counts.append(len(env.agents))
        return out

    env.step = counting_step
    generator = torch.Generator().manual_seed(0)
    infos = [play_episode(env, lambda *_: module, seed, explore=True, generator=generator)
             for seed in range(10)]
    assert any(0 < n < 3 for n in live_counts), "no agent ended before its team: no check"
    assert all(info["length"] >= 1 for info in infos)
