"""Tests of the rate-allocation env: API checker, seeding, the repair, the LP and baselines."""

from __future__ import annotations

import numpy as np
import pytest

from envs.graphs import Graph
from envs.rates import (
    RateAllocationEnv,
    RateProblem,
    equal_share_rates,
    greedy_rates,
    lp_rates,
    play_equal_share,
    play_greedy,
    play_lp,
    play_random,
    rates_to_action,
)
from envs.rates.solvers import closed_neighbourhoods
from tests.envs.episodes import assert_replays, check_single_env

PATH = Graph(3, np.array([[0, 1], [1, 2]]))


def path_problem(weights=(1.0, 1.5, 1.0), capacities=(1.0, 1.5, 1.0)) -> RateProblem:
    return RateProblem(PATH, np.array(weights), np.array(capacities))


def random_problem(seed: int, n: int = 12) -> RateProblem:
    env = RateAllocationEnv(graphs={"generator": "random_geometric", "sizes": [n]})
    env.reset(seed=seed)
    return env.problem


def record_box_episode(env, seed: int, policy_seed: int | None = None) -> list[tuple]:
    """``record_episode`` with uniform actions in the Box (one step: the episode)."""
    rng = np.random.default_rng(seed if policy_seed is None else policy_seed)
    obs, info = env.reset(seed=seed)
    action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
    return [(obs, info), env.step(action)]


def assert_feasible(problem: RateProblem, rates: np.ndarray) -> None:
    assert rates.min() >= -1e-12 and rates.max() <= 1 + 1e-12
    assert problem.overload(rates) <= 1e-9, f"overloaded by {problem.overload(rates)}"


# ---------------------------------------------------------------------------- API and seeding
@pytest.mark.parametrize("config", [{}, {"global_state": True, "reference": "lp"},
                                    {"graphs": {"generator": "erdos_renyi", "sizes": [6, 9],
                                                "params": {"p": 0.3}}, "capacity": [0.5, 0.5]}])
def test_gymnasium_check_env(config):
    check_single_env(RateAllocationEnv(config))


def test_same_seed_same_episode():
    a, c = assert_replays(RateAllocationEnv, seed=7, other_seed=8, record=record_box_episode)
    assert not np.array_equal(a[0][0]["x"], c[0][0]["x"])


def test_spaces_and_one_step_episode():
    env = RateAllocationEnv()
    with pytest.raises(RuntimeError, match="call reset"):
        env.problem
    assert env.action_space.shape == (20,) and (env.action_space.low == -1).all()
    obs, _ = env.reset(seed=3)
    n = env.problem.num_nodes
    np.testing.assert_array_equal(obs["action_mask"], obs["node_mask"])
    assert obs["action_mask"][:n].all() and not obs["action_mask"][n:].any()
    obs, reward, terminated, truncated, info = env.step(np.zeros(20, np.float32))
    assert terminated and not truncated and reward == pytest.approx(info["utility"])
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(20, np.float32))


@pytest.mark.parametrize("config, key", [({"capacity": [2.0, 1.0]}, "capacity"),
                                         ({"capacity": [0.0, 1.0]}, "capacity"),
                                         ({"capacity": "wide"}, "capacity"),
                                         ({"invalid_action": "penalty"}, "invalid_action"),
                                         ({"max_steps": 2}, "max_steps"),
                                         ({"reference": "exact"}, "reference"),
                                         ({"reward": "total"}, "reward")])
def test_bad_config_values_name_their_key(config, key):
    with pytest.raises(ValueError, match=key):
        RateAllocationEnv(config)


def test_per_node_reward_is_the_utility_over_the_node_count():
    action = np.random.default_rng(4).uniform(-1, 1, 20).astype(np.float32)
    total, per_node = RateAllocationEnv(), RateAllocationEnv(reward="per_node")
    total.reset(seed=9)
    per_node.reset(seed=9)
    _, reward, *_, info = per_node.step(action)
    assert total.step(action)[4] == info
    assert reward == pytest.approx(info["utility"] / per_node.problem.num_nodes)
    assert reward < info["utility"]


@pytest.mark.parametrize("action, message", [(np.zeros(19), "array of 20"),
                                             (np.zeros((1, 20)), "array of 20"),
                                             (np.full(20, np.nan), "finite"), (3, "array of 20")])
def test_bad_actions_are_refused(action, message):
    env = RateAllocationEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


def test_padding_slots_are_ignored_and_values_clipped():
    env = RateAllocationEnv()
    env.reset(seed=1)
    n = env.problem.num_nodes
    assert n < 20, "seed 1 must draw a graph with padding"
    action = np.random.default_rng(0).uniform(-1, 1, 20).astype(np.float32)
    base = env.step(action)[1]
    other = action.copy()
    other[n:] = np.float32(0.7)
    env.reset(seed=1)
    assert env.step(other)[1] == base
    env.reset(seed=1)
    assert env.step(np.full(20, 5.0, np.float32))[1] == pytest.approx(
        (env.reset(seed=1), env.step(np.ones(20, np.float32)))[1][1])


