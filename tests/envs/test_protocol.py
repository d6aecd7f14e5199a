"""The evaluation protocol's numpy part: paired standard errors, the same held-out seeds for
every player, env steps and wall time per player (`envs.paired`, `envs.compare`)."""

import math

import networkx as nx
import numpy as np
import pytest

from envs import compare as compare_module
from envs.catalog import entry
from envs.compare import (HELD_OUT_SEED, Episodes, compare, comparison_rows, pair_rows,
                          play_episodes)
from envs.graphs import Graph
from envs.mvc import play_exact, play_greedy
from envs.paired import episode_ratios, paired, standard_error

POLICY = np.array([3.0, 5.0, 4.0, 8.0, 6.5])
OPTIMUM = np.array([2.0, 3.0, 4.0, 5.0, 6.0])
TEST_GRAPHS = {"graphs": {"preset": "blog_mvc", "split": "test"}}


def _direct_se(values) -> float:
    """The standard error of a mean, written out: sqrt(sum((v - mean)^2) / (n - 1) / n)."""
    values = np.asarray(values, float)
    n = len(values)
    return math.sqrt(((values - values.sum() / n) ** 2).sum() / (n - 1) / n)


def test_the_paired_standard_error_is_that_of_the_per_episode_differences():
    stats = paired(POLICY, OPTIMUM)
    diffs = [1.0, 2.0, 0.0, 3.0, 0.5]
    assert stats["diff"] == pytest.approx(6.5 / 5)
    assert stats["diff_se"] == pytest.approx(_direct_se(diffs))
    assert stats["diff_se"] == pytest.approx(0.5385164807)  # sqrt(5.8 / 4 / 5), by hand
    ratios = [1.5, 5 / 3, 1.0, 1.6, 6.5 / 6]
    assert stats["ratio"] == pytest.approx(np.mean(ratios))
    assert stats["ratio_se"] == pytest.approx(_direct_se(ratios))
    assert stats["se_below_diff"] is True
    # Pairing matters: the unpaired s.e. of the difference of the two means is larger.
    unpaired = math.hypot(_direct_se(POLICY), _direct_se(OPTIMUM))
    assert stats["diff_se"] < unpaired


def test_a_difference_the_episodes_do_not_resolve_is_flagged():
    stats = paired([2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.0, 1.0])  # diffs 1, -1, 2, 0
    assert stats["diff"] == pytest.approx(0.5)
    assert stats["diff_se"] == pytest.approx(_direct_se([1, -1, 2, 0]))  # 0.6455 > 0.5
    assert stats["se_below_diff"] is False
    assert paired([1.0], [2.0])["se_below_diff"] is False  # one episode: no s.e. at all
    assert math.isnan(standard_error([1.0]))
    with pytest.raises(ValueError, match="one length"):
        paired([1.0, 2.0], [1.0])


def test_an_episode_whose_reference_is_zero_has_no_ratio():
    ratios = episode_ratios([2.0, 3.0, 0.0], [1.0, 0.0, 0.0])
    assert ratios[0] == 2.0 and np.isnan(ratios[1:]).all()  # never inf: means skip them
    stats = paired([2.0, 3.0, 4.0], [1.0, 0.0, 2.0])
    assert stats["ratio"] == pytest.approx(2.0) and stats["ratio_se"] == pytest.approx(0.0)
    assert stats["diff"] == pytest.approx(2.0)  # the difference keeps every episode


def _episodes(metric, lengths=(3, 4, 5, 6, 7), wall=0.5) -> Episodes:
    """MVC episodes: the cover weights ``metric``, no ``cover_ratio`` (NaN)."""
    metric = np.asarray(metric, float)
    values = np.column_stack([metric, np.full(len(metric), np.nan)])
    return Episodes(tuple(range(1000, 1000 + len(metric))), values, np.array(lengths),
                    np.full(len(metric), wall))


