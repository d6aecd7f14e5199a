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


def _head_rows(index: Tensor, slots: int, slot: int) -> Tensor:
    """Row of ``(node, slot)`` in a node table (N, S, C) viewed as ``(N * S, C)``."""
    return index * slots + slot


def _aggregate_heads(table: Tensor, alpha: Tensor, plan: EdgePlan, concat: bool) -> Tensor:
    r""":math:`\mathbf{o}_{ih} = \sum_{j \to i} \alpha_{ijh}\, \mathbf{t}_{jh}`, heads
    concatenated or averaged.

    Args:
        table: (N, S, C) contiguous per-node rows; head h reads slot h (S >= H).
        alpha: (M, H) attention weights, in plan order.

    Returns:
        (N, H*C) when ``concat``, else (N, C) (the mean is one bag per node over all
        heads, weights :math:`\alpha / H`); zero rows for nodes without incoming edges.
    """
    n, slots, c = table.shape
    heads = alpha.size(1)
    flat = table.view(n * slots, c)
    if concat:
        return torch.cat([F.embedding_bag(_head_rows(plan.src, slots, h), flat, plan.offsets,
                                          mode="sum", per_sample_weights=alpha[:, h])
                          for h in range(heads)], dim=-1)
    rows = _head_rows(plan.src.view(-1, 1), slots, torch.arange(heads, device=alpha.device))
    return F.embedding_bag(rows.view(-1), flat, plan.offsets * heads, mode="sum",
                           per_sample_weights=(alpha / heads).view(-1))


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
        # x_l and x_r as one (N, 2H, C) table from one GEMM: slot h is x_l, H + h is x_r.
        if self.share_weights:
            table = self.lin_l(x).view(n, heads, c).repeat(1, 2, 1)
        else:
            bias = (None if self.lin_l.bias is None
                    else torch.cat([self.lin_l.bias, self.lin_r.bias]))
            table = F.linear(x, torch.cat([self.lin_l.weight, self.lin_r.weight]), bias)
            table = table.view(n, 2 * heads, c)
        w_e = None
        if plan.edge_attr is not None and self.lin_edge is not None:
            w_e = self.lin_edge.weight.view(heads, c, -1)                 # (H, C, Fe)
        scores = []
        for h in range(heads):  # one (M, C) buffer at a time
            rows = torch.stack([_head_rows(plan.src, 2 * heads, h),
                                _head_rows(plan.dst, 2 * heads, heads + h)], dim=1)
            z = F.embedding_bag(rows, table.view(-1, c), mode="sum")     # x_l[j] + x_r[i]
            if w_e is not None:
                z = z.addmm_(plan.edge_attr, w_e[h].t())
            z = F.leaky_relu(z, self.negative_slope, inplace=True)
            scores.append(z @ self.att[0, h])
        alpha = softmax(torch.stack(scores, dim=1), plan.dst, num_nodes=n)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        out = _aggregate_heads(table, alpha, plan, self.concat)
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

    def _query_side(self, x: Tensor, fe: int) -> tuple[list[Tensor], Tensor]:
        r""":math:`\mathbf{p}_{ih}` for every node: per head the (N, F) part that meets
        :math:`\mathbf{x}_j` (contiguous, for the SDDMM), and (N, H, 1 + Fe) for the
        constant and edge-feature parts."""
        heads, c, f = self.heads, self.out_channels, x.size(1)
        w_k = self.lin_key.weight.view(heads, c, f)
        b_k = (self.lin_key.bias if self.lin_key.bias is not None
               else w_k.new_zeros(heads * c)).view(heads, c, 1)
        parts = [w_k, b_k] + ([self.lin_edge.weight.view(heads, c, fe)] if fe else [])
        k_tilde = torch.cat(parts, dim=2)                                  # (H, C, F+1+Fe)
        w_q = self.lin_query.weight.view(heads, c, f)
        weight = torch.einsum("hcg,hcf->hgf", k_tilde, w_q)                # (H, F+1+Fe, F)
        bias = (torch.einsum("hcg,hc->hg", k_tilde, self.lin_query.bias.view(heads, c))
                if self.lin_query.bias is not None else None)              # (H, F+1+Fe)
        bilinear = [F.linear(x, weight[h, :f], None if bias is None else bias[h, :f])
                    for h in range(heads)]
        rest = F.linear(x, weight[:, f:].reshape(-1, f),
                        None if bias is None else bias[:, f:].reshape(-1))
        return bilinear, rest.view(-1, heads, 1 + fe)

    def forward(self, x, edge_index, edge_attr=None, return_attention_weights=None, *,
                plan: EdgePlan | None = None):
        if (not isinstance(x, Tensor) or not isinstance(edge_index, Tensor)
                or edge_index.is_sparse or return_attention_weights is not None
                or self.lin_beta is not None):
            return super().forward(x, edge_index, edge_attr, return_attention_weights)
        heads, c, n = self.heads, self.out_channels, x.size(0)
        if plan is None:
            plan = plan_edges(edge_index, edge_attr, n)
        ea = plan.edge_attr if self.lin_edge is not None else None
        fe = 0 if ea is None else ea.size(1)
        bilinear, rest = self._query_side(x, fe)
        rest = rest.index_select(0, plan.dst)                             # (M, H, 1+Fe)
        scores = rest[:, :, 0]
        if fe:
            scores = scores + (rest[:, :, 1:] * ea.unsqueeze(1)).sum(-1)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            pattern = torch.sparse_csr_tensor(plan.crow, plan.src, x.new_zeros(plan.src.numel()),
                                              (n, n), check_invariants=False)
            sddmm = [torch.sparse.sampled_addmm(pattern, p, x.t()).values() for p in bilinear]
        alpha = softmax((torch.stack(sddmm, dim=1) + scores) / math.sqrt(c), plan.dst,
                        num_nodes=n)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        out = _aggregate_heads(self.lin_value(x).view(n, heads, c), alpha, plan, self.concat)
        if fe:
            # W_e,h applied to sum_j alpha_ijh e_ij (N, H, Fe), heads concatenated or averaged.
            pooled = x.new_zeros(n, heads, fe).index_add_(
                0, plan.dst, alpha.unsqueeze(-1) * ea.unsqueeze(1))
            w_e = self.lin_edge.weight.view(heads, c, fe)
            if self.concat:
                out = out + torch.einsum("nhf,hcf->nhc", pooled, w_e).reshape(n, -1)
            else:
                out = out.addmm_(pooled.view(n, -1), w_e.transpose(1, 2).reshape(-1, c),
                                 alpha=1.0 / heads)
        if self.root_weight:
            out = out + self.lin_skip(x)
        return out


#: Convolutions whose ``forward`` takes a shared ``plan=`` (:func:`plan_edges`).
PLANNED_CONVS = (FastGATv2Conv, FastTransformerConv)
