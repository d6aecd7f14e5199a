"""flatten_graphs: padded (B, N, ...) graphs -> one disjoint PyG graph and back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from envs.contract import GraphObsSpec
from rllib_gnn.nn.batching import flatten_graphs
from tests.module.conftest import to_batch

SPEC = GraphObsSpec(max_nodes=5, max_edges=6, node_features=2, num_actions=1, edge_features=1)


def three_graphs() -> tuple[list[dict], list[Data]]:
    """Graphs with 2, 4 and 3 nodes, padded into SPEC, and the same graphs as PyG Data."""
    rng = np.random.default_rng(1)
    graphs = [
        (2, np.array([[0, 1], [1, 0]])),
        (4, np.array([[0, 1, 2, 3, 3], [1, 2, 3, 0, 1]])),
        (3, np.array([[2, 0, 1], [0, 1, 2]])),
    ]
    obs, data = [], []
    for n, ei in graphs:
        x = rng.normal(size=(n, 2)).astype(np.float32)
        ea = rng.normal(size=(ei.shape[1], 1)).astype(np.float32)
        o = SPEC.pack_graph(x, ei, ea)
        # Garbage in padding: it must be dropped, never read.
        o["x"][n:] = 7.0
        o["edge_attr"][ei.shape[1]:] = -3.0
        o["edge_index"][:, ei.shape[1]:] = 4  # points at a padding node: masked, so harmless
        obs.append(o)
        data.append(Data(x=torch.as_tensor(x), edge_index=torch.as_tensor(ei),
                         edge_attr=torch.as_tensor(ea)))
    return obs, data


def test_offsets_match_pyg_batch_for_three_graphs_of_different_sizes():
    obs, data = three_graphs()
    flat = flatten_graphs(to_batch(obs))
    ref = Batch.from_data_list(data)
    assert torch.equal(flat.x, ref.x)
    assert torch.equal(flat.edge_index, ref.edge_index)
    assert torch.equal(flat.edge_attr, ref.edge_attr)
    assert torch.equal(flat.batch, ref.batch)
    # By hand: offsets 0, 2, 6; graph 2's edge 2 -> 0 becomes 8 -> 6.
    assert flat.batch.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert flat.node_index.tolist() == [0, 1, 5, 6, 7, 8, 10, 11, 12]
    assert flat.edge_index[:, -3].tolist() == [8, 6]
    assert flat.edge_index.dtype == torch.int64


def test_padding_nodes_and_masked_edges_are_dropped():
    obs, _ = three_graphs()
    flat = flatten_graphs(to_batch(obs))
    assert flat.x.shape == (9, 2) and not (flat.x == 7.0).any()
    assert flat.edge_index.shape == (2, 10) and flat.edge_attr.shape == (10, 1)
    assert not (flat.edge_attr == -3.0).any()


def test_nodes_with_holes_in_the_mask_are_renumbered_by_the_cumsum_map():
    o = SPEC.pack_graph(np.arange(10, dtype=np.float32).reshape(5, 2),
                        np.array([[0, 2, 3], [2, 3, 0]]), np.ones((3, 1), np.float32))
    o["node_mask"][:] = [1, 0, 1, 1, 0]  # nodes 1 and 4 are padding slots in the middle
    flat = flatten_graphs(to_batch([o]))
    assert flat.x[:, 0].tolist() == [0.0, 4.0, 6.0]
    assert flat.edge_index.tolist() == [[0, 1, 2], [1, 2, 0]]
    assert flat.node_index.tolist() == [0, 2, 3]


def test_scatter_back_round_trips_to_padded_slots():
    obs, _ = three_graphs()
    batch = to_batch(obs)
    flat = flatten_graphs(batch)
    dense = flat.to_dense(flat.x)
    mask = batch["node_mask"].bool()
    assert dense.shape == (3, 5, 2)
    assert torch.equal(dense[mask], flat.x)
    assert torch.equal(dense[~mask], torch.zeros(int((~mask).sum()), 2))
    # Real-node rows land exactly where they came from.
    assert torch.equal(dense[mask], batch["x"][mask])


def test_float_indices_and_masks_from_rllib_are_cast():
    obs, _ = three_graphs()
    batch = to_batch(obs)
    as_float = {k: v.float() for k, v in batch.items()}
    a, b = flatten_graphs(batch), flatten_graphs(as_float)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.batch, b.batch)
    assert b.edge_index.dtype == torch.int64


def test_nan_in_a_real_node_raises_naming_the_key_and_place():
    obs, _ = three_graphs()
    obs[1]["x"][2, 1] = np.nan
    with pytest.raises(ValueError, match=r"obs\['x'\] holds a non-finite .* batch row 1, node 2"):
        flatten_graphs(to_batch(obs))
    with pytest.raises(ValueError, match=r"obs\['state'\]\['x'\]"):
        flatten_graphs(to_batch(obs), where="obs['state']")


def test_nan_in_padding_is_dropped_not_an_error():
    obs, _ = three_graphs()
    obs[0]["x"][4] = np.nan
    assert torch.isfinite(flatten_graphs(to_batch(obs)).x).all()


def test_real_edge_to_a_padding_node_raises():
    obs, _ = three_graphs()
    obs[0]["edge_index"][1, 1] = 3  # graph 0 has nodes 0, 1 only
    with pytest.raises(ValueError, match=r"edge \(1 -> 3\) in batch row 0 .* padding node"):
        flatten_graphs(to_batch(obs))


def test_real_edge_outside_the_node_range_raises():
    obs, _ = three_graphs()
    obs[2]["edge_index"][0, 0] = 5
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        flatten_graphs(to_batch(obs))


def test_graph_with_no_real_node_gives_an_empty_slot():
    obs, _ = three_graphs()
    obs[1]["node_mask"][:] = 0
    obs[1]["edge_mask"][:] = 0
    flat = flatten_graphs(to_batch(obs))
    assert flat.batch.tolist() == [0, 0, 2, 2, 2]
    assert flat.to_dense(flat.x)[1].abs().sum() == 0
