"""`compare`: every player on the same seeded episodes, with the entry's extra metrics."""

import math

import numpy as np
import pytest

from envs.catalog import entry
from envs.compare import compare, format_table
from envs.navigation.baselines import ShortestPathPolicy
from envs.rollout import play, play_parallel

GRID = {"graphs": {"generator": "grid", "sizes": [25], "params": {"removed": 0.1},
                   "weights": "unit"}, "actions": "compass", "max_steps": 30}
STAY = 4  # compass: N, E, S, W, stay (always valid)


def play_stay(env, seed=None):
    """A player that never leaves its start, so never reaches its goal."""
    return play(env, lambda env, obs: STAY, seed=seed)


def test_nav_rows_report_success_and_path_ratio_over_successful_episodes_only():
    nav = entry("nav")
    players = {name: nav.baseline(name) for name in nav.baselines} | {"stay": play_stay}
    rows = {r["player"]: r for r in compare(nav, players, GRID, episodes=4)}
    assert rows["shortest_path"]["success_mean"] == 1.0
    assert rows["shortest_path"]["path_ratio_mean"] == pytest.approx(1.0)
    assert rows["shortest_path"]["path_ratio_std"] == pytest.approx(0.0)
    stay = rows["stay"]
    assert (stay["success_mean"], stay["success_std"]) == (0.0, 0.0)
    assert math.isnan(stay["path_ratio_mean"]) and math.isnan(stay["path_ratio_std"])
    assert stay["length_mean"] == 30  # truncated at max_steps
    assert list(stay)[:8] == ["player", "episodes", "path_length_mean", "path_length_std",
                              "success_mean", "success_std", "path_ratio_mean",
                              "path_ratio_std"]
    line = format_table(list(rows.values())).splitlines()[-1].split()
    assert line[0] == "stay" and line[6:8] == ["-", "-"]


def test_nav_team_rows_are_the_team_metrics_not_the_last_agent():
    """agent_0 walks a shortest path, agent_1 stays: the team's success is 1/2 (play_parallel
    returns the env's team_info, not the per-agent info of whoever finished last)."""
    team = entry("nav-multi")

    def half(env, seed=None):
        walk = ShortestPathPolicy()
        return play_parallel(env, lambda env, obs: {
            a: walk.action(env.core, 0) if a == "agent_0" else STAY for a in env.agents},
            seed=seed)
    rows = {r["player"]: r for r in compare(team, {"half": half, **{
        n: team.baseline(n) for n in team.baselines}}, {**GRID, "num_agents": 2}, episodes=3)}
    assert rows["half"]["success_mean"] == 0.5
    assert math.isnan(rows["half"]["path_ratio_mean"])  # only when every agent arrived
    assert rows["shortest_path"]["success_mean"] == 1.0
    assert rows["shortest_path"]["path_ratio_mean"] == pytest.approx(1.0)


def test_patrol_rows_report_worst_idleness_for_every_baseline():
    team = entry("patrol-multi")
    players = {name: team.baseline(name) for name in team.baselines}
    rows = compare(team, players, {"max_steps": 40}, episodes=2)
    assert [r["player"] for r in rows] == [
        "cyclic", "cyclic_by_id", "partition", "greedy_idleness", "local_greedy",
        "independent_greedy", "random_walk"]
    assert rows[0]["ratio_to_cyclic"] == 1.0  # the strongest known strategy is the reference
    for row in rows:
        assert row["worst_idleness_mean"] >= row["avg_idleness_mean"] > 0


@pytest.mark.parametrize("name", ["mvc", "mvc-multi"])
def test_a_ratio_the_env_config_does_not_compute_gets_no_column(name):
    mvc = entry(name)
    players = {n: mvc.baseline(n) for n in mvc.baselines}
    config = {"graphs": {"preset": "blog_mvc", "split": "test"}}
    rows = compare(mvc, players, config, episodes=2)
    assert not [k for k in rows[0] if k.startswith("cover_ratio")]
    rows = {r["player"]: r for r in compare(mvc, players, {**config, "reference": "exact"},
                                            episodes=2)}
    assert rows["exact"]["cover_ratio_mean"] == pytest.approx(1.0)
    assert rows["greedy"]["cover_ratio_mean"] == pytest.approx(rows["greedy"]["ratio_to_exact"])
    assert np.isfinite(rows["greedy"]["cover_ratio_std"])
