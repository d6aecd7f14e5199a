"""Helpers shared by the env tests: seeded random episodes recorded in full, a structural
equality with a message that names the first difference, the replay check built on them, the
API checkers, and the checks of the CTDE global state common to the graph envs."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

# the graph part of an observation, which a global ``state`` repeats
GRAPH_KEYS = ("x", "edge_index", "edge_attr", "node_mask", "edge_mask")


# ---------------------------------------------------------------------------- random policy
def random_action(rng: np.random.Generator, obs: dict) -> int:
    """A uniform pick among the slots that ``obs["action_mask"]`` marks valid."""
    return int(rng.choice(np.flatnonzero(obs["action_mask"])))


def random_env_action(env, rng: np.random.Generator, obs: dict):
    """``random_action`` for a ``Discrete`` env; for a ``Box`` one, uniform in the box."""
    space = env.action_space
    if isinstance(space, spaces.Box):
        return rng.uniform(space.low, space.high).astype(space.dtype)
    return random_action(rng, obs)


def random_actions(rng: np.random.Generator, obs: dict, agents: list[str]) -> dict[str, int]:
    """One ``random_action`` per live agent, drawn in the order of ``agents``."""
    return {a: random_action(rng, obs[a]) for a in agents}


# ---------------------------------------------------------------------------- recorded episodes
def record_episode(env, seed: int, policy_seed: int | None = None) -> list[tuple]:
    """Play one episode of a single-agent env from ``reset(seed=seed)`` with random valid
    actions (drawn from ``policy_seed``, by default ``seed``) and record everything:
    ``[(obs, info), (obs, reward, terminated, truncated, info), ...]``."""
    rng = np.random.default_rng(seed if policy_seed is None else policy_seed)
    obs, info = env.reset(seed=seed)
    record: list[tuple] = [(obs, info)]
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(random_action(rng, obs))
        record.append((obs, reward, terminated, truncated, info))
        done = terminated or truncated
    return record


def record_parallel_episode(env, seed: int, policy_seed: int | None = None) -> list[tuple]:
    """The same for a PettingZoo ParallelEnv, played until no agent is live:
    ``[(obs, infos), (actions, obs, rewards, terminations, truncations, infos), ...]``."""
    rng = np.random.default_rng(seed if policy_seed is None else policy_seed)
    obs, infos = env.reset(seed=seed)
    record: list[tuple] = [(obs, infos)]
    while env.agents:
        actions = random_actions(rng, obs, env.agents)
        obs, rewards, terms, truncs, infos = env.step(actions)
        record.append((actions, obs, rewards, terms, truncs, infos))
    return record


# ---------------------------------------------------------------------------- equality
def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where and how ``b`` differs from ``a``, or None when they are the same.

    Dicts need the same keys, lists and tuples the same length, arrays the same dtype, shape
    and values (NaN differs from NaN); anything else compares with ``==``. Recurses into
    containers, so the answer names the path, e.g. ``[3][1]['agent_0']['x']``.
    """
    where = path or "top level"
    if isinstance(a, dict):
        if not isinstance(b, dict):
            return f"{where}: dict vs {type(b).__name__}"
        if a.keys() != b.keys():
            return f"{where}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, (tuple, list)):
        if not isinstance(b, (tuple, list)):
            return f"{where}: {type(a).__name__} vs {type(b).__name__}"
        if len(a) != len(b):
            return f"{where}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray):
            return f"{where}: ndarray vs {type(b).__name__} {b!r}"
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        if not np.array_equal(a, b):
            bad = np.argwhere(a != b) if a.ndim else np.zeros((1, 0), int)
            first = tuple(int(i) for i in bad[0]) if len(bad) else ()
            return f"{where}: values differ, first at index {first}: {a[first]!r} vs {b[first]!r}"
        return None
    if isinstance(b, (dict, tuple, list, np.ndarray)):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if not a == b:
        return f"{where}: {a!r} vs {b!r}"
    return None


def assert_same(a: Any, b: Any) -> None:
    """Fail, naming the first difference, unless ``a`` and ``b`` have the same structure,
    dtypes and values (see ``first_difference``)."""
    found = first_difference(a, b)
    if found is not None:
        raise AssertionError(f"not the same: {found}")


def differs(a: Any, b: Any) -> bool:
    """Whether ``assert_same(a, b)`` would fail."""
    return first_difference(a, b) is not None


