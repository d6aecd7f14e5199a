"""``GraphQModule``: the GNN of :class:`~rllib_gnn.nn.module.GraphRLModule` as a DQN
Q-network (RLlib's ``QNetAPI`` and ``TargetNetworkAPI``, new API stack).

::

    obs ──► encoder ──► pooling ──► head scores (B, A)  = Q(s, a)  (or, dueling, A(s, a))
        dueling: Q = V(z_G [‖ z_agent]) + A - mean of A over the VALID actions
        ──► apply_action_mask ──► QF_PREDS (invalid actions at the dtype's lowest value)

The heads keep their meaning, but each slot's score is a Q-value, not a logit. Invalid
actions get ``torch.finfo(dtype).min``, finite, so:

- acting: the greedy action is the argmax of the masked Q-values, and epsilon-greedy's
  random action is drawn uniformly among the valid actions only (:meth:`_forward_exploration`);
  RLlib's default draws among the actions whose Q is not 0, which a finite mask lets through;
- learning: RLlib's DQN learner takes the next state's argmax (of the online network with
  double Q, else of the target network) over Q-values masked with the NEXT observation's
  ``action_mask``, so a masked action is never the target's max; its TD error only reads Q
  at the taken action, which was valid: no inf or NaN reaches the loss.

The target network is a frozen copy of the encoder, pooling, head (and the dueling value
stream), made by the learner (``make_target_networks``); env runners build without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from ray.rllib.algorithms.dqn.default_dqn_rl_module import QF_PREDS
from ray.rllib.algorithms.dqn.torch.default_dqn_torch_rl_module import DefaultDQNTorchRLModule
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.utils import make_target_network
from ray.rllib.core.rl_module.apis import InferenceOnlyAPI, QNetAPI, TargetNetworkAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override
from ray.rllib.utils.schedules.scheduler import Scheduler
from torch import Tensor, nn

from rllib_gnn.nn.heads import apply_action_mask
from rllib_gnn.nn.module import GraphRLModule

__all__ = ["DQN_DEFAULTS", "GraphQModule"]

#: The DQN keys of ``model_config`` that RLlib's ``DQNConfig`` adds; these defaults (RLlib's
#: own) apply to a module built outside DQN.
DQN_DEFAULTS: dict[str, Any] = {"double_q": True, "dueling": True, "num_atoms": 1,
                                "epsilon": [(0, 1.0), (10000, 0.05)]}
_TARGET = ("_target_encoder", "_target_pool", "_target_head", "_target_value_mlp")


class GraphQModule(GraphRLModule, QNetAPI, TargetNetworkAPI):
    """GNN Q-network over the padded graph observation contract (RLlib DQN).

    ``model_config``: :mod:`rllib_gnn.nn.model_config`'s keys plus DQN's ``double_q``,
    ``dueling``, ``num_atoms`` (only 1: expected Q-values) and ``epsilon`` (a value or a
    ``[[timestep, value], ...]`` schedule), which ``DQNConfig`` fills in.

    Outputs: ``compute_q_values`` / ``forward_target`` give ``{"qf_preds": (B, A)}`` masked
    Q-values; ``_forward_inference`` the greedy ``ACTIONS`` and the masked Q-values as
    ``ACTION_DIST_INPUTS`` (so every argmax player of the project plays it unchanged);
    ``_forward_exploration`` masked epsilon-greedy ``ACTIONS``; ``_forward_train`` RLlib's
    DQN train outputs.
    """

    @override(GraphRLModule)
    def setup(self) -> None:
        super().setup()
        cfg = {**DQN_DEFAULTS, **self.model_config}
        if cfg["num_atoms"] != 1:
            raise ValueError(f"GraphQModule learns expected Q-values: num_atoms must be 1, "
                             f"got {cfg['num_atoms']!r} (distributional DQN is not supported)")
        if self.graph_config.critic != "shared":
            raise ValueError(f"GraphQModule has no critic: model_config['critic'] must be "
                             f"'shared' (the default), got {self.graph_config.critic!r}")
        self.uses_double_q = bool(cfg["double_q"])
        self.uses_dueling = bool(cfg["dueling"])
        self.num_atoms = 1
        self.epsilon_schedule = Scheduler(cfg["epsilon"], framework="torch")
        if not self.uses_dueling:
            del self.value_mlp  # no value stream: Q is the head's score
            self.value_mlp = None

    @override(InferenceOnlyAPI)
    def get_non_inference_attributes(self) -> list[str]:
        """The target network: env runners (inference_only=True) build without it."""
        return list(_TARGET)

    # ------------------------------------------------------------------ Q-values
    def _q(self, obs: Mapping[str, Tensor], encoder: nn.Module, pool: nn.Module,
           head: nn.Module, value_mlp: nn.Module | None) -> Tensor:
        """Masked Q-values (B, A) of one network (online or target)."""
        z, z_graph, actor_obs = self._actor(obs, encoder, pool)
        scores = head(z, z_graph, actor_obs)
        mask = obs["action_mask"]
        if value_mlp is not None:
            valid = mask.bool().to(scores.dtype)
            mean = (scores * valid).sum(-1, keepdim=True) / valid.sum(-1, keepdim=True).clamp(min=1)
            scores = value_mlp(self._value_features(z, z_graph, obs)) + scores - mean
        return apply_action_mask(scores, mask)

    @override(QNetAPI)
    def compute_q_values(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        """``{"qf_preds": (B, A)}``: the online network's masked Q-values."""
        return {QF_PREDS: self._q(batch[Columns.OBS], self.encoder, self.pool, self.head,
                                  self.value_mlp)}

    # ------------------------------------------------------------------ target network
    @override(TargetNetworkAPI)
    def make_target_networks(self) -> None:
        """Frozen copies of the encoder, pooling, head and value stream (learner only)."""
        self._target_encoder = make_target_network(self.encoder)
        self._target_pool = make_target_network(self.pool)
        self._target_head = make_target_network(self.head)
        self._target_value_mlp = (make_target_network(self.value_mlp)
                                  if self.value_mlp is not None else None)

    @override(TargetNetworkAPI)
    def get_target_network_pairs(self) -> list[tuple[nn.Module, nn.Module]]:
        """(online, target) pairs that the learner syncs every target update."""
        pairs = [(self.encoder, self._target_encoder), (self.pool, self._target_pool),
                 (self.head, self._target_head)]
        if self.value_mlp is not None:
            pairs.append((self.value_mlp, self._target_value_mlp))
        return pairs

    @override(TargetNetworkAPI)
    def forward_target(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        """``{"qf_preds": (B, A)}``: the target network's Q-values, masked with the batch's
        own ``action_mask`` (the learner passes the next observations)."""
        return {QF_PREDS: self._q(batch[Columns.OBS], self._target_encoder, self._target_pool,
                                  self._target_head, self._target_value_mlp)}

    # ------------------------------------------------------------------ RLModule API
    @override(TorchRLModule)
    def _forward_inference(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """Greedy ``ACTIONS`` and the masked Q-values as ``ACTION_DIST_INPUTS``."""
        with torch.no_grad():
            q = self.compute_q_values(batch)[QF_PREDS]
        return {Columns.ACTIONS: q.argmax(-1), Columns.ACTION_DIST_INPUTS: q}

    @override(TorchRLModule)
    def _forward_exploration(self, batch: dict[str, Any], t: int | None = None,
                             **kwargs) -> dict[str, Tensor]:
        """Epsilon-greedy ``ACTIONS`` over the valid actions (``t``: the env steps so far,
        which move the epsilon schedule; None keeps its current value)."""
        with torch.no_grad():
            q = self.compute_q_values(batch)[QF_PREDS]
            mask = batch[Columns.OBS]["action_mask"].bool()
            if t is not None:
                self.epsilon_schedule.update(t)
            epsilon = float(self.epsilon_schedule.get_current_value())
            uniform = torch.multinomial(mask.to(q.dtype), 1).squeeze(1)
            explore = torch.rand(q.shape[0], device=q.device) < epsilon
        return {Columns.ACTIONS: torch.where(explore, uniform, q.argmax(-1))}

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """RLlib's DQN train pass: online Q of the observations (and of the next ones, for
        double Q's argmax) and the target network's Q of the next observations."""
        return DefaultDQNTorchRLModule._forward_train(self, batch)
