"""Experiment files: one YAML file = one runnable experiment or Tune sweep.

Schema (every top-level key; ``env`` is the only required one)::

    name: quickstart            # run name; default: the file's stem
    algorithm: PPO              # PPO | APPO | IMPALA
    env: mvc                    # an envs.catalog name (`rllib-gnn envs`)
    env_config: {...}           # the env's own config (validated by building the env)
    model: {...}                # GraphRLModule model_config (rllib_gnn/nn/model_config.py)
    training: {...}             # kwargs of AlgorithmConfig.training() (lr, gamma, ...)
    env_runners: {...}          # kwargs of AlgorithmConfig.env_runners()
    learners: {...}             # kwargs of AlgorithmConfig.learners()
    resources: {...}            # kwargs of AlgorithmConfig.resources() (num_cpus_for_main_process)
    fault_tolerance: {...}      # kwargs of AlgorithmConfig.fault_tolerance(); default: restart
                                #   a failed env runner (1 s delay), up to 1000 times
    failure: {max_failures: 2}  # Tune retries a failed trial from its last checkpoint
    multi_agent:                # multi-agent envs only
      policies: shared          #   shared: one GNN policy for all agents (parameter sharing)
                                #   per_agent: an independent policy per agent
    stop: {training_iteration: 20}     # Tune stop criteria: result key -> number
    evaluation:                 # used by the end-of-run evaluation and `rllib-gnn evaluate`
      env_config: {...}         #   overrides of env_config (e.g. larger graphs)
      episodes: 100
      sample: 0                 #   best of K sampled rollouts beside the greedy policy
    checkpoint: {frequency: 5, at_end: true, keep: null}
    storage: ./results          # local path or a URI Tune accepts (s3://, gs://, ...)
    seed: 0
    pretrain:                   # optional: warm-start by imitating a baseline before RL
      imitate: greedy           #   required: one of the env's baselines (`rllib-gnn envs`)
      episodes: 100             #   baseline episodes recorded (seeds seed, seed + 1, ...)
      epochs: 10                #   passes of Adam over the recorded decisions
      lr: 0.001
      minibatch_size: 256
      value_coeff: 1.0          #   weight of the value MSE (vs the baseline's discounted
                                #   returns) beside the actions' cross-entropy
    tune:
      param_space:              # dotted path -> {grid|choice: [...]} or
        model.encoder: {grid: [gat, gcn, sage]}   # {uniform|loguniform|randint: [lo, hi]}
      num_samples: 1
      scheduler: {type: asha, max_t: 100, grace_period: 10}   # fifo | asha | pbt
      metric: rllib_gnn/ratio
      mode: min
      max_concurrent_trials: 1

:func:`load_experiment` validates everything it can before Ray starts and reports every
problem at once, one line each, naming the key and what is allowed.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from ray._common.deprecation import DEPRECATED_VALUE  # what RLlib marks retired kwargs with

from rllib_gnn.nn.model_config import validate_model_config

#: The experiment dict beside a checkpoint's weights: all ``rllib-gnn evaluate`` needs.
EXPERIMENT_FILE = "experiment.json"
ALGORITHMS = ("PPO", "APPO", "IMPALA")
SAMPLERS = ("grid", "choice", "uniform", "loguniform", "randint")
SCHEDULERS = ("fifo", "asha", "pbt")
TOP_LEVEL = ("name", "algorithm", "env", "env_config", "model", "training", "env_runners",
             "learners", "resources", "fault_tolerance", "failure", "multi_agent", "stop",
             "evaluation", "checkpoint", "storage", "seed", "pretrain", "tune")
POLICY_SHARING = ("shared", "per_agent")
SECTION_KEYS = {
    "multi_agent": {"policies": str},
    "failure": {"max_failures": int},
    "evaluation": {"env_config": dict, "episodes": int, "sample": int},
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
    "evaluation": {"env_config": {}, "episodes": 100, "sample": 0},
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


def parse_overrides(items: Iterable[str]) -> list[tuple[str, Any]]:
    """``["model.hidden=64", "stop.training_iteration=2"]`` -> [(path, YAML-parsed value)]."""
    out = []
    for item in items:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise ExperimentError([f"--set {item!r}: expected key.path=value"])
        out.append((path.strip(), yaml.safe_load(raw)))
    return out


# --------------------------------------------------------------------------- loading
def load_experiment(path: str | Path, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Read, override (``--set``), fill defaults and validate an experiment YAML file."""
    path = Path(path)
    if not path.is_file():
        raise ExperimentError([f"no experiment file at {str(path)!r}"])
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ExperimentError([f"not valid YAML: {err}".replace("\n", " ")], str(path)) from err
    if not isinstance(raw, dict):
        raise ExperimentError(["the file must hold a mapping of experiment keys"], str(path))
    raw.setdefault("name", path.stem)
    for key, value in parse_overrides(overrides):
        set_path(raw, key, value)
    return resolve_experiment(raw, source=str(path))


