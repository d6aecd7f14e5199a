"""What each key of the experiment's AlgorithmConfig sections (``training``, ``env_runners``,
``learners``, ``resources``, ``fault_tolerance``) takes: the keys are the keyword arguments
of RLlib's config method of the same name, their YAML types come from that method's
annotations, and their ranges (which RLlib mostly leaves unchecked: ``lr: -0.1`` or
``gamma: 5`` train, silently, into nonsense) from :data:`RANGES` and :data:`CHOICES`.

:func:`key_problems` checks one key's value; :mod:`rllib_gnn.training.algorithm_validation`
checks whole sections, and hands what passes to RLlib's own ``validate()``.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import inspect
import types
import typing
from typing import Any

from ray._common.deprecation import DEPRECATED_VALUE  # what RLlib marks retired kwargs with

from rllib_gnn.training.schema import (
    Range,
    above,
    at_least,
    is_number,
    type_name,
    type_problem,
    within,
)

__all__ = ["ALGORITHM_RANGES", "CHOICES", "RANGES", "key_kinds", "key_problems", "key_range",
           "method_keys"]

_NUMBER = (int, float)
_NONE = type(None)
_ANY = (object,)

#: Number ranges; ``nullable``: ``null`` keeps RLlib's meaning of None (no clipping, the
#: whole batch, no timeout, ...). A key absent here takes any number of its type.
RANGES: dict[str, Range] = {
    # training, every algorithm
    "lr": above(0), "gamma": within(0, 1), "grad_clip": above(0, nullable=True),
    "train_batch_size": at_least(1), "train_batch_size_per_learner": at_least(1, nullable=True),
    "num_epochs": at_least(1), "minibatch_size": at_least(1, nullable=True),
    # training, PPO / APPO / IMPALA
    "lambda_": within(0, 1), "clip_param": above(0), "vf_clip_param": above(0),
    "entropy_coeff": at_least(0), "vf_loss_coeff": at_least(0), "kl_coeff": at_least(0),
    "kl_target": above(0), "tau": within(0, 1), "target_network_update_freq": at_least(0),
    "target_worker_clipping": above(0), "circular_buffer_num_batches": at_least(1),
    "circular_buffer_iterations_per_batch": at_least(1), "simple_queue_size": at_least(1),
    "vtrace_clip_rho_threshold": above(0), "vtrace_clip_pg_rho_threshold": above(0),
    "num_gpu_loader_threads": at_least(0), "num_multi_gpu_tower_stacks": at_least(1),
    "minibatch_buffer_size": at_least(1), "replay_proportion": at_least(0),
    "replay_buffer_num_slots": at_least(0), "learner_queue_size": at_least(1),
    "learner_queue_timeout": above(0), "timeout_s_sampler_manager": at_least(0),
    "timeout_s_aggregator_manager": at_least(0), "broadcast_interval": at_least(1),
    "decay": at_least(0), "momentum": at_least(0), "epsilon": above(0), "_lr_vf": above(0),
    # training, DQN (its ``epsilon`` is the exploration rate: :data:`ALGORITHM_RANGES`)
    "num_steps_sampled_before_learning_starts": at_least(0), "num_atoms": at_least(1),
    "training_intensity": above(0, nullable=True), "adam_epsilon": above(0),
    "burn_in_len": at_least(0), "n_step": at_least(1), "categorical_distribution_temperature": above(0),
    # env_runners
    "num_env_runners": at_least(0), "num_envs_per_env_runner": at_least(1),
    "num_cpus_per_env_runner": at_least(0), "num_gpus_per_env_runner": at_least(0),
    "sample_timeout_s": above(0, nullable=True), "rollout_fragment_length": at_least(1),
    "max_requests_in_flight_per_env_runner": at_least(1), "episode_lookback_horizon": at_least(0),
    "env_runner_state_server_max_concurrency": at_least(1),
    "remote_env_batch_wait_ms": at_least(0),
    "sampler_perf_stats_ema_coef": within(0, 1, nullable=True),
    # learners
    "num_learners": at_least(0), "num_cpus_per_learner": at_least(0),
    "num_gpus_per_learner": at_least(0), "num_aggregator_actors_per_learner": at_least(0),
    "max_requests_in_flight_per_aggregator_actor": at_least(1), "local_gpu_idx": at_least(0),
    "max_requests_in_flight_per_learner": at_least(1),
    # resources
    "num_cpus_for_main_process": at_least(0), "num_gpus": at_least(0),
    # fault_tolerance
    "max_num_env_runner_restarts": at_least(0), "delay_between_env_runner_restarts_s": at_least(0),
    "num_consecutive_env_runner_failures_tolerance": at_least(0),
    "env_runner_health_probe_timeout_s": above(0), "env_runner_restore_timeout_s": above(0),
}
#: Where a key means another thing to one algorithm: the config class's name (matched in
#: its MRO) -> that algorithm's ranges.
ALGORITHM_RANGES: dict[str, dict[str, Range]] = {
    "DQNConfig": {"epsilon": within(0, 1)},  # the epsilon-greedy rate, not RMSProp's epsilon
}
#: The strings a key takes (where it also takes numbers or bools, those are checked apart).
CHOICES: dict[str, tuple[str, ...]] = {
    "grad_clip_by": ("value", "norm", "global_norm"),
    "batch_mode": ("truncate_episodes", "complete_episodes"),
    "rollout_fragment_length": ("auto",), "num_cpus_per_learner": ("auto",),
    "merge_env_runner_states": ("training_only",),
    "gym_env_vectorize_mode": ("sync", "async", "vector_entry_point"),
    "observation_filter": ("NoFilter", "MeanStdFilter", "ConcurrentMeanStdFilter"),
    "preprocessor_pref": ("rllib", "deepmind"), "opt_type": ("adam", "rmsprop"),
    "placement_strategy": ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"),
    "td_error_loss_fn": ("huber", "mse"),
}
#: Where RLlib's annotation is narrower than what it accepts: schedules (PPO's learner
#: schedules ``entropy_coeff`` as IMPALA's does) and fractional CPUs.
KIND_OVERRIDES: dict[str, tuple[type, ...]] = {
    "lr": (*_NUMBER, list), "entropy_coeff": (*_NUMBER, list),
    "num_cpus_for_main_process": _NUMBER, "num_cpus_per_env_runner": _NUMBER,
}
#: Keys that take a schedule ``[[timestep, value], ...]`` besides a number (where their
#: annotation or :data:`KIND_OVERRIDES` allows a list: DQN's ``epsilon``, not IMPALA's).
SCHEDULED = ("lr", "entropy_coeff", "epsilon")


def _config_methods(config_class: type, method: str) -> list:
    """``config_class``'s ``method`` and every override of it, most derived first."""
    return [cls.__dict__[method] for cls in config_class.__mro__ if method in cls.__dict__]


