"""Evaluate a trained policy from a checkpoint against the env's baselines.

The policy and every baseline of the env's catalog entry play the SAME seeded episodes
(:func:`envs.compare.compare`), usually on other (larger) graphs than in training: the
GNN's weights do not depend on N, E or D, so :func:`rllib_gnn.inference.resize_module`
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

Multi-agent envs (``entry.multi_agent``) are evaluated with decentralised execution: one
shared module acts for every agent on that agent's own observation.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from envs.catalog import ENVS, EnvEntry, entry as catalog_entry
from envs.compare import compare, format_table
from envs.rollout import play, play_parallel
from rllib_gnn.experiment import SIZE_LIMIT_KEYS, evaluation_env_config
from rllib_gnn.inference import compute_action, resize_module

__all__ = ["MODULE_SUBDIR", "SIZE_LIMIT_KEYS", "best_of_k_player", "evaluate",
           "evaluation_env_config", "format_evaluation", "load_policy", "policy_player"]

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
    from ray.rllib.core.rl_module.rl_module import RLModule

    ckpt = _checkpoint_path(checkpoint_dir)
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

    modules_dir = ckpt / MODULE_SUBDIR
    found = (sorted(p.name for p in modules_dir.iterdir() if p.is_dir())
             if modules_dir.is_dir() else [])
    if policy_id is None:
        policy_id = DEFAULT_POLICY if DEFAULT_POLICY in found or len(found) != 1 else found[0]
    module_dir = modules_dir / policy_id
    if not (module_dir / "class_and_ctor_args.pkl").is_file():
        have = f"it has {found}" if found else "there is none"
        raise ValueError(f"{ckpt} is not a checkpoint dir with module {policy_id!r}: expected "
                         f"the module dir {module_dir} ({have})")
    module = RLModule.from_checkpoint(str(module_dir))
    # from_checkpoint returns the module in TRAINING mode: switch off dropout etc.
    module = module.to("cpu").eval()
    return module, experiment


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


def _episode(sized: _Sized, env, seed: int | None, explore: bool,
             generator: torch.Generator | None) -> dict:
    """One episode of ``env`` (single- or multi-agent) with the shared module."""
    with _inference_threads():
        return _play(sized, env, seed, explore, generator)


def _play(sized: _Sized, env, seed: int | None, explore: bool,
          generator: torch.Generator | None) -> dict:
    if _is_multi_agent(env):
        def choose_all(env, obs: dict) -> dict:
            return {agent: compute_action(sized(env.observation_space(agent),
                                                env.action_space(agent)),
                                          agent_obs, explore, generator=generator)[0]
                    for agent, agent_obs in obs.items()}
        return play_parallel(env, choose_all, seed=seed)
    module = sized(env.observation_space, env.action_space)

    def choose(env, obs: dict) -> int:
        return compute_action(module, obs, explore, generator=generator)[0]
    return play(env, choose, seed=seed)


def _generator(seed: int | None, rollout: int) -> torch.Generator | None:
    """A torch generator for sampled rollout ``rollout`` of the episode with ``seed``."""
    if seed is None:
        return None
    state = np.random.SeedSequence([int(seed), int(rollout), 0x6E4E]).generate_state(1)
    return torch.Generator().manual_seed(int(state[0]))


def policy_player(module, explore: bool = False) -> Callable[[Any, int | None], dict]:
    """A ``player(env, seed) -> final info`` for :func:`envs.compare.compare`.

    Plays one episode with :func:`~rllib_gnn.inference.compute_action`: the greedy argmax,
    or with ``explore`` a sample of the masked distribution (seeded from the episode seed,
    so reproducible). The module is resized to the env's spaces once per space shape (so
    graphs larger than in training work). Multi-agent envs: the module acts for every
    agent on its own observation. Torch runs on :data:`INFERENCE_THREADS` thread(s) while
    the episode plays.
    """
    sized = _Sized(module)

    def player(env, seed: int | None = None) -> dict:
        return _episode(sized, env, seed, explore, _generator(seed, 0) if explore else None)
    return player


def _entry_of(env) -> EnvEntry:
    for candidate in ENVS.values():
        module_name, attr = candidate.env_class.split(":")
        if type(env) is getattr(importlib.import_module(module_name), attr):
            return candidate
    raise ValueError(f"{type(env).__name__} is not a catalog env; pass entry= "
                     "(an envs.catalog.EnvEntry or name) to best_of_k_player")


def best_of_k_player(module, k: int, entry: EnvEntry | str | None = None,
                     include_greedy: bool = True) -> Callable[[Any, int | None], dict]:
    """A player that, per episode seed, keeps the best of several rollouts.

    Each rollout resets the env with the same seed, so all play the same graph. The
    candidates are ``k`` sampled rollouts (seeded from the episode seed and the rollout
    number) plus, with ``include_greedy`` (default), the greedy rollout, so best-of-k is
    never worse than the greedy policy on an episode. The returned info is the candidate
    with the best ``entry.metric`` (min or max per ``entry.goal``; ties: the earliest).

    Args:
        entry: the env's catalog entry or name, for its metric and goal; by default looked
            up from the env's class.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1 (sampled rollouts per episode), got {k!r}")
    if isinstance(entry, str):
        entry = catalog_entry(entry)
    sized = _Sized(module)

    def player(env, seed: int | None = None) -> dict:
        the_entry = entry or _entry_of(env)
        sign = 1.0 if the_entry.goal == "min" else -1.0
        candidates = [_episode(sized, env, seed, True, _generator(seed, j + 1)) for j in range(k)]
        if include_greedy:
            candidates.insert(0, _episode(sized, env, seed, False, None))
        scores = [sign * float(info[the_entry.metric]) for info in candidates]
        best = dict(candidates[int(np.argmin(scores))])
        best["rollouts"] = len(candidates)
        return best
    return player


# ---------------------------------------------------------------------------- evaluate
def _overrides_hash(overrides: Mapping) -> str:
    text = json.dumps(overrides, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same dir and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
             out: str | os.PathLike | None = None) -> list[dict]:
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

    Returns:
        One row per player (``policy``, ``policy_best_of_K``, then the baselines): the
        rows of :func:`envs.compare.compare` (``<metric>_mean``, ``<metric>_std``,
        ``length_mean``, ``ratio_to_<reference>``) plus ``ratio_to_<reference>_std`` and,
        for policy rows, ``wall_s`` (seconds for all its episodes) and
        ``wall_s_per_episode``.
    """
    ckpt = _checkpoint_path(checkpoint_dir)
    module, experiment = load_policy(ckpt)
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

    players: dict[str, Callable] = {"policy": policy_player(module)}
    if sample > 0:
        players[f"policy_best_of_{sample}"] = best_of_k_player(module, sample, entry)
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
    _write_atomic(out_dir / f"{stem}.json", json.dumps(record, indent=2, default=repr) + "\n")
    _write_atomic(out_dir / f"{stem}.csv", _csv_text(rows))
    return rows


# ---------------------------------------------------------------------------- display
def _cell(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def format_evaluation(rows: Sequence[dict]) -> str:
    """The rows as a plain-text table; each ``X_mean``/``X_std`` (or ``X``/``X_std``) pair
    becomes one ``X`` column showing ``mean ± std``."""
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
            if isinstance(value, float) and isinstance(std, float):
                line[base] = f"{value:.4f} ± {std:.4f}"
            else:
                line[base] = _cell(value)
        shown.append(line)
    keys: list[str] = []
    for line in shown:
        keys += [k for k in line if k not in keys]
    return format_table([{k: line.get(k, "") for k in keys} for line in shown])
