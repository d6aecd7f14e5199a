"""RLlib's torch PPO learner, minus two costs the graph setting makes visible.

- **Bootstrap rows.** RLlib appends one artificial timestep to each episode chunk so that
  GAE can read the value of the chunk's last observation, and keeps those rows, masked out
  by ``LOSS_MASK``, in every minibatch: with MVC's ~8-step episodes that is one row in 8,
  each a whole graph through the encoder and back for nothing. :class:`DropMaskedRows`
  removes them once GAE is done; the loss is the same mean over the real rows.
- **An idle core.** While :class:`~rllib_gnn.training.overlap.GraphPPO` samples the next
  batch in a background thread, the sampler holds one core and the update runs on
  :data:`~rllib_gnn.training.threads.SAMPLING_THREADS`; the sample is done after about
  half of the update. Each minibatch step therefore asks
  :func:`~rllib_gnn.training.threads.update_threads` how many threads it may use, and the
  rest of the update runs on all the process's threads.
"""

from __future__ import annotations

from typing import Any

import torch
import tree
from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
from ray.rllib.connectors.connector_v2 import ConnectorV2
from ray.rllib.core.columns import Columns

from rllib_gnn.training.threads import torch_threads, update_threads

__all__ = ["DropMaskedRows", "GraphPPOLearner"]


class DropMaskedRows(ConnectorV2):
    """Learner connector piece, after GAE: drop the rows ``LOSS_MASK`` masks out (and the
    mask) from each stateless module's batch, so minibatches hold only real timesteps."""

    def __call__(self, *, rl_module: Any, batch: dict[str, Any], episodes: Any,
                 **kwargs: Any) -> Any:
        for module_id, columns in batch.items():
            mask = columns.get(Columns.LOSS_MASK)
            if mask is None or mask.dim() != 1 or rl_module[module_id].is_stateful():
                continue  # sequences (B, T) keep their padding for the recurrent state
            keep = torch.nonzero(mask.bool(), as_tuple=True)[0]
            rows = mask.shape[0]
            del columns[Columns.LOSS_MASK]
            for key, column in columns.items():
                columns[key] = tree.map_structure(
                    lambda value: value[keep] if _is_rows(value, rows) else value, column)
        return batch


def _is_rows(value: Any, rows: int) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == rows


class GraphPPOLearner(PPOTorchLearner):
    """PPO's torch learner: minibatches without the bootstrap rows (:class:`DropMaskedRows`),
    each step on :func:`~rllib_gnn.training.threads.update_threads` threads."""

    def build(self) -> None:
        # The process's own count (Ray's OMP_NUM_THREADS = the CPUs it gave the learner).
        self._process_threads = torch.get_num_threads()
        super().build()  # appends RLlib's GAE piece last
        if (self._learner_connector is not None
                and self.config.add_default_connectors_to_learner_pipeline):
            self._learner_connector.append(DropMaskedRows())

    def _update(self, batch: dict[str, Any]) -> Any:
        with torch_threads(update_threads(self._process_threads)):
            return super()._update(batch)
