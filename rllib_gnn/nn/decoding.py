"""Multi-pick decoding: several actions committed per forward pass of a selection policy.

A policy that picks nodes (MVC) or edges (matching) one per step makes one forward pass of
O(N + E) per pick, so an episode costs O(N) passes. A :class:`Decoding` commits several
actions from one pass: the best action and, with ``top_fraction`` f, the next best up to
k = ceil(f x the valid actions), or with ``prob_ratio`` r, every valid action at least r
times as probable as the best (logit >= best logit + log r). :func:`decode_episode` plays
them in ranked order through the env's own rules (``GraphEnv.step_many``: an action made
invalid by an earlier one of the batch is skipped, so the result is always a valid
solution), then re-encodes. ``Decoding()`` is exact one-at-a-time decoding: the argmax of
:func:`~rllib_gnn.nn.inference.compute_action`, one action per pass, as
:func:`~rllib_gnn.nn.inference.play_episode` plays. Memory is the observation's, O(N + E).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from envs._validation import reject_unknown
from rllib_gnn.nn.inference import compute_action, is_multi_agent
from rllib_gnn.nn.module import GraphRLModule

__all__ = ["Decoding", "check_decodable", "decode_episode"]


@dataclass(frozen=True)
class Decoding:
    """How many actions one forward pass commits (at most one of the two keys).

    Attributes:
        top_fraction: f in (0, 1]: the ceil(f x valid actions) best (at least one).
        prob_ratio: r in (0, 1]: every valid action whose probability is >= r x the best's.
    """

    top_fraction: float | None = None
    prob_ratio: float | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("top_fraction", "prob_ratio")

    def __post_init__(self) -> None:
        given = self.to_dict()
        if len(given) > 1:
            raise ValueError(f"decoding takes one of {list(self.KEYS)}, got both")
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value <= 1:
                raise ValueError(f"decoding.{key} must be a number in (0, 1], got {value!r}")

    @classmethod
    def parse(cls, config: Mapping[str, Any] | None) -> Decoding:
        """The decoding of a config dict (``{}`` or None: exact one-at-a-time decoding).

        Raises:
            ValueError: one line naming the bad key or value and what is allowed.
        """
        if config is None:
            return cls()
        if not isinstance(config, Mapping):
            raise ValueError(f"decoding must be a mapping such as {{top_fraction: 0.1}} or "
                             f"{{prob_ratio: 0.5}} ({{}}: one action per forward pass), got "
                             f"{config!r}")
        reject_unknown("decoding", config, cls.KEYS)
        return cls(**config)

    @property
    def one_at_a_time(self) -> bool:
        """Whether this is one-at-a-time decoding (one action per forward pass)."""
        return self.top_fraction is None and self.prob_ratio is None

    def to_dict(self) -> dict[str, float]:
        """The config dict :meth:`parse` reads back (``{}`` one at a time)."""
        return {key: getattr(self, key) for key in self.KEYS if getattr(self, key) is not None}

    def label(self) -> str:
        """A short name: ``one_at_a_time``, ``top_fraction_0.1`` or ``prob_ratio_0.5``."""
        return "_".join(f"{k}_{v:g}" for k, v in self.to_dict().items()) or "one_at_a_time"

    def picks(self, best: int, logits: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The actions to commit, best first: ``best`` (the argmax of the masked ``logits``,
        (A,)), then the other ``valid`` ((A,) bool) actions this decoding takes, by
        decreasing logit (ties: lower id first)."""
        if self.one_at_a_time:
            return np.array([best], np.int64)
        ids = np.flatnonzero(valid)
        scores = logits[ids].astype(np.float64)
        if self.prob_ratio is not None:
            keep = scores >= float(logits[best]) + math.log(self.prob_ratio)
            ids, scores = ids[keep], scores[keep]
            count = len(ids)
        else:  # the 1e-9 keeps f x n = 3.0000000000000004 at 3
            count = max(1, math.ceil(self.top_fraction * len(ids) - 1e-9))
        ranked = ids[np.argsort(-scores, kind="stable")][:count]
        return np.concatenate([[best], ranked[ranked != best]]).astype(np.int64)


def check_decodable(env: Any, decoding: Decoding) -> None:
    """Raise a one-line ``ValueError`` unless ``decoding`` can play ``env``: any decoding
    plays a single-agent env in mask mode; more than one pick per pass needs actions that
    select nodes or edges in any order (``env.core.selection``: MVC, matching), not moves
    or a tour's next city."""
    name = type(env).__name__
    if is_multi_agent(env):
        raise ValueError(f"decoding plays single-agent envs; {name} is a team env (every "
                         f"live agent acts each step): evaluate it without decoding")
    if env.settings.penalty:
        raise ValueError(f"decoding ranks the actions the observation's action_mask allows; "
                         f"{name} has invalid_action='penalty', whose mask allows invalid "
                         f"ones: evaluate with invalid_action='mask'")
    if not decoding.one_at_a_time and not env.core.selection:
        raise ValueError(f"decoding {decoding.to_dict()} commits several actions per forward "
                         f"pass, which needs actions that select nodes or edges in any order "
                         f"(mvc, matching); {name}'s actions follow from the one before (a "
                         f"move, a tour's next city): use one action per pass ({{}})")


def decode_episode(module: GraphRLModule, env: Any, decoding: Decoding = Decoding(),
                   seed: int | None = None) -> dict[str, Any]:
    """Play one episode of single-agent ``env`` (reset with ``seed``): each forward pass of
    ``module`` (sized for ``env``: :func:`~rllib_gnn.nn.inference.resize_module`) ranks the
    valid actions, and ``env.step_many`` applies ``decoding``'s picks in that order.

    Returns the final info plus ``return`` (summed rewards), ``length`` (env steps, as
    :func:`envs.rollout.play` counts them) and ``forward_passes``.

    Raises:
        ValueError: :func:`check_decodable`; an observation that does not fit ``module``.
    """
    check_decodable(env, decoding)
    obs, _ = env.reset(seed=seed)
    total, passes, done, info = 0.0, 0, False, {}
    while not done:
        best, logits = compute_action(module, obs)
        picks = decoding.picks(best, logits, np.asarray(obs["action_mask"]) > 0)
        obs, reward, terminated, truncated, info = env.step_many(picks)
        total, passes, done = total + reward, passes + 1, terminated or truncated
    return {**info, "return": total, "length": env.core.steps, "forward_passes": passes}