@functools.cache
def _parameters(config_class: type, method: str) -> dict[str, inspect.Parameter]:
    """Keyword parameters of ``method`` over the class hierarchy (the most derived
    definition of each), without RLlib's retired ones."""
    found: dict[str, inspect.Parameter] = {}
    for fn in _config_methods(config_class, method):
        for p in inspect.signature(fn).parameters.values():
            if (p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
                    and p.default is not DEPRECATED_VALUE):
                found.setdefault(p.name, p)
    return found


def method_keys(config_class: type, method: str) -> set[str]:
    """Keyword arguments an AlgorithmConfig method takes, over the class hierarchy."""
    return set(_parameters(config_class, method))


def _yaml_kinds(annotation: Any) -> tuple[type, ...]:
    """The YAML value types an annotation admits; empty: Python objects only (classes,
    functions), which no YAML file can give."""
    if annotation is inspect.Parameter.empty or annotation is Any or isinstance(annotation, str):
        return _ANY
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return tuple(dict.fromkeys(k for arg in typing.get_args(annotation)
                                   for k in _yaml_kinds(arg)))
    base = origin or annotation
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return (str,)
    simple = {int: (int,), float: _NUMBER, bool: (bool,), str: (str,), dict: (dict,),
              collections.abc.Mapping: (dict,), list: (list,), tuple: (list,), _NONE: (_NONE,)}
    return simple.get(base, ())


