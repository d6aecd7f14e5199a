"""Values from sampling: with the shared critic the env runners' exploration pass returns
``VF_PREDS``, and GAE's ``compute_values`` keeps them, encoding only the bootstrap rows."""

import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from gymnasium import spaces

from rllib_gnn.nn.module import GraphRLModule
from tests.module.conftest import make_obs, make_spec, tiny_config, to_batch

PERMS = ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 0, 3, 2, 4], [2, 4, 0, 1, 3])


def _modules(critic: str):
    """The learner's module and an env runner's (inference_only), with the same weights."""
    spec = make_spec("node", state=True)
    module_spec = RLModuleSpec(module_class=GraphRLModule, observation_space=spec.space(),
                               action_space=spaces.Discrete(spec.num_actions),
                               model_config=tiny_config(head="node", critic=critic))
    torch.manual_seed(0)
    learner = module_spec.build()
    module_spec.inference_only = True
    runner = module_spec.build()
    runner.set_state(learner.get_state(inference_only=True))
    return spec, learner, runner


def _obs(spec, arrays):
    return to_batch([make_obs(spec, "node", arrays, perm) for perm in PERMS])


def test_exploration_returns_the_values_the_learner_computes(arrays):
    spec, learner, runner = _modules("shared")
    batch = {Columns.OBS: _obs(spec, arrays)}
    out = runner.forward_exploration(batch)
    assert set(out) == {Columns.ACTION_DIST_INPUTS, Columns.VF_PREDS}  # no embeddings stored
    with torch.no_grad():
        torch.testing.assert_close(out[Columns.VF_PREDS], learner.compute_values(batch))
    # acting greedily needs no values
    assert Columns.VF_PREDS not in runner.forward_inference(batch)


@pytest.mark.parametrize("critic", ["separate", "central"])
def test_a_critic_with_its_own_encoder_stays_off_the_env_runners(critic, arrays):
    spec, _, runner = _modules(critic)
    assert not hasattr(runner, "value_mlp") and not hasattr(runner, "critic_encoder")
    out = runner.forward_exploration({Columns.OBS: _obs(spec, arrays)})
    assert Columns.VF_PREDS not in out


def test_gae_keeps_sampled_values_and_encodes_only_the_bootstrap_rows(arrays):
    spec, learner, _ = _modules("shared")
    obs = _obs(spec, arrays)
    with torch.no_grad():
        fresh = learner.compute_values({Columns.OBS: obs})
    sampled = torch.tensor([7.0, -3.0, 11.0, 5.0])  # not what the weights would give
    loss_mask = torch.tensor([True, False, True, False])  # rows 1 and 3: bootstrap rows
    with torch.no_grad():
        values = learner.compute_values({Columns.OBS: obs, Columns.VF_PREDS: sampled,
                                         Columns.LOSS_MASK: loss_mask})
    torch.testing.assert_close(values[loss_mask], sampled[loss_mask])
    torch.testing.assert_close(values[~loss_mask], fresh[~loss_mask])
    # without PPO's mask nothing tells the bootstrap rows apart: every row is encoded
    with torch.no_grad():
        torch.testing.assert_close(
            learner.compute_values({Columns.OBS: obs, Columns.VF_PREDS: sampled}), fresh)
