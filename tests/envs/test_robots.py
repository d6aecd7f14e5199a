"""The robots env: PettingZoo's API test, the dynamic agent graph, k-hop observations (the
decentralisation property), the collision rule, rewards and config errors."""

import networkx as nx
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from envs.graphs import as_graph
from envs.robots import RobotsParallelEnv
from envs.robots.moves import resolve_moves
from envs.robots.world import GridMap


def corridor(length: int, width: int = 1):
    """An open ``width`` x ``length`` grid map (no obstacles), cell id = row * length + col."""
    g = nx.grid_2d_graph(width, length)
    nx.set_node_attributes(g, {cell: (cell[1], cell[0]) for cell in g.nodes}, "pos")
    return as_graph(nx.convert_node_labels_to_integers(g, ordering="sorted"), "corridor")


def make(cells: int = 12, **config) -> RobotsParallelEnv:
    config = {"graphs": [corridor(cells)], "fov_radius": 1, "comm_range": 3.0,
              "comm_hops": 1, **config}
    return RobotsParallelEnv(config)


def test_pettingzoo_parallel_api():
    parallel_api_test(RobotsParallelEnv(num_agents=3), num_cycles=30)


def test_the_agent_graph_changes_as_robots_move_in_and_out_of_range():
    env = make(num_agents=2)
    obs, _ = env.reset(seed=0, options={"starts": [0, 3], "goals": [11, 4]})
    assert obs["agent_0"]["node_mask"].tolist() == [1, 1]
    assert obs["agent_0"]["edge_mask"].sum() == 2  # 0 <-> 1, both directions
    obs, *_ = env.step({"agent_0": 4, "agent_1": 1})  # robot 1 moves right: 4 cells apart
    assert obs["agent_0"]["node_mask"].tolist() == [1, 0]
    assert obs["agent_0"]["edge_mask"].sum() == 0
    assert obs["agent_0"]["state"]["edge_mask"].sum() == 0
    obs, *_ = env.step({"agent_0": 1, "agent_1": 4})  # robot 0 follows: back in range
    assert obs["agent_1"]["node_mask"].tolist() == [1, 1]
    assert obs["agent_1"]["edge_index"][:, :2].T.tolist() == [[0, 1], [1, 0]]


def observations(hops: int, far: list[int]) -> dict:
    """Robots 0 and 1 at cells 0 and 3 of a corridor, two more at ``far``."""
    env = make(cells=16, num_agents=4, comm_hops=hops)
    obs, _ = env.reset(seed=0, options={"starts": [0, 3, *far], "goals": [15, 14, 13, 12]})
    return obs


@pytest.mark.parametrize("hops", [0, 1])
def test_robots_beyond_k_hops_change_nothing_a_robot_observes(hops):
    """Robots 2 and 3 are 2 and 3 hops from robot 0 (chain 0-1-2-3, range 3), out of the
    fields of view of robots 0 and 1: moving them changes no key of robot 0's own view."""
    a, b = observations(hops, [6, 9]), observations(hops, [7, 10])
    for key, value in a["agent_0"].items():
        if key != "state":
            np.testing.assert_array_equal(value, b["agent_0"][key], err_msg=key)
    assert not np.array_equal(a["agent_0"]["state"]["x"], b["agent_0"]["state"]["x"])


def test_robots_within_k_hops_do_change_the_view():
    a, b = observations(2, [6, 9]), observations(2, [7, 10])
    assert not np.array_equal(a["agent_0"]["x"], b["agent_0"]["x"])


def test_without_communication_a_robot_sees_itself_alone():
    obs = observations(0, [6, 9])["agent_1"]
    assert obs["node_mask"].tolist() == [0, 1, 0, 0] and obs["edge_mask"].sum() == 0
    assert obs["agent_node"].tolist() == [1] and obs["x"][1, -1] == 1.0


def test_features_are_relative_and_do_not_scale_with_team_or_map():
    small = make(cells=12, num_agents=2)
    large = make(cells=40, num_agents=5)
    a, _ = small.reset(seed=0, options={"starts": [0, 2], "goals": [5, 7]})
    b, _ = large.reset(seed=0, options={"starts": [0, 2, 30, 34, 38], "goals": [5, 7, 20, 21, 22]})
    np.testing.assert_array_equal(a["agent_0"]["x"][:2], b["agent_0"]["x"][:2])


# ---------------------------------------------------------------------------- collisions
def test_a_swap_is_blocked_and_a_follower_may_move_into_a_vacated_cell():
    final, blocked = resolve_moves(np.array([0, 1]), np.array([1, 0]), 5)
    assert final.tolist() == [0, 1] and blocked.tolist() == [True, True]
    final, blocked = resolve_moves(np.array([0, 1]), np.array([1, 2]), 5)
    assert final.tolist() == [1, 2] and not blocked.any()


def test_a_stayer_keeps_its_cell_and_the_lowest_index_wins_a_free_cell():
    final, blocked = resolve_moves(np.array([0, 2, 4]), np.array([1, 1, 4]), 5)
    assert final.tolist() == [1, 2, 4] and blocked.tolist() == [False, True, False]
    final, blocked = resolve_moves(np.array([0, 2]), np.array([2, 2]), 5)
    assert final.tolist() == [0, 2] and blocked.tolist() == [True, False]