def key_kinds(config_class: type, section: str, key: str) -> tuple[type, ...]:
    """The YAML types ``section.key`` takes (``NoneType`` for ``null``); empty: a key
    only code can set."""
    kinds = _yaml_kinds(_parameters(config_class, section)[key].annotation)
    if key in KIND_OVERRIDES:
        kinds = (*KIND_OVERRIDES[key], *((_NONE,) if _NONE in kinds else ()))
    return kinds


def _schedule_problem(where: str, value: list, rng: Range) -> str | None:
    """A ``[[0, v0], [t1, v1], ...]`` schedule: timesteps from 0 up, values in ``rng``
    (the first one strictly as a fixed value; later ones may reach a bound, e.g. lr 0)."""
    shape = (f"{where} as a schedule must be [[0, value], [timestep, value], ...] with "
             f"increasing timesteps, got {value!r}")
    pairs_ok = len(value) >= 2 and all(
        isinstance(p, list) and len(p) == 2 and all(is_number(x) for x in p) for p in value)
    if not pairs_ok or value[0][0] != 0 or any(
            b[0] <= a[0] for a, b in zip(value, value[1:])):
        return shape
    relaxed = Range(rng.low, rng.high, nullable=rng.nullable)
    for i, (_, v) in enumerate(value):
        if not (rng if i == 0 else relaxed).contains(v):
            return (f"{where} schedule value {v!r} (entry {i}) must be "
                    f"{(rng if i == 0 else relaxed).text()}")
    return None


def key_range(config_class: type, key: str) -> Range | None:
    """The numbers ``key`` takes under ``config_class`` (None: any of its type)."""
    for cls in config_class.__mro__:
        if key in ALGORITHM_RANGES.get(cls.__name__, {}):
            return ALGORITHM_RANGES[cls.__name__][key]
    return RANGES.get(key)


def key_problems(config_class: type, section: str, key: str, value: Any) -> list[str]:
    """Problems of ``section.key = value`` on its own: type, range, choices (at most one
    line). ``key`` must be one of :func:`method_keys`."""
    where = f"{section}.{key}"
    kinds = key_kinds(config_class, section, key)
    if not [k for k in kinds if k is not _NONE]:
        return [] if value is None else [
            f"{where} takes a Python class or function, which an experiment file cannot "
            f"give (got {value!r}); set it in code"]
    rng = key_range(config_class, key)
    if value is None:
        if _NONE not in kinds:
            return [f"{where} must be {type_name(tuple(k for k in kinds if k is not _NONE))}, "
                    f"got null"]
        problem = rng.problem(where, None) if rng else None
        return [problem] if problem else []
    problem = type_problem(where, value, tuple(k for k in kinds if k is not _NONE))
    if problem:
        return [problem]
    if isinstance(value, list) and key in SCHEDULED:
        problem = _schedule_problem(where, value, rng)
    elif isinstance(value, str) and key in CHOICES:
        problem = None if value in CHOICES[key] else _choice_problem(where, key, value, kinds, rng)
    else:
        problem = rng.problem(where, value) if rng else None
    return [problem] if problem else []


def _choice_problem(where: str, key: str, value: str, kinds: tuple[type, ...],
                    rng: Range | None) -> str:
    """``value`` is none of the key's strings: name them, and its numbers or bools."""
    others = [f"a number {rng.text()}" if rng and int in kinds else "",
              "true or false" if bool in kinds else ""]
    alternatives = "".join(f" or {o}" for o in others if o)
    return f"{where} must be one of {list(CHOICES[key])}{alternatives}, got {value!r}"

