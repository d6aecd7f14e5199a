"""SAGE and GIN aggregate through a CSR adjacency (PyG's ``adj_t`` path): the same output
and gradients as gathering one message per edge, repeated edges and isolated nodes kept."""

import pytest
import torch

from rllib_gnn.nn.encoders import GraphEncoder, csr_adjacency

# 0->1 three times (a repeated edge), a self-loop at 3, node 6 isolated, unsorted targets
EDGES = torch.tensor([[0, 1, 1, 2, 3, 0, 0, 5, 3], [1, 0, 2, 1, 4, 1, 1, 2, 3]])


def _per_edge(encoder: GraphEncoder, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """The encoder's math with PyG's per-edge gather and scatter (an ``edge_index``)."""
    h = encoder.act(encoder.input(x))
    for conv in encoder.convs:
        h = h + encoder.act(conv(h, edge_index))
    return h


@pytest.mark.parametrize("conv", ["sage", "gin"])
@pytest.mark.parametrize("edge_index", [EDGES, torch.zeros(2, 0, dtype=torch.long)],
                         ids=["edges", "no-edges"])
def test_csr_aggregation_gives_the_per_edge_output_and_gradients(conv, edge_index):
    torch.manual_seed(0)
    encoder = GraphEncoder(4, 16, 2, conv)
    x = torch.randn(7, 4, requires_grad=True)
    got = encoder(x, edge_index)
    want = _per_edge(encoder, x, edge_index)
    torch.testing.assert_close(got, want)
    weights = torch.randn_like(got)
    got_grads = torch.autograd.grad((got * weights).sum(), [x, *encoder.parameters()])
    want_grads = torch.autograd.grad((want * weights).sum(), [x, *encoder.parameters()])
    for a, b in zip(got_grads, want_grads):
        torch.testing.assert_close(a, b)


def test_csr_adjacency_has_one_entry_per_edge_row_by_target():
    adj = csr_adjacency(EDGES, 7)
    assert adj.layout == torch.sparse_csr and adj.shape == (7, 7)
    dense = adj.to_dense()
    assert dense[1, 0] == 3  # the repeated edge 0->1 counts three times
    assert dense.sum() == EDGES.size(1) and dense[6].sum() == 0 and dense[:, 6].sum() == 0
    assert csr_adjacency(torch.zeros(2, 0, dtype=torch.long), 0).shape == (0, 0)
