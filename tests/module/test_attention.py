"""The fast attention convolutions compute PyG's function with PyG's parameters.

Each case builds PyG's layer and ours with the same weights (``load_state_dict`` across
the two classes) and compares outputs and gradients on random graphs with self-loops,
duplicate edges, isolated nodes and edge features; then the same for a whole
``GraphEncoder`` on a padded batch (padding nodes and edges), against the encoder's loop
run with PyG's own ``forward``.
"""

import pytest
import torch
from torch_geometric.nn import GATv2Conv, TransformerConv

from rllib_gnn.nn.attention import FastGATv2Conv, FastTransformerConv, plan_edges
from rllib_gnn.nn.batching import flatten_graphs
from rllib_gnn.nn.encoders import GraphEncoder

PAIRS = [(GATv2Conv, FastGATv2Conv), (TransformerConv, FastTransformerConv)]
TOL = {"rtol": 1e-5, "atol": 1e-5}


def random_graph(seed: int, nodes: int = 40, edges: int = 160, isolated: int = 6,
                 in_features: int = 12, edge_features: int = 3):
    """Features, edges (the last ``isolated`` nodes have none; some self-loops and
    duplicate edges) and edge features."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(nodes, in_features, generator=g)
    edge_index = torch.randint(0, nodes - isolated, (2, edges), generator=g)
    edge_index[1, :4] = edge_index[0, :4]                    # self-loops
    edge_index[:, 4:8] = edge_index[:, 8:12]                 # duplicate edges
    edge_attr = torch.rand(edges, edge_features, generator=g)
    return x, edge_index, edge_attr


def pair(reference_cls, fast_cls, edge_dim, **kwargs):
    torch.manual_seed(0)
    reference = reference_cls(12, 8, edge_dim=edge_dim, **kwargs)
    fast = fast_cls(12, 8, edge_dim=edge_dim, **kwargs)
    fast.load_state_dict(reference.state_dict())
    return reference, fast


@pytest.mark.parametrize("reference_cls,fast_cls", PAIRS)
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("edge_dim", [None, 3])
@pytest.mark.parametrize("heads", [1, 3])
def test_same_outputs_and_gradients_as_pyg(reference_cls, fast_cls, concat, edge_dim, heads):
    reference, fast = pair(reference_cls, fast_cls, edge_dim, heads=heads, concat=concat)
    assert list(fast.state_dict()) == list(reference.state_dict())
    for seed in range(3):
        x, edge_index, edge_attr = random_graph(seed)
        # Give the weights a non-zero bias everywhere so every term is exercised.
        with torch.no_grad():
            for p in list(reference.parameters()) + list(fast.parameters()):
                if p.dim() == 1:
                    p.copy_(torch.linspace(-0.5, 0.5, p.numel()))
        args = (edge_index, edge_attr) if edge_dim else (edge_index,)
        xs = [x.clone().requires_grad_(True) for _ in range(2)]
        outs = [reference(xs[0], *args), fast(xs[1], *args)]
        torch.testing.assert_close(outs[1], outs[0], **TOL)
        weight = torch.randn_like(outs[0])
        for out in outs:
            (out * weight).sum().backward()
        torch.testing.assert_close(xs[1].grad, xs[0].grad, **TOL)
        for (name, p), q in zip(reference.named_parameters(), fast.parameters()):
            torch.testing.assert_close(q.grad, p.grad, **TOL, msg=name)
            p.grad = q.grad = None


@pytest.mark.parametrize("reference_cls,fast_cls", PAIRS)
def test_isolated_nodes_and_graph_without_edges(reference_cls, fast_cls):
    reference, fast = pair(reference_cls, fast_cls, 3, heads=2, concat=False)
    x = torch.randn(7, 12)
    no_edges = torch.zeros(2, 0, dtype=torch.long)
    with torch.no_grad():
        torch.testing.assert_close(fast(x, no_edges, torch.zeros(0, 3)),
                                   reference(x, no_edges, torch.zeros(0, 3)), **TOL)


@pytest.mark.parametrize("reference_cls,fast_cls", PAIRS)
def test_attention_weights_request_falls_back_to_pyg(reference_cls, fast_cls):
    reference, fast = pair(reference_cls, fast_cls, 3, heads=2)
    x, edge_index, edge_attr = random_graph(5)
    with torch.no_grad():
        out, (ei, alpha) = fast(x, edge_index, edge_attr, return_attention_weights=True)
        ref, (ref_ei, ref_alpha) = reference(x, edge_index, edge_attr,
                                             return_attention_weights=True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(alpha, ref_alpha)


def test_plan_groups_edges_by_target_and_replaces_self_loops_like_gatv2():
    x, edge_index, edge_attr = random_graph(1, nodes=10, edges=30, isolated=2)
    plan = plan_edges(edge_index, edge_attr, 10, self_loops=True)
    assert torch.all(plan.dst[1:] >= plan.dst[:-1])
    assert torch.equal(plan.crow, torch.searchsorted(plan.dst, torch.arange(11)))
    loops = plan.src == plan.dst
    assert loops.sum() == 10 and torch.equal(plan.dst[loops], torch.arange(10))
    # A self-loop's features are the mean of the node's incoming non-loop edges' (0 if none).
    kept = edge_index[0] != edge_index[1]
    for node in (0, 9):
        incoming = edge_attr[kept & (edge_index[1] == node)]
        expected = incoming.mean(0) if len(incoming) else torch.zeros(3)
        torch.testing.assert_close(plan.edge_attr[loops][node], expected)


def padded_batch(seed: int, graphs: int = 3, max_nodes: int = 12, max_edges: int = 40):
    """Padded contract tensors: each graph has padding nodes and padding edge slots."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(graphs, max_nodes, 5, generator=g)
    node_mask = torch.zeros(graphs, max_nodes, dtype=torch.int8)
    edge_mask = torch.zeros(graphs, max_edges, dtype=torch.int8)
    edge_index = torch.zeros(graphs, 2, max_edges, dtype=torch.long)
    for b, (n, m) in enumerate([(12, 40), (7, 20), (4, 0)][:graphs]):
        node_mask[b, :n] = 1
        edge_mask[b, :m] = 1
        edge_index[b, :, :m] = torch.randint(0, max(n - 1, 1), (2, m), generator=g)  # node n-1 isolated
    return {"x": x, "edge_index": edge_index, "node_mask": node_mask, "edge_mask": edge_mask,
            "edge_attr": torch.rand(graphs, max_edges, 2, generator=g)}


