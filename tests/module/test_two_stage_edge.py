"""The ``two_stage_edge`` head is the exact distribution "a source, then an edge leaving it",
masked at both stages, as one categorical over the E edge slots."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from envs.contract import GraphObsSpec
from envs.graphs import watts_strogatz
from ray.rllib.core.columns import Columns
from rllib_gnn.nn.edge_heads import EdgeHead, segment_log_softmax
from rllib_gnn.nn.inference import resize_module
from tests.module.conftest import EDGE_INDEX, NUM_NODES, build_module, make_obs, make_spec, to_batch

HEAD = "two_stage_edge"
LOW = torch.finfo(torch.float32).min
# Slots of EDGE_INDEX: 0-1, 1-2, 2-3, 3-4, 0-2, then the reverses 1-0, 2-1, 3-2, 4-3, 2-0.
# Only 1->2, 2->3, 0->2 and 1->0 valid: nodes 3 and 4 are sources of no valid slot.
SPARSE_MASK = np.isin(np.arange(10), [1, 2, 4, 5]).astype(np.int8)


def observations(arrays, masks):
    spec = make_spec(HEAD)
    return spec, [dict(make_obs(spec, HEAD, arrays), action_mask=m) for m in masks]


def forward(module, batch):
    with torch.no_grad():
        return module.forward_inference({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS]


def reference_probabilities(module, batch) -> np.ndarray:
    """p(slot) = p(source) p(slot | source) from the head's two scores, with Python loops."""
    head = module.head
    with torch.no_grad():
        z, z_graph = module._embed(module.encoder, module.pool, batch, "obs")
        source_score = head.source_mlp(
            torch.cat([z, z_graph.unsqueeze(1).expand_as(z)], -1)).squeeze(-1).double()
        dest_score = EdgeHead.forward(head, z, z_graph, batch).double()
    out = np.zeros(tuple(batch["action_mask"].shape))
    for b in range(out.shape[0]):
        valid = batch["action_mask"][b].bool().tolist()
        source = batch["edge_index"][b, 0].tolist()
        sources = sorted({source[e] for e in range(len(valid)) if valid[e]})
        p_source = torch.softmax(source_score[b, sources], 0)
        for s, p_s in zip(sources, p_source.tolist()):
            slots = [e for e in range(len(valid)) if valid[e] and source[e] == s]
            for e, p_e in zip(slots, torch.softmax(dest_score[b, slots], 0).tolist()):
                out[b, e] = p_s * p_e
    return out


@pytest.mark.parametrize("encoder", ["gine", "sage"])
def test_probabilities_are_source_then_destination_and_sum_to_one(encoder, arrays):
    full = (np.arange(10) % 3 != 0).astype(np.int8)
    spec, obs = observations(arrays, [SPARSE_MASK, full])
    module = build_module(spec, encoder=encoder, head=HEAD)
    batch = to_batch(obs)
    logits = forward(module, batch)
    probs = logits.double().exp()
    mask = batch["action_mask"].bool()

    # normalised over the valid pairs; masked pairs exactly 0
    torch.testing.assert_close(probs.sum(1), torch.ones(2, dtype=torch.float64),
                               atol=1e-6, rtol=0)
    assert (probs[~mask] == 0).all() and (logits[~mask] == LOW).all()
    assert (probs[mask] > 0).all()
    # the exact product p(s) p(t | s), sources with no valid edge at probability 0
    np.testing.assert_allclose(probs.numpy(), reference_probabilities(module, batch),
                               atol=1e-6, rtol=0)
    source = batch["edge_index"][0, 0]
    p_source = torch.zeros(NUM_NODES, dtype=torch.float64).index_add(0, source, probs[0])
    assert p_source[3] == 0 and p_source[4] == 0 and p_source[:3].min() > 0


