"""The patrolling route hint: the cyclic strategy's next move as an observation column."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from envs.patrolling import (
    NODE_FEATURES,
    PatrollingEnv,
    PatrollingParallelEnv,
    play_cyclic,
    play_cyclic_by_id,
)
from envs.patrolling.baselines import walk_slot
from envs.rollout import play_parallel
from tests.envs.test_patrolling_walks import WALLS

HINT = len(NODE_FEATURES)  # the route_next column


def hinted(obs: dict) -> int:
    """The one node an observation's route_next column marks."""
    marked = np.flatnonzero(obs["x"][:, HINT])
    assert len(marked) == 1
    return int(marked[0])


def play_hint(env: PatrollingParallelEnv, seed: int) -> dict:
    """An episode in which every agent takes the hinted move."""

    def choose(env, obs):
        return {a: walk_slot(env.core, env._index[a], hinted(obs[a])) for a in env.agents}

    return play_parallel(env, choose, seed=seed)


@pytest.mark.parametrize("hint, radius, baseline, config", [
    ("cyclic", None, play_cyclic, {}),
    ("cyclic_by_id", 2, play_cyclic_by_id, {}),
    ("cyclic", None, play_cyclic, {"attrition_schedule": {7: [1], 20: [0]}}),
    ("cyclic_by_id", 1, play_cyclic_by_id, {"attrition_schedule": {5: [2]}}),
])
def test_following_the_hint_plays_the_cyclic_baseline_move_for_move(hint, radius, baseline,
                                                                    config):
    base = dict(graphs=WALLS, num_agents=3, max_steps=60, observation_radius=radius, **config)
    with_hint = PatrollingParallelEnv(dict(base, route_hint=hint))
    plain = PatrollingParallelEnv(base)
    for seed in range(6):
        assert play_hint(with_hint, seed) == baseline(plain, seed)


def test_an_agent_off_its_schedule_is_hinted_a_shortest_path_step_back():
    env = PatrollingParallelEnv(graphs=WALLS, num_agents=2, route_hint="cyclic")
    obs, _ = env.reset(seed=3)
    schedule = None
    for t in range(12):  # agent_0 stays put; agent_1 follows
        core = env.core
        schedule = core.route.schedule
        goal = schedule.next_node(0, core.t)
        here = int(core.positions[0])
        node = hinted(obs["agent_0"])
        hops = dijkstra(core.csr, directed=False, unweighted=True, indices=goal)
        assert node in core.neighbours[here, : core.num_slots[here]]
        assert hops[node] == hops[core.neighbours[here, : core.num_slots[here]]].min()
        obs, *_ = env.step({"agent_0": 0,
                            "agent_1": walk_slot(core, 1, hinted(obs["agent_1"]))})
    assert env.core.route.schedule is schedule  # staying off schedule does not replan


def test_the_hint_adds_one_column_and_the_single_agent_env_has_it():
    plain = PatrollingParallelEnv(graphs=WALLS)
    hint = PatrollingParallelEnv(graphs=WALLS, route_hint="cyclic_by_id")
    assert hint.observation_space("agent_0")["x"].shape[1] == (
        plain.observation_space("agent_0")["x"].shape[1] + 1)
    single = PatrollingEnv(graphs=WALLS, route_hint="cyclic")
    obs, _ = single.reset(seed=0)
    assert single.observation_space.contains(obs)
    assert hinted(obs) in single.core.neighbours[single.core.positions[0]]


def test_a_bad_hint_is_refused_naming_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"route_hint.*cyclic_by_id.*'tour'"):
        PatrollingParallelEnv(graphs=WALLS, route_hint="tour")
    with pytest.raises(ValueError, match=r"route_hint='cyclic'.*observation_radius=2"):
        PatrollingParallelEnv(graphs=WALLS, route_hint="cyclic", observation_radius=2)
