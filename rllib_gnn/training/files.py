"""Atomic file writes: a reader (or a crash) sees the old file or the complete new one.

Every checkpoint side file, evaluation record and report goes through :func:`write_atomic`:
the bytes go to a temporary file in the target's folder, are flushed to disk and then
``os.replace``-d over the target, so nothing is ever left half-written. JSON is written
strictly (:func:`json_safe` turns NaN and infinities into ``null``, which every JSON
reader accepts; Python's default would write the bare ``NaN`` token, which is not JSON).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["json_safe", "write_atomic", "write_json_atomic"]


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path``, creating its folder; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float (in nested dicts, lists, tuples) made ``None``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented, strict JSON (non-finite floats as ``null``; objects JSON
    cannot hold, as their ``str``) with :func:`write_atomic`."""
    text = json.dumps(json_safe(data), indent=2, default=str, allow_nan=False)
    return write_atomic(path, text + "\n")
