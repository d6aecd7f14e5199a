"""``GraphRLModule``: a PyG GNN policy + value function as an RLlib (new API stack) module.

::

    obs Dict (B, ...) ──► flatten_graphs ──► GraphEncoder ──► node embeddings (B, N, d)
        ──► GraphPooling ──► z_G (B, d) ──► action head ──► logits (B, A)
        ──► apply_action_mask ──► ACTION_DIST_INPUTS   (gaussian: [mu, log_std, mask])
    value: MLP([z_G ‖ z_agent]) from the actor's encoder ("shared"), from a second encoder on
    the same observation ("separate"), or from a second encoder on obs["state"] ("central",
    CTDE: the actor never reads ``state``); z_agent, the embedding at ``agent_node``, only
    in agent-centric envs.

The observation space is the contract Dict (``envs/contract.py``), the action space a
``Discrete(A)``, or with the ``gaussian`` head a ``Box(-1, 1, (N,))`` of one value per node
(``ACTION_DIST_INPUTS`` are then ``concat[mu, log_std, mask]`` for
:class:`~rllib_gnn.nn.distributions.MaskedDiagGaussian`, the module's ``action_dist_cls``).
No parameter's shape depends on N, E or D, so the weights run on graphs of any size
(:func:`rllib_gnn.nn.inference.resize_module`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import torch
import tree
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import InferenceOnlyAPI, ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override
from torch import Tensor

from rllib_gnn.nn.batching import flatten_graphs
from rllib_gnn.nn.encoders import EDGE_REQUIRED_ENCODERS, GraphEncoder, mlp
from rllib_gnn.nn.heads import build_head, gather_nodes
from rllib_gnn.nn.model_config import GraphModelConfig, validate_model_config
from rllib_gnn.nn.pooling import GraphPooling
from rllib_gnn.nn.precision import train_autocast

__all__ = ["GraphRLModule"]

GRAPH_REQUIRED = ("x", "edge_index", "node_mask", "edge_mask")


def _check_graph_space(space: gym.spaces.Dict, where: str) -> tuple[int, int]:
    """Check the graph keys of ``space``; return (F, Fe) (Fe = 0 without edge features)."""
    missing = [k for k in GRAPH_REQUIRED if k not in space.spaces]
    if missing:
        raise ValueError(f"{where} lacks graph key(s) {missing}; it has {sorted(space.spaces)} "
                         f"(build it with envs.contract.GraphObsSpec)")
    x, ei = space["x"].shape, space["edge_index"].shape
    nm, em = space["node_mask"].shape, space["edge_mask"].shape
    if len(x) != 2 or nm != (x[0],) or len(ei) != 2 or ei[0] != 2 or em != (ei[1],):
        raise ValueError(f"{where} has inconsistent graph shapes: x {x}, node_mask {nm}, "
                         f"edge_index {ei}, edge_mask {em}; want (N, F), (N,), (2, E), (E,)")
    fe = 0
    if "edge_attr" in space.spaces:
        ea = space["edge_attr"].shape
        if len(ea) != 2 or ea[0] != ei[1]:
            raise ValueError(f"{where}['edge_attr'] has shape {ea}, want (E={ei[1]}, Fe)")
        fe = int(ea[1])
    return int(x[1]), fe


def _graph_keys(obs: Mapping[str, Tensor]) -> dict[str, Tensor]:
    return {k: obs[k] for k in (*GRAPH_REQUIRED, "edge_attr") if k in obs}


class GraphRLModule(TorchRLModule, ValueFunctionAPI, InferenceOnlyAPI):
    """GNN actor-critic over the padded graph observation contract.

    ``model_config``: a dict of the keys of :mod:`rllib_gnn.nn.model_config` (defaults fill
    the others), e.g. a resolved ``GraphModelConfig.to_dict()``; ``setup`` resolves it into
    ``self.graph_config``.

    Outputs:
        ``_forward`` / ``_forward_train`` return ``ACTION_DIST_INPUTS`` (the head's
        ``dist_inputs``: (B, A) masked logits, or the ``gaussian`` head's (B, 3N)) and
        ``EMBEDDINGS`` (B, d_v), the value head's input, which ``compute_values`` reuses.
        ``_forward_inference`` / ``_forward_exploration`` (the env-runner paths) leave
        ``EMBEDDINGS`` out: RLlib would store every module output in the episodes. With the
        shared critic, exploration also returns ``VF_PREDS`` (B,): the value head on the
        embedding the action already needed, so GAE need not encode the batch again
        (:meth:`compute_values`).
    """

    # ------------------------------------------------------------------ build
    @override(TorchRLModule)
    def setup(self) -> None:
        cfg = validate_model_config(self.model_config)
        self.graph_config: GraphModelConfig = cfg
        obs_space, action_space = self.observation_space, self.action_space
        if not isinstance(obs_space, gym.spaces.Dict):
            raise ValueError(f"GraphRLModule needs the contract's Dict observation space, got "
                             f"{type(obs_space).__name__}")
        if not isinstance(action_space, (gym.spaces.Discrete, gym.spaces.Box)):
            raise ValueError(f"GraphRLModule needs a Discrete action space (or a Box with the "
                             f"'gaussian' head), got {action_space}")
        in_features, edge_features = _check_graph_space(obs_space, "observation space")
        if "action_mask" not in obs_space.spaces:
            raise ValueError("observation space lacks the 'action_mask' key")
        slots = ((action_space.n,) if isinstance(action_space, gym.spaces.Discrete)
                 else action_space.shape)
        if obs_space["action_mask"].shape != slots:
            raise ValueError(f"action_mask has shape {obs_space['action_mask'].shape}, the "
                             f"action space is {action_space}")
        self._agent_node = "agent_node" in obs_space.spaces

        def encoder(f: int, fe: int) -> GraphEncoder:
            return GraphEncoder(
                f, cfg.hidden, cfg.num_layers, cfg.encoder, edge_dim=fe or None,
                residual=cfg.residual, norm=cfg.norm, dropout=cfg.dropout,
                activation=cfg.activation, attention_heads=cfg.attention_heads)

        self.encoder = encoder(in_features, edge_features)
        self.pool = GraphPooling(cfg.pooling, cfg.hidden)
        self.head = build_head(cfg.head, obs_space, action_space, hidden=cfg.hidden,
                               head_hidden=cfg.head_hidden, activation=cfg.activation)
        # RLlib builds the head's distribution from ACTION_DIST_INPUTS (None: categorical)
        self.action_dist_cls = self.head.distribution

        self.critic_encoder: GraphEncoder | None = None
        self.critic_pool: GraphPooling | None = None
        value_in = cfg.hidden * (2 if self._agent_node else 1)
        if cfg.critic == "separate":
            self.critic_encoder = encoder(in_features, edge_features)
            self.critic_pool = GraphPooling(cfg.pooling, cfg.hidden)
        elif cfg.critic == "central":
            if "state" not in obs_space.spaces:
                raise ValueError("critic='central' reads obs['state'], but the observation "
                                 "space has no 'state' key (build the env with a state spec "
                                 "for CTDE, or use critic='shared' / 'separate')")
            state_space = obs_space["state"]
            if not isinstance(state_space, gym.spaces.Dict):
                raise ValueError("obs['state'] must be a Dict of the graph keys")
            f_state, fe_state = _check_graph_space(state_space, "observation space['state']")
            if cfg.encoder in EDGE_REQUIRED_ENCODERS and not fe_state:
                raise ValueError(f"encoder {cfg.encoder!r} needs edge features, but "
                                 f"obs['state'] has no 'edge_attr'")
            self.critic_encoder = encoder(f_state, fe_state)
            self.critic_pool = GraphPooling(cfg.pooling, cfg.hidden)
        self.value_mlp = mlp([value_in, cfg.head_hidden, 1], cfg.activation)

    @override(InferenceOnlyAPI)
    def get_non_inference_attributes(self) -> list[str]:
        """The critic's parts: env runners (inference_only=True) build without them, but
        for the shared critic's value MLP, which exploration runs (``VF_PREDS``)."""
        own_encoder = ["critic_encoder", "critic_pool"]
        return own_encoder if self.graph_config.critic == "shared" else ["value_mlp", *own_encoder]

    # ------------------------------------------------------------------ parts
    @staticmethod
    def _embed(encoder: GraphEncoder, pool: GraphPooling, graph: Mapping[str, Tensor],
               where: str) -> tuple[Tensor, Tensor]:
        """Node embeddings (B, N, d) (zeros on padding) and graph embeddings (B, d)."""
        flat = flatten_graphs(graph, where=where)
        dtype = encoder.input.weight.dtype
        edge_attr = None if flat.edge_attr is None else flat.edge_attr.to(dtype)
        h = encoder(flat.x.to(dtype), flat.edge_index, edge_attr)
        return flat.to_dense(h), pool(h, flat.batch, flat.num_graphs)

    def _value_features(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        if self._agent_node:
            return torch.cat([z_graph, gather_nodes(z, obs["agent_node"]).squeeze(1)], -1)
        return z_graph

    def _critic_features(self, obs: Mapping[str, Tensor]) -> Tensor:
        """The value head's input (B, d_v) computed from the observation alone."""
        critic = self.graph_config.critic
        if critic == "central":
            # An agent-centric env's state is the agent's graph (same node ids), so the
            # critic also reads the state's embedding at this agent's node (MAPPO's
            # agent-specific global state): per-agent rewards get per-agent values.
            z, z_graph = self._embed(self.critic_encoder, self.critic_pool, obs["state"],
                                     "obs['state']")
        elif critic == "separate":
            z, z_graph = self._embed(self.critic_encoder, self.critic_pool, _graph_keys(obs),
                                     "obs")
        else:
            z, z_graph = self._embed(self.encoder, self.pool, _graph_keys(obs), "obs")
        return self._value_features(z, z_graph, obs)

    def _actor(self, obs: Mapping[str, Tensor], encoder: GraphEncoder, pool: GraphPooling
               ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """Node embeddings (B, N, d), graph embeddings (B, d) of ``encoder`` / ``pool`` (the
        module's own, or copies of them such as a Q-module's target network), and the
        observation keys a head may read (never ``obs["state"]``)."""
        z, z_graph = self._embed(encoder, pool, _graph_keys(obs), "obs")
        return z, z_graph, {k: v for k, v in obs.items() if k != "state"}

    def _run(self, batch: dict[str, Any], with_embeddings: bool) -> dict[str, Tensor]:
        obs = batch[Columns.OBS]
        z, z_graph, actor_obs = self._actor(obs, self.encoder, self.pool)
        out = {Columns.ACTION_DIST_INPUTS: self.head.dist_inputs(z, z_graph, actor_obs)}
        if with_embeddings:
            out[Columns.EMBEDDINGS] = (
                self._value_features(z, z_graph, obs)
                if self.graph_config.critic == "shared" else self._critic_features(obs))
        return out

    # ------------------------------------------------------------------ RLModule API
    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """The distribution's inputs and the value head's input embeddings (used by
        ``forward_train``)."""
        return self._run(batch, with_embeddings=True)

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """``_forward`` for the learner, under bfloat16 autocast where ``train_precision``
        asks (:mod:`rllib_gnn.nn.precision`); the outputs are float32 either way."""
        device = self.encoder.input.weight.device
        cfg = self.graph_config
        with train_autocast(cfg.train_precision, cfg.encoder, device):
            out = self._run(batch, with_embeddings=True)
        return {key: value.float() for key, value in out.items()}

    @override(TorchRLModule)
    def _forward_inference(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """The distribution's inputs only, without autograd (acting greedily, evaluating)."""
        with torch.no_grad():
            return self._run(batch, with_embeddings=False)

    @override(TorchRLModule)
    def _forward_exploration(self, batch: dict[str, Any], **kwargs) -> dict[str, Tensor]:
        """The env runners' sampling pass: the distribution's inputs, and with the shared
        critic the value estimates ``VF_PREDS`` (B,) of the sampling weights (RLlib's
        defaults would route it to ``_forward``, with autograd and the embeddings)."""
        with torch.no_grad():
            if self.graph_config.critic != "shared":
                return self._run(batch, with_embeddings=False)
            out = self._run(batch, with_embeddings=True)
            out[Columns.VF_PREDS] = self.value_mlp(out.pop(Columns.EMBEDDINGS)).squeeze(-1)
            return out

    @override(ValueFunctionAPI)
    def compute_values(self, batch: dict[str, Any], embeddings: Tensor | None = None) -> Tensor:
        """Value estimates (B,); reuses ``embeddings`` (from ``_forward``) when given.

        A train batch that carries the sampled ``VF_PREDS`` and PPO's ``LOSS_MASK`` (GAE's
        call) keeps the sampled values and encodes only the rows the loss masks out: the
        timestep RLlib appends to each episode chunk, whose value is the bootstrap.
        """
        if self.inference_only and self.graph_config.critic != "shared":
            raise ValueError("this GraphRLModule was built inference_only (no critic); "
                             "build it with inference_only=False to compute values")
        if embeddings is not None:
            return self.value_mlp(embeddings).squeeze(-1)
        sampled, loss_mask = batch.get(Columns.VF_PREDS), batch.get(Columns.LOSS_MASK)
        if sampled is None or loss_mask is None:
            return self.value_mlp(self._critic_features(batch[Columns.OBS])).squeeze(-1)
        rows = torch.nonzero(~loss_mask.bool(), as_tuple=True)[0]
        values = sampled.detach().to(self.value_mlp[0].weight.dtype).clone()
        if len(rows):
            obs = tree.map_structure(lambda column: column[rows], batch[Columns.OBS])
            values[rows] = self.value_mlp(self._critic_features(obs)).squeeze(-1)
        return values
