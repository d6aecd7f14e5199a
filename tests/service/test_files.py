"""Tests of the atomic file writes behind checkpoints, evaluations and reports."""

from __future__ import annotations

import json
import math
import os

import pytest

from rllib_gnn.training.files import write_atomic, write_json_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    write_atomic(target, "old\n")

    def crash(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_json_writes_non_finite_numbers_as_null_for_strict_readers(tmp_path):
    path = write_json_atomic(tmp_path / "deep" / "r.json",
                             {"mean": math.nan, "rows": [{"std": math.inf, "n": 3}], "t": (1.5,)})

    def reject(token):
        raise ValueError(f"non-standard JSON token {token}")
    data = json.loads(path.read_text(), parse_constant=reject)
    assert data == {"mean": None, "rows": [{"std": None, "n": 3}], "t": [1.5]}
