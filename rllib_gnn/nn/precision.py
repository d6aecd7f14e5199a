"""Mixed precision for the learner's forward pass (``model.train_precision``).

Under ``bfloat16`` the module's ``forward_train`` runs in ``torch.autocast``: matrix products
in bfloat16, weights, gradients and the loss in float32. On a CPU with native bfloat16
(AVX512-BF16 or AMX) a 128-wide matrix product is ~5x faster than in float32, and a PPO
minibatch of GraphSAGE 2 x 128 ~2.3x (68 -> 30 ms on one thread); on a CPU without it
bfloat16 is emulated, so ``auto`` turns it on only where it is native. Only encoders
whose aggregation stays float32 take it (:data:`~rllib_gnn.nn.encoders.BFLOAT16_ENCODERS`).
"""

from __future__ import annotations

import contextlib

import torch

from rllib_gnn.nn.encoders import BFLOAT16_ENCODERS

__all__ = ["native_bfloat16", "train_autocast"]


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 matrix products in hardware."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's own
        return any(getattr(torch.cpu, check, lambda: False)() for check in checks)
    return False


def train_autocast(precision: str, encoder: str, device: torch.device
                   ) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to bfloat16 on ``device`` when ``precision`` asks for it: always
    for ``bfloat16``, for ``auto`` with an encoder of
    :data:`~rllib_gnn.nn.encoders.BFLOAT16_ENCODERS` on native hardware; else a context
    that changes nothing (``float32``)."""
    if precision == "bfloat16" or (precision == "auto" and encoder in BFLOAT16_ENCODERS
                                   and native_bfloat16(device)):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