def test_features_are_the_nodes_own():
    """A disjoint star beside the graph changes none of the graph's feature rows."""
    problem = path_problem()
    star = np.array([[0, 1], [1, 2], [3, 4], [3, 5], [3, 6], [3, 7]])
    bigger = RateProblem(Graph(8, star), np.r_[problem.weights, np.ones(5)],
                         np.r_[problem.capacities, np.ones(5)])
    np.testing.assert_array_equal(bigger.features()[:3], problem.features())


# ---------------------------------------------------------------------------- repair and LP
def test_repair_throttles_by_the_tightest_neighbourhood():
    problem = path_problem(capacities=(1.0, 1.5, 1.0))
    # loads: node 0: 1 + 1 = 2 > 1 (s = 0.5); node 1: 3 > 1.5 (0.5); node 2: 2 > 1 (0.5)
    np.testing.assert_allclose(problem.repair(np.ones(3)), [0.5, 0.5, 0.5])
    # only node 0 asks: it hears only itself and node 1 -> nothing to throttle
    np.testing.assert_allclose(problem.repair(np.array([1.0, 0.0, 0.0])), [1.0, 0.0, 0.0])
    # nodes 0 and 2 hear 1.6 > 1 (s = 1 / 1.6), node 1 2.2 > 1.5 (s = 1.5 / 2.2): every
    # node takes the smaller factor of the two it hears
    asked = np.array([0.6, 1.0, 0.6])
    np.testing.assert_allclose(problem.repair(asked), asked / 1.6)
    # with capacity 2 at the ends only node 1 is overloaded: its factor for all three
    loose = path_problem(capacities=(2.0, 1.5, 2.0))
    np.testing.assert_allclose(loose.repair(asked), asked * 1.5 / 2.2)


@pytest.mark.parametrize("seed", range(5))
def test_repair_makes_any_rates_feasible_and_keeps_feasible_ones(seed):
    problem = random_problem(seed)
    rates = np.random.default_rng(seed).random(problem.num_nodes)
    assert_feasible(problem, problem.repair(rates))
    optimum = lp_rates(problem)[0]
    np.testing.assert_array_equal(problem.repair(optimum), optimum)


def test_lp_on_a_hand_solved_path():
    """max x0 + 1.5 x1 + x2 s.t. x0 + x1 <= 1, x0 + x1 + x2 <= 1.5, x1 + x2 <= 1: with
    x1 = t the others are at most 1 - t and sum to at most 1.5 - t, so the utility is
    1.5 + t / 2 for t <= 1/2 and 2 - t / 2 above: 1.75 at t = 1/2, all rates 1/2."""
    rates, utility = lp_rates(path_problem())
    assert utility == pytest.approx(1.75)
    np.testing.assert_allclose(rates, [0.5, 0.5, 0.5], atol=1e-9)
    # a heavy middle node takes the whole path: 3 > 1.5 + 3 / 2
    rates, utility = lp_rates(path_problem(weights=(1.0, 3.0, 1.0)))
    assert utility == pytest.approx(3.0)
    np.testing.assert_allclose(rates, [0.0, 1.0, 0.0], atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_the_lp_bounds_every_feasible_heuristic(seed):
    problem = random_problem(seed, n=15)
    best = lp_rates(problem)
    assert_feasible(problem, best[0])
    for rates, utility in (greedy_rates(problem), equal_share_rates(problem)):
        assert_feasible(problem, rates)
        assert utility <= best[1] + 1e-9
    # no feasible point found by perturbing the optimum beats it (first-order check)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        moved = problem.repair(np.clip(best[0] + rng.normal(0, 0.05, problem.num_nodes), 0, 1))
        assert problem.utility(moved) <= best[1] + 1e-9


def test_closed_neighbourhoods_are_the_constraint_rows():
    hood = closed_neighbourhoods(path_problem()).toarray()
    np.testing.assert_array_equal(hood, [[1, 1, 0], [1, 1, 1], [0, 1, 1]])


# ---------------------------------------------------------------------------- players
def test_players_play_the_same_seeded_episodes():
    env = RateAllocationEnv(reference="lp")
    for seed in range(1000, 1010):
        lp = play_lp(env, seed)
        assert lp["utility_ratio"] == pytest.approx(1.0, abs=1e-6)
        assert lp["throttled"] == 0 or lp["utility_ratio"] > 1 - 1e-6
        for player in (play_greedy, play_equal_share, play_random):
            info = player(env, seed)
            assert info["reference_utility"] == lp["reference_utility"]
            assert info["utility_ratio"] <= 1 + 1e-6 and info["length"] == 1
    assert play_random(env, 5) == play_random(env, 5)


def test_rates_to_action_round_trips_through_the_env():
    env = RateAllocationEnv()
    env.reset(seed=2)
    rates = equal_share_rates(env.problem)[0]
    info = env.step(rates_to_action(rates, 20))[4]
    assert info["utility"] == pytest.approx(env.problem.utility(rates), rel=1e-6)
    assert info["throttled"] == 0
