"""The shared PettingZoo base of the four team envs: agents, cached spaces, step bookkeeping."""

import numpy as np
import pytest

from envs.catalog import ENVS, entry
from envs.rollout import play_parallel
from tests.envs.episodes import random_actions

TEAMS = sorted(name for name, e in ENVS.items() if e.multi_agent)


def random_valid(env, obs):
    return random_actions(np.random.default_rng(len(env.agents)), obs, env.agents)


@pytest.mark.parametrize("name", TEAMS)
def test_spaces_are_shared_and_unknown_agents_rejected(name):
    env = entry(name).make({})
    assert env.possible_agents == [f"agent_{i}" for i in range(env.team_size)]
    a, b = env.possible_agents[:2]
    assert env.observation_space(a) is env.observation_space(b) is env.observation_spaces[b]
    assert env.action_space(a) is env.action_space(b) is env.action_spaces[b]
    with pytest.raises(ValueError, match="unknown agent 'agent_99'"):
        env.observation_space("agent_99")
    with pytest.raises(ValueError, match="unknown agent 'nobody'"):
        env.action_space("nobody")


@pytest.mark.parametrize("name", TEAMS)
def test_step_outside_an_episode_and_foreign_agents_raise(name):
    env = entry(name).make({})
    with pytest.raises(RuntimeError, match="before reset"):
        env.step({})
    obs, _ = env.reset(seed=0)
    actions = random_valid(env, obs)
    with pytest.raises(ValueError, match=r"\['agent_99'\] that are not live"):
        env.step({**actions, "agent_99": 0})
    final = play_parallel(env, random_valid, seed=1)
    assert env.agents == [] and final["graph_nodes"] > 0
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step({})


@pytest.mark.parametrize("name", sorted(ENVS))
def test_a_config_that_is_not_a_mapping_names_the_env(name):
    with pytest.raises(ValueError, match="config must be a mapping"):
        entry(name).make(["graphs"])
