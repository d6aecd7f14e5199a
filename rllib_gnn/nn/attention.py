r"""GATv2 and graph-transformer convolutions that compute PyG's function with fewer,
cheaper tensor operations.

:class:`FastGATv2Conv` and :class:`FastTransformerConv` subclass PyG's ``GATv2Conv`` and
``TransformerConv``: the same parameters under the same names (checkpoints load either
way) and the same outputs up to float rounding, but a forward pass that never builds an
:math:`|\mathcal{E}| \times H \times C` tensor of messages. On one CPU thread, at 10,000
nodes and 50,000 edges (hidden 128, 2 heads), PyG's forms spend most of their time
allocating (and page-faulting) such 50 MB intermediates, several per layer.

Where the time goes instead:

* **Edges grouped by target** (:func:`plan_edges`, once per encoder forward, shared by
  its layers): edges sorted by ``(dst, src)``, with each target's run start
  (``offsets``) and the CSR row pointer.
* **Aggregation** :math:`\sum_j \alpha_{ijh} \mathbf{v}_{jh}` is one
  ``F.embedding_bag`` per head over the node table (a bag per target, the attention
  weights as per-sample weights): no gathered message tensor.
* **GATv2 scores** :math:`\mathbf{a}_h^\top \mathrm{LeakyReLU}(\mathbf{W}_l
  \mathbf{x}_j + \mathbf{W}_r \mathbf{x}_i + \mathbf{W}_e \mathbf{e}_{ij})`: the
  nonlinearity needs the :math:`|\mathcal{E}| \times C` sum per head, so it is built one
  head at a time (two row gathers, the edge term added in place), LeakyReLU runs in
  place and a matrix-vector product reduces it: one (M, C) buffer per head instead of
  PyG's several (M, H, C) ones.
* **Transformer scores** :math:`\mathbf{q}_{ih}^\top(\mathbf{k}_{jh} + \mathbf{W}_{e,h}
  \mathbf{e}_{ij})` are bilinear, so the key weights fold into the query side:

  .. math::
      \mathbf{q}_{ih}^\top(\mathbf{W}_{k,h}\mathbf{x}_j + \mathbf{b}_{k,h} +
      \mathbf{W}_{e,h}\mathbf{e}_{ij}) = \mathbf{p}_{ih}^\top
      [\mathbf{x}_j;\ 1;\ \mathbf{e}_{ij}], \qquad
      \mathbf{p}_{ih} = \tilde{\mathbf{K}}_h^\top \mathbf{q}_{ih} =
      \tilde{\mathbf{K}}_h^\top\mathbf{W}_{q,h}\,\mathbf{x}_i +
      \tilde{\mathbf{K}}_h^\top\mathbf{b}_{q,h}

  with :math:`\tilde{\mathbf{K}}_h = [\mathbf{W}_{k,h}\ \mathbf{b}_{k,h}\
  \mathbf{W}_{e,h}]`; keys are never computed, and the per-edge dot products
  :math:`\mathbf{p}_{ih}^\top \mathbf{x}_j` are one sampled dense-dense product
  (``torch.sparse.sampled_addmm``, SDDMM) per head on the CSR pattern.

Both fall back to PyG's own forward for what they do not cover (bipartite or sparse
inputs, ``return_attention_weights``, the transformer's ``beta``).
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GATv2Conv, TransformerConv
from torch_geometric.utils import add_self_loops, remove_self_loops, softmax

__all__ = ["EdgePlan", "FastGATv2Conv", "FastTransformerConv", "PLANNED_CONVS", "plan_edges"]


class EdgePlan(NamedTuple):
    """The M edges of a graph of N nodes, sorted by ``(dst, src)``.

    Attributes:
        src: (M,) source node of each edge.
        dst: (M,) target node of each edge, non-decreasing.
        offsets: (N,) index of each target's first edge (``embedding_bag`` offsets).
        crow: (N + 1,) CSR row pointer (``offsets`` followed by M).
        edge_attr: (M, Fe) edge features in the same order, or None.
        num_nodes: N.
    """

    src: Tensor
    dst: Tensor
    offsets: Tensor
    crow: Tensor
    edge_attr: Tensor | None
    num_nodes: int


def plan_edges(edge_index: Tensor, edge_attr: Tensor | None, num_nodes: int, *,
               self_loops: bool = False, fill_value: float | str = "mean") -> EdgePlan:
    """Group edges by target; with ``self_loops``, first replace self-loops by one per node
    exactly as ``GATv2Conv`` does (``remove_self_loops`` then ``add_self_loops`` with
    ``fill_value`` for their features).

    Args:
        edge_index: (2, M0) source and target ids.
        edge_attr: (M0, Fe) or (M0,) edge features, or None.
        num_nodes: N.

    Returns:
        The :class:`EdgePlan` (M = M0, or M0 minus self-loops plus N).
    """
    if edge_attr is not None and edge_attr.dim() == 1:
        edge_attr = edge_attr.view(-1, 1)
    if self_loops:
        edge_index, edge_attr = remove_self_loops(edge_index, edge_attr)
        edge_index, edge_attr = add_self_loops(edge_index, edge_attr, fill_value=fill_value,
                                               num_nodes=num_nodes)
    src, dst = edge_index[0], edge_index[1]
    order = torch.argsort(dst * num_nodes + src)
    src, dst = src[order], dst[order]
    crow = torch.searchsorted(dst, torch.arange(num_nodes + 1, device=dst.device))
    return EdgePlan(src, dst, crow[:-1], crow,
                    None if edge_attr is None else edge_attr[order], num_nodes)


def _head_rows(index: Tensor, heads: int, head: int) -> Tensor:
    """Row of ``(node, head)`` in a node table viewed as ``(N * heads, C)``."""
    return index * heads + head


def _aggregate(table: Tensor, alpha: Tensor, plan: EdgePlan, slot: int) -> Tensor:
    r"""One head's :math:`\mathbf{o}_i = \sum_{j \to i} \alpha_{ij}\, \mathbf{t}_{j,s}`.

    Args:
        table: (N, S, C) contiguous per-node rows; ``slot`` s picks one of the S.
        alpha: (M,) the head's attention weights, in plan order.

    Returns:
        (N, C); zero rows for nodes without incoming edges.
    """
    n, slots, c = table.shape
    return F.embedding_bag(_head_rows(plan.src, slots, slot), table.view(n * slots, c),
                           plan.offsets, mode="sum", per_sample_weights=alpha)


def _combine_heads(outs: list[Tensor], concat: bool) -> Tensor:
    """(N, H*C) concatenation or (N, C) mean of per-head (N, C) outputs."""
    if concat:
        return torch.cat(outs, dim=-1)
    total = outs[0]
    for out in outs[1:]:
        total = total + out
    return total / len(outs)


class FastGATv2Conv(GATv2Conv):
    r"""``GATv2Conv`` (same parameters, same function) without per-edge message tensors.

    .. math::
        \mathbf{z}_{ijh} = \mathbf{W}_{l,h}\mathbf{x}_j + \mathbf{W}_{r,h}\mathbf{x}_i +
        \mathbf{W}_{e,h}\mathbf{e}_{ij}, \quad
        \alpha_{ijh} = \operatorname{softmax}_{j}\big(\mathbf{a}_h^\top
        \mathrm{LeakyReLU}(\mathbf{z}_{ijh})\big), \quad
        \mathbf{o}_{ih} = \sum_j \alpha_{ijh} \mathbf{W}_{l,h}\mathbf{x}_j

    then heads concatenated or averaged, plus the residual and bias, as in PyG. Per head,
    :math:`\mathbf{z}` is one (M, C) buffer and the aggregation one ``embedding_bag``
    (see the module docstring).

    Shapes: x (N, F), edge_index (2, M0), edge_attr (M0, Fe) -> (N, H*C) or (N, C).
    ``plan`` (keyword): a :class:`EdgePlan` built with ``self_loops=add_self_loops``
    and this layer's ``fill_value``, to share the edge sort between layers.
    """

    def forward(self, x, edge_index, edge_attr=None, return_attention_weights=None, *,
                plan: EdgePlan | None = None):
        if (not isinstance(x, Tensor) or not isinstance(edge_index, Tensor)
                or edge_index.is_sparse or return_attention_weights is not None):
            return super().forward(x, edge_index, edge_attr, return_attention_weights)
        heads, c, n = self.heads, self.out_channels, x.size(0)
        if plan is None:
            plan = plan_edges(edge_index, edge_attr, n, self_loops=self.add_self_loops,
                              fill_value=self.fill_value)
        x_l = self.lin_l(x)
        x_r = x_l if self.share_weights else self.lin_r(x)
        x_l, x_r = x_l.view(n * heads, c), x_r.view(n * heads, c)
        w_e = None
        if plan.edge_attr is not None and self.lin_edge is not None:
            w_e = self.lin_edge.weight.view(heads, c, -1)                 # (H, C, Fe)
        scores = []
        for h in range(heads):  # one (M, C) intermediate at a time
            z = x_l.index_select(0, _head_rows(plan.src, heads, h))
            z += x_r.index_select(0, _head_rows(plan.dst, heads, h))
            if w_e is not None:
                z.addmm_(plan.edge_attr, w_e[h].t())
            z = F.leaky_relu(z, self.negative_slope, inplace=True)
            scores.append(z @ self.att[0, h])
        alpha = softmax(torch.stack(scores, dim=1), plan.dst, num_nodes=n)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        outs = [_aggregate(x_l.view(n, heads, c), alpha[:, h], plan, h) for h in range(heads)]
        out = _combine_heads(outs, self.concat)
        if self.res is not None:
            out = out + self.res(x)
        if self.bias is not None:
            out = out + self.bias
        return out


class FastTransformerConv(TransformerConv):
    r"""``TransformerConv`` (same parameters, same function) without keys or per-edge
    message tensors.

    .. math::
        \alpha_{ijh} = \operatorname{softmax}_j\Big(\frac{\mathbf{p}_{ih}^\top
        [\mathbf{x}_j; 1; \mathbf{e}_{ij}]}{\sqrt{C}}\Big), \quad
        \mathbf{o}_{ih} = \sum_j \alpha_{ijh}\big(\mathbf{W}_{v,h}\mathbf{x}_j +
        \mathbf{b}_{v,h}\big) + \mathbf{W}_{e,h}\sum_j \alpha_{ijh}\mathbf{e}_{ij}

    with :math:`\mathbf{p}_{ih}` from the module docstring (the key weights folded into the
    query), heads concatenated or averaged, plus :math:`\mathbf{W}_s\mathbf{x}_i +
    \mathbf{b}_s` (``root_weight``). The query-side GEMM has width
    :math:`H(F + 1 + F_e)` instead of PyG's two of width :math:`HC` (cheaper while
    :math:`F < 2C`; :class:`~rllib_gnn.nn.encoders.GraphEncoder` has :math:`F = C`).

    Shapes: x (N, F), edge_index (2, M), edge_attr (M, Fe) -> (N, H*C) or (N, C).
    ``plan`` (keyword): a :class:`EdgePlan` built without self-loops.
    """

    def _query_side(self, fe: int) -> tuple[Tensor, Tensor]:
        r"""Weight (F, H*(F+1+Fe)) and bias (H*(F+1+Fe),) of :math:`\mathbf{p}`."""
        heads, c = self.heads, self.out_channels
        w_k = self.lin_key.weight.view(heads, c, -1)                       # (H, C, F)
        b_k = (self.lin_key.bias if self.lin_key.bias is not None
               else w_k.new_zeros(heads * c)).view(heads, c, 1)
        parts = [w_k, b_k]
        if fe:
            parts.append(self.lin_edge.weight.view(heads, c, fe))
        k_tilde = torch.cat(parts, dim=2)                                  # (H, C, F+1+Fe)
        w_q = self.lin_query.weight.view(heads, c, -1)                     # (H, C, F)
        weight = torch.einsum("hcf,hcg->fhg", w_q, k_tilde).reshape(w_q.size(2), -1)
        bias = (torch.einsum("hc,hcg->hg", self.lin_query.bias.view(heads, c), k_tilde)
                .reshape(-1) if self.lin_query.bias is not None else None)
        return weight, bias

    def forward(self, x, edge_index, edge_attr=None, return_attention_weights=None, *,
                plan: EdgePlan | None = None):
        if (not isinstance(x, Tensor) or not isinstance(edge_index, Tensor)
                or edge_index.is_sparse or return_attention_weights is not None
                or self.lin_beta is not None):
            return super().forward(x, edge_index, edge_attr, return_attention_weights)
        heads, c, (n, f) = self.heads, self.out_channels, x.shape
        if plan is None:
            plan = plan_edges(edge_index, edge_attr, n)
        ea = plan.edge_attr if self.lin_edge is not None else None
        fe = 0 if ea is None else ea.size(1)
        weight, bias = self._query_side(fe)
        p = F.linear(x, weight.t(), bias).view(n, heads, f + 1 + fe)
        p_dst = p[:, :, f:].contiguous().index_select(0, plan.dst)        # (M, H, 1+Fe)
        scores = p_dst[:, :, 0]
        if fe:
            scores = scores + (p_dst[:, :, 1:] * ea.unsqueeze(1)).sum(-1)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            pattern = torch.sparse_csr_tensor(plan.crow, plan.src, x.new_zeros(plan.src.numel()),
                                              (n, n), check_invariants=False)
            sddmm = [torch.sparse.sampled_addmm(pattern, p[:, h, :f], x.t()).values()
                     for h in range(heads)]
        alpha = softmax((torch.stack(sddmm, dim=1) + scores) / math.sqrt(c), plan.dst,
                        num_nodes=n)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        value = self.lin_value(x).view(n, heads, c)
        outs = [_aggregate(value, alpha[:, h], plan, h) for h in range(heads)]
        if fe:
            # sum_j alpha_ijh e_ij (N, H, Fe), then W_e,h per head.
            pooled = x.new_zeros(n, heads, fe).index_add_(
                0, plan.dst, alpha.unsqueeze(-1) * ea.unsqueeze(1))
            w_e = self.lin_edge.weight.view(heads, c, fe)
            outs = [o.addmm_(pooled[:, h], w_e[h].t()) for h, o in enumerate(outs)]
        out = _combine_heads(outs, self.concat)
        if self.root_weight:
            out = out + self.lin_skip(x)
        return out


#: Convolutions whose ``forward`` takes a shared ``plan=`` (:func:`plan_edges`).
PLANNED_CONVS = (FastGATv2Conv, FastTransformerConv)
