"""A damaged checkpoint (truncated or garbage files, a missing experiment) is one line naming
the file and saying the checkpoint is damaged, from the API and from the CLI (exit 2)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from envs.catalog import entry
from rllib_gnn.service.checkpoints import MODULE_SUBDIR, load_policy
from rllib_gnn.service.cli import main
from rllib_gnn.training.trainable import save_experiment_files
from tests.tiny import TINY_MVC

MODULE = Path(MODULE_SUBDIR, "default_policy")


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    """An untrained MVC module saved as `rllib-gnn train` saves it, with its experiment."""
    from rllib_gnn.nn.module import GraphRLModule

    env = entry("mvc").make(TINY_MVC["env_config"])
    module = GraphRLModule(observation_space=env.observation_space,
                           action_space=env.action_space, model_config=TINY_MVC["model"])
    ckpt = tmp_path / "trial_0" / "checkpoint_000000"
    module.save_to_path(str(ckpt / MODULE))
    save_experiment_files(ckpt, {**TINY_MVC, "name": "damaged"})
    return ckpt


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage, file, what", [
    (lambda c: truncate(c / MODULE / "module_state.pkl"), "module_state.pkl",
     "cannot be loaded (UnpicklingError: pickle data was truncated)"),
    (lambda c: (c / MODULE / "module_state.pkl").write_bytes(b""), "module_state.pkl",
     "cannot be loaded (EOFError"),
    (lambda c: truncate(c / MODULE / "class_and_ctor_args.pkl"), "class_and_ctor_args.pkl",
     "cannot be read (UnpicklingError"),
    (lambda c: (c / MODULE / "class_and_ctor_args.pkl").write_bytes(b"garbage\x00\x01"),
     "class_and_ctor_args.pkl", "cannot be read"),
    (lambda c: (c / MODULE / "class_and_ctor_args.pkl").write_bytes(
        pickle.dumps({"class": dict})), "class_and_ctor_args.pkl",
     "does not name an RLModule class and its arguments"),
    (lambda c: (c / "experiment.json").unlink(), "experiment.json", "is missing"),
    (lambda c: truncate(c / "experiment.json"), "experiment.json", "is not valid JSON"),
    (lambda c: (c / "experiment.json").write_text("[1, 2]"), "experiment.json",
     "does not hold an experiment dict"),
    (lambda c: (c / "observation.json").write_text("[1, 2]"), "observation.json",
     "does not hold an observation version"),
])
def test_a_damaged_file_is_named(checkpoint, capsys, damage, file, what):
    load_policy(checkpoint)  # intact, it loads: the damage below is what fails
    damage(checkpoint)
    with pytest.raises(ValueError) as err:
        load_policy(checkpoint)
    message = str(err.value)
    assert message.startswith(f"checkpoint {checkpoint} is damaged: ")
    assert file in message and what in message and "\n" not in message

    assert main(["evaluate", str(checkpoint), "--episodes", "1"]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("rllib-gnn: error: checkpoint ") and file in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_a_dir_that_is_no_checkpoint_is_not_called_damaged(tmp_path):
    with pytest.raises(ValueError, match="is not a rllib-gnn checkpoint dir: it has no "
                                         "experiment.json"):
        load_policy(tmp_path)


@pytest.mark.parametrize("recorded", [None, 1])
def test_weights_of_another_observation_version_are_refused(checkpoint, recorded):
    """MVC's features changed meaning in version 2 with their shapes unchanged: weights of
    version 1 (recorded, or no record: a checkpoint from before records) would load and act
    on features they were never trained on, so loading refuses them in one line."""
    assert entry("mvc").observation_version() == 2
    record = checkpoint / "observation.json"
    if recorded is None:
        record.unlink()
    else:
        record.write_text(json.dumps({"env": "mvc", "observation_version": recorded}))
    with pytest.raises(ValueError, match=r"trained on version 1 of env 'mvc'.*builds version "
                                         r"2.*train again"):
        load_policy(checkpoint)
    assert main(["evaluate", str(checkpoint), "--episodes", "1"]) == 2


def test_the_recorded_observation_version_is_the_envs(checkpoint):
    assert json.loads((checkpoint / "observation.json").read_text()) == {
        "env": "mvc", "observation_version": 2}
    module, _ = load_policy(checkpoint)
    assert module is not None
