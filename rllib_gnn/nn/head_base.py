"""The action heads' shared parts: the :class:`ActionHead` base class, :func:`gather_nodes`
and :func:`apply_action_mask`. The heads themselves are in :mod:`rllib_gnn.nn.heads` (node,
neighbour and fixed heads, the registry) and :mod:`rllib_gnn.nn.edge_heads`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import torch
from gymnasium import spaces
from torch import Tensor, nn

__all__ = ["ActionHead", "apply_action_mask", "gather_nodes"]


def gather_nodes(z: Tensor, index: Tensor) -> Tensor:
    """Pick node embeddings by padded node id.

    Args:
        z: (B, N, d) node embeddings.
        index: (B, K) node ids in ``0..N-1`` (any dtype; cast with ``.long()``).

    Returns:
        (B, K, d) with ``out[b, k] = z[b, index[b, k]]``.
    """
    index = index.long()
    return z.gather(1, index.unsqueeze(-1).expand(-1, -1, z.size(-1)))


def apply_action_mask(logits: Tensor, mask: Tensor) -> Tensor:
    """Set the logits of invalid actions to the dtype's most negative finite value.

    Args:
        logits: (B, A) raw logits.
        mask: (B, A) 1 for valid actions (any dtype; cast with ``.bool()``).

    Returns:
        (B, A) logits with ``torch.finfo(logits.dtype).min`` at invalid actions, so that a
        categorical distribution gives them probability exactly 0.

    Raises:
        ValueError: a row of ``mask`` is all zero (no valid action).
    """
    mask = mask.bool()
    if mask.shape != logits.shape:
        raise ValueError(f"action_mask has shape {tuple(mask.shape)}, the logits "
                         f"{tuple(logits.shape)}")
    valid_rows = mask.any(dim=1)
    if not valid_rows.all():
        rows = (~valid_rows).nonzero().view(-1).tolist()
        raise ValueError(f"action_mask is all zero for batch rows {rows[:10]}"
                         f"{' ...' if len(rows) > 10 else ''}; every observation needs at "
                         f"least one valid action")
    return logits.masked_fill(~mask, torch.finfo(logits.dtype).min)


class ActionHead(nn.Module):
    """Base class: ``forward(z, z_graph, obs) -> (B, A)`` raw (unmasked) logits, and
    :meth:`dist_inputs`, what the module outputs as ``ACTION_DIST_INPUTS``.

    Subclasses declare :meth:`check` (the observation keys they need and the action count
    they produce) so that a misfit between env and head fails at build time.
    """

    #: observation keys the head reads besides the graph keys.
    requires: tuple[str, ...] = ()
    #: the RLlib distribution class of :meth:`dist_inputs` (None: RLlib's default for the
    #: action space, a categorical for ``Discrete``).
    distribution: ClassVar[type | None] = None

    def dist_inputs(self, z: Tensor, z_graph: Tensor, obs: Mapping[str, Tensor]) -> Tensor:
        """The distribution's inputs: the logits with invalid actions masked out."""
        return apply_action_mask(self(z, z_graph, obs), obs["action_mask"])

    @classmethod
    def num_actions(cls, obs_space: spaces.Dict) -> int | None:
        """The action count the head produces for ``obs_space`` (None: any K)."""
        return None

    @classmethod
    def check(cls, name: str, obs_space: spaces.Dict, action_space: spaces.Discrete) -> None:
        """Raise a ``ValueError`` when ``obs_space`` / ``action_space`` cannot use this head."""
        missing = [k for k in cls.requires if k not in obs_space.spaces]
        if missing:
            raise ValueError(f"head {name!r} needs observation key(s) {missing}, the "
                             f"observation space has {sorted(obs_space.spaces)}")
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"head {name!r} needs a Discrete action space, got "
                             f"{action_space} (head 'gaussian' acts in a Box of one value "
                             f"per node)")
        want = cls.num_actions(obs_space)
        if want is not None and int(action_space.n) != want:
            raise ValueError(f"head {name!r} gives {want} logits for this observation space, "
                             f"but the action space is Discrete({action_space.n})")

    def reset_parameters(self) -> None:
        """Re-initialise every linear layer."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.reset_parameters()
