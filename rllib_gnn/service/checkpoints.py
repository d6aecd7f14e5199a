"""Read a checkpoint of ``rllib-gnn train``: its experiment, its trained modules and what
training them cost.

A checkpoint is an ``Algorithm.save_to_path`` folder with the experiment dict beside the
weights (:data:`~rllib_gnn.training.experiment.EXPERIMENT_FILE`); the learner's modules
are under :data:`MODULE_SUBDIR`, one folder per policy id. Its trial dir (the folder
above it) holds Tune's results, one line per iteration (:data:`RESULT_FILE`).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from envs._validation import require_choice
from envs.catalog import entry as catalog_entry
from rllib_gnn.training.experiment import EXPERIMENT_FILE, OBSERVATION_FILE
from rllib_gnn.training.policy_mapping import POLICY_MAPPING

__all__ = ["DEFAULT_POLICY", "MODULE_SUBDIR", "RESULT_FILE", "checkpoint_path", "damaged",
           "load_policy", "load_team", "module_ids", "read_experiment", "training_cost"]

#: Where ``Algorithm.save_to_path`` puts the learner's modules inside a checkpoint.
MODULE_SUBDIR = Path("learner_group", "learner", "rl_module")
#: A saved module's files: its class and constructor arguments, its state (the weights).
CLASS_FILE, STATE_FILE = "class_and_ctor_args.pkl", "module_state.pkl"
#: The module id of a single-agent run (RLlib's ``DEFAULT_MODULE_ID``).
DEFAULT_POLICY = "default_policy"
#: The algorithm's own state in a checkpoint (it holds the training iteration).
ALGORITHM_STATE = "algorithm_state.pkl"
#: Tune's results in a trial dir: one JSON object per training iteration.
RESULT_FILE = "result.json"


def checkpoint_path(checkpoint_dir: str | os.PathLike) -> Path:
    """``checkpoint_dir`` as an absolute path.

    RLModule.from_checkpoint passes its path to pyarrow's FileSystem.from_uri, which
    rejects relative paths ("URI has empty scheme").
    """
    return Path(checkpoint_dir).expanduser().resolve()


def read_experiment(ckpt: Path) -> dict:
    """The experiment dict of checkpoint dir ``ckpt`` (ValueError naming the path, and
    saying the checkpoint is damaged where it is one without a readable experiment)."""
    if not ckpt.is_dir():
        raise ValueError(f"{ckpt} is not a checkpoint dir: no such directory")
    exp_file = ckpt / EXPERIMENT_FILE
    if not exp_file.is_file():
        if (ckpt / "rllib_checkpoint.json").is_file() or (ckpt / MODULE_SUBDIR).is_dir():
            raise damaged(ckpt, exp_file, "is missing (rllib-gnn train writes it beside the "
                                          "weights)")
        raise ValueError(f"{ckpt} is not a rllib-gnn checkpoint dir: it has no "
                         f"{EXPERIMENT_FILE} (expected {exp_file})")
    try:
        experiment = json.loads(exp_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise damaged(ckpt, exp_file, f"is not valid JSON ({err})") from err
    if not isinstance(experiment, dict) or "env" not in experiment:
        raise damaged(ckpt, exp_file, "does not hold an experiment dict (with an 'env' key)")
    check_observation_version(ckpt, experiment["env"])
    return experiment


def check_observation_version(ckpt: Path, env: str) -> None:
    """Refuse checkpoint dir ``ckpt`` when its weights were trained on another version of
    env ``env``'s observation than this code builds (the same shapes, other meanings: the
    weights would load and act on features they never saw). No
    :data:`~rllib_gnn.training.experiment.OBSERVATION_FILE`: version 1."""
    current = catalog_entry(env).observation_version()
    path = ckpt / OBSERVATION_FILE
    try:
        trained = json.loads(path.read_text())["observation_version"] if path.is_file() else 1
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise damaged(ckpt, path, f"does not hold an observation version ({err!r})") from err
    if trained != current:
        raise ValueError(
            f"checkpoint {ckpt} was trained on version {trained} of env {env!r}'s "
            f"observation; this rllib-gnn builds version {current} (its features changed "
            f"meaning: see the env's docstring): train again, or evaluate it with the "
            f"rllib-gnn it was trained with")


def damaged(ckpt: Path, file: Path, what: str) -> ValueError:
    """The one-line error of a damaged checkpoint: ``file`` (inside ``ckpt``) and ``what``
    is wrong with it."""
    what = " ".join(what.split())
    return ValueError(f"checkpoint {ckpt} is damaged: {file.relative_to(ckpt)} {what}; use "
                      f"another checkpoint of the run, or train again")


def module_ids(ckpt: Path) -> list[str]:
    """The policy ids saved in checkpoint dir ``ckpt``, sorted."""
    modules_dir = ckpt / MODULE_SUBDIR
    return (sorted(p.name for p in modules_dir.iterdir() if p.is_dir())
            if modules_dir.is_dir() else [])


def _load_module(ckpt: Path, policy_id: str, found: Sequence[str]):
    """Module ``policy_id`` of ``ckpt`` in eval mode on the CPU (``found``: the ids there)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    module_dir = ckpt / MODULE_SUBDIR / policy_id
    if not (module_dir / CLASS_FILE).is_file():
        have = f"it has {list(found)}" if found else "there is none"
        raise ValueError(f"{ckpt} is not a checkpoint dir with module {policy_id!r}: expected "
                         f"the module dir {module_dir} ({have})")
    _check_module_class(ckpt, module_dir / CLASS_FILE)
    try:
        module = RLModule.from_checkpoint(str(module_dir))
    except Exception as err:  # unpickling raises whatever the bytes happen to say
        raise damaged(ckpt, module_dir / STATE_FILE,
                      f"cannot be loaded ({type(err).__name__}: {err})") from err
    # from_checkpoint returns the module in TRAINING mode: switch off dropout etc.
    return module.to("cpu").eval()


