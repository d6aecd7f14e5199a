"""The service's PPO learner: minibatches without RLlib's masked bootstrap rows, values
from sampling, and the update's threads chosen per minibatch."""

import torch
from ray.rllib.connectors.learner import GeneralAdvantageEstimation
from ray.rllib.core.columns import Columns

from rllib_gnn.training import threads
from rllib_gnn.training.algorithm import build_algorithm_config
from rllib_gnn.training.experiment import resolve_experiment
from rllib_gnn.training.ppo_learner import DropMaskedRows, GraphPPOLearner
from tests.tiny import TINY_MVC


class _Module:
    def is_stateful(self) -> bool:
        return False


class _Modules(dict):
    def __getitem__(self, key):
        return _Module()


def test_masked_rows_leave_every_column_and_the_mask_goes():
    mask = torch.tensor([True, False, True, True, False])
    batch = {"p": {Columns.LOSS_MASK: mask, Columns.REWARDS: torch.arange(5.0),
                   Columns.OBS: {"x": torch.arange(10).view(5, 2),
                                 "state": {"x": torch.arange(5)}},
                   "scalar": torch.tensor(3.0)}}
    out = DropMaskedRows()(rl_module=_Modules(), batch=batch, episodes=[])["p"]
    assert Columns.LOSS_MASK not in out
    assert out[Columns.REWARDS].tolist() == [0.0, 2.0, 3.0]
    assert out[Columns.OBS]["x"].tolist() == [[0, 1], [4, 5], [6, 7]]
    assert out[Columns.OBS]["state"]["x"].tolist() == [0, 2, 3]
    assert out["scalar"] == 3.0  # not a per-row column: left as it is


def test_a_batch_without_the_mask_is_left_alone():
    batch = {"p": {Columns.REWARDS: torch.arange(3.0)}}
    out = DropMaskedRows()(rl_module=_Modules(), batch=batch, episodes=[])
    assert out["p"][Columns.REWARDS].tolist() == [0.0, 1.0, 2.0]


def test_the_update_takes_one_thread_while_a_sample_runs_and_all_after():
    assert threads.update_threads(2) == 2
    threads.BACKGROUND_SAMPLING.set()
    try:
        assert threads.update_threads(2) == threads.SAMPLING_THREADS == 1
    finally:
        threads.BACKGROUND_SAMPLING.clear()
    assert threads.update_threads(2) == 2


def test_ppo_trains_on_real_timesteps_only_with_values_from_sampling(ray_session):
    experiment = resolve_experiment({**TINY_MVC, "training": {
        **TINY_MVC["training"], "sample_during_update": True}})
    algo = build_algorithm_config(experiment).build_algo()
    learner = algo.learner_group._learner
    assert isinstance(learner, GraphPPOLearner)
    pieces = [type(piece) for piece in learner._learner_connector.connectors]
    assert pieces[-2:] == [GeneralAdvantageEstimation, DropMaskedRows]  # after GAE
    seen, threads_seen = [], []
    update = learner._update

    def recording(batch):
        seen.append({k: v for k, v in batch["default_policy"].items()})
        threads_seen.append((threads.BACKGROUND_SAMPLING.is_set(), torch.get_num_threads()))
        return update(batch)

    learner._update = recording
    try:
        for _ in range(2):
            algo.train()
    finally:
        algo.stop()
    for columns in seen:
        assert Columns.LOSS_MASK not in columns
        assert Columns.VF_PREDS in columns  # the env runner's values reached the batch
        assert len(columns[Columns.REWARDS]) == len(columns[Columns.ADVANTAGES])
    for sampling, count in threads_seen:
        assert count == (threads.SAMPLING_THREADS if sampling else learner._process_threads)
