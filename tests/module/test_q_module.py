"""GraphQModule: DQN's Q-network on the graph contract, masked where it acts and learns.

The TD target is computed by RLlib's own DQN loss (``DQNTorchLearner.compute_loss_for_module``)
on the module's train outputs, so these tests check the path a training run takes.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from gymnasium import spaces
from ray.rllib.core.columns import Columns

from tests.module.conftest import graph_arrays, make_obs, make_spec, tiny_config, to_batch

GAMMA, N_STEP = 0.9, 2


def build_q(head: str = "node", **config):
    """A seeded GraphQModule on the 5-node test graph's spec, with a target network whose
    weights differ from the online ones (as they do between target updates)."""
    from rllib_gnn.nn.q_module import GraphQModule

    spec = make_spec(head)
    torch.manual_seed(0)
    module = GraphQModule(observation_space=spec.space(),
                          action_space=spaces.Discrete(spec.num_actions),
                          model_config=tiny_config(head=head, **config))
    module.make_target_networks()
    with torch.no_grad():
        for _, target in module.get_target_network_pairs():
            for p in target.parameters():
                p.add_(torch.randn_like(p) * 0.5)
    return module.eval(), spec


def observations(spec, head: str, count: int) -> dict:
    """``count`` observations of the test graph with other node features each."""
    return to_batch([make_obs(spec, head, graph_arrays(seed)) for seed in range(count)])


def raw_q(module, obs: dict, target: bool) -> torch.Tensor:
    """Q-values with every action valid (what an unmasked max would compare)."""
    from ray.rllib.algorithms.dqn.default_dqn_rl_module import QF_PREDS

    unmasked = {**obs, "action_mask": torch.ones_like(obs["action_mask"])}
    with torch.no_grad():
        out = (module.forward_target if target else module.compute_q_values)(
            {Columns.OBS: unmasked})
    return out[QF_PREDS]


def rllib_td_errors(module, batch: dict, double_q: bool) -> np.ndarray:
    """|Q(s, a) - target| per sample, from RLlib's DQN loss on the module's train pass."""
    from ray.rllib.algorithms.dqn import DQNConfig
    from ray.rllib.algorithms.dqn.torch.dqn_torch_learner import DQNTorchLearner
    from ray.rllib.utils.metrics import TD_ERROR_KEY
    from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

    config = DQNConfig().training(double_q=double_q, gamma=GAMMA, td_error_loss_fn="mse")
    learner = types.SimpleNamespace(metrics=MetricsLogger(), config=config)
    with torch.no_grad():
        fwd_out = module.forward_train(batch)
        loss = DQNTorchLearner.compute_loss_for_module(
            learner, module_id="p", config=config, batch=batch, fwd_out=fwd_out)
    assert torch.isfinite(loss)
    return np.asarray(learner.metrics.peek(("p", TD_ERROR_KEY)), dtype=np.float64).reshape(-1)


@pytest.mark.parametrize("dueling", [False, True], ids=["plain", "dueling"])
@pytest.mark.parametrize("double_q", [False, True], ids=["max", "double_q"])
def test_target_max_never_takes_a_masked_action(double_q, dueling):
    module, spec = build_q("node", double_q=double_q, dueling=dueling)
    count = 6
    obs = observations(spec, "node", count)
    next_obs = observations(spec, "node", count)
    # The next observations' masks forbid the action with the largest raw Q of the network
    # that picks the bootstrap action (online with double Q, else target): the unmasked max.
    picker = raw_q(module, next_obs, target=not double_q)
    mask = torch.ones_like(next_obs["action_mask"])
    mask[torch.arange(count), picker.argmax(-1)] = 0
    next_obs["action_mask"] = mask
    batch = {Columns.OBS: obs, Columns.NEXT_OBS: next_obs,
             Columns.ACTIONS: torch.tensor([0, 2, 3, 4, 0, 2]),  # valid in obs (node 1 is not)
             Columns.REWARDS: torch.linspace(-1.0, 0.5, count),
             Columns.TERMINATEDS: torch.zeros(count, dtype=torch.bool),
             "n_step": torch.full((count,), N_STEP), "weights": torch.ones(count)}

    # Expected: the bootstrap action is the best VALID one of the picking network, valued
    # by the target network (computed here from raw Q-values, without the module's mask).
    valid = mask.bool()
    best_valid = picker.masked_fill(~valid, -np.inf).argmax(-1)
    target_raw = raw_q(module, next_obs, target=True)
    if dueling:  # the dueling mean runs over the valid actions: a shift per row
        target_raw = module.forward_target({Columns.OBS: next_obs})["qf_preds"]
    bootstrap = target_raw.gather(1, best_valid[:, None]).squeeze(1)
    assert valid.gather(1, best_valid[:, None]).all()
    assert not valid.gather(1, picker.argmax(-1, keepdim=True)).any()  # the raw max is masked
    with torch.no_grad():
        q_taken = module.compute_q_values({Columns.OBS: obs})["qf_preds"].gather(
            1, batch[Columns.ACTIONS][:, None]).squeeze(1)
    expected = (q_taken - (batch[Columns.REWARDS] + GAMMA ** N_STEP * bootstrap)).abs()

    errors = rllib_td_errors(module, batch, double_q)
    assert np.isfinite(errors).all() and np.abs(errors).max() < 1e3
    np.testing.assert_allclose(errors, expected.double().numpy(), rtol=1e-5, atol=1e-5)


def test_terminal_next_states_bootstrap_nothing():
    module, spec = build_q("node", dueling=False)
    obs = observations(spec, "node", 2)
    batch = {Columns.OBS: obs, Columns.NEXT_OBS: obs, Columns.ACTIONS: torch.tensor([2, 3]),
             Columns.REWARDS: torch.tensor([0.5, -0.25]),
             Columns.TERMINATEDS: torch.ones(2, dtype=torch.bool),
             "n_step": torch.ones(2), "weights": torch.ones(2)}
    with torch.no_grad():
        q = module.compute_q_values({Columns.OBS: obs})["qf_preds"][[0, 1], [2, 3]]
    errors = rllib_td_errors(module, batch, double_q=True)
    np.testing.assert_allclose(errors, (q - batch[Columns.REWARDS]).abs().numpy(), rtol=1e-5)


@pytest.mark.parametrize("head", ["node", "proto", "neighbour", "edge", "fixed"])
def test_masked_q_values_are_finite_and_lowest(head):
    module, spec = build_q(head)
    obs = observations(spec, head, 3)
    q = module.compute_q_values({Columns.OBS: obs})["qf_preds"]
    invalid = ~obs["action_mask"].bool()
    assert q.shape == obs["action_mask"].shape and torch.isfinite(q).all()
    assert (q[invalid] == torch.finfo(q.dtype).min).all()
    assert (q[~invalid] > torch.finfo(q.dtype).min / 2).all()


@pytest.mark.parametrize("head", ["node", "edge", "fixed"])
def test_epsilon_greedy_explores_valid_actions_only(head):
    module, spec = build_q(head, epsilon=1.0)
    obs = observations(spec, head, 1)
    many = {k: v.expand(400, *v.shape[1:]) for k, v in obs.items()}
    torch.manual_seed(1)
    actions = module.forward_exploration({Columns.OBS: many}, t=0)[Columns.ACTIONS]
    valid = set(np.flatnonzero(obs["action_mask"][0].numpy()).tolist())
    assert set(actions.tolist()) == valid  # every valid action, and no other

    greedy = module.forward_inference({Columns.OBS: obs})
    q = greedy[Columns.ACTION_DIST_INPUTS]
    assert int(greedy[Columns.ACTIONS][0]) == int(q.argmax(-1)[0])
    assert obs["action_mask"][0, int(greedy[Columns.ACTIONS][0])] == 1


def test_epsilon_follows_its_schedule():
    module, spec = build_q("node", epsilon=[[0, 1.0], [100, 0.0]])
    obs = observations(spec, "node", 1)
    many = {k: v.expand(200, *v.shape[1:]) for k, v in obs.items()}
    greedy = int(module.forward_inference({Columns.OBS: obs})[Columns.ACTIONS][0])
    late = module.forward_exploration({Columns.OBS: many}, t=100)[Columns.ACTIONS]
    assert (late == greedy).all()
    early = module.forward_exploration({Columns.OBS: many}, t=0)[Columns.ACTIONS]
    assert (early != greedy).any()


@pytest.mark.parametrize("dueling", [False, True])
def test_env_runner_module_has_no_target_and_acts_the_same(dueling):
    from rllib_gnn.nn.q_module import GraphQModule

    module, spec = build_q("neighbour", dueling=dueling)
    runner = GraphQModule(observation_space=spec.space(),
                          action_space=spaces.Discrete(spec.num_actions), inference_only=True,
                          model_config=tiny_config(head="neighbour", dueling=dueling))
    assert not any(name.startswith("_target") for name in runner.state_dict())
    runner.set_state(module.get_state(inference_only=True))
    obs = {Columns.OBS: observations(spec, "neighbour", 4)}
    torch.testing.assert_close(runner.forward_inference(obs)[Columns.ACTION_DIST_INPUTS],
                               module.forward_inference(obs)[Columns.ACTION_DIST_INPUTS])


@pytest.mark.parametrize("config, words", [
    ({"num_atoms": 51}, "num_atoms must be 1"),
    ({"critic": "separate"}, "must be .shared."),
])
def test_refuses_what_it_cannot_learn(config, words):
    from rllib_gnn.nn.q_module import GraphQModule

    spec = make_spec("node")
    with pytest.raises(ValueError, match=words):
        GraphQModule(observation_space=spec.space(), action_space=spaces.Discrete(5),
                     model_config=tiny_config(head="node", **config))
