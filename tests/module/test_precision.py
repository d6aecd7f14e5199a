"""``train_precision``: the learner's forward pass under bfloat16 autocast, float32 out."""

import pytest
import torch
from ray.rllib.core.columns import Columns

from rllib_gnn.nn import precision
from rllib_gnn.nn.model_config import validate_model_config
from tests.module.conftest import build_module, make_obs, make_spec, to_batch

PERMS = ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 0, 3, 2, 4])


def _train_outputs(train_precision: str, encoder: str, arrays) -> tuple[dict, list]:
    spec = make_spec("node")
    module = build_module(spec, encoder=encoder, head="node", hidden=32,
                          train_precision=train_precision).train()
    batch = {Columns.OBS: to_batch([make_obs(spec, "node", arrays, perm) for perm in PERMS])}
    out = module.forward_train(batch)
    values = module.compute_values(batch, out[Columns.EMBEDDINGS])
    (out[Columns.ACTION_DIST_INPUTS].logsumexp(-1).sum() + values.sum()).backward()
    return out, [p.grad for p in module.encoder.parameters()]


@pytest.mark.parametrize("encoder", ["sage", "gin"])
def test_bfloat16_training_pass_is_float32_out_and_close_to_float32(encoder, arrays):
    full, full_grads = _train_outputs("float32", encoder, arrays)
    mixed, mixed_grads = _train_outputs("bfloat16", encoder, arrays)
    for key in (Columns.ACTION_DIST_INPUTS, Columns.EMBEDDINGS):
        assert mixed[key].dtype == torch.float32
        finite = torch.isfinite(full[key])  # masked logits are -inf in both
        assert torch.equal(finite, torch.isfinite(mixed[key]))
        assert not torch.equal(mixed[key], full[key])  # bfloat16 did run
        torch.testing.assert_close(mixed[key][finite], full[key][finite], rtol=0.05, atol=0.05)
    for mixed_grad, full_grad in zip(mixed_grads, full_grads):
        assert mixed_grad.dtype == torch.float32 and torch.isfinite(mixed_grad).all()
        scale = full_grad.abs().max().clamp_min(1e-3)
        assert (mixed_grad - full_grad).abs().max() <= 0.1 * scale


@pytest.mark.parametrize("encoder", ["gcn", "gat", "gine", "transformer"])
def test_bfloat16_is_refused_for_encoders_that_sum_messages_in_it(encoder):
    with pytest.raises(ValueError, match=r"^model_config\['train_precision'\] 'bfloat16' is "
                                         r"for the encoders \['gin', 'sage'\], got encoder"):
        validate_model_config({"encoder": encoder, "train_precision": "bfloat16"})
    assert validate_model_config({"encoder": encoder, "train_precision": "auto"})


def test_auto_follows_the_hardware(arrays, monkeypatch):
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: False)
    full, _ = _train_outputs("float32", "sage", arrays)
    auto, _ = _train_outputs("auto", "sage", arrays)
    torch.testing.assert_close(auto[Columns.ACTION_DIST_INPUTS], full[Columns.ACTION_DIST_INPUTS],
                               rtol=0, atol=0)
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: True)
    auto, _ = _train_outputs("auto", "sage", arrays)
    assert not torch.equal(auto[Columns.ACTION_DIST_INPUTS], full[Columns.ACTION_DIST_INPUTS])
    gcn_full, _ = _train_outputs("float32", "gcn", arrays)  # auto leaves gcn in float32
    gcn_auto, _ = _train_outputs("auto", "gcn", arrays)
    torch.testing.assert_close(gcn_auto[Columns.ACTION_DIST_INPUTS],
                               gcn_full[Columns.ACTION_DIST_INPUTS], rtol=0, atol=0)


def test_inference_stays_float32(arrays):
    spec = make_spec("node")
    module = build_module(spec, encoder="sage", head="node", train_precision="bfloat16")
    reference = build_module(spec, encoder="sage", head="node")
    batch = {Columns.OBS: to_batch([make_obs(spec, "node", arrays)])}
    torch.testing.assert_close(module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS],
                               reference.forward_inference(batch)[Columns.ACTION_DIST_INPUTS],
                               rtol=0, atol=0)
