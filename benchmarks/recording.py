"""Play a benchmark's settings one by one, printing each table and keeping the record file
current: after every setting the JSON holds what is done so far (written atomically), so an
interrupted run keeps its finished settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from rllib_gnn.service.records import record_file, write_record
from rllib_gnn.service.tables import format_record

Setting = TypeVar("Setting")


def evaluate_each(settings: Iterable[Setting], evaluate: Callable[[Setting], dict],
                  title: str, out: str | Path) -> list[dict]:
    """``evaluate`` every setting, print its table, rewrite ``out``; return the evaluations."""
    evaluations = []
    for setting in settings:
        evaluations.append(evaluate(setting))
        print(f"\n{format_record(evaluations[-1])}")
        write_record(Path(out), record_file(title, evaluations))
    print(f"\nwrote {out}")
    return evaluations
