"""The maximum weighted matching baselines (exact, greedy, random) and the envs' reference ratio."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import envs.matching.solvers as matching_solvers
from envs.catalog import entry
from envs.matching import (
    MatchingState,
    MaxMatchingEnv,
    MaxMatchingParallelEnv,
    exact_matching,
    greedy_matching,
    greedy_order,
    play_exact,
    play_greedy,
    play_greedy_parallel,
    play_random,
)
from envs.matching.solvers import improve_matching
from tests.envs.episodes import record_episode
from tests.envs.test_matching import PATH4, _nx_optimum, _random_weighted_graphs, _sequential_greedy


# ---------------------------------------------------------------------------- baselines
def test_exact_is_valid_optimal_and_beats_greedy():
    cases = _random_weighted_graphs(80, seed=0)
    assert len(cases) > 60
    strict = 0
    for graph, w in cases:
        ids, weight = exact_matching(graph, w)
        ends = graph.edges[ids].ravel()
        assert len(ends) == len(set(ends.tolist()))                # no node twice
        assert weight == pytest.approx(float(w[ids].astype(float).sum()))
        assert weight == pytest.approx(_nx_optimum(graph, w), abs=1e-9)
        g_ids, g_weight = greedy_matching(graph, w)
        assert g_ids.tolist() == _sequential_greedy(graph, w)
        assert weight >= g_weight - 1e-9
        strict += weight > g_weight + 1e-9
    assert strict > 0                                              # greedy is not optimal


def test_greedy_ties_match_sequential_reference():
    for graph, w in _random_weighted_graphs(30, seed=4, p=0.5):
        unit = np.ones_like(w)
        assert greedy_matching(graph, unit)[0].tolist() == _sequential_greedy(graph, unit)


def test_players_reach_baseline_weights_on_same_episode():
    env = MaxMatchingEnv()
    for seed in range(8):
        env.reset(seed=seed)
        graph, w = env.state.graph, env.state.weights.copy()
        opt = _nx_optimum(graph, w)
        exact = play_exact(env, seed)
        assert env.state.graph.num_edges == graph.num_edges
        assert exact["matching_weight"] == pytest.approx(opt)
        assert exact["return"] == pytest.approx(opt)
        greedy = play_greedy(env, seed)
        assert greedy["matching_weight"] == pytest.approx(greedy_matching(graph, w)[1])
        rand = play_random(env, seed)
        assert rand["matching_weight"] <= opt + 1e-9 and rand["graph_nodes"] == graph.num_nodes
        assert set(exact) >= {"matching_weight", "matching_size", "graph_nodes"}
        par = MaxMatchingParallelEnv(num_agents=3)
        par.reset(seed=seed)
        pg, pw = par.matching.graph, par.matching.weights.copy()
        out = play_greedy_parallel(par, seed)
        assert out["matching_weight"] == pytest.approx(greedy_matching(pg, pw)[1])
        assert out["return"] == pytest.approx(3 * out["matching_weight"])  # K x full team reward


# ---------------------------------------------------------------------------- reference ratio
def test_greedy_reference_ratio_of_the_players():
    env = MaxMatchingEnv(reference="greedy")
    exact_ratios = []
    for seed in range(8):
        greedy = play_greedy(env, seed)
        assert greedy["matching_ratio"] == 1.0
        exact = play_exact(env, seed)
        reference = greedy_matching(env.state.graph, env.state.weights)[1]  # recomputed here
        assert exact["reference_matching_weight"] == pytest.approx(reference, rel=1e-12)
        assert exact["matching_ratio"] == pytest.approx(
            exact["matching_weight"] / reference, rel=1e-12)
        assert exact["matching_ratio"] >= 1.0
        exact_ratios.append(exact["matching_ratio"])
    assert max(exact_ratios) > 1.0  # greedy is not optimal everywhere: not vacuous


def test_exact_reference_bounds_a_random_policy():
    env = MaxMatchingEnv(reference="exact")
    ratios = []
    for seed in range(10):
        info = record_episode(env, seed)[-1][-1]
        optimum = _nx_optimum(env.state.graph, env.state.weights)
        assert info["reference_matching_weight"] == pytest.approx(optimum, rel=1e-12)
        assert info["matching_ratio"] == pytest.approx(info["matching_weight"] / optimum,
                                                       rel=1e-12)
        assert info["matching_ratio"] <= 1 + 1e-9
        ratios.append(info["matching_ratio"])
        assert play_exact(env, seed)["matching_ratio"] == 1.0
    assert min(ratios) < 0.99  # random picks miss the optimum somewhere: not vacuous


def test_default_config_has_no_ratio():
    info = play_greedy(MaxMatchingEnv(), 0)
    assert "matching_weight" in info
    assert "matching_ratio" not in info and "reference_matching_weight" not in info
    info = play_greedy_parallel(MaxMatchingParallelEnv(), 0)
    assert "matching_weight" in info
    assert "matching_ratio" not in info and "reference_matching_weight" not in info


def test_parallel_reference_solved_once_and_given_to_every_agent(monkeypatch):
    calls = []

    def counting_greedy(graph, weights):
        calls.append(graph)
        return greedy_matching(graph, weights)

    monkeypatch.setattr(matching_solvers, "greedy_matching", counting_greedy)
    env = MaxMatchingParallelEnv(num_agents=3, reference="greedy")
    for seed in range(3):
        env.reset(seed=seed)
        graph, weights = env.matching.graph, env.matching.weights.copy()
        calls.clear()
        final = {}
        while env.agents:
            ids = greedy_order(graph, weights, env.matching.available)  # distinct, all valid
            actions = {a: int(ids[i] if i < len(ids) else ids[0])
                       for i, a in enumerate(env.agents)}
            _, _, _, _, infos = env.step(actions)
            final.update(infos)
        assert len(calls) == 1 and calls[0] is graph
        assert len(final) == 3
        for info in final.values():
            assert info["matching_ratio"] == 1.0  # the team built greedy's matching
            assert info["reference_matching_weight"] == greedy_matching(graph, weights)[1]
        assert final["agent_0"] == final["agent_2"] and final["agent_0"] is not final["agent_2"]


def test_zero_weight_reference_gives_ratio_one():
    state = MatchingState(PATH4, np.zeros(3, np.float32))
    state.pick(1)
    info = matching_solvers.episode_info(state, "exact")
    assert info["reference_matching_weight"] == 0.0 and info["matching_ratio"] == 1.0


# ---------------------------------------------------------------------------- local improvement
def test_improvement_re_pairs_a_matched_edge_that_greedy_cannot_undo():
    # path 0-1-2-3, the middle edge heaviest: greedy takes it (1.5); a-b + c-d weigh 2.
    w = np.array([1.0, 1.5, 1.0])
    ids, _ = greedy_matching(PATH4, w)
    assert ids.tolist() == [1]
    assert improve_matching(PATH4, w, ids).tolist() == [0, 2]


def test_improvement_keeps_a_valid_matching_between_greedy_and_the_optimum():
    raised = 0
    for graph, w in _random_weighted_graphs(60, seed=3):
        ids, greedy_weight = greedy_matching(graph, w)
        better = improve_matching(graph, w, ids)
        ends = np.concatenate([graph.edges[better, 0], graph.edges[better, 1]])
        assert len(np.unique(ends)) == len(ends)
        weight = float(np.asarray(w, np.float64)[better].sum())
        assert greedy_weight - 1e-6 <= weight <= exact_matching(graph, w)[1] + 1e-6
        raised += weight > greedy_weight + 1e-6
        # a second pass finds nothing more: the result is a local optimum
        assert improve_matching(graph, w, better).tolist() == better.tolist()
    assert raised > 10


def test_the_env_improves_a_finished_episode_and_recomputes_its_ratio():
    weighted = dataclasses.replace(PATH4, edge_weights=np.array([1.0, 1.5, 1.0]))
    env = MaxMatchingEnv(graphs=[weighted], edge_weights="graph", reference="exact")
    info = play_greedy(env, seed=0)
    assert info["matching_ratio"] == pytest.approx(0.75)
    improved = entry("matching").improver()(env, info)
    assert improved["matching_weight"] == pytest.approx(2.0)
    assert improved["matching_ratio"] == pytest.approx(1.0)
    assert improved["swapped_edges"] == 3 and improved["matching_size"] == 2.0