def test_blocking_cascades_along_a_train():
    # A train 0 -> 1 -> 2 -> 3 moves together; robot 3 (from 4) loses cell 3 to robot 2.
    final, blocked = resolve_moves(np.array([0, 1, 2, 4]), np.array([1, 2, 3, 3]), 6)
    assert final.tolist() == [1, 2, 3, 4] and blocked.tolist() == [False, False, False, True]
    final, blocked = resolve_moves(np.array([0, 1, 2, 4]), np.array([1, 2, 3, 4]), 6)
    assert not blocked.any()
    final, blocked = resolve_moves(np.array([1, 2, 3, 0]), np.array([2, 3, 4, 4]), 6)
    assert final.tolist() == [2, 3, 4, 0] and blocked.tolist() == [False, False, False, True]
    # Robot 0 (from 4) wins cell 3 over the train's head, robot 1: the whole train stays.
    final, blocked = resolve_moves(np.array([4, 2, 1, 0]), np.array([3, 3, 2, 1]), 6)
    assert final.tolist() == [3, 2, 1, 0] and blocked.tolist() == [False, True, True, True]


def test_blocked_moves_are_counted_and_penalised():
    env = make(num_agents=2, collision_penalty=-0.5, step_cost=0.05)
    env.reset(seed=0, options={"starts": [0, 1], "goals": [5, 6]})
    _, rewards, *_ = env.step({"agent_0": 1, "agent_1": 3})  # a swap: both blocked
    assert rewards == {"agent_0": -0.55, "agent_1": -0.55}
    assert env.core.collisions == 2 and env.core.cells.tolist() == [0, 1]


def test_arrival_rewards_termination_and_metrics():
    env = make(num_agents=2, goal_reward=1.0, step_cost=0.05)
    env.reset(seed=0, options={"starts": [0, 5], "goals": [1, 5]})
    _, rewards, terms, truncs, infos = env.step({"agent_0": 1, "agent_1": 4})
    assert rewards == {"agent_0": 1.0, "agent_1": 0.0}
    assert all(terms.values()) and not any(truncs.values()) and not env.agents
    assert infos["agent_0"] == {"success": 1.0, "robots_at_goal": 1.0, "collisions": 0.0,
                                "graph_nodes": 12, "makespan": 1.0}


def test_a_robot_leaving_its_goal_pays_it_back_and_the_mask_stops_walls():
    env = make(num_agents=2)
    obs, _ = env.reset(seed=0, options={"starts": [0, 5], "goals": [2, 5]})
    assert obs["agent_0"]["action_mask"].tolist() == [0, 1, 0, 0, 1]  # right, idle
    _, rewards, *_ = env.step({"agent_0": 1, "agent_1": 1})
    assert rewards["agent_1"] == pytest.approx(-1.05)
    with pytest.raises(ValueError, match="agent_0's action 0 is invalid: moving up"):
        env.step({"agent_0": 0, "agent_1": 4})


def test_truncation_reports_failure_without_a_makespan():
    env = make(num_agents=2, max_steps=2)
    env.reset(seed=0, options={"starts": [0, 5], "goals": [9, 6]})
    env.step({"agent_0": 4, "agent_1": 4})
    _, _, terms, truncs, infos = env.step({"agent_0": 4, "agent_1": 4})
    assert all(truncs.values()) and not any(terms.values())
    assert infos["agent_1"]["success"] == 0.0 and "makespan" not in infos["agent_1"]
    assert infos["agent_1"]["robots_at_goal"] == 0.0


# ---------------------------------------------------------------------------- config
@pytest.mark.parametrize("key, value, message", [
    ("comm_hops", -1, "comm_hops must be an integer >= 0, got -1"),
    ("fov_radius", 1.5, "fov_radius must be an integer >= 0, got 1.5"),
    ("comm_range", -2.0, "comm_range must be"),
    ("collision_penalty", 0.5, "collision_penalty must be"),
])
def test_bad_values_are_refused_in_one_line(key, value, message):
    with pytest.raises(ValueError, match=message):
        RobotsParallelEnv({key: value})


def test_maps_must_be_connected_grids():
    with pytest.raises(ValueError, match="robots need a grid map"):
        RobotsParallelEnv({"graphs": {"generator": "erdos_renyi", "sizes": [10]}}).reset(seed=0)
    two = nx.disjoint_union(nx.path_graph(3), nx.path_graph(3))
    nx.set_node_attributes(two, {i: (i % 3, 2 * (i // 3)) for i in two.nodes}, "pos")
    with pytest.raises(ValueError, match="one connected piece"):
        RobotsParallelEnv({"graphs": [as_graph(two, "two")], "num_agents": 2}).reset(seed=0)


def test_windows_read_obstacles_and_the_map_edge():
    world = GridMap.build(corridor(4), radius=1)
    window = world.windows(np.array([0]))[0]
    assert (window[[0, 2]] == -1).all() and window[1].tolist() == [-1, 0, 1]


def test_penalty_mode_unmasks_walls_and_a_wall_move_stays_and_pays():
    env = make(num_agents=2, invalid_action="penalty", invalid_penalty=-1.0, step_cost=0.05)
    obs, _ = env.reset(seed=0, options={"starts": [0, 5], "goals": [2, 6]})
    assert obs["agent_0"]["action_mask"].tolist() == [1, 1, 1, 1, 1]
    _, rewards, *_ = env.step({"agent_0": 0, "agent_1": 4})
    assert rewards["agent_0"] == pytest.approx(-1.05) and env.core.cells.tolist() == [0, 5]
    assert env.core.collisions == 0
