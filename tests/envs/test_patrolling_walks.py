"""The walk-based patrolling baselines: closed walks, regions, schedules, cyclic, partition."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import envs.patrolling.tours as tours
import envs.tour_search as tour_search
from envs.catalog import entry
from envs.graphs import Graph
from envs.patrolling import (
    PatrollingEnv,
    PatrollingParallelEnv,
    WalkPlayer,
    play_cyclic,
    play_cyclic_single,
    play_greedy_idleness,
    play_partition,
)
from envs.patrolling.regions import balanced_regions
from envs.patrolling.schedule import arrival_table, plan
from tests.envs.test_patrolling import cycle_graph, path_graph

WALLS = {"generator": "grid", "sizes": [36], "params": {"removed": 0.2}, "weights": "unit"}
#: (strategy, join) of every walk player
PLAYERS = [("cyclic", "assign"), ("cyclic", "by_id"), ("partition", "assign")]


def two_rings(m: int) -> Graph:
    """Rings 0..m-1 and m..2m-1 joined by one edge between nodes m/2 and m + m/2."""
    edges = [(i, (i + 1) % m) for i in range(m)] + [(m + i, m + (i + 1) % m) for i in range(m)]
    return Graph(2 * m, np.sort(np.array([*edges, (m // 2, m + m // 2)]), axis=1))


def csr_of(graph: Graph, **config):
    env = PatrollingParallelEnv(graphs=[graph], num_agents=1, **config)
    env.reset(seed=0)
    return env.core.csr


def assert_closed_walk(csr, walk: np.ndarray, nodes: np.ndarray) -> None:
    assert set(walk.tolist()) == set(nodes.tolist())
    nxt = np.roll(walk, -1)
    assert ((walk == nxt) | (np.asarray(csr[walk, nxt]).ravel() > 0)).all()


# ---------------------------------------------------------------------------- closed walks
def test_walks_of_a_ring_a_path_and_a_grid_with_walls():
    ring = tours.closed_walk(csr_of(cycle_graph(9)), np.arange(9))
    assert len(ring) == 9
    path = tours.closed_walk(csr_of(path_graph(6)), np.arange(6))
    assert len(path) == 10  # there and back: 2 (n - 1)
    env = PatrollingParallelEnv(graphs=WALLS)
    for seed in range(5):
        env.reset(seed=seed)
        walk = tours.closed_walk(env.core.csr, np.arange(env.core.n))
        assert_closed_walk(env.core.csr, walk, np.arange(env.core.n))
        assert len(walk) < 1.3 * env.core.n


def test_tours_are_at_least_as_short_as_networkx_christofides():
    env = PatrollingParallelEnv(graphs=WALLS)
    for seed in range(4):
        env.reset(seed=seed)
        g = env.core.graph.to_networkx()
        christofides = len(nx.approximation.traveling_salesman_problem(g, cycle=True)) - 1
        assert len(tours.closed_walk(env.core.csr, np.arange(env.core.n))) <= christofides


def test_two_opt_uncrosses_a_tour():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    dist = np.linalg.norm(square[:, None] - square[None], axis=-1)
    crossed = np.array([0, 2, 1, 3])
    assert tour_search.tour_length(dist, tour_search.improve(dist, crossed)) == pytest.approx(4.0)
    assert tour_search.tour_length(dist, crossed) > 4.5


def test_or_opt_moves_a_node_to_where_it_belongs():
    line = np.arange(6, dtype=float)
    dist = np.abs(line[:, None] - line[None])
    tour = np.array([0, 1, 3, 4, 2, 5])  # node 2 out of place; 2-opt alone could not fix it
    assert tour_search.tour_length(dist, tour_search.or_opt_move(dist, tour)) == pytest.approx(10.0)


def test_large_sets_get_the_doubled_spanning_tree(monkeypatch):
    monkeypatch.setattr(tours, "TOUR_MAX_NODES", 10)
    env = PatrollingParallelEnv(graphs=WALLS)
    env.reset(seed=1)
    walk = tours.closed_walk(env.core.csr, np.arange(env.core.n))
    assert_closed_walk(env.core.csr, walk, np.arange(env.core.n))
    assert len(walk) == 2 * (env.core.n - 1)


# ---------------------------------------------------------------------------- regions
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_regions_are_connected_cover_the_graph_and_are_balanced(k):
    env = PatrollingParallelEnv(graphs=WALLS)
    for seed in range(4):
        env.reset(seed=seed)
        csr, n = env.core.csr, env.core.n
        regions = balanced_regions(csr, np.arange(n), k)
        assert sorted(np.concatenate(regions).tolist()) == list(range(n))
        g = env.core.graph.to_networkx()
        assert all(nx.is_connected(g.subgraph(r.tolist())) for r in regions)
        sizes = [len(r) for r in regions]
        assert max(sizes) <= 2 * n / k, sizes


def test_regions_refuse_more_regions_than_nodes_and_a_disconnected_set():
    with pytest.raises(ValueError, match=r"^k must be in \[1, 3\]"):
        balanced_regions(csr_of(path_graph(3)), np.arange(3), 4)
    with pytest.raises(ValueError, match="^balanced_regions needs a connected node set"):
        balanced_regions(csr_of(path_graph(5)), np.array([0, 1, 3, 4]), 1)


# ---------------------------------------------------------------------------- schedules
def test_arrival_table_matches_a_brute_force_search():
    env = PatrollingParallelEnv(graphs=WALLS)
    env.reset(seed=2)
    csr, n = env.core.csr, env.core.n
    walk = tours.closed_walk(csr, np.arange(n))
    hops = nx.floyd_warshall_numpy(env.core.graph.to_networkx(), nodelist=range(n))
    starts = np.array([0, n // 2, n - 1])
    table = arrival_table(walk, hops[starts])
    period = len(walk)
    for i, a in enumerate(starts):
        for f in range(0, period, 3):
            first = next(s for s in range(2 * period) if hops[a, walk[(f + s) % period]] <= s)
            assert table[i, f] == first


def test_bad_strategy_and_join_are_one_line_errors():
    csr = csr_of(cycle_graph(5))
    with pytest.raises(ValueError, match="^strategy must be one of"):
        plan(csr, np.array([0]), (0,), 0, "spiral")
    with pytest.raises(ValueError, match="^join='by_id' is a cyclic rule"):
        plan(csr, np.array([0]), (0,), 0, "partition", "by_id")


@pytest.mark.parametrize("strategy", ["cyclic", "partition"])
def test_more_agents_than_walk_positions_share_slots(strategy):
    csr = csr_of(cycle_graph(3))
    positions = np.array([0, 0, 1, 1, 2, 2, 0])  # 7 agents, a walk of 3 positions
    schedule = plan(csr, positions, tuple(range(7)), 0, strategy)
    for t in range(6):
        nxt = np.array([schedule.next_node(a, t) for a in range(7)])
        assert ((nxt == positions) | (np.asarray(csr[positions, nxt]).ravel() > 0)).all()
        positions = nxt
    assert set(positions.tolist()) == {0, 1, 2}


# ---------------------------------------------------------------------------- players
def record(env: PatrollingParallelEnv, seed: int, strategy: str, join: str,
           options: dict | None = None) -> tuple[np.ndarray, list]:
    """Play one episode of a :class:`WalkPlayer`; the (T + 1, K) positions (start first) and
    every schedule it planned."""
    player, schedules = WalkPlayer(strategy, join), []
    env.reset(seed=seed, options=options)
    positions = [env.core.positions.copy()]
    while env.agents:
        agents = [env._index[a] for a in env.agents]
        slots = player.slots(env.core, agents)
        if not schedules or schedules[-1] is not player.schedule:
            schedules.append(player.schedule)
        env.step(dict(zip(env.agents, slots)))
        positions.append(env.core.positions.copy())
    return np.array(positions), schedules


def assert_every_node_within_a_period(positions: np.ndarray, schedule, n: int) -> None:
    """From the last agent's join on, the live agents stand on every node within the
    longest period of their walks."""
    live = list(schedule.live)
    start = max(schedule.join[a] for a in live)
    period = max(len(schedule.walk[a]) for a in live)
    assert start + period < len(positions), "episode too short for the check"
    seen = positions[start + 1: start + period + 1][:, live]
    assert set(seen.ravel().tolist()) == set(range(n))


@pytest.mark.parametrize("strategy, join", PLAYERS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_every_node_is_visited_within_one_period_on_grids_with_walls(strategy, join, k):
    env = PatrollingParallelEnv(graphs=WALLS, num_agents=k, max_steps=120)
    for seed in range(3):
        positions, schedules = record(env, seed, strategy, join)
        assert len(schedules) == 1
        assert_every_node_within_a_period(positions, schedules[0], env.core.n)


@pytest.mark.parametrize("strategy, join", PLAYERS)
def test_survivors_of_attrition_spread_again_and_still_visit_every_node(strategy, join):
    env = PatrollingParallelEnv(graphs=WALLS, num_agents=4, max_steps=150,
                                attrition_schedule={10: [0], 25: [2, 3]})
    for seed in range(3):
        positions, schedules = record(env, seed, strategy, join)
        assert [s.live for s in schedules] == [(0, 1, 2, 3), (1, 2, 3), (1,)]
        assert [s.start for s in schedules] == [0, 10, 25]
        assert_every_node_within_a_period(positions, schedules[-1], env.core.n)
    middle = schedules[1]  # three survivors, evenly spaced on one walk (cyclic)
    if strategy == "cyclic":
        period = len(middle.walk[1])
        phases = sorted(middle.phase[a] for a in (1, 2, 3))
        gaps = np.diff([*phases, phases[0] + period])
        assert gaps.max() - gaps.min() <= 1 and gaps.sum() == period


@pytest.mark.parametrize("play", [play_cyclic, play_partition])
def test_random_attrition_and_a_one_node_graph_do_not_break_the_players(play):
    env = PatrollingParallelEnv(num_agents=4, max_steps=60,
                                attrition={"prob": 0.1, "min_agents": 0})
    for seed in range(4):
        assert play(env, seed)["length"] <= 60
    one = Graph(1, np.zeros((0, 2), np.int64))
    info = play(PatrollingParallelEnv(graphs=[one], num_agents=1, max_degree=1), 0)
    assert info["avg_idleness"] == 0.0 and info["length"] == 100
    single = PatrollingEnv(graphs=[one], max_degree=1, max_steps=7)
    assert play_cyclic_single(single, 0)["worst_idleness"] == 0.0


def ring_average_idleness(gap: int, steps: int) -> float:
    """The env's ``avg_idleness`` of agents ``gap`` nodes apart on a ring, each starting on
    its own slot and walking one way. After step t < gap a node r hops ahead of an agent's
    start (0 < r <= t) was visited at step r (idleness t - r) and the other gap - t nodes of
    each gap not since the reset (idleness t); from step gap - 1 on, every gap holds the
    idleness values 0 .. gap - 1 once."""
    warm = sum((t * (t - 1) / 2 + (gap - t) * t) / gap for t in range(1, gap))
    return (warm + (steps - gap + 1) * (gap - 1) / 2) / steps


@pytest.mark.parametrize("strategy, join", [("cyclic", "assign"), ("cyclic", "by_id")])
@pytest.mark.parametrize("n, k", [(12, 3), (12, 1), (10, 5)])
def test_cyclic_average_idleness_on_a_ring_is_the_value_by_hand(strategy, join, n, k):
    gap, steps = n // k, 40
    env = PatrollingParallelEnv(graphs=[cycle_graph(n)], num_agents=k, max_steps=steps)
    start = {"start_nodes": list(range(0, n, gap))}
    record(env, 0, strategy, join, start)
    info = env.core.final_info(0)
    assert info["avg_idleness"] == pytest.approx(ring_average_idleness(gap, steps), abs=1e-12)
    assert info["worst_idleness"] == gap - 1
    assert ring_average_idleness(4, 30) == pytest.approx(44 / 30)  # the sum written out


def test_partition_gives_each_of_two_rings_its_agent_the_value_by_hand():
    m, steps = 8, 40
    env = PatrollingParallelEnv(graphs=[two_rings(m)], num_agents=2, max_steps=steps)
    positions, schedules = record(env, 0, "partition", "assign", {"start_nodes": [1, 13]})
    assert {len(schedules[0].walk[a]) for a in (0, 1)} == {m}
    assert set(positions[:, 0].tolist()) == set(range(m))
    info = env.core.final_info(0)
    assert info["avg_idleness"] == pytest.approx(ring_average_idleness(m, steps), abs=1e-12)
    assert info["worst_idleness"] == m - 1


def test_cyclic_beats_greedy_idleness_and_partition_on_grids_with_walls():
    env = PatrollingParallelEnv(graphs={**WALLS, "params": {"removed": 0.1}}, num_agents=3,
                                observation_radius=2)
    seeds = range(1000, 1010)
    cyclic = np.array([[i["avg_idleness"], i["worst_idleness"]]
                       for i in (play_cyclic(env, s) for s in seeds)])
    greedy = np.array([[i["avg_idleness"], i["worst_idleness"]]
                       for i in (play_greedy_idleness(env, s) for s in seeds)])
    partition = np.array([play_partition(env, s)["avg_idleness"] for s in seeds])
    assert (cyclic[:, 0] < 0.92 * greedy[:, 0]).all()
    assert cyclic[:, 1].mean() < 0.6 * greedy[:, 1].mean()
    assert cyclic[:, 0].mean() < partition.mean()


def test_players_are_deterministic_and_the_catalog_names_cyclic_the_reference():
    env = PatrollingParallelEnv(graphs=WALLS, attrition={"prob": 0.05, "min_agents": 1})
    for name in ("cyclic", "cyclic_by_id", "partition"):
        play = entry("patrol-multi").baseline(name)
        assert play(env, 3) == play(env, 3)
    assert entry("patrol-multi").reference == "cyclic"
    assert entry("patrol").reference == "cyclic"
