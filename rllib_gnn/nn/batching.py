"""Flatten a padded batch of graph observations into one PyG-style disjoint graph.

RLlib batches the Dict observations of the observation contract (``docs/architecture.md``)
into padded tensors: ``x`` (B, N, F), ``edge_index`` (B, 2, E), ``node_mask`` (B, N),
``edge_mask`` (B, E) and optionally ``edge_attr`` (B, E, Fe). PyG layers want one graph with
:math:`|\\mathcal{V}| = \\sum_b n_b` real nodes instead. :func:`flatten_graphs` builds it
with tensor operations only (no Python loop over graphs, nodes or edges):

.. math::
    \\mathrm{map}(b N + i) = \\Big(\\sum_{k \\le bN + i} m_k\\Big) - 1, \\qquad
    (s, t)_{b,e} \\mapsto \\big(\\mathrm{map}(bN + s),\\ \\mathrm{map}(bN + t)\\big)

where :math:`m` is the flattened node mask, so ids are offset per graph and padding slots
vanish in one cumulative sum. :meth:`GraphBatch.to_dense` scatters node embeddings back
to (B, N, d) with zeros on padding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["GraphBatch", "flatten_graphs"]


@dataclass(frozen=True)
class GraphBatch:
    """B padded graphs as one disjoint PyG graph.

    Attributes:
        x: (V, F) features of the V real nodes, graph by graph.
        edge_index: (2, M) the M real edges in flat node ids ``0..V-1``.
        edge_attr: (M, Fe) features of the real edges, or None.
        batch: (V,) graph id of each real node (PyG's ``batch`` vector).
        node_index: (V,) flat padded slot ``b * N + i`` of each real node.
        num_graphs: B.
        max_nodes: N.
    """

    x: Tensor
    edge_index: Tensor
    edge_attr: Tensor | None
    batch: Tensor
    node_index: Tensor
    num_graphs: int
    max_nodes: int

    def to_dense(self, h: Tensor) -> Tensor:
        """Scatter per-real-node rows back to padded slots.

        Args:
            h: (V, d) one row per real node, in this batch's node order.

        Returns:
            (B, N, d) with ``h`` at the real slots and zeros at padding slots.
        """
        out = h.new_zeros(self.num_graphs * self.max_nodes, h.size(-1))
        out = out.index_copy(0, self.node_index, h)
        return out.view(self.num_graphs, self.max_nodes, h.size(-1))


def flatten_graphs(obs: Mapping[str, Tensor], *, where: str = "obs",
                   validate: bool = True) -> GraphBatch:
    """Flatten a padded graph batch into one disjoint graph.

    Args:
        obs: the graph keys of a batched contract observation: ``x`` (B, N, F),
            ``edge_index`` (B, 2, E), ``node_mask`` (B, N), ``edge_mask`` (B, E) and
            optionally ``edge_attr`` (B, E, Fe). Indices and masks may arrive as floats
            (RLlib may convert them); they are cast with ``.long()`` / ``.bool()``.
        where: how error messages name ``obs`` (``"obs"``, ``"obs['state']"``).
        validate: check that real node features are finite and that every real edge
            joins two real nodes (one reduction each).

    Returns:
        The :class:`GraphBatch`.

    Raises:
        ValueError: a real node's features hold NaN/inf, or a real edge points at a
            padding node or outside ``0..N-1``.
    """
    x = obs["x"]
    if not torch.is_floating_point(x):
        x = x.float()
    num_graphs, max_nodes = x.shape[0], x.shape[1]
    edge_index = obs["edge_index"].long()
    node_mask = obs["node_mask"].bool().reshape(-1)
    edge_mask = obs["edge_mask"].bool()
    device = x.device

    # Real nodes: their flat slots b*N + i and their new ids 0..V-1 (cumsum index map).
    node_index = node_mask.nonzero().view(-1)
    index_map = node_mask.long().cumsum(0) - 1
    batch = torch.div(node_index, max_nodes, rounding_mode="floor")
    x_real = x.reshape(num_graphs * max_nodes, x.shape[-1]).index_select(0, node_index)

    # Real edges: offset each graph's ids by b*N, then map to the new ids.
    offset = (torch.arange(num_graphs, device=device) * max_nodes).view(-1, 1, 1)
    ei_local = edge_index.transpose(1, 2)[edge_mask]             # (M, 2) ids within a graph
    ei_flat = (edge_index + offset).transpose(1, 2)[edge_mask]  # (M, 2) flat padded slots

    if validate:
        _check_nodes(x_real, node_index, max_nodes, where)
        _check_edges(ei_local, ei_flat, node_mask, max_nodes, where)

    return GraphBatch(
        x=x_real,
        edge_index=index_map[ei_flat].t().contiguous(),
        edge_attr=_real_edge_attr(obs, edge_mask, validate, where),
        batch=batch,
        node_index=node_index,
        num_graphs=num_graphs,
        max_nodes=max_nodes,
    )


def _check_nodes(x_real: Tensor, node_index: Tensor, max_nodes: int, where: str) -> None:
    """ValueError naming the first real node whose features hold NaN or inf."""
    if not torch.isfinite(x_real).all():
        bad = (~torch.isfinite(x_real)).any(dim=1).nonzero()[0, 0]
        slot = int(node_index[bad])
        raise ValueError(
            f"{where}['x'] holds a non-finite value (NaN or inf) at batch row "
            f"{slot // max_nodes}, node {slot % max_nodes}")


def _check_edges(ei_local: Tensor, ei_flat: Tensor, node_mask: Tensor, max_nodes: int,
                 where: str) -> None:
    """ValueError when a real edge leaves ``0..N-1`` or touches a padding node."""
    out_of_range = (ei_local < 0) | (ei_local >= max_nodes)
    if out_of_range.any():
        raise ValueError(
            f"{where}['edge_index'] has a real edge (edge_mask=1) with a node id "
            f"outside 0..{max_nodes - 1}")
    if ei_flat.numel() and not node_mask[ei_flat].all():
        bad = (~node_mask[ei_flat]).any(dim=1).nonzero()[0, 0]
        b, (s, t) = int(ei_flat[bad, 0]) // max_nodes, ei_local[bad].tolist()
        raise ValueError(
            f"{where}['edge_index'] has a real edge ({s} -> {t}) in batch row {b} that "
            f"points at a padding node (node_mask=0); padding nodes must stay isolated")


def _real_edge_attr(obs: Mapping[str, Tensor], edge_mask: Tensor, validate: bool,
                    where: str) -> Tensor | None:
    """The (M, Fe) float features of the real edges; None without ``edge_attr``."""
    if "edge_attr" not in obs:
        return None
    edge_attr = obs["edge_attr"]
    if not torch.is_floating_point(edge_attr):
        edge_attr = edge_attr.float()
    edge_attr = edge_attr[edge_mask]
    if validate and not torch.isfinite(edge_attr).all():
        raise ValueError(f"{where}['edge_attr'] holds a non-finite value (NaN or inf)")
    return edge_attr
