"""rllib-gnn: graph neural network policies (PyTorch Geometric) for Ray RLlib.

Public names load on first use (``import torch_geometric`` alone takes seconds), so that
``import rllib_gnn`` and the CLI's ``--help`` stay fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "GraphRLModule": "rllib_gnn.nn.module",
    "GraphQModule": "rllib_gnn.nn.q_module",
    "GraphModelConfig": "rllib_gnn.nn.model_config",
    "validate_model_config": "rllib_gnn.nn.model_config",
    "compute_action": "rllib_gnn.nn.inference",
    "resize_module": "rllib_gnn.nn.inference",
    "Decoding": "rllib_gnn.nn.decoding",
    "decode_episode": "rllib_gnn.nn.decoding",
    "flatten_graphs": "rllib_gnn.nn.batching",
    "GraphEncoder": "rllib_gnn.nn.encoders",
    "ENCODERS": "rllib_gnn.nn.encoders",
    "HEADS": "rllib_gnn.nn.heads",
    "POOLINGS": "rllib_gnn.nn.pooling",
    "register_envs": "rllib_gnn.training.registration",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rllib_gnn' has no attribute {name!r}")
