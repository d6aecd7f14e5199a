"""The experiment's AlgorithmConfig sections (``training``, ``env_runners``, ``learners``,
``resources``, ``fault_tolerance``) checked before Ray starts, every problem one line.

Three passes, each on what the previous ones let through, so that no problem is reported
twice:

1. every key on its own (:func:`~rllib_gnn.training.algorithm_keys.key_problems`): known to
   the algorithm, its type, its range; then through its RLlib setter alone (RLlib checks
   some values there, e.g. ``batch_mode``);
2. the batch sizes together: ``minibatch_size <= train_batch_size_per_learner``;
3. RLlib's own checks of the whole config: ``Algorithm.default_resource_request``, which is
   what Tune's driver calls first with a trial's config, runs ``AlgorithmConfig.validate()``
   (and the evaluation config's) and builds the placement group's bundles. A plain
   AlgorithmConfig needs no Ray for that (no env, no module, no actor is built), and RLlib
   raises at its first problem only: each error's message names the keys it is about in
   backticks, so those keys are reported, dropped and the rest validated again.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from rllib_gnn.nn.heads import HEADS
from rllib_gnn.training.algorithm_keys import key_problems, method_keys
from rllib_gnn.training.schema import ALGORITHM_SECTIONS

__all__ = ["algorithm_problems"]

#: RLlib's setters in the order ``build_algorithm_config`` calls them.
SETTER_ORDER = ("env_runners", "learners", "resources", "fault_tolerance", "training")

Given = dict[tuple[str, str], Any]  # (section, key) -> value, the keys still in play


def algorithm_problems(exp: Mapping[str, Any]) -> list[str]:
    """Every problem of the experiment's AlgorithmConfig sections, one line each
    (``exp["algorithm"]`` must be a known algorithm, the sections dicts)."""
    from rllib_gnn.training.algorithm_configs import CONFIG_CLASSES

    config_class = CONFIG_CLASSES[exp["algorithm"]]
    problems: list[str] = []
    given: Given = {}
    for section in ALGORITHM_SECTIONS:
        allowed = method_keys(config_class, section)
        for key, value in exp[section].items():
            if key not in allowed:
                problems.append(f"unknown key {section}.{key} for {exp['algorithm']}; "
                                f"allowed: {sorted(allowed)}")
                continue
            found = key_problems(config_class, section, key, value)
            problems += found
            if not found:
                given[(section, key)] = value
    if exp["algorithm"] == "DQN":
        problems += _dqn_problems(exp)
    problems += _bundle_problems(exp) + _overlap_problems(exp)
    with _quiet_rllib():
        problems += _setter_problems(config_class, given)
        problems += _batch_problems(_build(config_class, given), given)
        problems += _validate_problems(config_class, given)
    return problems


def _bundle_problems(exp: Mapping[str, Any]) -> list[str]:
    """Remote env runners with no resource at all: Ray Tune refuses an empty placement
    group bundle with a deep traceback once the trial starts."""
    runners = exp["env_runners"]
    if (runners.get("num_env_runners", 0) > 0 and runners.get("num_cpus_per_env_runner") == 0
            and not runners.get("num_gpus_per_env_runner")):
        return ["env_runners.num_cpus_per_env_runner = 0 leaves each of the "
                f"{runners['num_env_runners']} remote env runners an empty resource bundle, "
                "which Ray Tune refuses; give them a fraction of a CPU (e.g. 0.05) or "
                "num_env_runners: 0 (sampling in the trial's own process)"]
    return []


def _overlap_problems(exp: Mapping[str, Any]) -> list[str]:
    """``sample_during_update`` overlaps the local env runner with the update; remote env
    runners already sample in their own processes (:mod:`rllib_gnn.training.overlap`)."""
    runners = exp["env_runners"].get("num_env_runners", 0)
    if exp["training"].get("sample_during_update") and runners:
        return [f"training.sample_during_update = true samples with the trial's own env "
                f"runner during the update, but env_runners.num_env_runners = {runners} "
                f"samples in remote processes; use num_env_runners: 0 with it, or drop it"]
    return []


#: The replay buffers DQN takes on the new API stack (``replay_buffer_config.type``).
EPISODE_BUFFERS = ("EpisodeReplayBuffer", "PrioritizedEpisodeReplayBuffer")


def _dqn_problems(exp: Mapping[str, Any]) -> list[str]:
    """What :class:`~rllib_gnn.nn.q_module.GraphQModule` and RLlib's DQN do not check:
    ``n_step`` as a range, ``num_atoms`` (expected Q-values only), the replay buffer's type
    and capacity, the model's critic and imitation pretraining (both actor-critic only)."""
    training, problems = exp["training"], []
    n_step = training.get("n_step")
    if isinstance(n_step, list) and not (
            len(n_step) == 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                     for n in n_step) and 1 <= n_step[0] <= n_step[1]):
        problems.append(f"training.n_step must be an int >= 1 or [low, high] with "
                        f"1 <= low <= high (sampled per batch), got {n_step!r}")
    if training.get("num_atoms", 1) not in (1, None) and isinstance(training["num_atoms"], int):
        problems.append(f"training.num_atoms must be 1 (the GNN Q-module learns expected "
                        f"Q-values; distributional DQN is not supported), got "
                        f"{training['num_atoms']!r}")
    buffer = training.get("replay_buffer_config")
    if isinstance(buffer, dict):
        kind = buffer.get("type", EPISODE_BUFFERS[1])
        if kind not in EPISODE_BUFFERS:
            problems.append(f"training.replay_buffer_config.type must be one of "
                            f"{list(EPISODE_BUFFERS)} (the new API stack's), got {kind!r}")
        capacity = buffer.get("capacity", 1)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            problems.append(f"training.replay_buffer_config.capacity must be an int >= 1, "
                            f"got {capacity!r}")
    head = exp["model"].get("head")
    if head in HEADS and HEADS[head].distribution is not None:
        problems.append(f"model.head {head!r} gives continuous actions; DQN scores a discrete "
                        f"action set: use one of "
                        f"{sorted(h for h, c in HEADS.items() if c.distribution is None)}")
    critic = exp["model"].get("critic", "shared")
    if critic != "shared":
        problems.append(f"model.critic must be 'shared' with DQN (a Q-network has no critic; "
                        f"'dueling' gives it a value stream), got {critic!r}")
    if exp.get("pretrain") is not None:
        problems.append("pretrain imitates a baseline with the policy's logits and value "
                        "head: PPO, APPO and IMPALA only, not DQN (remove the pretrain section)")
    return problems


