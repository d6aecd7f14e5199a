"""The RLlib ``AlgorithmConfig`` of a resolved experiment: one definition of the trained
modules (:func:`policy_module_specs`), shared by the Tune trainable and imitation
pretraining, and of the algorithm around them (:func:`build_algorithm_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from envs.catalog import ENVS
from rllib_gnn.nn.heads import HEADS
from rllib_gnn.training.algorithm_configs import MODULE_CLASSES
from rllib_gnn.training.callbacks import ProblemMetricsCallback
from rllib_gnn.training.experiment import algorithm_config_class
from rllib_gnn.training.periodic_evaluation import configure_evaluation
from rllib_gnn.training.policy_mapping import POLICY_MAPPING, SHARED_POLICY
from rllib_gnn.training.registration import register_envs
from rllib_gnn.training.threads import GraphMultiAgentEnvRunner, GraphSingleAgentEnvRunner

__all__ = ["build_algorithm_config", "policy_module_specs"]


def policy_module_specs(experiment: Mapping[str, Any],
                        pretrained: Mapping[str, str] | None = None) -> dict[str, RLModuleSpec]:
    """Each policy's ``RLModuleSpec`` by policy id: the one definition of the trained modules.

    A single-agent env has RLlib's ``default_policy``; a multi-agent env has the ids of its
    ``multi_agent.policies`` (``shared``, or one per agent id). ``pretrained`` maps policy
    ids to :meth:`RLModule.save_to_path` folders that the algorithm loads at build
    (``load_state_path``, e.g. from :func:`rllib_gnn.training.imitation.pretrain`).

    The module class is the algorithm's (:data:`~.algorithm_configs.MODULE_CLASSES`:
    ``GraphRLModule``, or ``GraphQModule`` for DQN). Every spec's ``model_config`` is the trial's ``model`` section as
    :func:`~rllib_gnn.training.experiment.resolve_experiment` resolved it (Tune may have
    sampled some of its keys, over values the experiment's validation checked).
    """
    model = dict(experiment["model"])
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
    module_class = MODULE_CLASSES[experiment["algorithm"]]
    return {pid: RLModuleSpec(module_class=module_class, model_config=model,
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
    if HEADS[experiment["model"]["head"]].distribution is None:
        # A categorical head, Discrete actions: RLlib's unsquash/clip pass (a deep copy of
        # every action batch and a per-env tree walk, ~3% of sampling) has nothing to do.
        config.environment(normalize_actions=False, clip_actions=False)
    config.env_runners(**experiment["env_runners"])
    config.learners(**experiment["learners"])
    config.resources(**experiment["resources"])
    config.fault_tolerance(**experiment["fault_tolerance"])
    config.training(**experiment["training"])
    specs = policy_module_specs(experiment, pretrained)
    multi_agent = ENVS[experiment["env"]].multi_agent
    # sampling on one torch thread, the update on the process's CPUs (training/threads.py)
    config.env_runners(env_runner_cls=GraphMultiAgentEnvRunner if multi_agent
                       else GraphSingleAgentEnvRunner)
    if not multi_agent and "gym_env_vectorize_mode" not in experiment["env_runners"]:
        # the env runner's envs from one call: the env's own vector form (registration.py)
        config.env_runners(gym_env_vectorize_mode="vector_entry_point")
    if multi_agent:
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
    return configure_evaluation(config, experiment)  # last: it copies the config so far
