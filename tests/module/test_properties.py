"""Properties every encoder x head must have: symmetry, size/padding invariance, masking, CTDE."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from gymnasium import spaces

from envs.contract import GraphObsSpec
from ray.rllib.core.columns import Columns
from rllib_gnn.nn.inference import resize_module
from tests.module.conftest import (
    EDGE_HEADS,
    EDGE_INDEX,
    ENCODERS,
    HEADS,
    NEIGHBOURS,
    NUM_NODES,
    build_module,
    make_obs,
    make_spec,
    to_batch,
)

PERMS = np.array(list(itertools.permutations(range(NUM_NODES))))  # all 120 orderings
ATOL = 1e-5


def run(module, batch):
    """Masked logits and values of one forward pass (no grad)."""
    with torch.no_grad():
        out = module.forward_inference({Columns.OBS: batch})
        values = module.compute_values({Columns.OBS: batch})
    return out[Columns.ACTION_DIST_INPUTS], values


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("encoder", ENCODERS)
def test_permutation_equivariance_over_all_120_orderings(encoder, head, arrays):
    spec = make_spec(head)
    module = build_module(spec, encoder=encoder, head=head, pooling="mean")
    batch = to_batch([make_obs(spec, head, arrays, perm) for perm in PERMS])
    logits, values = run(module, batch)
    assert logits.shape == (len(PERMS), spec.num_actions)

    ref, ref_value = logits[0], values[0]  # PERMS[0] is the identity
    assert not torch.allclose(ref[ref > -1e30], ref[ref > -1e30].mean(), atol=1e-4), \
        "logits are all equal: the test could not tell a permutation apart"
    if head in ("node", "proto"):
        # New node perm[v] is old node v: logits move with the nodes.
        index = torch.as_tensor(PERMS)
        expected = ref.expand(len(PERMS), -1)
        got = logits.gather(1, index)
    else:
        # fixed: invariant; neighbour / edge: slots keep their order, so logits do too.
        expected, got = ref.expand(len(PERMS), -1), logits
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)
    torch.testing.assert_close(values, ref_value.expand(len(PERMS)), atol=ATOL, rtol=0)


@pytest.mark.parametrize("pooling", ["max", "sum", "attention"])
def test_every_pooling_is_permutation_invariant(pooling, arrays):
    spec = make_spec("fixed")
    module = build_module(spec, encoder="sage", head="fixed", pooling=pooling, norm="layer")
    batch = to_batch([make_obs(spec, "fixed", arrays, perm) for perm in PERMS[::7]])
    logits, values = run(module, batch)
    torch.testing.assert_close(logits, logits[:1].expand_as(logits), atol=ATOL, rtol=0)
    torch.testing.assert_close(values, values[:1].expand_as(values), atol=ATOL, rtol=0)


def test_a_different_graph_gives_different_logits(arrays):
    """Guards the tests above: the module does read the graph structure."""
    spec = make_spec("node")
    module = build_module(spec, encoder="gcn", head="node")
    obs = make_obs(spec, "node", arrays)
    rewired = dict(obs)
    rewired["edge_mask"] = obs["edge_mask"].copy()
    rewired["edge_mask"][[4, 9]] = 0  # drop the chord 0-2 both ways
    logits, _ = run(module, to_batch([obs, rewired]))
    assert (logits[0] - logits[1]).abs().max() > 1e-4


def padded(head: str, max_nodes: int, arrays) -> tuple[GraphObsSpec, dict]:
    spec = make_spec(head, max_nodes=max_nodes, max_edges=max(10, 4 * max_nodes),
                     max_degree=3)
    return spec, make_obs(spec, head, arrays)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_size_generalisation_n15_weights_run_at_n1000(encoder, arrays):
    small_spec, small_obs = padded("node", 15, arrays)
    module = build_module(small_spec, encoder=encoder, head="node", pooling="attention")
    big_spec, big_obs = padded("node", 1000, arrays)
    big = resize_module(module, big_spec.space(), spaces.Discrete(big_spec.num_actions))
    assert big.observation_space["x"].shape == (1000, 3)

    small_logits, small_value = run(module, to_batch([small_obs]))
    big_logits, big_value = run(big, to_batch([big_obs]))
    assert big_logits.shape == (1, 1000)
    torch.testing.assert_close(big_logits[:, :NUM_NODES], small_logits[:, :NUM_NODES],
                               atol=ATOL, rtol=0)
    torch.testing.assert_close(big_value, small_value, atol=ATOL, rtol=0)
    # Padding slots are masked out.
    assert (big_logits[0, NUM_NODES:] == torch.finfo(torch.float32).min).all()


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("encoder", ["gat", "gine"])
def test_padding_invariance_n8_vs_n40(encoder, head, arrays):
    spec8, obs8 = padded(head, 8, arrays)
    spec40, obs40 = padded(head, 40, arrays)
    module8 = build_module(spec8, encoder=encoder, head=head, pooling="sum")
    module40 = resize_module(module8, spec40.space(), spaces.Discrete(spec40.num_actions))
    logits8, value8 = run(module8, to_batch([obs8]))
    logits40, value40 = run(module40, to_batch([obs40]))
    real = {"fixed": 4, "node": NUM_NODES, "proto": NUM_NODES, "neighbour": len(NEIGHBOURS),
            "edge": EDGE_INDEX.shape[1], "two_stage_edge": EDGE_INDEX.shape[1]}[head]
    torch.testing.assert_close(logits40[:, :real], logits8[:, :real], atol=ATOL, rtol=0)
    torch.testing.assert_close(value40, value8, atol=ATOL, rtol=0)


@pytest.mark.parametrize("head", EDGE_HEADS)
def test_padding_content_is_never_read(head, arrays):
    """Garbage in padded node rows and masked edge slots leaves logits and value unchanged."""
    spec, obs = padded(head, 8, arrays)
    module = build_module(spec, encoder="transformer", head=head)
    dirty = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in obs.items()}
    dirty["x"][NUM_NODES:] = 5.0
    dirty["edge_attr"][EDGE_INDEX.shape[1]:] = -9.0
    dirty["edge_index"][:, EDGE_INDEX.shape[1]:] = 1  # masked edges between real nodes
    (clean_logits, clean_value), (dirty_logits, dirty_value) = (
        run(module, to_batch([obs])), run(module, to_batch([dirty])))
    real = EDGE_INDEX.shape[1]
    torch.testing.assert_close(dirty_logits[:, :real], clean_logits[:, :real], atol=ATOL, rtol=0)
    torch.testing.assert_close(dirty_value, clean_value, atol=ATOL, rtol=0)


@pytest.mark.parametrize("head", ["node", "edge", "two_stage_edge"])
def test_10000_samples_never_hit_a_masked_action(head, arrays):
    spec = make_spec(head)
    module = build_module(spec, encoder="sage", head=head)
    obs = make_obs(spec, head, arrays)
    logits, _ = run(module, to_batch([obs]))
    samples = torch.distributions.Categorical(logits=logits[0]).sample((10_000,))
    mask = torch.as_tensor(obs["action_mask"]).bool()
    assert mask[samples].all()
    # Every valid action is still reachable (the mask did not flatten the distribution).
    assert set(samples.tolist()) == set(mask.nonzero().view(-1).tolist())


def test_all_zero_action_mask_raises_a_clear_error(arrays):
    spec = make_spec("node")
    module = build_module(spec, encoder="gcn", head="node")
    good = make_obs(spec, "node", arrays)
    bad = dict(good, action_mask=np.zeros_like(good["action_mask"]))
    with pytest.raises(ValueError, match=r"action_mask is all zero for batch rows \[1, 2\]"):
        run(module, to_batch([good, bad, bad]))


@pytest.mark.parametrize("encoder", ["gcn", "gat"])
def test_central_critic_reads_state_but_the_actor_never_does(encoder, arrays):
    spec = make_spec("neighbour", state=True)
    module = build_module(spec, encoder=encoder, head="neighbour", critic="central")
    obs = make_obs(spec, "neighbour", arrays)
    altered = dict(obs, state={k: v.copy() for k, v in obs["state"].items()})
    altered["state"]["x"][:NUM_NODES] += 1.5
    altered["state"]["edge_attr"][:] *= -1.0
    # one forward pass each: rows of one batch may differ in the last bit where a
    # multi-threaded scatter sums in another order, which is not reading the state
    logits, values = run(module, to_batch([obs]))
    altered_logits, altered_values = run(module, to_batch([altered]))
    assert torch.equal(logits, altered_logits)
    assert (values - altered_values).abs().item() > 1e-4


def test_central_critic_values_the_state_from_the_agents_node(arrays):
    """Two agents on one global state get different values (agent-specific global state)."""
    spec = make_spec("neighbour", state=True)
    module = build_module(spec, encoder="sage", head="neighbour", critic="central")
    obs = make_obs(spec, "neighbour", arrays)
    elsewhere = dict(obs, agent_node=(obs["agent_node"] + 1) % NUM_NODES)
    _, values = run(module, to_batch([obs, elsewhere]))
    assert (values[0] - values[1]).abs().item() > 1e-4
