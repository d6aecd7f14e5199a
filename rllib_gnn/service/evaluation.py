"""Evaluate a trained policy from a checkpoint against the env's baselines.

The policy and every baseline of the env's catalog entry play the SAME seeded episodes
(:func:`envs.compare.compare`), usually on other (larger) graphs than in training: the
GNN's weights do not depend on N, E or D, so :func:`rllib_gnn.nn.inference.resize_module`
moves them onto the evaluation env's spaces.

::

    rows = evaluate("results/mvc/PPO_mvc_0_.../checkpoint_000010",
                    env_overrides={"graphs": {"preset": "blog_mvc", "split": "test_100"}},
                    episodes=100, sample=8)
    print(format_evaluation(rows))

Files written (``out`` defaults to ``<RUN_DIR>/evaluations`` with RUN_DIR the parent of the
checkpoint's trial dir)::

    <trial>-<checkpoint>-<hash of env_overrides>.json   rows, per-episode metric values,
                                                         eval env_config, checkpoint, seeds
    <trial>-<checkpoint>-<hash of env_overrides>.csv    the rows

Each file is written to a temporary file in the same folder and moved into place with
``os.replace``, so a crash never leaves a half-written result.

Multi-agent envs (``entry.multi_agent``) are evaluated with decentralised execution: each
agent acts on its own observation with its policy of training: the one shared module
(``multi_agent.policies: shared``), or with ``per_agent`` the agent's own module, found by
the training's policy mapping fn (:data:`rllib_gnn.training.policy_mapping.POLICY_MAPPING`). Per-agent
policies cannot play agents that did not exist in training (a larger team): ValueError.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib
import io
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from envs._validation import require_choice
from envs.catalog import ENVS, EnvEntry, entry as catalog_entry
from envs.compare import compare, format_cell, format_table
from envs.rollout import play, play_parallel
from rllib_gnn.training.experiment import SIZE_LIMIT_KEYS, evaluation_env_config
from rllib_gnn.training.files import write_atomic, write_json_atomic
from rllib_gnn.training.policy_mapping import POLICY_MAPPING
from rllib_gnn.nn.inference import compute_action, resize_module

__all__ = ["MODULE_SUBDIR", "SIZE_LIMIT_KEYS", "best_of_k_player", "evaluate",
           "evaluation_env_config", "format_evaluation", "load_policy", "load_team",
           "policy_player"]

#: Where ``Algorithm.save_to_path`` puts the learner's modules inside a checkpoint.
MODULE_SUBDIR = Path("learner_group", "learner", "rl_module")
#: Env config keys derived from the graphs when not given (dropped when graphs change).
DEFAULT_POLICY = "default_policy"
#: Torch intra-op threads while a policy plays (None: leave torch's setting alone).
INFERENCE_THREADS: int | None = 1


# ---------------------------------------------------------------------------- loading
def _checkpoint_path(checkpoint_dir: str | os.PathLike) -> Path:
    # RLModule.from_checkpoint passes its path to pyarrow's FileSystem.from_uri, which
    # rejects relative paths ("URI has empty scheme"): always hand it an absolute one.
    return Path(checkpoint_dir).expanduser().resolve()


def _read_experiment(ckpt: Path) -> dict:
    """The experiment dict of checkpoint dir ``ckpt`` (ValueError naming the path)."""
    if not ckpt.is_dir():
        raise ValueError(f"{ckpt} is not a checkpoint dir: no such directory")
    exp_file = ckpt / "experiment.json"
    if not exp_file.is_file():
        raise ValueError(f"{ckpt} is not a rllib-gnn checkpoint dir: it has no experiment.json "
                         f"(expected {exp_file})")
    try:
        experiment = json.loads(exp_file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{exp_file} is not valid JSON: {err}") from err
    if not isinstance(experiment, dict) or "env" not in experiment:
        raise ValueError(f"{exp_file} must hold the experiment dict (with an 'env' key)")
    return experiment


def _module_ids(ckpt: Path) -> list[str]:
    """The policy ids saved in checkpoint dir ``ckpt``, sorted."""
    modules_dir = ckpt / MODULE_SUBDIR
    return (sorted(p.name for p in modules_dir.iterdir() if p.is_dir())
            if modules_dir.is_dir() else [])


def _load_module(ckpt: Path, policy_id: str, found: Sequence[str]):
    """Module ``policy_id`` of ``ckpt`` in eval mode on the CPU (``found``: the ids there)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    module_dir = ckpt / MODULE_SUBDIR / policy_id
    if not (module_dir / "class_and_ctor_args.pkl").is_file():
        have = f"it has {list(found)}" if found else "there is none"
        raise ValueError(f"{ckpt} is not a checkpoint dir with module {policy_id!r}: expected "
                         f"the module dir {module_dir} ({have})")
    module = RLModule.from_checkpoint(str(module_dir))
    # from_checkpoint returns the module in TRAINING mode: switch off dropout etc.
    return module.to("cpu").eval()