@contextlib.contextmanager
def _quiet_rllib() -> Iterator[None]:
    """RLlib's warnings and log lines muted (its validate() logs the new API stack notice,
    which the trial logs anyway)."""
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(disabled)


def _message(err: BaseException) -> str:
    """RLlib's error as one line, without its "To suppress all validation errors" advice."""
    text = str(err).split("\nTo suppress all validation errors")[0]
    return " ".join(text.split()) or type(err).__name__


def _build(config_class: type, given: Given):
    """A fresh AlgorithmConfig with ``given`` set through RLlib's setters."""
    config = config_class()
    for section in SETTER_ORDER:
        kwargs = {key: value for (s, key), value in given.items() if s == section}
        if kwargs:
            getattr(config, section)(**kwargs)
    return config


def _setter_problems(config_class: type, given: Given) -> list[str]:
    """Each key through its RLlib setter alone; a refused key leaves ``given``."""
    problems = []
    for (section, key), value in list(given.items()):
        try:
            getattr(config_class(), section)(**{key: value})
        except Exception as err:  # RLlib's setters raise ValueError, TypeError, ...
            problems.append(f"{section}.{key}: RLlib refuses {value!r}: {_message(err)}")
            del given[(section, key)]
    return problems


def _batch_problems(config, given: Given) -> list[str]:
    """``minibatch_size`` (when set) at most the per-learner train batch; the keys of a
    problem leave ``given`` (RLlib would report it once more)."""
    minibatch, batch = config.minibatch_size, config.train_batch_size_per_learner
    if not isinstance(minibatch, int) or not isinstance(batch, int) or minibatch <= batch:
        return []
    involved = [("training", k) for k in ("minibatch_size", "train_batch_size_per_learner",
                                          "train_batch_size") if ("training", k) in given]
    for section_key in involved:
        del given[section_key]
    origin = "" if ("training", "minibatch_size") in involved else "RLlib's default "
    return [f"training.minibatch_size ({origin}{minibatch}) must be <= "
            f"training.train_batch_size_per_learner ({batch}): a minibatch is drawn from "
            f"each learner's train batch"]


def _validate_problems(config_class: type, given: Given) -> list[str]:
    """RLlib's validate() and resource bundles on ``given``, each error's keys reported and
    dropped until it passes (or an error names none of the keys given)."""
    problems = []
    while True:
        try:
            config = _build(config_class, given)
            config.algo_class.default_resource_request(config)
            return problems
        except Exception as err:  # RLlib raises ValueError mostly, TypeError on odd values
            named = set(re.findall(r"`(\w+)`", str(err)))
            blamed = [sk for sk in given if sk[1] in named]
            where = ", ".join(f"{s}.{k}" for s, k in blamed) or "the algorithm config"
            problems.append(f"{where}: RLlib refuses it: {_message(err)}")
            if not blamed:
                return problems
            for section_key in blamed:
                del given[section_key]
