"""Action distributions of heads whose action is not one ``Discrete`` choice.

:class:`MaskedDiagGaussian` is the distribution of the ``gaussian`` head: one independent
Normal per node slot, for a ``Box(-1, 1, (N,))`` action space, in which masked slots
(padding, nodes that do not act) take no part. Its inputs (``ACTION_DIST_INPUTS``) are
``concat[mu, log_std, mask]``, (B, 3N), so that RLlib's connectors, episodes and the PPO
loss carry the mask with the parameters and no custom connector is needed::

    logp(a)   = sum_{i: mask_i} log N(a_i; mu_i, sigma_i)      (a_i at masked slots ignored)
    entropy   = sum_{i: mask_i} (1/2 log(2 pi e) + log sigma_i)
    KL(p, q)  = sum_{i: p.mask_i} KL(N(mu_i, sigma_i) || N(mu'_i, sigma'_i))

Samples, and the deterministic action (the mean), are ``mu`` at masked slots (the module
sets it to 0 there); the env ignores those slots.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core.distribution.torch.torch_distribution import (
    TorchDeterministic,
    TorchDistribution,
)
from torch import Tensor

__all__ = ["MaskedDeterministic", "MaskedDiagGaussian", "gaussian_action"]


class MaskedDiagGaussian(TorchDistribution):
    """Independent Normals over the last axis; slots where ``mask`` is False are left out
    of ``logp``, ``entropy`` and ``kl`` (each summed over the valid slots: shape (B,)).

    Args:
        loc: (B, N) means.
        scale: (B, N) standard deviations, > 0.
        mask: (B, N) bool, True for slots that act.
    """

    def __init__(self, loc: Tensor, scale: Tensor, mask: Tensor) -> None:
        self.loc = loc
        self.mask = mask.bool()
        super().__init__(loc=loc, scale=scale)

    def _get_torch_distribution(self, loc: Tensor, scale: Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(loc, scale, validate_args=False)

    def _valid_sum(self, values: Tensor) -> Tensor:
        return torch.where(self.mask, values, torch.zeros_like(values)).sum(-1)

    def logp(self, value: Tensor, **kwargs) -> Tensor:
        # masked slots are evaluated at the mean: any value there (inf, nan) stays out of
        # the sum and of its gradient
        value = torch.where(self.mask, value.to(self.loc.dtype), self.loc.detach())
        return self._valid_sum(self._dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._valid_sum(self._dist.entropy())

    def kl(self, other: MaskedDiagGaussian) -> Tensor:
        return self._valid_sum(torch.distributions.kl.kl_divergence(self._dist, other._dist))

    def sample(self, *, sample_shape=None) -> Tensor:
        drawn = super().sample(sample_shape=sample_shape)
        return torch.where(self.mask, drawn, self.loc)

    def rsample(self, *, sample_shape=None) -> Tensor:
        drawn = super().rsample(sample_shape=sample_shape)
        return torch.where(self.mask, drawn, self.loc)

    @staticmethod
    def required_input_dim(space: gym.Space, **kwargs) -> int:
        """3 x the action's size: mean, log standard deviation and mask per slot."""
        return int(np.prod(space.shape)) * 3

    @classmethod
    def from_logits(cls, logits: Tensor, **kwargs) -> MaskedDiagGaussian:
        """From ``concat[mu, log_std, mask]`` (B, 3N); the mask is 1 for valid slots."""
        loc, log_std, mask = logits.chunk(3, dim=-1)
        return cls(loc=loc, scale=log_std.exp(), mask=mask > 0.5)

    def to_deterministic(self) -> MaskedDeterministic:
        return MaskedDeterministic(loc=self.loc)


class MaskedDeterministic(TorchDeterministic):
    """The mean of a :class:`MaskedDiagGaussian`; ``logp`` is 0 per row, shape (B,), as
    the stochastic distribution's is (RLlib's :class:`TorchDeterministic` gives one 0 per
    slot)."""

    def logp(self, value: Tensor, **kwargs) -> Tensor:
        return torch.zeros(self.loc.shape[:-1], dtype=self.loc.dtype, device=self.loc.device)


def gaussian_action(inputs: Tensor, explore: bool,
                    generator: torch.Generator | None = None) -> Tensor:
    """The action of :class:`MaskedDiagGaussian` inputs (…, 3N) without RLlib: the mean,
    or with ``explore`` a sample drawn with ``generator`` (reproducible); ``mu`` (0) at
    masked slots."""
    loc, log_std, mask = inputs.chunk(3, dim=-1)
    if not explore:
        return loc
    noise = torch.randn(loc.shape, generator=generator, dtype=loc.dtype)
    return torch.where(mask > 0.5, loc + log_std.exp() * noise.to(loc.device), loc)
