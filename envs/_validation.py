"""Config checks that raise one clear ``ValueError`` naming the key and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np


def require_int(key: str, value: Any, *, minimum: int = 0) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value}")
    return int(value)


def optional_int(key: str, value: Any, *, minimum: int = 0) -> int | None:
    """``None`` (the env's default applies), or ``value`` checked by :func:`require_int`."""
    return None if value is None else require_int(key, value, minimum=minimum)


def require_bool(key: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (numpy's too), else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key} must be True or False, got {value!r}")
    return bool(value)


def require_float(key: str, value: Any, *, minimum: float | None = None,
                  maximum: float | None = None) -> float:
    """Return ``value`` as a finite float within ``[minimum, maximum]``, or raise (``inf`` and
    ``nan`` are refused: no config value of this project is infinite)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else minimum
        hi = "inf" if maximum is None else maximum
        raise ValueError(f"{key} must be in [{lo}, {hi}], got {value}")
    return float(value)


def require_choice(key: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise listing the choices."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{key} must be one of {allowed}, got {value!r}")
    return value


def reject_unknown(where: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """Raise if ``given`` holds a key outside ``allowed`` (typos must not pass silently)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {where} key(s) {unknown}; allowed: {sorted(allowed)}")


def merge_config(where: str, config: Mapping | None, overrides: Mapping,
                 allowed: Iterable[str]) -> dict[str, Any]:
    """An env's ``{**config, **overrides}``; raise if ``config`` is not a mapping or a key is
    not ``allowed``. ``where`` names the env in messages."""
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"{where} config must be a mapping (env_config), got {config!r}")
    merged = {**(config or {}), **overrides}
    reject_unknown(f"{where} config", merged, allowed)
    return merged


def invalid_action_config(merged: Mapping[str, Any]) -> tuple[str, float]:
    """``(invalid_action, invalid_penalty)`` of a merged env config: ``"mask"`` (default) or
    ``"penalty"``, and a finite number <= 0 (default -1.0): a penalty, never a reward."""
    mode = require_choice("invalid_action", merged.get("invalid_action", "mask"),
                          ("mask", "penalty"))
    penalty = require_float("invalid_penalty", merged.get("invalid_penalty", -1.0),
                            maximum=0.0)
    return mode, penalty


def parse_action(action: Any, num_actions: int, who: str = "action") -> int:
    """``action`` as an int in ``[0, num_actions)``: a Python or numpy integer, or an integer
    array of shape ``()`` or ``(1,)`` (what RLlib and vectorised callers hand over).

    Raises a ``ValueError`` naming ``who`` (e.g. ``"agent_1's action"``) for anything else,
    floats and bools included, and for a value outside ``Discrete(num_actions)``.
    """
    value = np.asarray(action)
    if value.shape not in ((), (1,)) or value.dtype.kind not in "iu":
        raise ValueError(f"{who} must be an integer in [0, {num_actions - 1}], got {action!r}")
    return int(_in_space(value.reshape(1), num_actions, lambda _: who)[0])


def parse_actions(actions: Any, num_actions: int, who: str = "actions") -> np.ndarray:
    """``actions`` as a non-empty (k,) int64 array of ints in ``[0, num_actions)``: a sequence
    of integers or a 1-D integer array. Raises a ``ValueError`` naming ``who`` (and the
    position of a value outside ``Discrete(num_actions)``) for anything else."""
    value = np.asarray(actions)
    if value.ndim != 1 or value.size == 0 or value.dtype.kind not in "iu":
        raise ValueError(f"{who} must be a non-empty sequence of integers in "
                         f"[0, {num_actions - 1}], got {type(actions).__name__} of shape "
                         f"{value.shape} and dtype {value.dtype}")
    return _in_space(value, num_actions, lambda i: f"{who}[{i}]")


def _in_space(slots: np.ndarray, num_actions: int, name: Callable[[int], str]) -> np.ndarray:
    """``slots`` as int64, or a ``ValueError`` naming (``name(i)``) the first outside
    ``Discrete(num_actions)``."""
    outside = np.flatnonzero((slots < 0) | (slots >= num_actions))
    if outside.size:
        i = int(outside[0])
        raise ValueError(f"{name(i)} {int(slots[i])} is outside the action space: it is outside "
                         f"Discrete({num_actions}), whose actions are 0..{num_actions - 1}")
    return slots.astype(np.int64)
