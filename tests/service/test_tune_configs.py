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
