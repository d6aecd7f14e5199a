"""Action heads: node embeddings (B, N, d) + graph embedding (B, d) -> logits (B, A).

Under DQN (:class:`~rllib_gnn.nn.q_module.GraphQModule`) each slot's score is that
action's Q-value instead of its logit; the heads are the same.

One class per head, each one batched tensor expression (no Python loop over graphs, nodes
or edges). Only ``fixed`` has a parameter that depends on the action count (its K outputs);
the others score slots with shared weights, so they run unchanged on any N, E or D. Every
head but ``gaussian`` acts in a ``Discrete`` space (a categorical over masked logits);
``gaussian`` acts in a ``Box(-1, 1, (N,))`` with one Normal per node
(:class:`~rllib_gnn.nn.distributions.MaskedDiagGaussian`).

==================  ==============  ========================================================
head                logits over     score
==================  ==============  ========================================================
``fixed``           Discrete(K)     :math:`\\mathrm{MLP}([z_G \\| z_{a}])` (``z_a`` only with
                                    ``agent_node``)
``node``            N nodes         :math:`\\mathrm{MLP}([z_v \\| z_G])`
``proto``           N nodes         :math:`-\\lVert z_v - \\mathrm{MLP}(z_G)\\rVert^2 e^{\\tau}`
``neighbour``       D slots         :math:`\\mathrm{MLP}([z_u \\| z_a \\| z_G])`, u = neighbours[i]
``edge``            E edge slots    :math:`\\mathrm{MLP}([z_s \\| z_t \\| e_{st}])`
``two_stage_edge``  E edge slots    :math:`\\log p(s) + \\log p(t \\mid s)`: a source by
                                    :math:`\\mathrm{MLP}([z_s \\| z_G])` among the valid sources,
                                    then an edge leaving it by the ``edge`` score among its
                                    valid edges (:mod:`rllib_gnn.nn.edge_heads`)
``gaussian``        Box: N nodes    mean :math:`\\mu_v = \\mathrm{MLP}([z_v \\| z_G])`, one
                                    learnable :math:`\\log\\sigma` shared by all nodes
==================  ==============  ========================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import Tensor, nn

from rllib_gnn.nn.distributions import MaskedDiagGaussian
from rllib_gnn.nn.edge_heads import EdgeHead, TwoStageEdgeHead
from rllib_gnn.nn.encoders import mlp
from rllib_gnn.nn.head_base import ActionHead, apply_action_mask, gather_nodes

__all__ = ["HEADS", "ActionHead", "EdgeHead", "FixedHead", "GaussianHead", "NeighbourHead",
           "NodeHead", "ProtoHead", "TwoStageEdgeHead", "apply_action_mask", "build_head",
           "gather_nodes"]


class FixedHead(ActionHead):
    r"""Logits over a fixed Discrete(K).

    .. math::
        \boldsymbol{\ell} = \mathrm{MLP}\big([\mathbf{z}_G \,\|\, \mathbf{z}_{a}]\big)
        \in \mathbb{R}^{K}

    where :math:`\mathbf{z}_a` is the embedding of ``agent_node`` when the observation has
    one (otherwise only :math:`\mathbf{z}_G`).

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`, ``agent_node`` :math:`(B, 1)`
        - **output:** :math:`(B, K)`
    """

    def __init__(self, hidden: int, head_hidden: int, activation: str, num_actions: int,
                 agent_node: bool = False) -> None:
        super().__init__()
        self.agent_node = agent_node
        self.mlp = mlp([hidden * (2 if agent_node else 1), head_hidden, num_actions],
                       activation)

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        if self.agent_node:
            z_graph = torch.cat([z_graph, gather_nodes(z, obs["agent_node"]).squeeze(1)], -1)
        return self.mlp(z_graph)


class NodeHead(ActionHead):
    r"""One logit per node slot (S2V-DQN style scoring).

    .. math::
        \ell_v = \mathrm{MLP}\big([\mathbf{z}_v \,\|\, \mathbf{z}_G]\big)

    The first layer is computed split, :math:`W [\mathbf{z}_v \| \mathbf{z}_G] + b =
    W_v \mathbf{z}_v + (W_G \mathbf{z}_G + b)`, the graph's part once per graph rather than
    once per node slot: half the head's largest product (about a tenth of a PPO update on
    the blog's MVC graphs), the same parameters.

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`
        - **output:** :math:`(B, N)`
    """

    def __init__(self, hidden: int, head_hidden: int, activation: str) -> None:
        super().__init__()
        self.mlp = mlp([2 * hidden, head_hidden, 1], activation)

    @classmethod
    def num_actions(cls, obs_space: spaces.Dict) -> int:
        return int(obs_space["x"].shape[0])

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        first, d = self.mlp[0], z.size(-1)
        graph_part = F.linear(z_graph, first.weight[:, d:], first.bias)  # (B, head_hidden)
        h = F.linear(z, first.weight[:, :d]) + graph_part.unsqueeze(1)
        return self.mlp[1:](h).squeeze(-1)


class ProtoHead(ActionHead):
    r"""One logit per node slot: closeness to a proto-action embedding.

    .. math::
        \mathbf{p} = \mathrm{MLP}(\mathbf{z}_G), \qquad
        \ell_v = -\lVert \mathbf{z}_v - \mathbf{p} \rVert_2^2 \cdot e^{\tau}

    with a learnable log-inverse-temperature :math:`\tau` (initialised to 0).

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`
        - **output:** :math:`(B, N)`
    """

    def __init__(self, hidden: int, head_hidden: int, activation: str) -> None:
        super().__init__()
        self.mlp = mlp([hidden, head_hidden, hidden], activation)
        self.log_inv_temperature = nn.Parameter(torch.zeros(()))

    @classmethod
    def num_actions(cls, obs_space: spaces.Dict) -> int:
        return int(obs_space["x"].shape[0])

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.zeros_(self.log_inv_temperature)

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        proto = self.mlp(z_graph).unsqueeze(1)
        return -(z - proto).pow(2).sum(-1) * self.log_inv_temperature.exp()


class NeighbourHead(ActionHead):
    r"""One logit per neighbour slot: action i moves the agent to ``neighbours[i]``.

    .. math::
        \ell_i = \mathrm{MLP}\big([\mathbf{z}_{u_i} \,\|\, \mathbf{z}_a \,\|\,
        \mathbf{z}_G]\big), \qquad u_i = \mathrm{neighbours}[i],\ a = \mathrm{agent\_node}

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`, ``neighbours`` :math:`(B, D)`,
          ``agent_node`` :math:`(B, 1)`
        - **output:** :math:`(B, D)`
    """

    requires = ("agent_node", "neighbours")

    def __init__(self, hidden: int, head_hidden: int, activation: str) -> None:
        super().__init__()
        self.mlp = mlp([3 * hidden, head_hidden, 1], activation)

    @classmethod
    def num_actions(cls, obs_space: spaces.Dict) -> int:
        return int(obs_space["neighbours"].shape[0])

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        z_u = gather_nodes(z, obs["neighbours"])                      # (B, D, d)
        z_a = gather_nodes(z, obs["agent_node"]).expand_as(z_u)        # (B, D, d)
        z_g = z_graph.unsqueeze(1).expand_as(z_u)                       # (B, D, d)
        return self.mlp(torch.cat([z_u, z_a, z_g], -1)).squeeze(-1)


class GaussianHead(NodeHead):
    r"""One Normal per node slot, for a ``Box(-1, 1, (N,))`` action space.

    .. math::
        \mu_v = \mathrm{MLP}\big([\mathbf{z}_v \,\|\, \mathbf{z}_G]\big), \qquad
        a_v \sim \mathcal{N}(\mu_v, \sigma^2)

    with one learnable :math:`\log\sigma` (state-independent, as in PPO's Gaussian
    policies; initialised to :attr:`INITIAL_LOG_STD` and clamped to
    [:attr:`MIN_LOG_STD`, :attr:`MAX_LOG_STD`]): no parameter depends on N. Slots that
    ``action_mask`` marks 0 (padding, nodes that do not act) get mean 0 and take no part in
    the log-probability, entropy or KL (:class:`MaskedDiagGaussian`). The env clips
    actions to [-1, 1] (RLlib's ``normalize_actions``, its default, is then the identity
    and clips too), so the mean is left unsquashed.

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`, ``action_mask`` :math:`(B, N)`
        - **output:** ``forward`` the means :math:`(B, N)`; ``dist_inputs``
          ``concat[mu, log_std, mask]`` :math:`(B, 3N)`
    """

    distribution = MaskedDiagGaussian
    INITIAL_LOG_STD = -0.5
    MIN_LOG_STD, MAX_LOG_STD = -5.0, 1.0

    def __init__(self, hidden: int, head_hidden: int, activation: str) -> None:
        super().__init__(hidden, head_hidden, activation)  # the means: NodeHead's scores
        self.log_std = nn.Parameter(torch.full((), self.INITIAL_LOG_STD))

    @classmethod
    def check(cls, name: str, obs_space: spaces.Dict, action_space: spaces.Space) -> None:
        n = int(obs_space["x"].shape[0])
        want = spaces.Box(-1.0, 1.0, (n,), np.float32)
        if (not isinstance(action_space, spaces.Box) or action_space.shape != (n,)
                or not (np.all(action_space.low == -1) and np.all(action_space.high == 1))):
            raise ValueError(f"head {name!r} needs the action space {want} (one value per "
                             f"node slot, N = {n}), got {action_space}")

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.constant_(self.log_std, self.INITIAL_LOG_STD)

    def dist_inputs(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        """``concat[mu, log_std, mask]`` (B, 3N): mean and log std 0 at masked slots."""
        mask = obs["action_mask"].bool()
        if mask.shape != z.shape[:2]:
            raise ValueError(f"action_mask has shape {tuple(mask.shape)}, the node slots "
                             f"{tuple(z.shape[:2])}")
        mu = self(z, z_graph, obs).masked_fill(~mask, 0.0)
        log_std = self.log_std.clamp(self.MIN_LOG_STD, self.MAX_LOG_STD)
        log_std = log_std.expand_as(mu).masked_fill(~mask, 0.0)
        return torch.cat([mu, log_std, mask.to(mu.dtype)], -1)


HEADS: dict[str, type[ActionHead]] = {
    "fixed": FixedHead,
    "node": NodeHead,
    "proto": ProtoHead,
    "neighbour": NeighbourHead,
    "edge": EdgeHead,
    "two_stage_edge": TwoStageEdgeHead,
    "gaussian": GaussianHead,
}


def build_head(name: str, obs_space: spaces.Dict, action_space: spaces.Discrete, *,
               hidden: int, head_hidden: int, activation: str) -> ActionHead:
    """Check that ``obs_space`` / ``action_space`` fit head ``name`` and build it."""
    if name not in HEADS:
        raise ValueError(f"head must be one of {sorted(HEADS)}, got {name!r}")
    cls = HEADS[name]
    cls.check(name, obs_space, action_space)
    if cls is FixedHead:
        return FixedHead(hidden, head_hidden, activation, int(action_space.n),
                         agent_node="agent_node" in obs_space.spaces)
    if issubclass(cls, EdgeHead):
        fe = obs_space["edge_attr"].shape[-1] if "edge_attr" in obs_space.spaces else 0
        return cls(hidden, head_hidden, activation, edge_features=int(fe))
    return cls(hidden, head_hidden, activation)
