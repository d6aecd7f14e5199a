"""The RLlib algorithm configs experiments run: RLlib's own, with env runners that build
every policy's module inference-only (the actor without its critic, DQN's Q-network
without its target network), and the module class each algorithm trains.

RLlib 2.60's ``AlgorithmConfig.get_multi_rl_module_spec(inference_only=True)`` sets the flag
on the module specs it makes itself but passes the per-policy specs of a user's
``MultiRLModuleSpec`` through unchanged, so multi-agent env runners built the whole module,
a CTDE policy's central critic included. The weight sync sent them the actor only, so the
critic sat there untrained: memory and build time spent for nothing.

(No ``from __future__ import annotations`` here: the experiment schema reads the YAML types
of the config methods' keyword arguments from their annotations at run time.)
"""

from typing import Any

from ray.rllib.algorithms.algorithm_config import NotProvided
from ray.rllib.algorithms.appo import APPOConfig
from ray.rllib.algorithms.dqn import DQNConfig
from ray.rllib.algorithms.impala import IMPALAConfig
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec

from rllib_gnn.nn.module import GraphRLModule
from rllib_gnn.nn.q_module import GraphQModule
from rllib_gnn.training.overlap import GraphPPO
from rllib_gnn.training.ppo_learner import GraphPPOLearner


class InferenceOnlyEnvRunners:
    """AlgorithmConfig mixin: ``inference_only=True`` reaches every policy's module spec."""

    def get_multi_rl_module_spec(self, *, inference_only: bool = False,
                                 **kwargs: Any) -> MultiRLModuleSpec:
        spec = super().get_multi_rl_module_spec(inference_only=inference_only, **kwargs)
        if inference_only:  # the specs are RLlib's deep copies: the config's stay as they are
            for module_spec in spec.rl_module_specs.values():
                module_spec.inference_only = True
        return spec


class GraphPPOConfig(InferenceOnlyEnvRunners, PPOConfig):
    """PPO whose env runners build inference-only modules, and which may sample during the
    update (:class:`~rllib_gnn.training.overlap.GraphPPO`)."""

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or GraphPPO)
        self.sample_during_update = False

    def training(self, *, sample_during_update: bool | None = NotProvided,
                 **kwargs: Any) -> "GraphPPOConfig":
        """RLlib's PPO ``training`` keys, and ``sample_during_update``: sample the next
        batch while the learner updates on this one (a policy lag of one iteration; local
        env runner only, see :mod:`rllib_gnn.training.overlap`)."""
        if sample_during_update is not NotProvided:
            self.sample_during_update = bool(sample_during_update)
        return super().training(**kwargs)

    def get_default_learner_class(self) -> type:
        """RLlib's torch PPO learner, choosing the update's threads per minibatch."""
        return GraphPPOLearner


class GraphAPPOConfig(InferenceOnlyEnvRunners, APPOConfig):
    """APPO whose env runners build inference-only modules."""


class GraphIMPALAConfig(InferenceOnlyEnvRunners, IMPALAConfig):
    """IMPALA whose env runners build inference-only modules."""


class GraphDQNConfig(InferenceOnlyEnvRunners, DQNConfig):
    """DQN whose env runners build inference-only modules (no target network)."""


#: The config class of each ``algorithm`` name an experiment may give.
CONFIG_CLASSES = {"PPO": GraphPPOConfig, "APPO": GraphAPPOConfig, "IMPALA": GraphIMPALAConfig,
                  "DQN": GraphDQNConfig}
#: The RLModule class each algorithm trains: an actor-critic, or DQN's Q-network.
MODULE_CLASSES = {"PPO": GraphRLModule, "APPO": GraphRLModule, "IMPALA": GraphRLModule,
                  "DQN": GraphQModule}
