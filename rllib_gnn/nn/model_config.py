"""The ``model_config`` schema of :class:`~rllib_gnn.nn.module.GraphRLModule`, with defaults.

=================  =========  ==========================================================
key                default    allowed
=================  =========  ==========================================================
``encoder``        ``sage``   ``gcn``, ``gat``, ``sage``, ``gin``, ``gine``, ``transformer``
``hidden``         64         int >= 1: node/graph embedding width d
``num_layers``     3          int >= 1: message-passing layers
``residual``       True       bool
``norm``           ``none``   ``none``, ``layer`` (per-node LayerNorm)
``dropout``        0.0        float in [0, 1)
``activation``     ``relu``   ``relu``, ``gelu``, ``elu``, ``tanh``, ``silu``
``attention_heads`` 2         int >= 1: heads of ``gat`` / ``transformer`` (averaged)
``pooling``        ``mean``   ``mean``, ``max``, ``sum``, ``attention``
``head``           ``fixed``  ``fixed``, ``node``, ``proto``, ``neighbour``, ``edge``,
                              ``two_stage_edge``, ``gaussian`` (a Box of one value per node)
``head_hidden``    64         int >= 1: hidden width of the head and value MLPs
``critic``         ``shared`` ``shared`` (value MLP on the actor's graph embedding),
                              ``separate`` (own encoder on the agent's observation),
                              ``central`` (own encoder on ``obs["state"]``, CTDE)
``train_precision`` ``float32`` ``float32``, ``bfloat16`` (``forward_train`` under
                              ``torch.autocast``: matrix products in bfloat16; weights,
                              gradients, outputs and the loss in float32; ``sage`` and
                              ``gin`` only), ``auto`` (bfloat16 for those where the
                              learner's device computes it natively: a CPU with
                              AVX512-BF16 or AMX, a GPU that supports it)
=================  =========  ==========================================================

Keys that RLlib's algorithm configs add on their own (PPO adds ``vf_share_layers``) are
accepted and ignored; any other unknown key is an error, so typos never pass silently.

:func:`validate_model_config` is the one function that turns a ``model`` section into a
:class:`GraphModelConfig` (whose constructor checks the values, so an instance is always
valid). Training calls it when it loads an experiment (every sweep variant is checked,
and the experiment's ``model`` section becomes the config's
:meth:`~GraphModelConfig.to_dict`, which the trials' module specs carry as it is). RLlib
hands every module its ``model_config`` as a plain dict (it turns dataclasses into dicts
and merges its own keys in), so ``GraphRLModule.setup`` builds its config from that dict
with the same function: a ``to_dict()`` gives back the equal config, a user's partial dict
gets its defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envs._validation import reject_unknown, require_choice, require_float, require_int
from rllib_gnn.nn.encoders import ACTIVATIONS, BFLOAT16_ENCODERS, ENCODERS, NORMS
from rllib_gnn.nn.heads import HEADS
from rllib_gnn.nn.pooling import POOLINGS

__all__ = ["CRITICS", "PRECISIONS", "RLLIB_AUTO_KEYS", "GraphModelConfig",
           "validate_model_config"]

CRITICS = ("shared", "separate", "central")
PRECISIONS = ("float32", "bfloat16", "auto")

#: Keys RLlib's ``AlgorithmConfig._model_config_auto_includes`` merge into every module's
#: model_config (PPO/APPO: vf_share_layers; SAC/IQL: twin_q; DQN: ...). Ignored.
RLLIB_AUTO_KEYS = frozenset({
    "vf_share_layers", "twin_q", "double_q", "dueling", "epsilon", "num_atoms", "std_init",
    "v_max", "v_min", "num_actions", "n_quantiles", "n_critics",
    "top_quantiles_to_drop_per_net",
})


@dataclass(frozen=True)
class GraphModelConfig:
    """Validated model config (see the module docstring for the schema)."""

    encoder: str = "sage"
    hidden: int = 64
    num_layers: int = 3
    residual: bool = True
    norm: str = "none"
    dropout: float = 0.0
    activation: str = "relu"
    attention_heads: int = 2
    pooling: str = "mean"
    head: str = "fixed"
    head_hidden: int = 64
    critic: str = "shared"
    train_precision: str = "float32"

    def __post_init__(self) -> None:
        def key(name: str) -> str:
            return f"model_config[{name!r}]"

        require_choice(key("encoder"), self.encoder, sorted(ENCODERS))
        require_int(key("hidden"), self.hidden, minimum=1)
        require_int(key("num_layers"), self.num_layers, minimum=1)
        if not isinstance(self.residual, bool):
            raise ValueError(f"{key('residual')} must be True or False, got {self.residual!r}")
        require_choice(key("norm"), self.norm, list(NORMS))
        require_float(key("dropout"), self.dropout, minimum=0.0, maximum=0.999)
        require_choice(key("activation"), self.activation, sorted(ACTIVATIONS))
        require_int(key("attention_heads"), self.attention_heads, minimum=1)
        require_choice(key("pooling"), self.pooling, list(POOLINGS))
        require_choice(key("head"), self.head, list(HEADS))
        require_int(key("head_hidden"), self.head_hidden, minimum=1)
        require_choice(key("critic"), self.critic, list(CRITICS))
        require_choice(key("train_precision"), self.train_precision, list(PRECISIONS))
        if self.train_precision == "bfloat16" and self.encoder not in BFLOAT16_ENCODERS:
            raise ValueError(
                f"{key('train_precision')} 'bfloat16' is for the encoders "
                f"{sorted(BFLOAT16_ENCODERS)}, got encoder {self.encoder!r} (its messages "
                f"would be summed in bfloat16); use 'float32' or 'auto'")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every key (what RLlib passes back as ``module.model_config``)."""
        return dataclasses.asdict(self)


def validate_model_config(config: Mapping[str, Any] | GraphModelConfig | None
                          ) -> GraphModelConfig:
    """Resolve a ``model`` section: fill defaults into ``config`` and check every key and
    value (RLlib's own keys, :data:`RLLIB_AUTO_KEYS`, are dropped); a
    :class:`GraphModelConfig` is returned as it is.

    Raises:
        ValueError: one line naming an unknown key (listing the allowed keys) or a bad
            value (listing the allowed values).
    """
    if isinstance(config, GraphModelConfig):
        return config
    if config is None:
        return GraphModelConfig()
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    if not isinstance(config, Mapping):
        raise ValueError(f"model_config must be a dict, got {type(config).__name__}")
    allowed = [f.name for f in dataclasses.fields(GraphModelConfig)]
    given = {k: v for k, v in config.items() if k not in RLLIB_AUTO_KEYS}
    reject_unknown("model_config", given, allowed)
    return GraphModelConfig(**given)