@pytest.mark.parametrize("conv", ["gat", "transformer"])
@pytest.mark.parametrize("edges", [True, False])
def test_encoder_matches_pyg_layers_on_padded_batch(conv, edges):
    obs = padded_batch(0)
    if not edges:
        del obs["edge_attr"]
    flat = flatten_graphs(obs)
    torch.manual_seed(0)
    encoder = GraphEncoder(5, 16, 2, conv, edge_dim=2 if edges else None, norm="layer")
    got = encoder(flat.x, flat.edge_index, flat.edge_attr)

    # The encoder's loop with PyG's own forward (the parent class's method, same weights).
    h = encoder.act(encoder.input(flat.x))
    for layer, norm in zip(encoder.convs, encoder.norms):
        parent = type(layer).__mro__[1]
        args = (flat.edge_index, flat.edge_attr) if edges else (flat.edge_index,)
        h = h + encoder.act(norm(parent.forward(layer, h, *args)))
    torch.testing.assert_close(got, h, **TOL)


@pytest.mark.parametrize("conv", ["gat", "transformer"])
def test_checkpoints_of_pyg_encoders_load(conv, monkeypatch):
    """An encoder saved when ``gat``/``transformer`` were PyG's classes loads strictly and
    gives the same embeddings."""
    import rllib_gnn.nn.encoders as encoders

    pyg = {"gat": GATv2Conv, "transformer": TransformerConv}[conv]
    monkeypatch.setitem(encoders.ENCODERS, conv, lambda hidden, edge_dim, heads, act: pyg(
        hidden, hidden, heads=heads, concat=False, edge_dim=edge_dim))
    torch.manual_seed(1)
    old = GraphEncoder(5, 16, 2, conv, edge_dim=2)
    assert type(old.convs[0]) is pyg
    monkeypatch.undo()
    new = GraphEncoder(5, 16, 2, conv, edge_dim=2)
    assert type(new.convs[0]) is not pyg
    new.load_state_dict(old.state_dict(), strict=True)
    flat = flatten_graphs(padded_batch(2))
    with torch.no_grad():
        torch.testing.assert_close(new(flat.x, flat.edge_index, flat.edge_attr),
                                   old(flat.x, flat.edge_index, flat.edge_attr), **TOL)
