"""Robots baselines: independent shortest paths with a waiting rule, prioritised planning."""

import numpy as np

from envs.robots import RobotsParallelEnv, play_independent, play_prioritised
from envs.robots.baselines import IndependentPolicy, PrioritisedPolicy
from envs.robots.planner import prioritised_paths
from envs.rollout import play_parallel
from tests.envs.test_robots import corridor, make


def test_prioritised_paths_are_conflict_free_and_shortest_for_the_first_robot():
    env = RobotsParallelEnv(num_agents=6)
    for seed in range(10):
        env.reset(seed=seed)
        core = env.core
        paths, planned = prioritised_paths(core.world.compass, core.to_goal, core.starts,
                                           core.goals, core.max_steps)
        assert len(paths[0]) - 1 == core.to_goal[0, core.starts[0]]
        horizon = max(map(len, paths))
        at = np.array([p + [p[-1]] * (horizon - len(p)) for p in paths])  # (K, T)
        for t in range(horizon):
            assert len(set(at[:, t])) == len(paths), (seed, t)  # no shared cell
            if t:
                moves = set(zip(at[:, t - 1], at[:, t]))
                assert not any((b, a) in moves for a, b in moves if a != b), (seed, t)
        for i in np.flatnonzero(planned):
            assert at[i, -1] == core.goals[i]


def test_the_prioritised_plan_plays_without_a_collision_and_beats_independent():
    env = RobotsParallelEnv(num_agents=6)
    planned = [play_prioritised(env, seed=s) for s in range(20)]
    independent = [play_independent(env, seed=s) for s in range(20)]
    assert sum(r["collisions"] for r in planned) == 0
    assert np.mean([r["success"] for r in planned]) > np.mean(
        [r["success"] for r in independent])


def test_a_lone_robot_walks_a_shortest_path():
    env = make(num_agents=1, cells=10)
    for play in (play_prioritised, play_independent):
        result = play(env, seed=0)
        assert result["success"] == 1.0 and result["makespan"] == result["length"]
        assert result["makespan"] == env.core.to_goal[0, env.core.starts[0]]


HEAD_ON = {"starts": [0, 5], "goals": [5, 0]}


def test_head_on_in_a_corridor_independent_robots_wait_for_ever():
    env = make(num_agents=2, cells=6, max_steps=20)
    result = play_parallel(env, IndependentPolicy(), seed=0, options=HEAD_ON)
    assert result["success"] == 0.0 and result["collisions"] == 0 and result["length"] == 20


def test_a_siding_lets_the_planner_pass():
    """A 2 x 6 corridor, robots head-on along its top row: the planner steps one aside."""
    env = RobotsParallelEnv({"graphs": [corridor(6, width=2)], "num_agents": 2,
                             "fov_radius": 1})
    result = play_parallel(env, PrioritisedPolicy(), seed=0, options=HEAD_ON)
    assert result["success"] == 1.0 and result["collisions"] == 0
    assert result["makespan"] == 7  # robot 1 goes round by the other row: 5 + 2 steps