def test_samples_never_hit_a_masked_pair_and_logp_entropy_are_the_joints(arrays):
    spec, obs = observations(arrays, [SPARSE_MASK])
    module = build_module(spec, encoder="gine", head=HEAD)
    logits = forward(module, to_batch(obs))
    dist = module.get_exploration_action_dist_cls().from_logits(logits.expand(20_000, -1))
    samples = dist.sample()
    valid = np.flatnonzero(SPARSE_MASK)
    assert np.isin(samples.numpy(), valid).all()
    counts = np.bincount(samples.numpy(), minlength=10) / len(samples)
    p = logits[0].double().exp().numpy()
    np.testing.assert_allclose(counts, p, atol=4 * np.sqrt(0.25 / len(samples)))
    # RLlib's categorical reads the logits as the normalised log-probabilities they are
    torch.testing.assert_close(dist.logp(samples), logits[0, samples], atol=1e-5, rtol=0)
    entropy = -(p[valid] * np.log(p[valid])).sum()
    assert dist.entropy()[0].item() == pytest.approx(entropy, abs=1e-5)


def test_gradients_stay_finite_through_both_masked_stages(arrays):
    spec, obs = observations(arrays, [SPARSE_MASK, SPARSE_MASK[::-1].copy()])
    module = build_module(spec, encoder="gine", head=HEAD).train()
    logits = module.forward_train({Columns.OBS: to_batch(obs)})[Columns.ACTION_DIST_INPUTS]
    dist = module.get_train_action_dist_cls().from_logits(logits)
    loss = -(dist.logp(torch.tensor([1, 2])).sum() + dist.entropy().sum())
    loss.backward()
    grads = [p.grad for p in [*module.encoder.parameters(), *module.head.parameters()]]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    # both stages learn: the source scorer and the destination scorer get a gradient
    assert all(p.grad.abs().sum() > 0 for p in (module.head.source_mlp[0].weight,
                                                module.head.mlp[0].weight))


def test_weights_run_on_a_larger_graph_and_still_sum_to_one(arrays):
    small, obs = observations(arrays, [SPARSE_MASK])
    module = build_module(small, encoder="gine", head=HEAD)
    n, max_nodes, max_edges = 300, 320, 1300
    spec = GraphObsSpec(max_nodes, max_edges, node_features=small.node_features,
                        num_actions=max_edges, edge_features=small.edge_features,
                        max_degree=small.max_degree, agent_node=True)
    big = resize_module(module, spec.space(), spaces.Discrete(max_edges))
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(3):
        graph = watts_strogatz(n, rng)
        edges = graph.edge_index.shape[1]
        mask = (rng.random(edges) < 0.3).astype(np.int8)
        rows.append(spec.pack(rng.normal(size=(n, small.node_features)).astype(np.float32),
                              graph.edge_index, mask,
                              edge_attr=rng.normal(size=(edges, small.edge_features))
                              .astype(np.float32), agent_node=0,
                              neighbours=np.zeros(small.max_degree, np.int64)))
    batch = to_batch(rows)
    probs = forward(big, batch).double().exp()
    torch.testing.assert_close(probs.sum(1), torch.ones(3, dtype=torch.float64),
                               atol=1e-5, rtol=0)
    assert (probs[~batch["action_mask"].bool()] == 0).all()
    # the same weights give the 5-node graph the same logits inside the larger limits
    inside = spec.pack(arrays["x"], EDGE_INDEX, SPARSE_MASK, edge_attr=arrays["edge_attr"],
                       agent_node=0, neighbours=np.zeros(small.max_degree, np.int64))
    torch.testing.assert_close(forward(big, to_batch([inside]))[:, :10],
                               forward(module, to_batch(obs)), atol=1e-5, rtol=0)


def test_segment_log_softmax_normalises_each_group_and_ignores_the_lowest_value():
    scores = torch.tensor([1.0, 2.0, LOW, 0.5, LOW, LOW])
    index = torch.tensor([0, 0, 0, 2, 3, 3])
    out = segment_log_softmax(scores, index, 4)
    torch.testing.assert_close(out[:2].exp(), torch.softmax(torch.tensor([1.0, 2.0]), 0))
    assert out[2].exp() == 0 and out[3] == 0
    # a group of only the lowest value is uniform, not NaN
    torch.testing.assert_close(out[4:].exp(), torch.tensor([0.5, 0.5]))