def _check_module_class(ckpt: Path, path: Path) -> None:
    """``class_and_ctor_args.pkl`` must name an RLModule class and its arguments.

    RLlib's from_checkpoint falls back to building a bare ``RLModule`` (no spaces, no
    weights' shapes) when it cannot read this file, so it is read here first.
    """
    from ray.rllib.core.rl_module.rl_module import RLModule

    try:
        with open(path, "rb") as f:
            info = pickle.load(f)
        ok = isinstance(info, dict) and isinstance(info.get("class"), type) \
            and issubclass(info["class"], RLModule) and "ctor_args_and_kwargs" in info
        problem = None if ok else "does not name an RLModule class and its arguments"
    except Exception as err:  # unpickling raises whatever the bytes happen to say
        problem = f"cannot be read ({type(err).__name__}: {err})"
    if problem:
        raise damaged(ckpt, path, problem)


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
            experiment or module dir), the policy id is ambiguous / unknown, or a file of
            the checkpoint is damaged (truncated, garbage: :func:`damaged`).
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


def _checkpoint_iteration(ckpt: Path) -> int:
    """The training iteration whose weights checkpoint ``ckpt`` holds."""
    try:
        with open(ckpt / ALGORITHM_STATE, "rb") as f:
            return int(pickle.load(f)["training_iteration"])
    except Exception as err:  # unpickling raises whatever the bytes happen to say
        raise damaged(ckpt, ckpt / ALGORITHM_STATE,
                      f"has no readable training_iteration ({type(err).__name__}: {err})"
                      ) from err


def training_cost(checkpoint_dir: str | os.PathLike) -> dict | None:
    """What the checkpoint's weights cost to train, from its trial's :data:`RESULT_FILE`
    at the checkpoint's iteration: ``trial`` (the trial dir), ``iteration``,
    ``time_total_s`` (Tune's wall seconds of the trial, periodic evaluations included) and
    ``env_steps`` (env steps sampled). None when the checkpoint has no trial results beside
    it (a checkpoint copied out of its run) or they stop before its iteration."""
    ckpt = checkpoint_path(checkpoint_dir)
    results = ckpt.parent / RESULT_FILE
    if not (results.is_file() and (ckpt / ALGORITHM_STATE).is_file()):
        return None
    iteration = _checkpoint_iteration(ckpt)
    for line in results.read_text().splitlines():
        try:
            result = json.loads(line)
        except json.JSONDecodeError:  # a line Tune was writing when the run died
            continue
        if isinstance(result, dict) and result.get("training_iteration") == iteration:
            steps = (result.get("env_runners") or {}).get("num_env_steps_sampled_lifetime")
            return {"trial": str(ckpt.parent), "iteration": iteration,
                    "time_total_s": result.get("time_total_s"),
                    "env_steps": None if steps is None else int(steps)}
    return None
