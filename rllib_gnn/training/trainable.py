"""The Tune trainable behind ``rllib-gnn train``: an RLlib Algorithm built from an experiment.

Tune's ``config`` for this trainable *is* the resolved experiment dict
(:mod:`rllib_gnn.training.experiment`), so a sweep's ``param_space`` is written in the
experiment's own terms (``model.encoder``, ``training.lr``, ``seed``) and every trial's
``params.json`` is a complete experiment file. Checkpoints are ``Algorithm.save_to_path``
directories with the experiment beside the weights
(:data:`~rllib_gnn.training.experiment.EXPERIMENT_FILE`), so ``rllib-gnn evaluate`` needs
nothing but the checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ray import tune

from envs.catalog import ENVS
from rllib_gnn.training.algorithm import build_algorithm_config
from rllib_gnn.training.callbacks import problem_result
from rllib_gnn.training.experiment import EXPERIMENT_FILE, OBSERVATION_FILE
from rllib_gnn.training.files import write_json_atomic
from rllib_gnn.training.imitation import pretrained_modules
from rllib_gnn.training.periodic_evaluation import LatestEvaluation

logger = logging.getLogger(__name__)


def save_experiment_files(checkpoint_dir: str | Path, experiment: Mapping[str, Any]) -> None:
    """Write the experiment and its env's observation version beside a checkpoint's weights
    (:data:`EXPERIMENT_FILE`, :data:`OBSERVATION_FILE`), each atomically."""
    env = experiment["env"]
    write_json_atomic(Path(checkpoint_dir) / EXPERIMENT_FILE, experiment)
    write_json_atomic(Path(checkpoint_dir) / OBSERVATION_FILE, {
        "env": env, "observation_version": ENVS[env].observation_version()})

#: The trial's subfolder holding its imitation-pretrained modules (experiment ``pretrain``).
PRETRAIN_DIR = "pretrain"


def clamped_value_losses(learners: Mapping[str, Any], vf_clip_param: float) -> str | None:
    """A warning when a module's mean squared value error exceeds PPO's ``vf_clip_param``.

    RLlib clamps each sample's squared value error at ``vf_clip_param`` (default 10), so a
    sample above it gives the critic no gradient: with returns of tens most samples are
    clamped, the critic stops learning and the advantages turn to noise, silently.
    ``learners`` is a result's ``"learners"`` dict; returns None when no module is affected.
    """
    over = {module: stats["vf_loss_unclipped"] for module, stats in learners.items()
            if isinstance(stats, Mapping)
            and stats.get("vf_loss_unclipped", 0.0) > vf_clip_param}
    if not over:
        return None
    losses = ", ".join(f"{module} {loss:.3g}" for module, loss in sorted(over.items()))
    return (f"mean squared value error above training.vf_clip_param={vf_clip_param:g} "
            f"({losses}): samples above it give the critic no gradient; raise "
            f"vf_clip_param or scale the rewards down")


class ExperimentTrainable(tune.Trainable):
    """Runs one trial of an experiment: builds the algorithm, trains, checkpoints."""

    def setup(self, config: dict[str, Any]) -> None:
        self.experiment = config
        self._entry = ENVS[config["env"]]
        pretrained = None
        if config.get("pretrain"):
            pretrained = pretrained_modules(config, self._trial_dir() / PRETRAIN_DIR)
        self.algo = build_algorithm_config(config, pretrained).build_algo()
        self._warned_clamp = False
        periodic = config.get("periodic_evaluation") or {}
        self._evaluation = LatestEvaluation(bool(periodic.get("parallel")))
        self._evaluate_first = bool(periodic.get("every"))

    def _trial_dir(self) -> Path:
        """The trial's folder in the run's storage when that is a local path (a resumed
        trial finds what it wrote there), else the trial's working directory."""
        storage = self._storage  # Tune's StorageContext (None outside Tune)
        if storage is not None and storage.storage_filesystem.type_name == "local":
            return Path(storage.trial_fs_path)
        return Path(self.logdir)

    def step(self) -> dict[str, Any]:
        if self._evaluate_first:  # the weights this trial process starts from
            self._evaluation.start(self.algo, self.iteration)
            self._evaluate_first = False
        start = time.perf_counter()
        result = self.algo.train()
        seconds = time.perf_counter() - start
        # A periodic evaluation inside train() is not training time (Tune's time_total_s
        # counts it); the trial result carries the latest one (rllib_gnn/eval/...).
        seconds -= self._evaluation.update(result, self.iteration + 1)
        result["rllib_gnn"] = problem_result(self._entry, result.get("env_runners", {}), seconds)
        if self._evaluation.latest:
            result["rllib_gnn"]["eval"] = dict(self._evaluation.latest)
        clip = getattr(self.algo.config, "vf_clip_param", None)
        if clip is not None and not self._warned_clamp:
            warning = clamped_value_losses(result.get("learners", {}), clip)
            if warning:
                logger.warning(warning)
                self._warned_clamp = True
        # The inner algorithm counts its own iterations; Tune's Trainable counts ours
        # (restored from checkpoints), so drop the inner ones to keep a single truth.
        for key in ("training_iteration", "iterations_since_restore", "time_total_s",
                    "time_since_restore", "timesteps_total", "done"):
            result.pop(key, None)
        return result

    def save_checkpoint(self, checkpoint_dir: str) -> str:
        self.algo.save_to_path(checkpoint_dir)
        save_experiment_files(checkpoint_dir, self.experiment)
        return checkpoint_dir

    def load_checkpoint(self, checkpoint_dir: str) -> None:
        self.algo.restore_from_path(checkpoint_dir)

    def cleanup(self) -> None:
        self.algo.stop()

    @classmethod
    def default_resource_request(cls, config: dict[str, Any]):
        """The algorithm's own placement group (its main process, learners, env runners)."""
        algo_config = build_algorithm_config(config)
        return algo_config.algo_class.default_resource_request(algo_config)