def load_policy(checkpoint_dir: str | os.PathLike, policy_id: str | None = None
                ) -> tuple[Any, dict]:
    """The trained module and the experiment dict of a checkpoint dir.

    Args:
        checkpoint_dir: an ``Algorithm.save_to_path()`` dir holding ``experiment.json``
            (see notes/SERVICE_CONTRACT.md).
        policy_id: the module to load from ``learner_group/learner/rl_module/``; default
            ``default_policy``, or the only module there when there is exactly one (a
            multi-agent run with one shared policy under another id).

    Returns:
        ``(module, experiment)``: the module in eval mode on the CPU (whatever device it
        trained on), and the parsed ``experiment.json``.

    Raises:
        ValueError: naming the path, when it is not such a checkpoint dir (missing
            ``experiment.json`` or module dir) or the policy id is ambiguous / unknown.
    """
    ckpt = _checkpoint_path(checkpoint_dir)
    experiment = _read_experiment(ckpt)
    found = _module_ids(ckpt)
    if policy_id is None:
        policy_id = DEFAULT_POLICY if DEFAULT_POLICY in found or len(found) != 1 else found[0]
    return _load_module(ckpt, policy_id, found), experiment


def load_team(checkpoint_dir: str | os.PathLike) -> tuple[Any, Callable | None, dict]:
    """The checkpoint's policy in the form :func:`policy_player` takes, and its experiment.

    Returns:
        ``(policy, policy_mapping_fn, experiment)``: for a multi-agent experiment with
        ``multi_agent.policies: per_agent``, a dict policy id -> module of every module of
        the checkpoint and the training's mapping fn
        (:data:`rllib_gnn.training.policy_mapping.POLICY_MAPPING`); else :func:`load_policy`'s module
        (which acts for every agent) and None.

    Raises:
        ValueError: as :func:`load_policy`; a per_agent checkpoint without modules; an
            unknown ``multi_agent.policies``.
    """
    ckpt = _checkpoint_path(checkpoint_dir)
    experiment = _read_experiment(ckpt)
    sharing = require_choice("multi_agent.policies",
                             (experiment.get("multi_agent") or {}).get("policies", "shared"),
                             POLICY_MAPPING)
    if not catalog_entry(experiment["env"]).multi_agent or sharing == "shared":
        return load_policy(ckpt)[0], None, experiment
    found = _module_ids(ckpt)
    if not found:
        raise ValueError(f"{ckpt} is not a checkpoint dir of per_agent policies: "
                         f"{ckpt / MODULE_SUBDIR} holds no module dir")
    return ({pid: _load_module(ckpt, pid, found) for pid in found}, POLICY_MAPPING[sharing],
            experiment)


# ---------------------------------------------------------------------------- env config
# ---------------------------------------------------------------------------- players
def _is_multi_agent(env: Any) -> bool:
    return callable(getattr(env, "observation_space", None)) and hasattr(env, "possible_agents")


def _space_key(observation_space, action_space) -> tuple:
    obs = tuple(sorted((k, tuple(s.shape)) for k, s in _flat_spaces(observation_space)))
    return obs, getattr(action_space, "n", None)


def _flat_spaces(space, prefix: str = ""):
    spaces = getattr(space, "spaces", None)
    if isinstance(spaces, Mapping):
        for key, sub in spaces.items():
            yield from _flat_spaces(sub, f"{prefix}{key}/")
    else:
        yield prefix, space


