"""GraphRLModule: config validation, RLlib construction, training pass, single-obs inference."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from gymnasium import spaces

from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from rllib_gnn.nn.inference import compute_action, resize_module
from rllib_gnn.nn.model_config import GraphModelConfig, validate_model_config
from rllib_gnn.nn.module import GraphRLModule
from tests.module.conftest import build_module, make_obs, make_spec, tiny_config, to_batch


def build(spec, **config):
    return GraphRLModule(observation_space=spec.space(),
                         action_space=spaces.Discrete(spec.num_actions),
                         model_config=config)


# ---------------------------------------------------------------------- model_config
def test_defaults_fill_every_key():
    cfg = validate_model_config({})
    assert cfg == GraphModelConfig()
    assert (cfg.encoder, cfg.hidden, cfg.num_layers, cfg.head, cfg.critic, cfg.pooling) == (
        "sage", 64, 3, "fixed", "shared", "mean")


def test_unknown_encoder_lists_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^model_config\['encoder'\] must be one of "
                       r"\['gat', 'gcn', 'gin', 'gine', 'sage', 'transformer'\], got 'gnc'$"):
        validate_model_config({"encoder": "gnc"})


def test_unknown_head_lists_the_allowed_ones():
    with pytest.raises(ValueError, match=r"model_config\['head'\] must be one of \['fixed', "
                       r"'node', 'proto', 'neighbour', 'edge', 'two_stage_edge', 'gaussian'\], "
                       r"got 'nodes'"):
        validate_model_config({"head": "nodes"})


def test_unknown_key_is_one_line_listing_the_allowed_keys():
    with pytest.raises(ValueError) as err:
        validate_model_config({"hiden": 32})
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("unknown model_config key(s) ['hiden']; allowed: [")
    assert "'hidden'" in message and "'critic'" in message


@pytest.mark.parametrize("key, value, fragment", [
    ("critic", "centralised", "model_config['critic'] must be one of"),
    ("norm", "batch", "model_config['norm'] must be one of ['none', 'layer']"),
    ("activation", "swish", "model_config['activation'] must be one of"),
    ("pooling", "median", "model_config['pooling'] must be one of"),
    ("hidden", 0, "model_config['hidden'] must be an integer >= 1"),
    ("residual", "yes", "model_config['residual'] must be True or False"),
    ("dropout", 1.5, "model_config['dropout'] must be in"),
    ("train_precision", "fp16", "model_config['train_precision'] must be one of"),
])
def test_bad_values_are_rejected(key, value, fragment):
    with pytest.raises(ValueError, match=r"^" + re.escape(fragment)):
        validate_model_config({key: value})


def test_keys_rllib_adds_itself_are_ignored():
    # PPOConfig merges {"vf_share_layers": False} into every module's model_config.
    assert validate_model_config({"vf_share_layers": False, "hidden": 16}).hidden == 16


def test_head_that_does_not_fit_the_spaces_fails_at_build():
    spec = make_spec("node")
    with pytest.raises(ValueError, match=r"head 'edge' gives 10 logits .* Discrete\(5\)"):
        build(spec, head="edge")


def test_central_critic_without_state_fails_at_build():
    with pytest.raises(ValueError, match=r"critic='central' reads obs\['state'\]"):
        build(make_spec("fixed"), critic="central")


def test_neighbour_head_needs_the_neighbours_key():
    spec = make_spec("fixed")
    space = spaces.Dict({k: v for k, v in spec.space().spaces.items() if k != "neighbours"})
    with pytest.raises(ValueError, match=r"head 'neighbour' needs observation key\(s\) "
                       r"\['neighbours'\]"):
        GraphRLModule(observation_space=space, action_space=spaces.Discrete(4),
                      model_config={"head": "neighbour"})


def test_no_parameter_shape_depends_on_n_e_or_d():
    small = build(make_spec("edge", max_nodes=5, max_edges=10, max_degree=3), head="edge")
    big = build(make_spec("edge", max_nodes=50, max_edges=200, max_degree=9), head="edge")
    assert {k: v.shape for k, v in small.state_dict().items()} == {
        k: v.shape for k, v in big.state_dict().items()}


# ---------------------------------------------------------------------- RLlib
def test_builds_from_rllib_module_spec(arrays):
    spec = make_spec("node", state=True)
    config = tiny_config(encoder="gat", head="node", critic="central")
    module_spec = RLModuleSpec(module_class=GraphRLModule, observation_space=spec.space(),
                               action_space=spaces.Discrete(spec.num_actions),
                               model_config=config)
    module = module_spec.build()
    assert isinstance(module, GraphRLModule) and module.graph_config.encoder == "gat"
    batch = {Columns.OBS: to_batch([make_obs(spec, "node", arrays)] * 2)}
    out = module.forward_exploration(batch)
    assert out[Columns.ACTION_DIST_INPUTS].shape == (2, 5)
    # Env-runner paths leave the embeddings out (RLlib would store them in episodes).
    assert Columns.EMBEDDINGS not in out

    # Env runners build inference_only modules: no critic, same actor weights.
    module_spec.inference_only = True
    runner = module_spec.build()
    assert not hasattr(runner, "value_mlp") and not hasattr(runner, "critic_encoder")
    runner.set_state(module.get_state(inference_only=True))
    torch.testing.assert_close(runner.forward_inference(batch)[Columns.ACTION_DIST_INPUTS],
                               module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS])


@pytest.mark.parametrize("critic", ["shared", "separate", "central"])
def test_forward_train_and_values_are_finite_and_gradients_reach_the_encoder(critic, arrays):
    spec = make_spec("neighbour", state=True)
    module = build(spec, **tiny_config(head="neighbour", critic=critic, dropout=0.1,
                                       norm="layer"))
    batch = {Columns.OBS: to_batch([make_obs(spec, "neighbour", arrays, perm)
                                    for perm in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])])}
    out = module.forward_train(batch)
    assert module.training
    logits, emb = out[Columns.ACTION_DIST_INPUTS], out[Columns.EMBEDDINGS]
    values = module.compute_values(batch, embeddings=emb)
    assert logits.shape == (2, 3) and values.shape == (2,)
    assert torch.isfinite(logits).all() and torch.isfinite(values).all()

    # Same values with or without the reused embeddings (dropout off for the comparison).
    module.eval()
    with torch.no_grad():
        emb_eval = module._forward(batch)[Columns.EMBEDDINGS]
        torch.testing.assert_close(module.compute_values(batch, emb_eval),
                                   module.compute_values(batch))
    module.train()

    loss = -torch.log_softmax(logits, -1)[:, 0].mean() + values.pow(2).mean()
    loss.backward()
    for name, p in module.encoder.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert module.encoder.input.weight.grad.abs().sum() > 0
    assert module.encoder.convs[0].lin_l.weight.grad.abs().sum() > 0
    if critic != "shared":
        assert module.critic_encoder.input.weight.grad.abs().sum() > 0


def test_separate_critic_keeps_value_gradients_out_of_the_actor(arrays):
    spec = make_spec("fixed")
    module = build(spec, **tiny_config(critic="separate"))
    batch = {Columns.OBS: to_batch([make_obs(spec, "fixed", arrays)])}
    module.compute_values(batch).sum().backward()
    assert all(p.grad is None for p in module.encoder.parameters())
    assert module.critic_encoder.input.weight.grad.abs().sum() > 0


# ---------------------------------------------------------------------- inference
def test_compute_action_greedy_takes_the_best_valid_action(arrays):
    spec = make_spec("node")
    module = build_module(spec, encoder="sage", head="node")
    obs = make_obs(spec, "node", arrays)
    obs["action_mask"][:] = 1
    _, raw = compute_action(module, obs)
    best = int(np.argmax(raw))
    obs["action_mask"][best] = 0  # forbid the unmasked argmax
    action, logits = compute_action(module, obs)
    assert action != best and obs["action_mask"][action] == 1
    assert action == int(np.argsort(raw)[-2])
    assert logits[best] == np.finfo(np.float32).min
    np.testing.assert_allclose(np.delete(logits, best), np.delete(raw, best), rtol=1e-6)


def test_compute_action_explore_samples_only_valid_actions_reproducibly(arrays):
    spec = make_spec("node")
    module = build_module(spec, encoder="gcn", head="node")
    obs = make_obs(spec, "node", arrays)

    def draw(seed: int) -> int:
        generator = torch.Generator().manual_seed(seed)
        return compute_action(module, obs, explore=True, generator=generator)[0]

    draws = [draw(s) for s in range(200)]
    assert all(obs["action_mask"][a] == 1 for a in draws)
    assert len(set(draws)) > 1
    assert draws == [draw(s) for s in range(200)]


def test_compute_action_reads_the_nested_state_of_a_ctde_obs(arrays):
    spec = make_spec("neighbour", state=True)
    module = build_module(spec, head="neighbour", critic="central")
    action, logits = compute_action(module, make_obs(spec, "neighbour", arrays))
    assert 0 <= action < 3 and logits.shape == (3,)


def test_resize_keeps_weights_and_rejects_a_fixed_head_of_another_size():
    module = build_module(make_spec("fixed"), head="fixed")
    bigger = make_spec("fixed", max_nodes=20, max_edges=40, max_degree=5)
    resized = resize_module(module, bigger.space(), spaces.Discrete(4))
    for (k, a), (_, b) in zip(module.state_dict().items(), resized.state_dict().items()):
        assert torch.equal(a, b), k
    assert not resized.training
    other = make_spec("fixed", max_nodes=20, max_edges=40)
    space = spaces.Dict({**other.space().spaces,
                         "action_mask": spaces.Box(0, 1, (6,), np.int8)})
    with pytest.raises(ValueError, match="do not fit the new spaces"):
        resize_module(module, space, spaces.Discrete(6))


@pytest.mark.parametrize("change, expected", [
    (lambda obs: obs.update(x=obs["x"][:4]),
     "obs['x'] has shape (4, 3); the module's observation space expects (5, 3)"),
    (lambda obs: obs.pop("node_mask"), "missing: ['node_mask']"),
    (lambda obs: obs.update(colour=np.zeros(3)), "unexpected: ['colour']"),
    (lambda obs: obs.update(edge_index=obs["edge_index"].astype(np.float64)),
     "obs['edge_index'] has dtype float64; the module's observation space expects int64"),
    (lambda obs: obs["state"].update(x=np.zeros((5, 9), np.float32)),
     "obs['state']['x'] has shape (5, 9); the module's observation space expects (5, 4)"),
])
def test_compute_action_names_the_key_that_does_not_fit_the_space(arrays, change, expected):
    spec = make_spec("neighbour", state=True)
    module = build_module(spec, head="neighbour", critic="central")
    obs = make_obs(spec, "neighbour", arrays)
    change(obs)
    with pytest.raises(ValueError) as err:
        compute_action(module, obs)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_compute_action_casts_arrays_of_the_same_kind(arrays):
    """Python lists and wider dtypes of the same kind (JSON, float64 features) are fine."""
    spec = make_spec("node")
    module = build_module(spec, encoder="sage", head="node")
    obs = make_obs(spec, "node", arrays)
    plain = {k: np.asarray(v).tolist() for k, v in obs.items()}
    assert compute_action(module, plain)[0] == compute_action(module, obs)[0]


def test_node_head_computes_the_mlp_of_node_and_graph_embeddings_concatenated():
    from rllib_gnn.nn.heads import NodeHead

    torch.manual_seed(0)
    head = NodeHead(hidden=8, head_hidden=16, activation="relu")
    z, z_graph = torch.randn(3, 5, 8), torch.randn(3, 8)
    expected = head.mlp(torch.cat([z, z_graph.unsqueeze(1).expand_as(z)], -1)).squeeze(-1)
    torch.testing.assert_close(head(z, z_graph, {}), expected)