def test_rows_carry_the_paired_columns_steps_and_wall_time_of_each_player():
    mvc = entry("mvc")
    played = {"policy": _episodes(POLICY), "exact": _episodes(OPTIMUM, (2, 2, 2, 2, 2), 0.25),
              "greedy": _episodes(OPTIMUM + 1.0)}
    rows = {row["player"]: row for row in comparison_rows(mvc, played)}
    policy = rows["policy"]
    assert policy["ratio_to_exact"] == pytest.approx(paired(POLICY, OPTIMUM)["ratio"])
    assert policy["diff_to_exact_se"] == pytest.approx(_direct_se(POLICY - OPTIMUM))
    assert policy["ratio_to_exact_se"] == pytest.approx(_direct_se(POLICY / OPTIMUM))
    assert policy["se_below_diff"] is True and rows["exact"]["se_below_diff"] is None
    assert rows["greedy"]["diff_to_exact_se"] == 0.0  # +1 on every episode: no spread
    assert (policy["env_steps"], rows["exact"]["env_steps"]) == (25, 10)
    assert policy["wall_s"] == pytest.approx(2.5)
    assert rows["exact"]["wall_s_per_episode"] == pytest.approx(0.25)
    [pair] = pair_rows(mvc, played, ["policy"])  # against greedy; exact is in the rows
    assert (pair["player"], pair["against"]) == ("policy", "greedy")
    assert pair["diff"] == pytest.approx(np.mean(POLICY - OPTIMUM - 1.0))
    assert pair["diff_se"] == pytest.approx(_direct_se(POLICY - OPTIMUM - 1.0))


def _recorder(play, log: list):
    """``play`` that logs ``(seed, env id, the episode graph's weights)`` per episode."""
    def player(env, seed):
        info = play(env, seed)
        log.append((seed, id(env), env.graph.weights.tolist()))
        return info
    return player


def test_every_player_gets_the_same_held_out_seeds_and_graphs_on_its_own_env(monkeypatch):
    logs = {"exact": [], "greedy": [], "slow": []}
    clock = [0.0]  # the protocol's clock: only the slow player moves it
    monkeypatch.setattr(compare_module.time, "perf_counter", lambda: clock[0])

    def slow(env, seed):
        clock[0] += 0.25
        return play_greedy(env, seed)
    players = {"exact": _recorder(play_exact, logs["exact"]),
               "greedy": _recorder(play_greedy, logs["greedy"]),
               "slow": _recorder(slow, logs["slow"])}
    rows = {r["player"]: r for r in compare(entry("mvc"), players, TEST_GRAPHS, episodes=4)}
    seeds = [[seed for seed, _, _ in log] for log in logs.values()]
    assert seeds == [[1000, 1001, 1002, 1003]] * 3 and HELD_OUT_SEED == 1000
    graphs = [[weights for _, _, weights in log] for log in logs.values()]
    assert graphs[0] == graphs[1] == graphs[2] and graphs[0][0] != graphs[0][1]
    assert len({env for log in logs.values() for _, env, _ in log}) == 3  # a fresh env each
    assert (rows["slow"]["wall_s"], rows["slow"]["wall_s_per_episode"]) == (1.0, 0.25)
    assert rows["greedy"]["wall_s"] == 0.0
    assert rows["greedy"]["env_steps"] == rows["slow"]["env_steps"] > 0


def test_episodes_record_each_length_and_a_short_fixed_list_is_refused():
    graphs = [Graph.from_networkx(nx.path_graph(n)) for n in (3, 4, 5)]
    played = play_episodes(entry("mvc"), {"exact": play_exact}, {"graphs": graphs},
                           range(1002, 1005))
    exact = played["exact"]
    assert exact.seeds == (1002, 1003, 1004)
    assert exact.lengths.tolist() == [play_exact(entry("mvc").make({"graphs": graphs}), s)[
        "length"] for s in (1002, 1003, 1004)]
    with pytest.raises(ValueError, match="4 episodes on a fixed list of 3 graphs"):
        play_episodes(entry("mvc"), {"exact": play_exact}, {"graphs": graphs}, range(4))
