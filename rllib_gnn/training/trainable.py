"""The Tune trainable behind ``rllib-gnn train``: an RLlib Algorithm built from an experiment.

Tune's ``config`` for this trainable *is* the resolved experiment dict
(:mod:`rllib_gnn.training.experiment`), so a sweep's ``param_space`` is written in the experiment's
own terms (``model.encoder``, ``training.lr``, ``seed``) and every trial's ``params.json``
is a complete experiment file. Checkpoints are ``Algorithm.save_to_path`` directories with
the experiment beside the weights (``experiment.json``), so ``rllib-gnn evaluate`` needs
nothing but the checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ray import tune
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from envs.catalog import ENVS
from rllib_gnn.training.callbacks import ProblemMetricsCallback
from rllib_gnn.training.experiment import algorithm_config_class
from rllib_gnn.training.files import write_json_atomic
from rllib_gnn.nn.module import GraphRLModule
from rllib_gnn.training.registration import register_envs

logger = logging.getLogger(__name__)

EXPERIMENT_FILE = "experiment.json"
#: The trial's subfolder holding its imitation-pretrained modules (experiment ``pretrain``).
PRETRAIN_DIR = "pretrain"


SHARED_POLICY = "shared"


def shared_policy(agent_id: str, episode: Any = None, **kwargs: Any) -> str:
    """Policy mapping with parameter sharing: every agent acts with one GNN policy."""
    return SHARED_POLICY


def own_policy(agent_id: str, episode: Any = None, **kwargs: Any) -> str:
    """Policy mapping with independent learners: each agent has a policy of its own."""
    return agent_id


#: The policy mapping fn of each ``multi_agent.policies`` value of an experiment.
POLICY_MAPPING = {"shared": shared_policy, "per_agent": own_policy}


def policy_module_specs(experiment: Mapping[str, Any],
                        pretrained: Mapping[str, str] | None = None) -> dict[str, RLModuleSpec]:
    """Each policy's ``RLModuleSpec`` by policy id: the one definition of the trained modules.

    A single-agent env has RLlib's ``default_policy``; a multi-agent env has the ids of its
    ``multi_agent.policies`` (``shared``, or one per agent id). ``pretrained`` maps policy
    ids to :meth:`RLModule.save_to_path` folders that the algorithm loads at build
    (``load_state_path``, e.g. from :func:`rllib_gnn.training.imitation.pretrain`).
    """
    entry = ENVS[experiment["env"]]
    if not entry.multi_agent:
        policies = [DEFAULT_MODULE_ID]
    elif experiment["multi_agent"]["policies"] == "shared":
        policies = [SHARED_POLICY]
    else:
        policies = entry.make(experiment["env_config"]).possible_agents
    unknown = sorted(set(pretrained or {}) - set(policies))
    if unknown:
        raise ValueError(f"pretrained modules for unknown policy id(s) {unknown}; the "
                         f"experiment's policies are {policies}")
    return {pid: RLModuleSpec(module_class=GraphRLModule, model_config=dict(experiment["model"]),
                              load_state_path=(pretrained or {}).get(pid))
            for pid in policies}


def build_algorithm_config(experiment: dict[str, Any],
                           pretrained: Mapping[str, str] | None = None):
    """The RLlib ``AlgorithmConfig`` of a resolved experiment dict.

    ``pretrained``: policy id -> saved module folder to start from (see
    :func:`policy_module_specs`); the learners load it at build and sync the env runners.
    """
    register_envs()
    config = algorithm_config_class(experiment["algorithm"])()
    config.environment(experiment["env"], env_config=dict(experiment["env_config"]))
    config.env_runners(**experiment["env_runners"])
    config.learners(**experiment["learners"])
    config.resources(**experiment["resources"])
    config.fault_tolerance(**experiment["fault_tolerance"])
    config.training(**experiment["training"])
    specs = policy_module_specs(experiment, pretrained)
    if ENVS[experiment["env"]].multi_agent:
        # RLlib's multi-agent env check steps unmasked random actions, which a masked env
        # rejects by design; PettingZoo's mask-aware parallel_api_test covers these envs.
        config.environment(disable_env_checking=True)
        config.multi_agent(policies=set(specs),
                           policy_mapping_fn=POLICY_MAPPING[experiment["multi_agent"]["policies"]])
        config.rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs=specs))
    else:
        config.rl_module(rl_module_spec=specs[DEFAULT_MODULE_ID])
    config.callbacks(ProblemMetricsCallback)
    config.debugging(seed=experiment["seed"])
    return config


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
            from rllib_gnn.training.imitation import pretrained_modules  # it builds on this module

            pretrained = pretrained_modules(config, self._trial_dir() / PRETRAIN_DIR)
        self.algo = build_algorithm_config(config, pretrained).build_algo()
        self._warned_clamp = False

    def _trial_dir(self) -> Path:
        """The trial's folder in the run's storage when that is a local path (a resumed
        trial finds what it wrote there), else the trial's working directory."""
        storage = self._storage  # Tune's StorageContext (None outside Tune)
        if storage is not None and storage.storage_filesystem.type_name == "local":
            return Path(storage.trial_fs_path)
        return Path(self.logdir)

    def step(self) -> dict[str, Any]:
        start = time.perf_counter()
        result = self.algo.train()
        seconds = time.perf_counter() - start
        runners = result.get("env_runners", {})
        problem = runners.get("rllib_gnn", {})
        steps = runners.get("num_env_steps_sampled", 0)
        result["rllib_gnn"] = {
            "metric": problem.get(self._entry.metric, float("nan")),
            "ratio": problem.get(self._entry.ratio, float("nan")) if self._entry.ratio else float("nan"),
            "env_steps_per_s": steps / seconds if seconds > 0 else 0.0,
        }
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
        write_json_atomic(Path(checkpoint_dir) / EXPERIMENT_FILE, self.experiment)
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
