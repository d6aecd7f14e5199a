"""Masked graph pooling: real-node embeddings -> one embedding per graph.

Padding nodes never reach the pooling: :mod:`rllib_gnn.nn.batching` already dropped them, and
the ``batch`` vector with ``size=B`` gives every graph a row, zeros for a graph with no real
node.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import (
    AttentionalAggregation,
    global_add_pool,
    global_max_pool,
    global_mean_pool,
)

__all__ = ["POOLINGS", "GraphPooling"]

POOLINGS = ("mean", "max", "sum", "attention")

_GLOBAL = {"mean": global_mean_pool, "max": global_max_pool, "sum": global_add_pool}


class GraphPooling(nn.Module):
    r"""Pool the node embeddings of each graph into a graph embedding.

    .. math::
        \mathbf{z}_G = \bigoplus_{v \in G} \mathbf{h}_v, \qquad
        \oplus \in \{\mathrm{mean}, \max, \textstyle\sum\}

    or, for ``"attention"`` (PyG's :class:`AttentionalAggregation`),

    .. math::
        \mathbf{z}_G = \sum_{v \in G} \mathrm{softmax}_{v \in G}\big(
        \mathbf{w}^{\top} \mathbf{h}_v + c\big) \cdot \mathbf{h}_v

    Args:
        kind (str): one of :data:`POOLINGS`.
        hidden (int): d, the embedding width (used by ``"attention"``'s gate).

    Shapes:
        - **input:** node embeddings :math:`(|\mathcal{V}|, d)`, graph ids
          :math:`(|\mathcal{V}|,)`, the number of graphs B
        - **output:** graph embeddings :math:`(B, d)`; zeros for a graph with no node
    """

    def __init__(self, kind: str = "mean", hidden: int = 64) -> None:
        super().__init__()
        if kind not in POOLINGS:
            raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {kind!r}")
        self.kind = kind
        self.attention = (AttentionalAggregation(gate_nn=nn.Linear(hidden, 1))
                          if kind == "attention" else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise the attention gate (the other kinds have no parameter)."""
        if self.attention is not None:
            self.attention.reset_parameters()

    def forward(self, h: Tensor, batch: Tensor, size: int) -> Tensor:
        """Pool ``h`` (V, d) by graph id ``batch`` (V,) into (``size``, d)."""
        if self.attention is not None:
            return self.attention(h, index=batch, dim_size=size)
        return _GLOBAL[self.kind](h, batch, size=size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.kind})"
