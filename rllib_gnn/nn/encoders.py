"""GNN encoders: a stack of PyG convolutions chosen by name.

Every encoder works on one flattened disjoint graph (see :mod:`rllib_gnn.nn.batching`), so
nothing here knows about padding, B, N or E: the parameters depend only on the feature
widths F, Fe and the config.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch_geometric.nn import GCNConv, GINConv, GINEConv, SAGEConv
from torch_geometric.utils import spmm

from rllib_gnn.nn.attention import PLANNED_CONVS, FastGATv2Conv, FastTransformerConv, plan_edges

__all__ = ["ACTIVATIONS", "BFLOAT16_ENCODERS", "ENCODERS", "EDGE_AWARE_ENCODERS", "NORMS",
           "GraphEncoder",
           "csr_adjacency", "make_activation", "mlp"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
}

NORMS = ("none", "layer")


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by name (one of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def mlp(dims: list[int], activation: str) -> nn.Sequential:
    """Linear layers of widths ``dims`` with ``activation`` between them (not after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        if i:
            layers.append(make_activation(activation))
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


def _gcn(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return GCNConv(hidden, hidden)


def _gat(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return FastGATv2Conv(hidden, hidden, heads=heads, concat=False, edge_dim=edge_dim)


class _AggregateInAdjacencyDtype:
    """Conv mixin: the sparse product runs in the CSR adjacency's float32, outside any
    autocast (torch's CPU CSR product takes no bfloat16, which autocast would cast to)."""

    def message_and_aggregate(self, adj_t: Tensor, x: Tensor | tuple[Tensor, ...]) -> Tensor:
        x = x[0] if isinstance(x, tuple) else x
        with torch.autocast(x.device.type, enabled=False):
            return spmm(adj_t, x.to(adj_t.dtype), reduce=self.aggr)


class _SAGEConv(_AggregateInAdjacencyDtype, SAGEConv):
    """PyG's SAGEConv (same parameters and function), aggregating in float32."""


class _GINConv(_AggregateInAdjacencyDtype, GINConv):
    """PyG's GINConv (same parameters and function), aggregating in float32."""


def _sage(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return _SAGEConv(hidden, hidden)


def _gin(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return _GINConv(mlp([hidden, hidden, hidden], activation), train_eps=True)


def _gine(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return GINEConv(mlp([hidden, hidden, hidden], activation), train_eps=True,
                    edge_dim=edge_dim)


def _transformer(hidden: int, edge_dim: int | None, heads: int, activation: str) -> nn.Module:
    return FastTransformerConv(hidden, hidden, heads=heads, concat=False, edge_dim=edge_dim)


#: name -> factory ``(hidden, edge_dim, heads, activation) -> conv``.
ENCODERS: dict[str, Callable[[int, int | None, int, str], nn.Module]] = {
    "gcn": _gcn,
    "gat": _gat,
    "sage": _sage,
    "gin": _gin,
    "gine": _gine,
    "transformer": _transformer,
}

#: Convolutions that aggregate by a sparse matrix product when given PyG's ``adj_t`` (a
#: CSR adjacency, row = target): the same mean / sum as gathering one message per edge, but
#: with no (E, d) message tensor, forward or backward (sage 2 x 128 on 1,024 MVC graphs:
#: 11 -> 3.5 ms a layer, forward and backward).
SPARSE_CONVS = (SAGEConv, GINConv)
#: Encoders that may train under bfloat16 autocast (``model.train_precision``): their
#: aggregation stays float32 (the others sum messages in bfloat16, which loses too much).
BFLOAT16_ENCODERS = frozenset({"gin", "sage"})
# torch says once per process that CSR tensors are "beta"; PyG's own sparse path uses them.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta",
                        category=UserWarning)


def csr_adjacency(edge_index: Tensor, num_nodes: int) -> Tensor:
    """PyG's ``adj_t`` of ``edge_index`` (2, E): a (V, V) sparse CSR tensor of ones, row =
    target, one entry per edge. Repeated edges stay repeated (PyG's
    ``to_torch_csr_tensor`` would merge them), so a mean or sum over the row is exactly
    the per-edge gather-and-scatter's."""
    source, target = edge_index[0], edge_index[1]
    order = torch.argsort(target * num_nodes + source)
    crow = edge_index.new_zeros(num_nodes + 1)
    torch.cumsum(torch.bincount(target, minlength=num_nodes), 0, out=crow[1:])
    ones = torch.ones(source.numel(), device=edge_index.device)
    return torch.sparse_csr_tensor(crow, source[order], ones, (num_nodes, num_nodes),
                                   check_invariants=False)  # valid by construction


#: Encoders whose convolutions read ``edge_attr`` (the others ignore edge features).
EDGE_AWARE_ENCODERS = frozenset({"gat", "gine", "transformer"})
#: Encoders that cannot run without edge features.
EDGE_REQUIRED_ENCODERS = frozenset({"gine"})


class GraphEncoder(nn.Module):
    r"""An input projection followed by ``num_layers`` message-passing layers.

    .. math::
        \mathbf{h}^{(0)}_v = \sigma\big(\mathbf{W}_{\mathrm{in}} \mathbf{x}_v
        + \mathbf{b}_{\mathrm{in}}\big), \qquad
        \mathbf{m}^{(\ell)}_v = \mathrm{Drop}\Big(\sigma\big(\mathrm{Norm}\big(
        \mathrm{Conv}^{(\ell)}(\mathbf{H}^{(\ell-1)}, \mathcal{E},
        \mathbf{E}_{\mathrm{attr}})_v\big)\big)\Big)

    .. math::
        \mathbf{h}^{(\ell)}_v = \mathbf{h}^{(\ell-1)}_v + \mathbf{m}^{(\ell)}_v
        \ \text{(residual)} \quad \text{or} \quad \mathbf{h}^{(\ell)}_v =
        \mathbf{m}^{(\ell)}_v

    where :math:`\mathrm{Conv}` is one of GCNConv (``gcn``), GATv2Conv (``gat``),
    SAGEConv (``sage``), GINConv with a 2-layer MLP (``gin``), GINEConv (``gine``) or
    TransformerConv (``transformer``); ``gat``, ``gine`` and ``transformer`` read edge
    features when ``edge_dim`` is given, the others ignore them. GATv2Conv and
    TransformerConv run as :class:`~rllib_gnn.nn.attention.FastGATv2Conv` and
    :class:`~rllib_gnn.nn.attention.FastTransformerConv` (PyG's parameters and function,
    cheaper operations), sharing one edge sort per forward pass; SAGEConv and GINConv
    aggregate through one CSR adjacency per forward pass (:func:`csr_adjacency`, PyG's
    ``adj_t`` path). :math:`\mathrm{Norm}` is
    the identity or a per-node LayerNorm (it never mixes nodes, graphs or padding).

    Args:
        in_channels (int): F, node feature width.
        hidden (int): d, embedding width of every layer.
        num_layers (int): number of convolutions (>= 1).
        conv (str): encoder name, a key of :data:`ENCODERS`.
        edge_dim (int, optional): Fe, edge feature width, or None without edge features.
        residual (bool): add each layer's output to its input.
        norm (str): ``"none"`` or ``"layer"``.
        dropout (float): dropout probability after each layer.
        activation (str): a key of :data:`ACTIVATIONS`.
        attention_heads (int): heads of ``gat`` / ``transformer`` (averaged, so the
            width stays ``hidden``).

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F)`, edge indices
          :math:`(2, |\mathcal{E}|)`, edge features :math:`(|\mathcal{E}|, F_e)`
          *(optional)*
        - **output:** node embeddings :math:`(|\mathcal{V}|, d)`
    """

    def __init__(self, in_channels: int, hidden: int, num_layers: int, conv: str = "sage", *,
                 edge_dim: int | None = None, residual: bool = True, norm: str = "none",
                 dropout: float = 0.0, activation: str = "relu",
                 attention_heads: int = 2) -> None:
        super().__init__()
        if conv not in ENCODERS:
            raise ValueError(f"encoder must be one of {sorted(ENCODERS)}, got {conv!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {list(NORMS)}, got {norm!r}")
        if conv in EDGE_REQUIRED_ENCODERS and not edge_dim:
            raise ValueError(
                f"encoder {conv!r} needs edge features (an 'edge_attr' key with Fe > 0); "
                f"use 'gin' for graphs without them")
        self.in_channels = in_channels
        self.hidden = hidden
        self.num_layers = num_layers
        self.conv_name = conv
        self.edge_dim = edge_dim if conv in EDGE_AWARE_ENCODERS and edge_dim else None
        self.residual = residual
        make = ENCODERS[conv]
        self.input = nn.Linear(in_channels, hidden)
        self.convs = nn.ModuleList(
            make(hidden, self.edge_dim, attention_heads, activation) for _ in range(num_layers))
        self.norms = nn.ModuleList(
            nn.LayerNorm(hidden) if norm == "layer" else nn.Identity()
            for _ in range(num_layers))
        self.act = make_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise every layer."""
        self.input.reset_parameters()
        for conv, norm in zip(self.convs, self.norms):
            conv.reset_parameters()
            if isinstance(norm, nn.LayerNorm):
                norm.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None) -> Tensor:
        """Embed every node; see the class docstring for the math and shapes."""
        h = self.act(self.input(x))
        use_edges = self.edge_dim is not None
        kwargs = {}
        first = self.convs[0]
        if isinstance(first, SPARSE_CONVS):  # one CSR adjacency shared by every layer
            edge_index = csr_adjacency(edge_index, h.size(0))
        elif isinstance(first, PLANNED_CONVS):  # one edge sort shared by every layer
            kwargs["plan"] = plan_edges(
                edge_index, edge_attr if use_edges else None, h.size(0),
                self_loops=getattr(first, "add_self_loops", False),
                fill_value=getattr(first, "fill_value", "mean"))
        for conv, norm in zip(self.convs, self.norms):
            m = (conv(h, edge_index, edge_attr, **kwargs) if use_edges
                 else conv(h, edge_index, **kwargs))
            m = self.dropout(self.act(norm(m)))
            h = h + m if self.residual else m
        return h

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.conv_name}, {self.in_channels} -> "
                f"{self.hidden}, num_layers={self.num_layers}, edge_dim={self.edge_dim})")
