"""The ``gaussian`` head and its masked distribution: log-probabilities, entropies and KLs
are torch's Normal summed over the valid nodes only, whatever the masked nodes hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from ray.rllib.core.columns import Columns

from envs.contract import GraphObsSpec
from rllib_gnn.nn.distributions import MaskedDiagGaussian, gaussian_action
from tests.module.conftest import EDGE_INDEX, NUM_NODES, build_module, to_batch

MASK = torch.tensor([[True, True, False, True, False], [False, True, True, True, True]])


def inputs(seed: int = 0, mask: torch.Tensor = MASK) -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed)
    loc = torch.randn(mask.shape, generator=rng)
    log_std = 0.3 * torch.randn(mask.shape, generator=rng)
    return torch.cat([loc, log_std, mask.float()], -1)


def normal_sum(dist_inputs: torch.Tensor, per_slot) -> torch.Tensor:
    """``per_slot(Normal)`` summed over the valid slots of each row, row by row."""
    loc, log_std, mask = dist_inputs.chunk(3, -1)
    rows = []
    for b in range(len(loc)):
        valid = mask[b].bool()
        rows.append(per_slot(torch.distributions.Normal(loc[b][valid], log_std[b][valid].exp()),
                             b, valid).sum())
    return torch.stack(rows)


def test_logp_is_normal_over_the_valid_nodes_and_ignores_the_masked_ones():
    dist_inputs = inputs()
    dist = MaskedDiagGaussian.from_logits(dist_inputs)
    actions = torch.randn(MASK.shape, generator=torch.Generator().manual_seed(1))
    expected = normal_sum(dist_inputs, lambda n, b, valid: n.log_prob(actions[b][valid]))
    torch.testing.assert_close(dist.logp(actions), expected)
    # the full diagonal Gaussian would count the masked nodes: the test tells them apart
    assert not torch.allclose(
        torch.distributions.Normal(*dist_inputs.chunk(3, -1)[:1],
                                   dist_inputs.chunk(3, -1)[1].exp()).log_prob(actions).sum(-1),
        expected)
    for other in (actions + 10.0, torch.full_like(actions, float("inf")),
                  torch.full_like(actions, float("nan"))):
        moved = torch.where(MASK, actions, other)
        torch.testing.assert_close(dist.logp(moved), expected)


def test_masked_nodes_get_no_gradient():
    dist_inputs = inputs().requires_grad_(True)
    actions = torch.where(MASK, torch.zeros(MASK.shape), torch.full(MASK.shape, 1e6))
    MaskedDiagGaussian.from_logits(dist_inputs).logp(actions).sum().backward()
    loc_grad, std_grad, _ = dist_inputs.grad.chunk(3, -1)
    assert (loc_grad[~MASK] == 0).all() and (std_grad[~MASK] == 0).all()
    assert (loc_grad[MASK] != 0).any()


def test_entropy_and_kl_are_over_the_valid_nodes_only():
    p, q = inputs(0), inputs(1)
    dist_p, dist_q = MaskedDiagGaussian.from_logits(p), MaskedDiagGaussian.from_logits(q)
    torch.testing.assert_close(dist_p.entropy(), normal_sum(p, lambda n, b, v: n.entropy()))
    q_loc, q_log_std, _ = q.chunk(3, -1)
    expected_kl = normal_sum(p, lambda n, b, v: torch.distributions.kl_divergence(
        n, torch.distributions.Normal(q_loc[b][v], q_log_std[b][v].exp())))
    torch.testing.assert_close(dist_p.kl(dist_q), expected_kl)
    assert (dist_p.kl(dist_p).abs() < 1e-6).all()


def test_samples_and_the_mean_keep_masked_nodes_at_their_mean():
    dist_inputs = inputs()
    loc = dist_inputs.chunk(3, -1)[0]
    dist = MaskedDiagGaussian.from_logits(dist_inputs)
    for drawn in (dist.sample(), dist.rsample(), dist.sample(sample_shape=(3,))[1]):
        assert torch.equal(drawn[~MASK], loc[~MASK]) and not torch.equal(drawn, loc)
    deterministic = dist.to_deterministic()
    assert torch.equal(deterministic.sample(), loc)
    assert deterministic.logp(loc).shape == (2,)
    first = gaussian_action(dist_inputs, True, torch.Generator().manual_seed(3))
    assert torch.equal(first, gaussian_action(dist_inputs, True, torch.Generator().manual_seed(3)))
    assert torch.equal(first[~MASK], loc[~MASK])
    assert torch.equal(gaussian_action(dist_inputs, False), loc)


# ---------------------------------------------------------------------------- the head in a module
def padded_batch(max_nodes: int, live: list[int]) -> dict:
    """The 5-node graph padded to ``max_nodes``, once per entry of ``live``: the number of
    its nodes that act (the rest masked like padding)."""
    spec = GraphObsSpec(max_nodes, 16, node_features=3, num_actions=max_nodes)
    x = np.random.default_rng(0).normal(size=(NUM_NODES, 3)).astype(np.float32)
    return spec, to_batch([spec.pack(x, EDGE_INDEX, np.arange(NUM_NODES) < k) for k in live])


def test_the_module_outputs_mean_log_std_and_mask_per_node():
    spec, batch = padded_batch(8, [5, 3])
    module = build_module(spec, head="gaussian", encoder="sage")
    assert module.get_train_action_dist_cls() is MaskedDiagGaussian
    with torch.no_grad():
        out = module.forward_train({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS]
    loc, log_std, mask = out.chunk(3, -1)
    assert out.shape == (2, 24)
    torch.testing.assert_close(mask, batch["action_mask"].float())
    assert (loc[mask == 0] == 0).all() and (log_std[mask == 0] == 0).all()
    assert torch.allclose(log_std[mask == 1], torch.tensor(module.head.INITIAL_LOG_STD))
    # the same graph's means do not depend on the padding around it
    _, wider = padded_batch(20, [5])
    wide = build_module(GraphObsSpec(20, 16, 3, 20), head="gaussian", encoder="sage")
    wide.load_state_dict(module.state_dict())
    with torch.no_grad():
        wide_loc = wide.forward_inference({Columns.OBS: wider})[Columns.ACTION_DIST_INPUTS]
    torch.testing.assert_close(wide_loc[0, :5], loc[0, :5])


def test_ppo_ratio_inputs_round_trip_through_the_distribution():
    """What PPO does with a batch: logp of the sampled action under from_logits of the
    module's output equals the Normal's over that row's acting nodes."""
    spec, batch = padded_batch(8, [5, 2])
    module = build_module(spec, head="gaussian", encoder="gcn")
    out = module.forward_train({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS]
    dist = module.get_train_action_dist_cls().from_logits(out)
    actions = dist.sample()
    logp = dist.logp(actions)
    torch.testing.assert_close(
        logp, normal_sum(out.detach(), lambda n, b, v: n.log_prob(actions[b][v])))
    logp.sum().backward()
    assert module.head.log_std.grad is not None and module.head.log_std.grad != 0


@pytest.mark.parametrize("action_space, message", [
    (spaces.Discrete(8), "needs the action space Box"),
    (spaces.Box(0.0, 1.0, (8,), np.float32), "needs the action space Box"),
    (spaces.Box(-1.0, 1.0, (7,), np.float32), "action_mask has shape")])
def test_the_head_refuses_other_action_spaces(action_space, message):
    from rllib_gnn.nn.module import GraphRLModule

    spec = GraphObsSpec(8, 16, node_features=3, num_actions=8)
    with pytest.raises(ValueError, match=message):
        GraphRLModule(observation_space=spec.space(), action_space=action_space,
                      model_config={"head": "gaussian"})


def test_discrete_heads_refuse_a_box():
    from rllib_gnn.nn.module import GraphRLModule

    spec = GraphObsSpec(8, 16, node_features=3, num_actions=8)
    with pytest.raises(ValueError, match="head 'node' needs a Discrete action space"):
        GraphRLModule(observation_space=spec.space(),
                      action_space=spaces.Box(-1.0, 1.0, (8,), np.float32),
                      model_config={"head": "node"})
