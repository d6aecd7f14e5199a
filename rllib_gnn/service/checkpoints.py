"""Read a checkpoint of ``rllib-gnn train``: its experiment and its trained modules.

A checkpoint is an ``Algorithm.save_to_path`` folder with the experiment dict beside the
weights (:data:`~rllib_gnn.training.experiment.EXPERIMENT_FILE`); the learner's modules
are under :data:`MODULE_SUBDIR`, one folder per policy id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from envs._validation import require_choice
from envs.catalog import entry as catalog_entry
from rllib_gnn.training.experiment import EXPERIMENT_FILE
from rllib_gnn.training.policy_mapping import POLICY_MAPPING

__all__ = ["DEFAULT_POLICY", "MODULE_SUBDIR", "checkpoint_path", "load_policy", "load_team",
           "module_ids", "read_experiment"]

#: Where ``Algorithm.save_to_path`` puts the learner's modules inside a checkpoint.
MODULE_SUBDIR = Path("learner_group", "learner", "rl_module")
#: The module id of a single-agent run (RLlib's ``DEFAULT_MODULE_ID``).
DEFAULT_POLICY = "default_policy"


def checkpoint_path(checkpoint_dir: str | os.PathLike) -> Path:
    """``checkpoint_dir`` as an absolute path.

    RLModule.from_checkpoint passes its path to pyarrow's FileSystem.from_uri, which
    rejects relative paths ("URI has empty scheme").
    """
    return Path(checkpoint_dir).expanduser().resolve()


def read_experiment(ckpt: Path) -> dict:
    """The experiment dict of checkpoint dir ``ckpt`` (ValueError naming the path)."""
    if not ckpt.is_dir():
        raise ValueError(f"{ckpt} is not a checkpoint dir: no such directory")
    exp_file = ckpt / EXPERIMENT_FILE
    if not exp_file.is_file():
        raise ValueError(f"{ckpt} is not a rllib-gnn checkpoint dir: it has no "
                         f"{EXPERIMENT_FILE} (expected {exp_file})")
    try:
        experiment = json.loads(exp_file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{exp_file} is not valid JSON: {err}") from err
    if not isinstance(experiment, dict) or "env" not in experiment:
        raise ValueError(f"{exp_file} must hold the experiment dict (with an 'env' key)")
    return experiment


def module_ids(ckpt: Path) -> list[str]:
    """The policy ids saved in checkpoint dir ``ckpt``, sorted."""
    modules_dir = ckpt / MODULE_SUBDIR
    return (sorted(p.name for p in modules_dir.iterdir() if p.is_dir())
            if modules_dir.is_dir() else [])


def _load_module(ckpt: Path, policy_id: str, found: Sequence[str]):
    """Module ``policy_id`` of ``ckpt`` in eval mode on the CPU (``found``: the ids there)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    module_dir = ckpt / MODULE_SUBDIR / policy_id
    if not (module_dir / "class_and_ctor_args.pkl").is_file():
        have = f"it has {list(found)}" if found else "there is none"
        raise ValueError(f"{ckpt} is not a checkpoint dir with module {policy_id!r}: expected "
                         f"the module dir {module_dir} ({have})")
    module = RLModule.from_checkpoint(str(module_dir))
    # from_checkpoint returns the module in TRAINING mode: switch off dropout etc.
    return module.to("cpu").eval()


def load_policy(checkpoint_dir: str | os.PathLike, policy_id: str | None = None
                ) -> tuple[Any, dict]:
    """The trained module and the experiment dict of a checkpoint dir.

    Args:
        checkpoint_dir: an ``Algorithm.save_to_path()`` dir holding the experiment
            (:data:`~rllib_gnn.training.experiment.EXPERIMENT_FILE`), as the Tune trainable
            writes it.
        policy_id: the module to load from ``learner_group/learner/rl_module/``; default
            ``default_policy``, or the only module there when there is exactly one (a
            multi-agent run with one shared policy under another id).

    Returns:
        ``(module, experiment)``: the module in eval mode on the CPU (whatever device it
        trained on), and the parsed experiment.

    Raises:
        ValueError: naming the path, when it is not such a checkpoint dir (missing
            experiment or module dir) or the policy id is ambiguous / unknown.
    """
    ckpt = checkpoint_path(checkpoint_dir)
    experiment = read_experiment(ckpt)
    found = module_ids(ckpt)
    if policy_id is None:
        policy_id = DEFAULT_POLICY if DEFAULT_POLICY in found or len(found) != 1 else found[0]
    return _load_module(ckpt, policy_id, found), experiment


def load_team(checkpoint_dir: str | os.PathLike) -> tuple[Any, Callable | None, dict]:
    """The checkpoint's policy in the form :func:`~rllib_gnn.service.players.policy_player`
    takes, and its experiment.

    Returns:
        ``(policy, policy_mapping_fn, experiment)``: for a multi-agent experiment with
        ``multi_agent.policies: per_agent``, a dict policy id -> module of every module of
        the checkpoint and the training's mapping fn
        (:data:`rllib_gnn.training.policy_mapping.POLICY_MAPPING`); else
        :func:`load_policy`'s module (which acts for every agent) and None.

    Raises:
        ValueError: as :func:`load_policy`; a per_agent checkpoint without modules; an
            unknown ``multi_agent.policies``.
    """
    ckpt = checkpoint_path(checkpoint_dir)
    experiment = read_experiment(ckpt)
    sharing = require_choice("multi_agent.policies",
                             (experiment.get("multi_agent") or {}).get("policies", "shared"),
                             POLICY_MAPPING)
    if not catalog_entry(experiment["env"]).multi_agent or sharing == "shared":
        return load_policy(ckpt)[0], None, experiment
    found = module_ids(ckpt)
    if not found:
        raise ValueError(f"{ckpt} is not a checkpoint dir of per_agent policies: "
                         f"{ckpt / MODULE_SUBDIR} holds no module dir")
    return ({pid: _load_module(ckpt, pid, found) for pid in found}, POLICY_MAPPING[sharing],
            experiment)