def resolve_experiment(raw: Mapping[str, Any], source: str = "experiment") -> dict[str, Any]:
    """Fill defaults into ``raw`` and validate it; raises :class:`ExperimentError`.

    The ``model`` section comes back resolved: every key of
    :class:`~rllib_gnn.nn.model_config.GraphModelConfig` with its value (``to_dict()``), the
    dict the trials' modules receive as their ``model_config``.
    """
    exp = copy.deepcopy(DEFAULTS)
    for key, value in raw.items():
        defaults = exp.get(key, OPTIONAL_SECTIONS.get(key)) if key in SECTION_KEYS else None
        if isinstance(value, dict) and isinstance(defaults, dict):
            exp[key] = {**defaults, **value}
        else:
            exp[key] = copy.deepcopy(value)
    exp.setdefault("name", "experiment")
    problems = validate(exp)
    if problems:
        raise ExperimentError(problems, source)
    exp["model"] = validate_model_config(exp["model"]).to_dict()  # every key, resolved once
    return exp


SIZE_LIMIT_KEYS = ("max_nodes", "max_edges", "max_degree")


def evaluation_env_config(experiment: Mapping[str, Any],
                          overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The env config to evaluate on: the training ``env_config`` updated by ``overrides``.

    Size-limit rule: when ``overrides`` replace ``graphs``, the training config's size
    limits (``max_nodes``, ``max_edges``, ``max_degree``) are dropped unless ``overrides``
    give them too, so the env derives its limits from the new graphs: a policy trained
    with ``max_nodes: 15`` evaluates on 1,000-node graphs by overriding ``graphs`` alone.
    """
    config = copy.deepcopy(dict(experiment.get("env_config") or {}))
    overrides = copy.deepcopy(dict(overrides or {}))
    if "graphs" in overrides:
        for key in SIZE_LIMIT_KEYS:
            if key not in overrides:
                config.pop(key, None)
    config.update(overrides)
    return config


# --------------------------------------------------------------------------- validation
def _type_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


def _check_type(problems: list[str], key: str, value: Any, kind: Any) -> bool:
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float))
    if not ok:
        problems.append(f"{key} must be {_type_name(kind)}, got {value!r}")
    return ok


def _method_keys(config_class: type, method: str) -> set[str]:
    """Keyword arguments an AlgorithmConfig method takes, over the class hierarchy."""
    keys: set[str] = set()
    for cls in config_class.__mro__:
        fn = cls.__dict__.get(method)
        if fn is not None:
            keys |= {p.name for p in inspect.signature(fn).parameters.values()
                     if (p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD)
                     and p.default is not DEPRECATED_VALUE} - {"self"}
    return keys


def algorithm_config_class(algorithm: str) -> type:
    """The AlgorithmConfig class of an algorithm name
    (:mod:`rllib_gnn.training.algorithm_configs`)."""
    from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES

    return CONFIG_CLASSES[algorithm]


def validate(exp: Mapping[str, Any]) -> list[str]:
    """Every problem of a defaults-filled experiment dict, one line each."""
    problems: list[str] = []
    unknown = sorted(set(exp) - set(TOP_LEVEL))
    if unknown:
        problems.append(f"unknown key(s) {unknown}; allowed: {list(TOP_LEVEL)}")
    if "env" not in exp:
        problems.append("env is required: one of the names `rllib-gnn envs` lists")
    _check_type(problems, "name", exp.get("name"), str)
    if exp.get("algorithm") not in ALGORITHMS:
        problems.append(f"algorithm must be one of {list(ALGORITHMS)}, got {exp.get('algorithm')!r}")
    _check_type(problems, "storage", exp.get("storage"), str)
    _check_type(problems, "seed", exp.get("seed"), int)
    sections_ok = [_check_type(problems, key, exp.get(key), dict)
                   for key in ("env_config", "model", "training", "env_runners", "learners",
                               "resources", "fault_tolerance", "failure", "multi_agent", "stop",
                               "evaluation", "checkpoint", "tune")]
    sections_ok.append(_check_type(problems, "pretrain", exp.get("pretrain"), (dict, type(None))))
    if not all(sections_ok) or "env" not in exp:
        return problems  # the checks below read inside every section

    for section, keys in SECTION_KEYS.items():
        for key, value in (exp.get(section) or {}).items():
            if key not in keys:
                problems.append(f"unknown key {section}.{key}; allowed: {sorted(keys)}")
            else:
                _check_type(problems, f"{section}.{key}", value, keys[key])
    for key, value in exp["stop"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"stop.{key} must be a number, got {value!r}")
    if exp["multi_agent"].get("policies") not in POLICY_SHARING:
        problems.append(f"multi_agent.policies must be one of {list(POLICY_SHARING)}, got "
                        f"{exp['multi_agent'].get('policies')!r}")
    problems += _validate_tune(exp)
    if exp["algorithm"] in ALGORITHMS:
        problems += _validate_algorithm_sections(exp)
    problems += _validate_env_and_model(exp)
    return problems


def _validate_algorithm_sections(exp: Mapping[str, Any]) -> list[str]:
    problems = []
    config_class = algorithm_config_class(exp["algorithm"])
    for section in ("training", "env_runners", "learners", "resources", "fault_tolerance"):
        allowed = _method_keys(config_class, section)
        for key in exp[section]:
            if key not in allowed:
                problems.append(f"unknown key {section}.{key} for {exp['algorithm']}; allowed: "
                                f"{sorted(allowed)}")
    return problems


def _validate_tune(exp: Mapping[str, Any]) -> list[str]:
    problems = []
    tune = exp["tune"]
    if tune.get("mode") not in ("min", "max"):
        problems.append(f"tune.mode must be 'min' or 'max', got {tune.get('mode')!r}")
    scheduler = tune.get("scheduler", {})
    if isinstance(scheduler, dict) and scheduler.get("type", "fifo") not in SCHEDULERS:
        problems.append(f"tune.scheduler.type must be one of {list(SCHEDULERS)}, got "
                        f"{scheduler.get('type')!r}")
    for path, spec in (tune.get("param_space") or {}).items():
        where = f"tune.param_space.{path}"
        if path.split(".")[0] not in TOP_LEVEL or path.split(".")[0] in ("tune", "name"):
            problems.append(f"{where}: a sweep path starts with one of "
                            f"{[k for k in TOP_LEVEL if k not in ('tune', 'name')]}")
            continue
        if path.startswith("pretrain.") and not isinstance(exp.get("pretrain"), dict):
            problems.append(f"{where}: sweeps a key of pretrain, but the experiment has no "
                            f"pretrain section (add one with pretrain.imitate)")
            continue
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in SAMPLERS:
            problems.append(f"{where} must be one of {{{'|'.join(SAMPLERS)}: ...}}, got {spec!r}")
            continue
        kind, values = next(iter(spec.items()))
        if not isinstance(values, list) or not values:
            problems.append(f"{where}.{kind} must be a non-empty list, got {values!r}")
        elif kind in ("uniform", "loguniform", "randint") and (
                len(values) != 2 or not all(isinstance(v, (int, float)) for v in values)
                or values[0] >= values[1]):
            problems.append(f"{where}.{kind} must be [low, high] with low < high, got {values!r}")
    return problems


def _sweep_variants(exp: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The experiment once per value of every grid/choice sweep path (to validate each)."""
    variants = [copy.deepcopy(dict(exp))]
    for path, spec in exp["tune"].get("param_space", {}).items():
        kind, values = next(iter(spec.items()))
        if kind not in ("grid", "choice"):
            continue
        expanded = []
        for variant in variants[:8]:  # bounded: validation, not enumeration
            for value in values:
                v = copy.deepcopy(variant)
                set_path(v, path, value)
                expanded.append(v)
        variants = expanded
    return variants


def _validate_pretrain(exp: Mapping[str, Any]) -> list[str]:
    """The ``pretrain`` section's baseline and ranges (its keys' types are checked already)."""
    from envs.catalog import ENVS

    section = exp.get("pretrain")
    if not isinstance(section, dict):
        return []
    problems = []
    baselines = list(ENVS[exp["env"]].baselines)
    if "imitate" not in section:
        problems.append(f"pretrain.imitate is required: the baseline of env {exp['env']!r} "
                        f"to imitate, one of {baselines}")
    elif isinstance(section["imitate"], str) and section["imitate"] not in baselines:
        problems.append(f"pretrain.imitate: env {exp['env']!r} has no baseline "
                        f"{section['imitate']!r}; its baselines: {baselines}")
    for key, low, strict in (("episodes", 1, False), ("epochs", 1, False),
                             ("minibatch_size", 1, False), ("lr", 0, True),
                             ("value_coeff", 0, False)):
        value = section.get(key)
        if (isinstance(value, (int, float)) and not isinstance(value, bool)
                and (value <= low if strict else value < low)):
            problems.append(f"pretrain.{key} must be {'>' if strict else '>='} {low}, "
                            f"got {value!r}")
    return problems


def _validate_env_and_model(exp: Mapping[str, Any]) -> list[str]:
    """Build each swept variant's env once and validate its model config and its
    ``pretrain`` section against it."""
    from envs.catalog import ENVS

    if exp["env"] not in ENVS:
        return [f"env must be one of {list(ENVS)}, got {exp['env']!r}"]
    problems: list[str] = []
    for variant in _sweep_variants(exp):
        for key, config in (("env_config", variant["env_config"]),
                            ("evaluation.env_config",
                             evaluation_env_config(variant, variant["evaluation"]["env_config"]))):
            try:
                ENVS[variant["env"]].make(config)
            except (ValueError, TypeError) as err:
                problems.append(f"{key}: {err}")
        try:
            validate_model_config(variant["model"])
        except ValueError as err:
            problems.append(f"model: {err}")
        problems += _validate_pretrain(variant)
    return sorted(set(problems), key=problems.index)
