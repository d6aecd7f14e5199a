"""The envs as RLlib drives them: a team episode ends when its last agents end, whatever mix
of goals reached, time limits and attrition ends them."""

import numpy as np
import pytest

from envs.catalog import ENVS
from envs.graphs import Graph
from rllib_gnn.training.registration import make_rllib_env

PATH3 = Graph(3, np.array([[0, 1], [1, 2]]))  # 0 - 1 - 2


def _last_step(name: str, config: dict, options: dict, actions: dict | None = None
               ) -> tuple[dict, dict]:
    env = make_rllib_env(ENVS[name], config)
    obs, _ = env.reset(seed=0, options=options)
    _, _, terminateds, truncateds, _ = env.step(actions or {agent: 0 for agent in obs})
    return terminateds, truncateds


@pytest.mark.parametrize("name, config, options, terminated", [
    # agent_0 reaches its goal while agent_1 runs out of time, the same step
    ("nav-multi", {"graphs": [PATH3], "num_agents": 2, "max_steps": 1},
     {"starts": [0, 2], "goals": [1, 0]}, {"agent_0": True, "agent_1": False}),
    # agent_0 leaves (attrition) while the others are truncated, the same step
    ("patrol-multi", {"graphs": [PATH3], "num_agents": 2, "max_steps": 1,
                      "attrition_schedule": {1: [0]}},
     {"start_nodes": [0, 2]}, {"agent_0": True, "agent_1": False}),
])
def test_the_episode_ends_when_its_last_agents_end_in_different_ways(name, config, options,
                                                                       terminated):
    terminateds, truncateds = _last_step(name, config, options)
    assert {a: terminateds[a] for a in terminated} == terminated
    assert truncateds["__all__"] and not terminateds["__all__"]


def test_an_episode_whose_agents_all_reach_their_goals_is_terminated():
    # agent_0: 0 -> 1 (its only neighbour); agent_1: 1 -> 2 (slot 1 of neighbours [0, 2])
    terminateds, truncateds = _last_step(
        "nav-multi", {"graphs": [PATH3], "num_agents": 2, "max_steps": 5},
        {"starts": [0, 1], "goals": [1, 2]}, {"agent_0": 0, "agent_1": 1})
    assert terminateds["__all__"] and not truncateds["__all__"]
