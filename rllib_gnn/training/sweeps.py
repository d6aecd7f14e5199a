"""The experiment's ``tune`` section checked before Ray starts: metric, mode, scheduler
parameters, and every sweep path of ``param_space`` (and of PBT's
``hyperparam_mutations``) with the values it can take.

A sweep path must name a key a trial reads (``training.lr``,
``env_runners.num_envs_per_env_runner``, ``model.hidden``, ``env_config.max_nodes``,
``seed``...). Its values are checked against that key by the experiment's own validation:
each grid/choice value, and the bounds of uniform/loguniform (as floats) and randint (the
highest integer it draws) are put into the experiment one at a time, and whatever that
validation then finds beyond the experiment's own problems is the value's problem. So a
sweep value meets exactly the checks the same value meets written in place.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from rllib_gnn.training.schema import (
    ALGORITHM_SECTIONS,
    DRIVER_KEYS,
    SAMPLERS,
    SCHEDULERS,
    SECTION_KEYS,
    TOP_LEVEL,
    ExperimentError,
    Range,
    above,
    at_least,
    is_number,
    set_path,
    type_problem,
    within,
)

__all__ = ["eval_metric_problem", "metric_problem", "sweep_problems", "tune_problems"]

#: The result keys the trainable adds under ``rllib_gnn/`` that ``tune.metric`` may name.
OWN_METRICS = ("metric", "ratio", "env_steps_per_s", "eval/metric", "eval/ratio")
_NUMBER = (int, float)
#: Each scheduler's parameters: (YAML type, range or None).
SCHEDULER_PARAMS: dict[str, dict[str, tuple[Any, Range | None]]] = {
    "fifo": {},
    "asha": {"max_t": (int, at_least(1)), "grace_period": (int, at_least(1)),
             "reduction_factor": (_NUMBER, above(1)), "brackets": (int, at_least(1)),
             "stop_last_trials": (bool, None)},
    "pbt": {"perturbation_interval": (_NUMBER, above(0)),
            "burn_in_period": (_NUMBER, at_least(0)), "hyperparam_mutations": (dict, None),
            "quantile_fraction": (_NUMBER, within(0, 0.5)),
            "resample_probability": (_NUMBER, within(0, 1)),
            "perturbation_factors": (list, None), "log_config": (bool, None),
            "require_attrs": (bool, None), "synch": (bool, None)},
}
#: Scheduler keywords the experiment sets elsewhere.
RESERVED = {"metric": "it is tune.metric", "mode": "it is tune.mode",
            "time_attr": "schedulers count training_iteration"}
#: Roots a PBT mutation may not change: PBT restores another trial's weights into the
#: mutated config, so the module, the env and the algorithm must stay.
FIXED_UNDER_PBT = ("model", "env", "algorithm")

Check = Callable[[Mapping[str, Any]], list[str]]


# --------------------------------------------------------------------------- tune section
def tune_problems(tune: Mapping[str, Any]) -> list[str]:
    """Mode, metric name, sizes and scheduler parameters of the ``tune`` section (its keys'
    types are checked already)."""
    problems = []
    if tune.get("mode") not in ("min", "max"):
        problems.append(f"tune.mode must be 'min' or 'max', got {tune.get('mode')!r}")
    metric = tune.get("metric")
    if isinstance(metric, str) and metric.startswith("rllib_gnn/") \
            and metric.split("/", 1)[1] not in OWN_METRICS:
        problems.append(f"tune.metric {metric!r} is no result key; the trainable reports "
                        f"{['rllib_gnn/' + m for m in OWN_METRICS]}")
    if isinstance(metric, str) and "episode_reward_" in metric:
        problems.append(f"tune.metric {metric!r}: RLlib's new API stack reports "
                        f"{metric.replace('episode_reward_', 'episode_return_')!r}")
    for key, rng in (("num_samples", at_least(1)), ("max_concurrent_trials", at_least(0))):
        if is_number(tune.get(key)):  # (other types: the section's type check)
            problem = rng.problem(f"tune.{key}", tune[key])
            problems += [problem] if problem else []
    scheduler = tune.get("scheduler")
    if isinstance(scheduler, dict):
        problems += _scheduler_problems(scheduler)
    return problems


def metric_problem(tune: Mapping[str, Any], ratio_key: str | None, env: Any) -> str | None:
    """One line when ``tune.metric`` is ``rllib_gnn/ratio`` but the env (built from the
    experiment's ``env_config``) computes no ratio; ``ratio_key``: the catalog's."""
    if tune.get("metric") != "rllib_gnn/ratio":
        return None
    if ratio_key is None:
        return "tune.metric 'rllib_gnn/ratio': this env reports no ratio; use rllib_gnn/metric"
    settings = getattr(env, "settings", None)
    references = getattr(type(settings), "REFERENCES", ())
    if references and getattr(settings, "reference", "none") == "none":
        return (f"tune.metric 'rllib_gnn/ratio' needs env_config.reference (one of "
                f"{list(references)}): without it the env computes no ratio")
    return None


def eval_metric_problem(tune: Mapping[str, Any], periodic: bool, ratio: bool) -> str | None:
    """One line when ``tune.metric`` names a periodic evaluation's result that no trial
    reports: ``periodic``: whether it runs (``periodic_evaluation.every`` >= 1), ``ratio``:
    whether it plays the reference (``periodic_evaluation.ratio``)."""
    metric = tune.get("metric")
    if metric not in ("rllib_gnn/eval/metric", "rllib_gnn/eval/ratio"):
        return None
    if not periodic:
        return (f"tune.metric {metric!r} needs the periodic evaluation: set "
                "periodic_evaluation.every >= 1")
    if metric == "rllib_gnn/eval/ratio" and not ratio:
        return ("tune.metric 'rllib_gnn/eval/ratio' needs periodic_evaluation.ratio: true "
                "(without the reference there is no ratio)")
    return None


def _scheduler_problems(scheduler: Mapping[str, Any]) -> list[str]:
    kind = scheduler.get("type", "fifo")
    if kind not in SCHEDULERS:
        return [f"tune.scheduler.type must be one of {list(SCHEDULERS)}, got {kind!r}"]
    params = SCHEDULER_PARAMS[kind]
    problems, bad = [], set()
    for key, value in scheduler.items():
        if key == "type":
            continue
        if key not in params:
            why = f" ({RESERVED[key]})" if key in RESERVED else ""
            problems.append(f"tune.scheduler.{key}: {kind} takes no parameter {key!r}{why}; "
                            f"allowed: {sorted(params)}")
            continue
        kinds, rng = params[key]
        problem = type_problem(f"tune.scheduler.{key}", value, kinds) or (
            rng.problem(f"tune.scheduler.{key}", value) if rng else None)
        if problem:
            problems.append(problem)
            bad.add(key)
    max_t, grace = scheduler.get("max_t", 100), scheduler.get("grace_period", 1)
    if kind == "asha" and is_number(max_t) and is_number(grace) \
            and ("grace_period" in scheduler or "max_t" not in bad):  # (not the default's)
        if grace > max_t:
            problems.append(f"tune.scheduler.grace_period ({grace}) must be <= "
                            f"tune.scheduler.max_t ({max_t})")
    if kind == "pbt" and not bad & {"perturbation_factors", "hyperparam_mutations"}:
        problems += _pbt_problems(scheduler)
    return problems


def _pbt_problems(scheduler: Mapping[str, Any]) -> list[str]:
    problems = []
    if not scheduler.get("hyperparam_mutations"):
        problems.append("tune.scheduler.hyperparam_mutations is required for pbt: sweep path "
                        "-> {choice|uniform|loguniform|randint: ...}")
    factors = scheduler.get("perturbation_factors", [1.2, 0.8])
    if len(factors) != 2 or not all(is_number(f) and f > 0 for f in factors):
        problems.append(f"tune.scheduler.perturbation_factors must be two numbers > 0, "
                        f"got {factors!r}")
    return problems


# --------------------------------------------------------------------------- sweep paths
def sweep_problems(exp: Mapping[str, Any], check: Check, base: list[str]) -> list[str]:
    """Every sweep path of ``tune.param_space`` and PBT's ``hyperparam_mutations``: that it
    names a key a trial reads, its sampler, and each value it can take.

    ``check`` validates an experiment dict without its sweeps; ``base`` is what it finds
    in ``exp`` itself (not blamed on any sweep value).
    """
    problems, found = [], set(base)
    for where, path, spec, mutation in _sweeps(exp):
        problem = _path_problem(exp, path, mutation) or _sampler_problem(spec, mutation)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        for group in _representatives(spec):
            new = [(label, p) for label, value in group
                   for p in _variant_problems(exp, {path: value}, check) if p not in found]
            problems += [f"{where}: {label} -> {p}" for label, p in new]
            found |= {p for _, p in new}
            if new:
                break  # a uniform sampler's wrong type shows at its midpoint already
    if not problems:
        problems += _combination_problems(exp, check, found)
    return problems


def _sweeps(exp: Mapping[str, Any]) -> list[tuple[str, str, Any, bool]]:
    """``(where, path, sampler spec, is a PBT mutation)`` of every sweep path."""
    out = [(f"tune.param_space.{p}", p, s, False)
           for p, s in (exp["tune"].get("param_space") or {}).items()]
    scheduler = exp["tune"].get("scheduler")
    mutations = scheduler.get("hyperparam_mutations") if isinstance(scheduler, dict) and \
        scheduler.get("type") == "pbt" else None
    if isinstance(mutations, dict):
        out += [(f"tune.scheduler.hyperparam_mutations.{p}", p, s, True)
                for p, s in mutations.items()]
    return out


def _section_keys(exp: Mapping[str, Any], root: str) -> set[str] | None:
    """The keys under ``root`` a sweep path may name (empty: ``root`` is a value; None:
    the env decides, e.g. ``env_config``)."""
    if root in ALGORITHM_SECTIONS:
        from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES
        from rllib_gnn.training.algorithm_keys import method_keys

        algorithm = CONFIG_CLASSES.get(exp.get("algorithm"))
        return method_keys(algorithm, root) if algorithm else None
    if root == "model":
        import dataclasses

        from rllib_gnn.nn.model_config import GraphModelConfig

        return {f.name for f in dataclasses.fields(GraphModelConfig)}
    if root in SECTION_KEYS:
        return set(SECTION_KEYS[root])
    return None if root == "env_config" else set()


def _path_problem(exp: Mapping[str, Any], path: str, mutation: bool) -> str | None:
    """Why ``path`` names no key a trial reads, or None."""
    root, *rest = path.split(".")
    sweepable = [k for k in TOP_LEVEL if k not in DRIVER_KEYS]
    if root not in TOP_LEVEL:
        return f"names no key: a sweep path starts with one of {sweepable}"
    if root in DRIVER_KEYS:
        return (f"{root} is read by the Tune driver, never by a trial, so it cannot be "
                f"swept; a sweep path starts with one of {sweepable}")
    if mutation and root in FIXED_UNDER_PBT:
        return (f"PBT restores another trial's weights into the mutated config, so "
                f"{root} must stay; mutate keys of training, env_config, ...")
    if root == "pretrain" and not isinstance(exp.get("pretrain"), dict):
        return ("sweeps a key of pretrain, but the experiment has no pretrain section (add "
                "one with pretrain.imitate)")
    keys = _section_keys(exp, root)
    if rest and keys is not None and not keys:
        return f"{root} is a value, not a section: the sweep path is {root!r}"
    if rest and keys and rest[0] not in keys:
        return f"names no key: {root} has no key {rest[0]!r}; allowed: {sorted(keys)}"
    deeper = root == "env_config" or (root == "evaluation" and rest[:1] == ["env_config"])
    if len(rest) > 1 and not deeper:
        return f"{root}.{rest[0]} is a value, not a section: a sweep path ends at a key"
    return None


def _sampler_problem(spec: Any, mutation: bool) -> str | None:
    """Why ``spec`` is no ``{sampler: values}`` mapping Tune can sample, or None."""
    kinds = [s for s in SAMPLERS if not (mutation and s == "grid")]
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in kinds:
        grid = " (PBT mutates by choice, not grid)" if mutation and isinstance(spec, dict) \
            and "grid" in spec else ""
        return f"must be one of {{{'|'.join(kinds)}: ...}}, got {spec!r}{grid}"
    kind, values = next(iter(spec.items()))
    if not isinstance(values, list) or not values:
        return f"{kind} must be a non-empty list, got {values!r}"
    if kind in ("grid", "choice"):
        return None
    if len(values) != 2 or not all(is_number(v) for v in values) or values[0] >= values[1]:
        return f"{kind} must be [low, high] with low < high, got {values!r}"
    if kind == "randint" and not all(isinstance(v, int) for v in values):
        return f"randint must be [low, high] of integers, got {values!r}"
    if kind == "loguniform" and values[0] <= 0:
        return f"loguniform must have low > 0, got {values!r}"
    return None


def _representatives(spec: Mapping[str, list]) -> list[list[tuple[str, Any]]]:
    """Groups of ``(label, value)``: the values a sampler can give that are checked, a
    group only when the one before it had no problem. Every grid/choice value; randint's
    lowest and highest draw (high - 1); for uniform/loguniform the midpoint (a float: the
    key must take floats), then the bounds."""
    kind, values = next(iter(spec.items()))
    if kind in ("grid", "choice"):
        return [[(f"{kind} value {v!r}", v) for v in values]]
    low, high = values
    if kind == "randint":
        return [[(f"randint draws {low}", low), (f"randint draws {high - 1}", high - 1)]]
    label = f"{kind} draws floats such as"
    return [[(f"{label} {(low + high) / 2!r}", (low + high) / 2)],
            [(f"{label} {float(v)!r}", float(v)) for v in (low, high)]]


def _variant_problems(exp: Mapping[str, Any], values: Mapping[str, Any],
                      check: Check) -> list[str]:
    """``check``'s problems of ``exp`` with ``values`` set at their paths."""
    variant = copy.deepcopy(dict(exp))
    try:
        for path, value in values.items():
            set_path(variant, path, value)
    except ExperimentError as err:
        return err.problems
    return check(variant)


def _combination_problems(exp: Mapping[str, Any], check: Check, found: set[str]
                          ) -> list[str]:
    """Problems only a combination of grid/choice values has (a few combinations: every
    value of each path meets some value of every other path)."""
    grids = {p: s[next(iter(s))] for p, s in (exp["tune"].get("param_space") or {}).items()
             if next(iter(s)) in ("grid", "choice")}
    if len(grids) < 2:
        return []
    width = max(len(v) for v in grids.values())
    combos = [tuple(values[i % len(values)] for values in grids.values()) for i in range(width)]
    combos += itertools.islice(itertools.product(*grids.values()), 8)
    problems = []
    for combo in {repr(c): c for c in combos}.values():
        for p in _variant_problems(exp, dict(zip(grids, combo)), check):
            if p not in found:
                problems.append(f"tune.param_space: the combination "
                                f"{dict(zip(grids, combo))} -> {p}")
                found.add(p)
    return problems
