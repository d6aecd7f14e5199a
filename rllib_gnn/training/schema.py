"""The experiment file's schema: its keys, defaults and the small checks every validator of
it shares (types, number ranges, dotted paths).

:mod:`rllib_gnn.training.experiment` loads and validates experiment files with these; the
validators of its parts (:mod:`~rllib_gnn.training.algorithm_validation`,
:mod:`~rllib_gnn.training.sweeps`) import them from here, so that none of them imports
another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from envs.compare import HELD_OUT_SEED

ALGORITHMS = ("PPO", "APPO", "IMPALA", "DQN")
SAMPLERS = ("grid", "choice", "uniform", "loguniform", "randint")
SCHEDULERS = ("fifo", "asha", "pbt")
TOP_LEVEL = ("name", "algorithm", "env", "env_config", "model", "training", "env_runners",
             "learners", "resources", "fault_tolerance", "failure", "multi_agent", "stop",
             "evaluation", "periodic_evaluation", "checkpoint", "storage", "seed", "pretrain",
             "tune")
#: The sections that are keyword arguments of the AlgorithmConfig method of the same name.
ALGORITHM_SECTIONS = ("training", "env_runners", "learners", "resources", "fault_tolerance")
#: Keys the Tune driver reads (RunConfig, storage): a trial never sees them, so no sweep may
#: change them.
DRIVER_KEYS = ("name", "storage", "stop", "checkpoint", "failure", "tune")
POLICY_SHARING = ("shared", "per_agent")
SECTION_KEYS = {
    "multi_agent": {"policies": str},
    "failure": {"max_failures": int},
    "evaluation": {"env_config": dict, "episodes": int, "sample": int, "decoding": dict},
    "periodic_evaluation": {"every": int, "episodes": int, "seed": int, "ratio": bool,
                            "env_runners": int, "parallel": bool},
    "checkpoint": {"frequency": int, "at_end": bool, "keep": (int, type(None))},
    "tune": {"param_space": dict, "num_samples": int, "scheduler": dict, "metric": str,
             "mode": str, "max_concurrent_trials": int},
    "pretrain": {"imitate": str, "episodes": int, "epochs": int, "lr": float,
                 "minibatch_size": int, "value_coeff": (int, float)},
}
#: Sections absent unless the file has them; then filled with these defaults.
OPTIONAL_SECTIONS: dict[str, dict[str, Any]] = {
    "pretrain": {"episodes": 100, "epochs": 10, "lr": 0.001, "minibatch_size": 256,
                 "value_coeff": 1.0},
}
DEFAULTS: dict[str, Any] = {
    "algorithm": "PPO",
    "env_config": {},
    "model": {},
    "training": {},
    "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 8},
    "learners": {},
    "resources": {},
    "multi_agent": {"policies": "shared"},
    "fault_tolerance": {"restart_failed_env_runners": True,
                        "delay_between_env_runner_restarts_s": 1.0},
    "failure": {"max_failures": 2},
    "stop": {"training_iteration": 10},
    "evaluation": {"env_config": {}, "episodes": 100, "sample": 0, "decoding": {}},
    "periodic_evaluation": {"every": 10, "episodes": 20, "seed": HELD_OUT_SEED, "ratio": True,
                            "env_runners": 0, "parallel": False},
    "checkpoint": {"frequency": 5, "at_end": True, "keep": None},
    "storage": "./results",
    "seed": 0,
    "tune": {"param_space": {}, "num_samples": 1, "scheduler": {"type": "fifo"},
             "metric": "env_runners/episode_return_mean", "mode": "max",
             "max_concurrent_trials": 1},
}


class ExperimentError(ValueError):
    """An experiment file with one or more problems (one line each)."""

    def __init__(self, problems: list[str], source: str = "experiment") -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems) if len(problems) == 1 else
                         f"{source} has {len(problems)} problems:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------- dotted paths
def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set ``tree["a"]["b"] = value`` for ``path="a.b"``, creating dicts on the way."""
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ExperimentError([f"{path}: {part!r} is not a section, cannot set {leaf!r}"])
    node[leaf] = value


# --------------------------------------------------------------------------- types
def is_number(value: Any) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type_name(kinds: Any) -> str:
    """``(int, type(None))`` -> ``"int or null"``; int and float together read ``number``."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    names = {int: "int", float: "float", bool: "bool", str: "str", dict: "dict",
             list: "list", type(None): "null"}
    if int in kinds and float in kinds:
        kinds = ("number", *(k for k in kinds if k not in (int, float)))
    return " or ".join(k if isinstance(k, str) else names.get(k, k.__name__) for k in kinds)


def type_problem(key: str, value: Any, kinds: Any) -> str | None:
    """One line when ``value`` is not one of ``kinds`` (a bool is no number), else None.

    A string that reads as a number gets a hint: YAML 1.1 reads ``1e-3`` as a string.
    """
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if (bool in kinds) if isinstance(value, bool) else isinstance(value, kinds):
        return None
    hint = ""
    if isinstance(value, str) and (int in kinds or float in kinds):
        try:
            float(value)
            hint = (" (a string: YAML reads 1e-3 as text, write 1.0e-3)" if "e" in value.lower()
                    else " (a string: drop the quotes)")
        except ValueError:
            pass
    return f"{key} must be {type_name(kinds)}, got {value!r}{hint}"


def check_type(problems: list[str], key: str, value: Any, kinds: Any) -> bool:
    """Append :func:`type_problem`'s line to ``problems``; whether ``value`` is fine."""
    problem = type_problem(key, value, kinds)
    if problem:
        problems.append(problem)
    return problem is None


@dataclass(frozen=True)
class Range:
    """The numbers a key allows: ``low`` / ``high`` bounds (None: unbounded), each inclusive
    unless ``*_open``; ``nullable``: ``null`` (None) is allowed too."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nullable: bool = False

    def text(self) -> str:
        """``> 0``, ``>= 1``, ``in [0, 1]``, ``in (0, 0.5]``..."""
        if self.low is not None and self.high is not None:
            return (f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                    f"{')' if self.high_open else ']'}")
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {self.high:g}"
        return "a number"

    def contains(self, value: float) -> bool:
        """Whether the number ``value`` is inside the range (NaN never is)."""
        if math.isnan(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def problem(self, key: str, value: Any) -> str | None:
        """One line when ``value`` is a number outside the range, or None where not
        allowed; None otherwise (other types are :func:`type_problem`'s to report)."""
        if value is None:
            return None if self.nullable else f"{key} must be {self.text()}, got null"
        if is_number(value) and not self.contains(value):
            return f"{key} must be {self.text()}, got {value!r}"
        return None


def at_least(low: float, nullable: bool = False) -> Range:
    """``>= low``."""
    return Range(low=low, nullable=nullable)


def above(low: float, nullable: bool = False) -> Range:
    """``> low``."""
    return Range(low=low, low_open=True, nullable=nullable)


def within(low: float, high: float, nullable: bool = False) -> Range:
    """``in [low, high]``."""
    return Range(low=low, high=high, nullable=nullable)


def range_problems(section: str, values: dict[str, Any], ranges: dict[str, Range],
                   skip: Sequence[str] = ()) -> list[str]:
    """:meth:`Range.problem` of every key of ``values`` with a range (not in ``skip``)."""
    return [p for key, value in values.items() if key in ranges and key not in skip
            for p in [ranges[key].problem(f"{section}.{key}", value)] if p]