class _Sized:
    """The module resized to each distinct (observation, action) space shape, cached.

    An env's spaces are fixed when it is built, so this resizes once per env (and once
    for envs sharing the same shapes), never per step.
    """

    def __init__(self, module) -> None:
        self.module = module
        self.cache: dict[tuple, Any] = {
            _space_key(module.observation_space, module.action_space): module}

        # Fast path by the space objects' ids; the entry holds the spaces, so an id is
        # never reused by another object while it is cached.
        self._by_id: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def __call__(self, observation_space, action_space):
        fast = self._by_id.get((id(observation_space), id(action_space)))
        if fast is not None:
            return fast[2]
        key = _space_key(observation_space, action_space)
        if key not in self.cache:
            self.cache[key] = resize_module(self.module, observation_space, action_space)
        self._by_id[(id(observation_space), id(action_space))] = (
            observation_space, action_space, self.cache[key])
        return self.cache[key]


def _policy_for(module, policy_mapping_fn: Callable | None) -> Callable[[Any], _Sized]:
    """``agent id -> the _Sized module acting for it``: ``module`` for every agent, or with
    a dict policy id -> module, ``module[policy_mapping_fn(agent)]``."""
    if not isinstance(module, Mapping):
        if policy_mapping_fn is not None:
            raise ValueError("policy_mapping_fn needs a dict of modules (policy id -> module), "
                             f"got one {type(module).__name__}")
        sized = _Sized(module)
        return lambda agent: sized
    if policy_mapping_fn is None:
        raise ValueError("a dict of modules (policy id -> module) needs policy_mapping_fn "
                         "(agent id -> policy id)")
    by_policy = {pid: _Sized(m) for pid, m in module.items()}

    def for_agent(agent) -> _Sized:
        pid = policy_mapping_fn(agent)
        if pid not in by_policy:
            raise ValueError(
                f"agent {agent!r} maps to policy {pid!r}, which the checkpoint does not have "
                f"(trained policies: {sorted(by_policy)}); independent (per_agent) policies "
                "play only the agents of training, so the team may not be larger")
        return by_policy[pid]
    return for_agent


@contextlib.contextmanager
def _inference_threads():
    """Torch intra-op threads = :data:`INFERENCE_THREADS` for the duration (then restored).

    One observation is a tiny graph: with several threads on a busy machine the OpenMP
    workers of ``scatter_add_`` wait on each other, measured 20-90x slower per step than
    one thread on 2 shared cores (100-node MVC: 4-19 s vs 0.2-0.3 s per episode).
    """
    before = torch.get_num_threads()
    if INFERENCE_THREADS and before != INFERENCE_THREADS:
        torch.set_num_threads(INFERENCE_THREADS)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _episode(policy_for: Callable[[Any], _Sized], env, seed: int | None, explore: bool,
             generator: torch.Generator | None) -> dict:
    """One episode of ``env`` (single- or multi-agent), each agent on ``policy_for(agent)``."""
    with _inference_threads():
        return _play(policy_for, env, seed, explore, generator)


def _play(policy_for: Callable[[Any], _Sized], env, seed: int | None, explore: bool,
          generator: torch.Generator | None) -> dict:
    if _is_multi_agent(env):
        def choose_all(env, obs: dict) -> dict:
            return {agent: compute_action(policy_for(agent)(env.observation_space(agent),
                                                            env.action_space(agent)),
                                          agent_obs, explore, generator=generator)[0]
                    for agent, agent_obs in obs.items()}
        return play_parallel(env, choose_all, seed=seed)
    module = policy_for(None)(env.observation_space, env.action_space)

    def choose(env, obs: dict) -> int:
        return compute_action(module, obs, explore, generator=generator)[0]
    return play(env, choose, seed=seed)


def _generator(seed: int | None, rollout: int) -> torch.Generator | None:
    """A torch generator for sampled rollout ``rollout`` of the episode with ``seed``."""
    if seed is None:
        return None
    state = np.random.SeedSequence([int(seed), int(rollout), 0x6E4E]).generate_state(1)
    return torch.Generator().manual_seed(int(state[0]))


def policy_player(module, explore: bool = False, *,
                  policy_mapping_fn: Callable | None = None) -> Callable[[Any, int | None], dict]:
    """A ``player(env, seed) -> final info`` for :func:`envs.compare.compare`.

    Plays one episode with :func:`~rllib_gnn.nn.inference.compute_action`: the greedy argmax,
    or with ``explore`` a sample of the masked distribution (seeded from the episode seed,
    so reproducible). The module is resized to the env's spaces once per space shape (so
    graphs larger than in training work). Multi-agent envs: each agent acts on its own
    observation, with ``module``, or, when ``module`` is a dict policy id -> module, with
    ``module[policy_mapping_fn(agent)]`` (ValueError naming an agent whose policy is not
    there). Torch runs on :data:`INFERENCE_THREADS` thread(s) while the episode plays.
    """
    policy_for = _policy_for(module, policy_mapping_fn)

    def player(env, seed: int | None = None) -> dict:
        return _episode(policy_for, env, seed, explore,
                        _generator(seed, 0) if explore else None)
    return player


