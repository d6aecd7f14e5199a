"""Experiment files: one YAML file = one runnable experiment or Tune sweep.

Schema (every top-level key; ``env`` is the only required one)::

    name: quickstart            # run name; default: the file's stem
    algorithm: PPO              # PPO | APPO | IMPALA | DQN (GraphQModule: Q-values per action)
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
      episodes: 100             #   every player on the held-out episodes seeded 1000..
      sample: 0                 #   best of K sampled rollouts beside the greedy policy
      decoding: {}              #   the greedy policy's picks per forward pass: {} one;
                                #   {top_fraction: f} the ceil(f x valid) best; {prob_ratio:
                                #   r} every valid pick >= r x the best's probability
                                #   (node/edge-selection envs: rllib_gnn/nn/decoding.py)
    periodic_evaluation:        # during training, with RLlib's evaluation settings: before
      every: 10                 #   the first iteration and every `every` iterations (0:
      episodes: 20              #   never) the greedy policy plays the same held-out episodes
      seed: 1000                #   (seeds seed..seed+episodes-1; 1000 = envs.compare.
                                #   HELD_OUT_SEED, as `rllib-gnn evaluate`) on
                                #   evaluation.env_config;
      ratio: true               #   logs rllib_gnn/eval/metric and rllib_gnn/eval/ratio (over
                                #   the catalog's reference baseline, played once per trial),
                                #   the report's headline curves; ratio: false skips the
                                #   reference
      env_runners: 0            #   0: in the trial's process; N: on N env runners of its own
      parallel: false           #   evaluate while the next iteration trains (env_runners >= 1)
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

:func:`load_experiment` validates the whole file before Ray starts and reports every
problem at once, one line each, naming the key, the value and what is allowed: the
experiment's own sections here, the AlgorithmConfig sections (types, ranges, RLlib's own
``validate()``) in :mod:`~rllib_gnn.training.algorithm_validation`, the ``tune`` section,
its scheduler and every sweep path and value in :mod:`~rllib_gnn.training.sweeps`; the
keys and defaults are :mod:`~rllib_gnn.training.schema`'s.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from envs.graphs import absolute_files
from rllib_gnn.nn.model_config import validate_model_config
from rllib_gnn.training.algorithm_validation import algorithm_problems
from rllib_gnn.training.schema import (
    ALGORITHMS,
    DEFAULTS,
    OPTIONAL_SECTIONS,
    POLICY_SHARING,
    SECTION_KEYS,
    TOP_LEVEL,
    ExperimentError,
    above,
    at_least,
    check_type,
    is_number,
    range_problems,
    set_path,
)
from rllib_gnn.training.sweeps import (eval_metric_problem, metric_problem, sweep_problems,
                                       tune_problems)

#: The experiment dict beside a checkpoint's weights: all ``rllib-gnn evaluate`` needs.
EXPERIMENT_FILE = "experiment.json"
#: Beside it, the env and the version of its observation the weights were trained on
#: (``EnvSettings.OBSERVATION_VERSION``); a checkpoint without it predates version 2.
OBSERVATION_FILE = "observation.json"
#: Number ranges of the experiment's own sections (``tune``'s: :mod:`.sweeps`).
OWN_RANGES = {
    "evaluation": {"episodes": at_least(0), "sample": at_least(0)},
    "periodic_evaluation": {"every": at_least(0), "episodes": at_least(1), "seed": at_least(0),
                            "env_runners": at_least(0)},
    "checkpoint": {"frequency": at_least(0), "keep": at_least(1, nullable=True)},
    "failure": {"max_failures": at_least(-1)},
    "pretrain": {"episodes": at_least(1), "epochs": at_least(1), "minibatch_size": at_least(1),
                 "lr": above(0), "value_coeff": at_least(0)},
}


# --------------------------------------------------------------------------- dotted paths
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
    for section in (exp, exp["evaluation"]):
        section["env_config"] = frozen_graph_files(section["env_config"])
    return exp


def frozen_graph_files(env_config: Mapping[str, Any]) -> dict[str, Any]:
    """``env_config`` with the relative paths of ``graphs.files`` made absolute against the
    current directory: Tune runs each trial in a directory of its own, and a checkpoint's
    ``experiment.json`` then finds the files from anywhere."""
    graphs = env_config.get("graphs")
    if not (isinstance(graphs, Mapping) and "files" in graphs):
        return dict(env_config)
    return {**env_config, "graphs": absolute_files(graphs)}


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
def algorithm_config_class(algorithm: str) -> type:
    """The AlgorithmConfig class of an algorithm name
    (:mod:`rllib_gnn.training.algorithm_configs`)."""
    from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES

    return CONFIG_CLASSES[algorithm]


def validate(exp: Mapping[str, Any]) -> list[str]:
    """Every problem of a defaults-filled experiment dict, one line each: its own keys,
    the AlgorithmConfig sections (:mod:`.algorithm_validation`), the env, the model, the
    ``tune`` section and every sweep value (:mod:`.sweeps`)."""
    problems = _problems(exp)
    if _readable(exp):
        problems += sweep_problems(exp, _problems, problems)
    return problems


def _readable(exp: Mapping[str, Any]) -> bool:
    """Whether every section is a dict and ``env`` is given (the checks read inside)."""
    return "env" in exp and all(isinstance(exp.get(key), dict) for key in (
        "env_config", "model", "training", "env_runners", "learners", "resources",
        "fault_tolerance", "failure", "multi_agent", "stop", "evaluation",
        "periodic_evaluation", "checkpoint", "tune")) and isinstance(exp.get("pretrain"), (dict, type(None)))


def _problems(exp: Mapping[str, Any]) -> list[str]:
    """Every problem of ``exp`` but those of its sweep values."""
    problems = _top_level_problems(exp)
    if not _readable(exp):
        return problems  # the checks below read inside every section
    for section, keys in SECTION_KEYS.items():
        for key, value in (exp.get(section) or {}).items():
            if key not in keys:
                problems.append(f"unknown key {section}.{key}; allowed: {sorted(keys)}")
            elif check_type(problems, f"{section}.{key}", value, keys[key]):
                problems += range_problems(section, {key: value}, OWN_RANGES.get(section, {}))
    for key, value in exp["stop"].items():
        if not is_number(value):
            problems.append(f"stop.{key} must be a number, got {value!r}")
    if exp["multi_agent"].get("policies") not in POLICY_SHARING:
        problems.append(f"multi_agent.policies must be one of {list(POLICY_SHARING)}, got "
                        f"{exp['multi_agent'].get('policies')!r}")
    if exp["algorithm"] in ALGORITHMS:
        problems += algorithm_problems(exp)
    problems += _validate_env_and_model(exp)
    return problems + tune_problems(exp["tune"])


def _top_level_problems(exp: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    unknown = sorted(set(exp) - set(TOP_LEVEL))
    if unknown:
        problems.append(f"unknown key(s) {unknown}; allowed: {list(TOP_LEVEL)}")
    if "env" not in exp:
        problems.append("env is required: one of the names `rllib-gnn envs` lists")
    check_type(problems, "name", exp.get("name"), str)
    if exp.get("algorithm") not in ALGORITHMS:
        problems.append(f"algorithm must be one of {list(ALGORITHMS)}, got {exp.get('algorithm')!r}")
    check_type(problems, "storage", exp.get("storage"), str)
    if check_type(problems, "seed", exp.get("seed"), int) and exp["seed"] < 0:
        problems.append(f"seed must be >= 0, got {exp['seed']}")
    for key in ("env_config", "model", "training", "env_runners", "learners", "resources",
                "fault_tolerance", "failure", "multi_agent", "stop", "evaluation",
                "periodic_evaluation", "checkpoint", "tune"):
        check_type(problems, key, exp.get(key), dict)
    check_type(problems, "pretrain", exp.get("pretrain"), (dict, type(None)))
    return problems


def _validate_pretrain(exp: Mapping[str, Any], env: Any) -> list[str]:
    """The ``pretrain`` section's baseline (its keys' types and ranges are checked already);
    ``env`` is the training env (None if it could not be built)."""
    from envs.catalog import ENVS

    section = exp.get("pretrain")
    if not isinstance(section, dict):
        return []
    space = getattr(env, "action_space", None)
    if space is not None and not callable(space) and space.shape != ():
        return [f"pretrain: env {exp['env']!r} acts with {space}; imitation clones "
                f"Discrete actions only (remove the pretrain section)"]
    baselines = list(ENVS[exp["env"]].baselines)
    if "imitate" not in section:
        return [f"pretrain.imitate is required: the baseline of env {exp['env']!r} to "
                f"imitate, one of {baselines}"]
    if isinstance(section["imitate"], str) and section["imitate"] not in baselines:
        return [f"pretrain.imitate: env {exp['env']!r} has no baseline "
                f"{section['imitate']!r}; its baselines: {baselines}"]
    return []


def _validate_env_and_model(exp: Mapping[str, Any]) -> list[str]:
    """Build the env from ``env_config`` and from the evaluation's env config; check the
    model config, ``tune.metric`` against the env and the ``pretrain`` section."""
    from envs.catalog import ENVS

    if exp["env"] not in ENVS:
        return [f"env must be one of {list(ENVS)}, got {exp['env']!r}"]
    entry = ENVS[exp["env"]]
    problems: list[str] = []
    configs = [("env_config", exp["env_config"])]
    if isinstance(exp["evaluation"].get("env_config"), dict):
        configs.append(("evaluation.env_config",
                        evaluation_env_config(exp, exp["evaluation"]["env_config"])))
    envs = {}
    for key, config in configs:
        try:
            envs[key] = entry.make(config)
        except (ValueError, TypeError) as err:
            problems.append(f"{key}: {err}")
            continue
        if key == "env_config":
            problem = metric_problem(exp["tune"], entry.ratio, envs[key])
            problems += [problem] if problem else []
    try:
        validate_model_config(exp["model"])
    except ValueError as err:
        problems.append(f"model: {err}")
    return (problems + _validate_pretrain(exp, envs.get("env_config"))
            + _periodic_problems(exp, envs)
            + _episodes_problems(exp, envs)
            + _decoding_problems(exp["evaluation"].get("decoding"),
                                 envs.get("evaluation.env_config")))


def _episodes_problems(exp: Mapping[str, Any], envs: Mapping[str, Any]) -> list[str]:
    """The evaluations' episode counts on a fixed list of graphs: at most one episode per
    graph (the evaluation protocol, :func:`envs.compare.episodes_problem`)."""
    from envs.compare import episodes_problem

    own = isinstance(exp["evaluation"].get("env_config"), dict)  # else: the training env's
    env = envs.get("evaluation.env_config" if own else "env_config")
    periodic = exp["periodic_evaluation"]
    counts = {"evaluation.episodes": exp["evaluation"].get("episodes"),
              "periodic_evaluation.episodes": periodic.get("episodes")
              if is_number(periodic.get("every")) and periodic["every"] > 0 else None}
    problems = [(key, episodes_problem(env, count)) for key, count in counts.items()
                if env is not None and isinstance(count, int) and not isinstance(count, bool)]
    return [f"{key}: {problem}" for key, problem in problems if problem]


def _decoding_problems(section: Any, env: Any) -> list[str]:
    """The ``evaluation.decoding`` section (a dict: its type is checked already) against
    :class:`~rllib_gnn.nn.decoding.Decoding` and, when it commits several picks per forward
    pass, the evaluation env (built, or None when it could not be)."""
    from rllib_gnn.nn.decoding import Decoding, check_decodable

    if not isinstance(section, dict):
        return []
    try:
        decoding = Decoding.parse(section)
        if env is not None and not decoding.one_at_a_time:
            check_decodable(env, decoding)
    except ValueError as err:
        return [f"evaluation.{err}"]
    return []


def _periodic_problems(exp: Mapping[str, Any], envs: Mapping[str, Any]) -> list[str]:
    """What the ``periodic_evaluation`` section needs beyond its keys' types and ranges
    (checked already): the env's reference for a ratio, env runners of its own to run in
    parallel, the trained policies for every agent of the evaluation env; and ``tune.metric``
    naming its results only when it runs."""
    from envs.catalog import ENVS

    section, entry = exp["periodic_evaluation"], ENVS[exp["env"]]
    every, problems = section.get("every"), []
    on = is_number(every) and every > 0
    problem = eval_metric_problem(exp["tune"], on, section.get("ratio") is True)
    problems += [problem] if problem else []
    if not on:
        return problems
    if section.get("ratio") is True and entry.reference is None:
        problems.append(f"periodic_evaluation.ratio: env {exp['env']!r} has no reference "
                        "baseline to compare with; set ratio: false")
    runners = section.get("env_runners")
    if section.get("parallel") is True and is_number(runners) and runners < 1:
        problems.append("periodic_evaluation.parallel needs periodic_evaluation.env_runners "
                        ">= 1: RLlib evaluates in parallel to training only on env runners "
                        "of the evaluation's own")
    trained = getattr(envs.get("env_config"), "possible_agents", None)
    played = getattr(envs.get("evaluation.env_config", envs.get("env_config")),
                     "possible_agents", None)
    if exp["multi_agent"].get("policies") == "per_agent" and trained and played:
        new = [agent for agent in played if agent not in trained]
        if new:
            problems.append(f"periodic_evaluation: evaluation.env_config has agents {new} "
                            f"without a policy (multi_agent.policies per_agent trains "
                            f"{list(trained)}); set periodic_evaluation.every: 0 or "
                            "multi_agent.policies: shared")
    return problems
