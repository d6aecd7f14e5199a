"""Every experiment file shipped in tune_configs/ validates (envs build, models check)."""

from pathlib import Path

import pytest

from rllib_gnn.training.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "tune_configs").glob("*.yaml"))


def test_there_are_experiment_files():
    assert len(CONFIGS) >= 7


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_experiment_file_validates(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the shipped files name graph files from the repository's root
    experiment = load_experiment(path)
    assert experiment["name"] == path.stem
    assert experiment["stop"], "an experiment without a stop criterion runs forever"


def test_the_dqn_recipe_trains_the_ppo_recipes_network_on_the_same_graphs():
    """mvc_dqn.yaml is compared with mvc_best.yaml (README): same GNN, graphs and test."""
    from rllib_gnn.nn.q_module import GraphQModule
    from rllib_gnn.training.algorithm import policy_module_specs

    dqn = load_experiment(ROOT / "tune_configs" / "mvc_dqn.yaml")
    ppo = load_experiment(ROOT / "tune_configs" / "mvc_best.yaml")
    assert (dqn["algorithm"], ppo["algorithm"]) == ("DQN", "PPO")
    for key in ("env", "env_config", "model", "evaluation"):
        assert dqn[key] == ppo[key], key
    assert policy_module_specs(dqn)["default_policy"].module_class is GraphQModule