def _entry_of(env) -> EnvEntry:
    for candidate in ENVS.values():
        module_name, attr = candidate.env_class.split(":")
        if type(env) is getattr(importlib.import_module(module_name), attr):
            return candidate
    raise ValueError(f"{type(env).__name__} is not a catalog env; pass entry= "
                     "(an envs.catalog.EnvEntry or name) to best_of_k_player")


def best_of_k_player(module, k: int, entry: EnvEntry | str | None = None,
                     include_greedy: bool = True, *, policy_mapping_fn: Callable | None = None
                     ) -> Callable[[Any, int | None], dict]:
    """A player that, per episode seed, keeps the best of several rollouts.

    Each rollout resets the env with the same seed, so all play the same graph. The
    candidates are ``k`` sampled rollouts (seeded from the episode seed and the rollout
    number) plus, with ``include_greedy`` (default), the greedy rollout, so best-of-k is
    never worse than the greedy policy on an episode. The returned info is the candidate
    with the best ``entry.metric`` (min or max per ``entry.goal``; ties: the earliest).

    Args:
        entry: the env's catalog entry or name, for its metric and goal; by default looked
            up from the env's class.
        policy_mapping_fn: with a dict of modules, as :func:`policy_player`.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1 (sampled rollouts per episode), got {k!r}")
    if isinstance(entry, str):
        entry = catalog_entry(entry)
    policy_for = _policy_for(module, policy_mapping_fn)

    def player(env, seed: int | None = None) -> dict:
        the_entry = entry or _entry_of(env)
        sign = 1.0 if the_entry.goal == "min" else -1.0
        candidates = [_episode(policy_for, env, seed, True, _generator(seed, j + 1))
                      for j in range(k)]
        if include_greedy:
            candidates.insert(0, _episode(policy_for, env, seed, False, None))
        scores = [sign * float(info[the_entry.metric]) for info in candidates]
        best = dict(candidates[int(np.argmin(scores))])
        best["rollouts"] = len(candidates)
        return best
    return player


# ---------------------------------------------------------------------------- evaluate
def _overrides_hash(overrides: Mapping) -> str:
    text = json.dumps(overrides, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _csv_text(rows: Sequence[dict]) -> str:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _recording(player: Callable, metric: str, log: dict) -> Callable:
    """``player`` that logs each episode's seed, metric value and wall seconds."""
    def run(env, seed):
        start = time.perf_counter()
        info = player(env, seed)
        log["wall_s"].append(time.perf_counter() - start)
        log["seeds"].append(seed)
        log[metric].append(float(info[metric]))
        return info
    return run


