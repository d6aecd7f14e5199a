"""Config checks that raise one clear ``ValueError`` naming the key and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any


def require_int(key: str, value: Any, *, minimum: int = 0) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value}")
    return int(value)


def require_float(key: str, value: Any, *, minimum: float | None = None,
                  maximum: float | None = None) -> float:
    """Return ``value`` as a float within ``[minimum, maximum]``, or raise."""
    if isinstance(value, bool) or not isinstance(value, Real) or value != value:
        raise ValueError(f"{key} must be a number, got {value!r}")
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