def assert_replays(make_env: Callable[[], Any], seed: int, other_seed: int,
                   record: Callable[..., list] = record_episode,
                   policy_seed: int | None = None) -> tuple[list, list]:
    """Seeding decides the episode: ``record(env, seed)`` is repeated exactly by a re-seeded
    used env (right after, and after an episode of ``other_seed``) and by a fresh one, and
    ``other_seed`` gives another episode. ``record`` is ``record_episode`` or
    ``record_parallel_episode``. Returns the records of ``seed`` and ``other_seed``."""
    env = make_env()
    first = record(env, seed, policy_seed)
    assert_same(first, record(env, seed, policy_seed))        # re-seeding a used env
    other = record(env, other_seed, policy_seed)
    assert differs(first, other), f"seeds {seed} and {other_seed} gave the same episode"
    assert_same(first, record(env, seed, policy_seed))        # ... after another episode
    assert_same(first, record(make_env(), seed, policy_seed))  # a fresh env
    return first, other


# ---------------------------------------------------------------------------- API checkers
def check_single_env(env) -> None:
    """gymnasium's ``check_env`` (no render check), quiet about the observation contract's
    deliberately unbounded float Boxes; every other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*A Box observation space (minimum|maximum) "
                                r"value is -?infinity", category=UserWarning)
        check_env(env, skip_render_check=True)


def bad_graphs_configs(generator: str) -> list[tuple[dict, str]]:
    """``(config, key)`` cases of a broken ``graphs`` section, which every env must refuse
    with an error naming the key: an unknown generator, and negative sizes of ``generator``."""
    return [({"graphs": {"generator": "nope", "sizes": [5]}}, "generator"),
            ({"graphs": {"generator": generator, "sizes": [-3]}}, "sizes")]


# ---------------------------------------------------------------------------- global state (CTDE)
def assert_state_space_is_the_graph_view(space: spaces.Dict) -> None:
    """An agent's ``state`` space is exactly the graph part of its own observation space."""
    assert space["state"] == spaces.Dict({key: space[key] for key in GRAPH_KEYS}), \
        "the state space is not the graph part of the observation space"


def assert_own_arrays_equal(obs: dict, state: dict) -> None:
    """``obs``'s graph arrays equal ``state``'s, value for value, in arrays of their own."""
    for key in GRAPH_KEYS:
        np.testing.assert_array_equal(obs[key], state[key], err_msg=key)
        assert not np.shares_memory(obs[key], state[key]), f"{key} shares memory with the state"


def assert_one_shared_state(space: spaces.Space, obs: dict[str, dict],
                            graph_view: bool = True) -> dict:
    """Every agent's observation lies in ``space`` and carries the one ``state`` object,
    packed once per step (for ``graph_view`` envs also equal to its own graph arrays, see
    ``assert_own_arrays_equal``). Returns that state."""
    state = obs[next(iter(obs))]["state"]
    for agent, o in obs.items():
        assert space.contains(o), f"{agent}'s observation is outside its space"
        assert o["state"] is state, f"{agent} has a state of its own"
        if graph_view:
            assert_own_arrays_equal(o, state)
    return state


def shared_graph_states(env, seed: int = 0):
    """Play one episode of a team env whose ``state`` is the full graph view, the agents
    picking distinct valid slots while they last, and check at every step that the state space
    is the graph part of the observation space, that every agent carries the one state packed
    for the step (equal to its own graph arrays, see ``assert_one_shared_state``) and that
    ``env.state()`` equals it. Yields each step's state, before that step is played."""
    space = env.observation_space("agent_0")
    assert_state_space_is_the_graph_view(space)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    while env.agents:
        state = assert_one_shared_state(space, obs)  # the critic's view equals the actor's
        assert_same(env.state(), state)
        yield state
        picks = rng.permutation(np.flatnonzero(obs["agent_0"]["action_mask"]))
        obs, *_ = env.step({a: int(picks[i % len(picks)]) for i, a in enumerate(env.agents)})


def assert_single_agent_state_view(single) -> None:
    """The single-agent form built with ``global_state=True``: passes ``check_env`` and, after
    a reset and a valid step, its observation lies in its space and its ``state`` equals its
    own graph arrays, in arrays of its own."""
    check_single_env(single)
    obs, _ = single.reset(seed=1)
    obs, *_ = single.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert single.observation_space.contains(obs)
    assert_own_arrays_equal(obs, obs["state"])


def assert_no_global_state(parallel_env, single_env) -> None:
    """``parallel_env`` (built with ``global_state=False``) has no ``state`` in its space or its
    observations, and the single-agent ``single_env`` (default config) none in its observation."""
    obs, _ = parallel_env.reset(seed=0)
    assert "state" not in parallel_env.observation_space("agent_0").spaces
    assert all("state" not in o for o in obs.values())
    assert "state" not in single_env.reset(seed=0)[0]
