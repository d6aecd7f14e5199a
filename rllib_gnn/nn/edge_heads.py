"""Edge heads: one logit per edge slot of ``edge_index`` (B, 2, E) -> (B, E).

``edge`` scores every slot on its own; ``two_stage_edge`` picks an edge as two node choices
(Dai et al. 2018): a source, then a destination among the source's valid edges, and returns
the exact log-probability of that pair, so that RLlib's categorical over the E slots *is*
the two-stage distribution.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from gymnasium import spaces
from torch import Tensor

from rllib_gnn.nn.encoders import mlp
from rllib_gnn.nn.head_base import ActionHead, gather_nodes

__all__ = ["EdgeHead", "TwoStageEdgeHead", "segment_log_softmax"]


def segment_log_softmax(scores: Tensor, index: Tensor, num_segments: int) -> Tensor:
    """Log-softmax of ``scores`` within each group of equal ``index`` (a scatter softmax).

    Args:
        scores: (M,) scores; entries at the dtype's lowest value get probability 0 beside
            any larger entry of their group.
        index: (M,) int64 group ids in ``0..num_segments-1``.
        num_segments: the group count S.

    Returns:
        (M,) ``scores[i] - log sum_{j: index[j] = index[i]} exp(scores[j])``; every group's
        exponentials sum to 1. Finite wherever ``scores`` is (a group whose entries are all
        the lowest value gets the uniform distribution, never NaN).
    """
    low = torch.finfo(scores.dtype).min
    # the group maximum only shifts for stability: no gradient through it
    peak = scores.new_full((num_segments,), low).scatter_reduce(
        0, index, scores.detach(), reduce="amax", include_self=True)
    shifted = scores - peak[index]
    total = scores.new_zeros(num_segments).scatter_add(0, index, shifted.exp())
    return shifted - total.log()[index]


class EdgeHead(ActionHead):
    r"""One logit per edge slot of ``edge_index``.

    .. math::
        \ell_{e} = \mathrm{MLP}\big([\mathbf{z}_{s_e} \,\|\, \mathbf{z}_{t_e} \,\|\,
        \mathbf{e}_{e}]\big), \qquad (s_e, t_e) = \mathrm{edge\_index}[:, e]

    (:math:`\mathbf{e}_e` = ``edge_attr[e]`` when the observation has edge features).

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`, ``edge_index`` :math:`(B, 2, E)`,
          ``edge_attr`` :math:`(B, E, F_e)` *(optional)*
        - **output:** :math:`(B, E)`
    """

    def __init__(self, hidden: int, head_hidden: int, activation: str,
                 edge_features: int = 0) -> None:
        super().__init__()
        self.edge_features = edge_features
        self.mlp = mlp([2 * hidden + edge_features, head_hidden, 1], activation)

    @classmethod
    def num_actions(cls, obs_space: spaces.Dict) -> int:
        return int(obs_space["edge_index"].shape[1])

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        edge_index = obs["edge_index"].long()
        parts = [gather_nodes(z, edge_index[:, 0]), gather_nodes(z, edge_index[:, 1])]
        if self.edge_features:
            parts.append(obs["edge_attr"].to(z.dtype))
        return self.mlp(torch.cat(parts, -1)).squeeze(-1)


class TwoStageEdgeHead(EdgeHead):
    r"""An edge as two node choices: a source, then a destination given the source
    (Dai et al. 2018, "Learning Combinatorial Optimization Algorithms over Graphs").

    With :math:`V` the valid slots (``action_mask``), :math:`S = \{s_e : e \in V\}` the
    valid sources and :math:`V_s = \{e \in V : s_e = s\}` the valid slots leaving
    :math:`s`:

    .. math::
        a_v &= \mathrm{MLP}_{\mathrm{src}}\big([\mathbf{z}_v \,\|\, \mathbf{z}_G]\big),
        \qquad
        b_e = \mathrm{MLP}_{\mathrm{dst}}\big([\mathbf{z}_{s_e} \,\|\, \mathbf{z}_{t_e}
        \,\|\, \mathbf{e}_e]\big)

        \ell_e &= \log p(s_e) + \log p(e \mid s_e)
        = \Big(a_{s_e} - \log \sum_{v \in S} e^{a_v}\Big)
        + \Big(b_e - \log \sum_{e' \in V_{s_e}} e^{b_{e'}}\Big), \qquad e \in V

    (:math:`\mathrm{MLP}_{\mathrm{dst}}` is :class:`EdgeHead`'s, so the destination score
    reads the source). The logits are normalised log-probabilities: :math:`\sum_{e \in V}
    e^{\ell_e} = 1`, a node with no valid slot gets source probability 0, and a
    categorical over the E slots samples exactly "source, then destination". PPO's
    log-probability, entropy and KL are those of the joint; decoding's logit ranks are
    joint probability ranks. Both stages are scatter softmaxes over the whole batch
    (:func:`segment_log_softmax`), no loop. Invalid slots' values are meaningless:
    the module masks them to the lowest float.

    Undirected edges come as two slots, :math:`(u, v)` and :math:`(v, u)`; each is its own
    pair (source u or source v), and the undirected edge's probability is the sum of the
    two. Choosing one direction only (say u < v) would make the policy depend on node
    numbering, so both stay, as the env marks them (``action_mask`` of matching: both
    directions of an available edge).

    Shapes:
        - **input:** :math:`(B, N, d)`, :math:`(B, d)`, ``edge_index`` :math:`(B, 2, E)`,
          ``action_mask`` :math:`(B, E)`, ``edge_attr`` :math:`(B, E, F_e)` *(optional)*
        - **output:** :math:`(B, E)`
    """

    requires = ("action_mask",)

    def __init__(self, hidden: int, head_hidden: int, activation: str,
                 edge_features: int = 0) -> None:
        super().__init__(hidden, head_hidden, activation, edge_features)
        self.source_mlp = mlp([2 * hidden, head_hidden, 1], activation)

    def forward(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        batch, nodes = z.shape[:2]
        low = torch.finfo(z.dtype).min
        valid = obs["action_mask"].bool()                                       # (B, E)
        source = obs["edge_index"][:, 0].long()                                 # (B, E)
        # source ids across the batch: graph b's node v is b * N + v
        flat = (source + nodes * torch.arange(batch, device=z.device).unsqueeze(1)).view(-1)
        valid_edges = z.new_zeros(batch * nodes).scatter_add(0, flat, valid.view(-1).to(z.dtype))
        is_source = valid_edges.view(batch, nodes) > 0                          # (B, N)

        source_score = self.source_mlp(
            torch.cat([z, z_graph.unsqueeze(1).expand_as(z)], -1)).squeeze(-1)   # (B, N)
        log_source = torch.log_softmax(source_score.masked_fill(~is_source, low), -1)
        dest_score = super().forward(z, z_graph, obs).masked_fill(~valid, low)  # (B, E)
        log_dest = segment_log_softmax(dest_score.view(-1), flat, batch * nodes)
        return log_source.gather(1, source) + log_dest.view(batch, -1)
