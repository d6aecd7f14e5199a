"""Prioritised planning for team navigation with exclusive nodes."""

from __future__ import annotations

import numpy as np
import pytest

from envs.catalog import entry
from envs.graphs import Graph
from envs.navigation import (
    NavigationParallelEnv,
    PrioritisedPlanner,
    plan_team,
    play_prioritised,
    play_shortest_path_parallel,
)
from envs.navigation.planner import walked
from tests.envs.test_navigation import RGG, WALLED_GRID

#: a star: node 0 in the middle of leaves 1..4
STAR = Graph(5, np.array([[0, 1], [0, 2], [0, 3], [0, 4]], np.int64))


@pytest.mark.parametrize("config", [
    {"graphs": RGG, "num_agents": 3},
    {"graphs": RGG, "num_agents": 5},
    {"graphs": WALLED_GRID, "num_agents": 4, "actions": "compass"},
])
def test_every_agent_with_a_plan_walks_it_unblocked_to_its_goal(config):
    env = NavigationParallelEnv(dict(config, exclusive_nodes=True))
    planned = 0
    for seed in range(25):
        env.reset(seed=seed)
        paths = plan_team(env.core)
        info = play_prioritised(env, seed)
        if any(p is None for p in paths):
            continue
        planned += 1
        core = env.core
        assert info["success"] == 1.0
        assert all(p[0] == s and p[-1] == g for p, s, g in zip(paths, core.starts, core.goals))
        np.testing.assert_allclose(core.travelled, [walked(core.nav, p) for p in paths])
        assert (core.travelled >= core.shortest - 1e-9).all()
    assert planned >= 22


def test_an_agent_waits_by_a_blocked_move_where_it_has_no_stay():
    env = NavigationParallelEnv(graphs=[STAR], num_agents=2, exclusive_nodes=True)
    env.reset(options={"starts": [1, 2], "goals": [3, 4]})
    paths = plan_team(env.core)
    assert paths[0].tolist() == [1, 0, 3]
    assert paths[1].tolist() == [2, 2, 2, 0, 4]  # waits for agent 0 to clear the middle
    obs, _ = env.reset(options={"starts": [1, 2], "goals": [3, 4]})
    planner = PrioritisedPlanner()
    while env.agents:
        obs, *_ = env.step(planner(env, obs))
    assert env.core.success.all() and env.core.steps == 4
    np.testing.assert_allclose(env.core.travelled, env.core.shortest)


def test_planning_beats_walking_into_teammates_and_is_in_the_catalog():
    env = NavigationParallelEnv(graphs=RGG, num_agents=5, exclusive_nodes=True)
    planned = [play_prioritised(env, seed)["success"] for seed in range(30)]
    greedy = [play_shortest_path_parallel(env, seed)["success"] for seed in range(30)]
    assert np.mean(planned) > np.mean(greedy)
    assert "prioritised" in entry("nav-multi").baselines
