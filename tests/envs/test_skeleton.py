"""The env skeleton: the new-env guide's example works, and every env shares one set of rules
(settings, action parsing, the guard against stepping an ended episode)."""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import envs.single
from envs.catalog import ENVS, entry
from envs.episode import EpisodeCore
from envs.rollout import play, play_parallel
from envs.settings import EnvSettings
from envs.single import GraphEnv
from envs.team import TeamParallelEnv
from tests.envs.episodes import check_single_env, random_action, random_actions, random_env_action

SINGLES = sorted(name for name, e in ENVS.items() if not e.multi_agent)
# the envs whose action is one Discrete choice (the rest act with a Box: one value per node)
DISCRETE = [name for name in SINGLES if entry(name).make({}).action_space.shape == ()]


def guide_example() -> dict:
    """The classes of the new-env guide (``envs.single``'s docstring), built from its text."""
    text = envs.single.__doc__
    block = text[text.index("::\n") + 3:]
    code = "\n".join(line[4:] for line in block.splitlines())
    module = types.ModuleType("guide_example")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(code, "envs/single.py (guide)", "exec", dont_inherit=True),  # noqa: S102
         module.__dict__)
    return module.__dict__


def test_the_guide_example_passes_gymnasium_and_pettingzoo_checks():
    example = guide_example()
    single = example["PickEnv"]({"picks": 4})
    check_single_env(single)
    final = play(single, lambda env, obs: random_action(np.random.default_rng(0), obs), seed=3)
    assert final["length"] == 4 and final["picked_weight"] > 0
    team = example["PickParallelEnv"](num_agents=2, picks=2)
    parallel_api_test(team, num_cycles=20)
    rng = np.random.default_rng(1)
    final = play_parallel(team, lambda env, obs: random_actions(rng, obs, env.agents), seed=4)
    assert final["length"] == 2 and final["picked_weight"] > 0
    with pytest.raises(ValueError, match="picks must be an integer >= 1"):
        example["PickEnv"](picks=0)
    with pytest.raises(ValueError, match=r"unknown PickEnv config key\(s\) \['pick'\]"):
        example["PickEnv"](pick=2)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_every_env_is_built_on_the_skeleton(name):
    env = entry(name).make({})
    assert isinstance(env, TeamParallelEnv if entry(name).multi_agent else GraphEnv)
    assert isinstance(env.settings, EnvSettings) and isinstance(env.core, EpisodeCore)


@pytest.mark.parametrize("name", SINGLES)
def test_stepping_an_ended_episode_raises(name):
    env = entry(name).make({})
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(0)
    rng = np.random.default_rng(0)
    play(env, lambda env, obs: random_env_action(env, rng, obs), seed=2)
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step(0)


def test_both_kinds_of_action_are_there():
    assert "mvc" in DISCRETE and "rates" in set(SINGLES) - set(DISCRETE)


@pytest.mark.parametrize("name", DISCRETE)
def test_one_action_parser_for_every_env(name):
    env = entry(name).make({})
    obs, _ = env.reset(seed=0)
    action = int(np.flatnonzero(obs["action_mask"])[0])
    n = env.action_space.n
    for bad in (float(action), True, np.array([action, action]), "0"):
        with pytest.raises(ValueError, match=re.escape(f"action must be an integer in [0, {n - 1}]")):
            env.step(bad)
    with pytest.raises(ValueError, match=rf"action {n} is outside the action space.*"
                                         rf"Discrete\({n}\)"):
        env.step(n)
    env.step(np.array([action], np.int32))  # shape (1,), any integer dtype