def evaluate(checkpoint_dir: str | os.PathLike, env_overrides: Mapping | None = None,
             episodes: int | None = None, sample: int | None = None, seed: int = 0,
             out: str | os.PathLike | None = None, sampled: bool = False) -> list[dict]:
    """Compare the checkpoint's policy with the env's baselines on the same seeded episodes.

    Args:
        checkpoint_dir: a checkpoint dir of the service (with ``experiment.json``).
        env_overrides: changes to the training env_config (see
            :func:`evaluation_env_config` for the size-limit rule); None takes the
            experiment's ``evaluation.env_config`` (none: the training config as is).
        episodes: episodes per player, seeds ``seed..seed+episodes-1``; None takes the
            experiment's ``evaluation.episodes``, else 100.
        sample: K > 0 adds the row ``policy_best_of_K`` (:func:`best_of_k_player`); None
            takes the experiment's ``evaluation.sample``, else 0.
        seed: the first episode seed.
        out: folder for the JSON and CSV; default ``<RUN_DIR>/evaluations`` where RUN_DIR is
            the checkpoint dir's grandparent (``<RUN_DIR>/<trial>/<checkpoint>``).
        sampled: also the row ``policy_sampled``: the policy sampling its actions (seeded
            per episode) instead of taking the argmax. A stochastic policy is still a
            decentralised one; agents sharing a policy can loop when acting by argmax.

    Returns:
        One row per player (``policy``, ``policy_sampled``, ``policy_best_of_K``, then the
        baselines): the
        rows of :func:`envs.compare.compare` (``<metric>_mean``, ``<metric>_std``,
        ``<key>_mean`` / ``<key>_std`` of the entry's ``extra_metrics`` the episodes report,
        e.g. ``worst_idleness``, ``success`` and ``path_ratio`` (over successful episodes
        only), ``length_mean``, ``ratio_to_<reference>``) plus ``ratio_to_<reference>_std``
        and, for policy rows, ``wall_s`` (seconds for all its episodes) and
        ``wall_s_per_episode``.

    Raises:
        ValueError: a bad checkpoint dir or argument; a per_agent checkpoint evaluated on
            a larger team than in training (naming the agent and the trained policies).
    """
    ckpt = _checkpoint_path(checkpoint_dir)
    module, mapping, experiment = load_team(ckpt)
    entry = catalog_entry(experiment["env"])
    defaults = experiment.get("evaluation") or {}
    if env_overrides is None:
        env_overrides = defaults.get("env_config") or {}
    episodes = int(defaults.get("episodes", 100) if episodes is None else episodes)
    sample = int(defaults.get("sample", 0) if sample is None else sample)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if sample < 0:
        raise ValueError(f"sample must be >= 0 (0: no best-of-K row), got {sample}")
    config = evaluation_env_config(experiment, env_overrides)

    players: dict[str, Callable] = {"policy": policy_player(module, policy_mapping_fn=mapping)}
    if sampled:
        players["policy_sampled"] = policy_player(module, explore=True,
                                                  policy_mapping_fn=mapping)
    if sample > 0:
        players[f"policy_best_of_{sample}"] = best_of_k_player(module, sample, entry,
                                                               policy_mapping_fn=mapping)
    players.update({name: entry.baseline(name) for name in entry.baselines})
    logs = {name: {"seeds": [], entry.metric: [], "wall_s": []} for name in players}
    recorded = {name: _recording(p, entry.metric, logs[name]) for name, p in players.items()}
    rows = compare(entry, recorded, config, episodes, seed)

    ref = entry.reference
    ref_vals = np.array(logs[ref][entry.metric]) if ref in logs else None
    for row in rows:
        name = row["player"]
        vals = np.array(logs[name][entry.metric])
        if ref_vals is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                row[f"ratio_to_{ref}_std"] = float(np.nanstd(vals / ref_vals))
        if name.startswith("policy"):
            row["wall_s"] = float(sum(logs[name]["wall_s"]))
            row["wall_s_per_episode"] = row["wall_s"] / episodes

    out_dir = Path(out) if out is not None else ckpt.parent.parent / "evaluations"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{ckpt.parent.name}-{ckpt.name}-{_overrides_hash(env_overrides)}"
    record = {
        "checkpoint": str(ckpt), "experiment": experiment.get("name"), "env": experiment["env"],
        "env_overrides": env_overrides, "env_config": config, "episodes": episodes,
        "seed": seed, "sample": sample, "metric": entry.metric, "goal": entry.goal,
        "reference": ref, "rows": rows,
        "per_episode": {"seeds": list(range(seed, seed + episodes)),
                        **{name: log[entry.metric] for name, log in logs.items()}},
    }
    write_json_atomic(out_dir / f"{stem}.json", record)
    write_atomic(out_dir / f"{stem}.csv", _csv_text(rows))
    return rows


# ---------------------------------------------------------------------------- display
def format_evaluation(rows: Sequence[dict]) -> str:
    """The rows as a plain-text table; each ``X_mean``/``X_std`` (or ``X``/``X_std``) pair
    becomes one ``X`` column showing ``mean ± std``; a NaN (no episode of the player
    reported the key) shows as ``-``."""
    if not rows:
        return ""
    shown = []
    for row in rows:
        line: dict[str, str] = {}
        for key, value in row.items():
            if key.endswith("_std") or key == "wall_s_per_episode":
                continue
            base = key[:-5] if key.endswith("_mean") else key
            std = row.get(f"{base}_std")
            if isinstance(value, float) and isinstance(std, float) and not math.isnan(value):
                line[base] = f"{value:.4f} ± {std:.4f}"
            else:
                line[base] = format_cell(value)
        shown.append(line)
    keys: list[str] = []
    for line in shown:
        keys += [k for k in line if k not in keys]
    return format_table([{k: line.get(k, "") for k in keys} for line in shown])
