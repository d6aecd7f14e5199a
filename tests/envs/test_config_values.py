"""Generator parameters and reward values are checked when the env is built, one line each,
instead of failing in networkx at reset or building another graph than asked for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from envs.graphs import GraphDistribution, sample_graphs
from envs.matching import MaxMatchingEnv, MaxMatchingParallelEnv
from envs.mvc import MinVertexCoverEnv, MinVertexCoverParallelEnv
from envs.navigation import NavigationEnv, NavigationParallelEnv
from envs.patrolling import PatrollingEnv, PatrollingParallelEnv

ENVS = (MinVertexCoverEnv, MinVertexCoverParallelEnv, MaxMatchingEnv, MaxMatchingParallelEnv,
        NavigationEnv, NavigationParallelEnv, PatrollingEnv, PatrollingParallelEnv)


@pytest.mark.parametrize("graphs, match", [
    ({"generator": "watts_strogatz", "sizes": [10], "params": {"k": 3}},
     r"params.k must be even .*networkx would silently use k=2"),
    ({"generator": "watts_strogatz", "sizes": [5, 10], "params": {"k": 6}},
     r"params.k must be < every size .*k=6 with sizes \[5, 10\]"),
    ({"generator": "watts_strogatz", "sizes": [4]}, r"params.k must be < every size.*k=4"),
    ({"generator": "watts_strogatz", "params": {"p": 1.5}}, r"params.p must be in \[0.0, 1.0\]"),
    ({"generator": "erdos_renyi", "params": {"p": -0.1}}, r"params.p must be in"),
    ({"generator": "erdos_renyi", "params": {"p": math.nan}}, r"params.p must be a finite"),
    ({"generator": "barabasi_albert", "sizes": [5], "params": {"m": 5}},
     r"params.m must be < every size"),
    ({"generator": "barabasi_albert", "sizes": [2]}, r"params.m must be < every size.*m=2"),
    ({"generator": "barabasi_albert", "params": {"m": 0}}, r"params.m must be an integer >= 1"),
    ({"generator": "random_geometric", "params": {"radius": -1}}, r"params.radius must be > 0"),
    ({"generator": "random_geometric", "params": {"radius": 0}}, r"params.radius must be > 0"),
    ({"generator": "random_geometric", "params": {"radius": math.inf}},
     r"params.radius must be a finite number"),
    ({"generator": "grid", "params": {"rows": 3}}, r"params.rows needs params.cols too"),
    ({"generator": "grid", "params": {"cols": 3}}, r"params.cols needs params.rows too"),
    ({"generator": "grid", "sizes": [10], "params": {"rows": 2, "cols": 7}},
     r"sizes must be \[14\] with params rows=2, cols=7"),
    ({"generator": "grid", "params": {"removed": 1.0}}, r"params.removed must be in \[0, 1\)"),
    ({"generator": "grid", "params": {"removed": -0.5}}, r"params.removed must be in"),
    ({"generator": "grid", "params": {"rows": 2.0, "cols": 2}}, r"params.rows must be an integer"),
    ({"generator": "grid", "params": "rows"}, r"params must be a dict"),
])
def test_bad_generator_parameters_are_refused_at_config_time(graphs, match):
    with pytest.raises(ValueError, match=match):
        GraphDistribution.from_config(graphs)
    with pytest.raises(ValueError, match=match):
        PatrollingEnv({"graphs": graphs})  # building the env, not a reset, refuses it


@pytest.mark.parametrize("graphs", [
    {"generator": "watts_strogatz", "sizes": [3], "params": {"k": 2, "p": 1.0}},
    {"generator": "barabasi_albert", "sizes": [2], "params": {"m": 1}},
    {"generator": "grid", "params": {"rows": 2, "cols": 3, "removed": 0.0}},
    {"generator": "random_geometric", "sizes": [8], "params": {"radius": 2.0}},
    {"generator": "erdos_renyi", "sizes": [6], "params": {"p": 0.0}},
])
def test_boundary_parameters_build_the_graphs_asked_for(graphs):
    dist = GraphDistribution.from_config(graphs)
    for g in sample_graphs(dist, 3, seed=0):
        assert g.num_nodes == dist.sizes[0]
    if dist.generator == "watts_strogatz":
        assert all(g.degrees().sum() == 2 * 3 for g in sample_graphs(dist, 3, seed=1))


@pytest.mark.parametrize("env_class", ENVS)
@pytest.mark.parametrize("value", [0.5, math.inf, -math.inf, math.nan])
def test_invalid_penalty_must_be_a_finite_penalty_for_every_env(env_class, value):
    with pytest.raises(ValueError, match="invalid_penalty must be"):
        env_class({"invalid_action": "penalty", "invalid_penalty": value})


@pytest.mark.parametrize("env_class", ENVS)
def test_a_zero_penalty_is_allowed(env_class):
    env = env_class({"invalid_action": "penalty", "invalid_penalty": 0.0})
    assert env.settings.invalid_penalty == 0.0


@pytest.mark.parametrize("env_class", [NavigationEnv, NavigationParallelEnv])
@pytest.mark.parametrize("key", ["goal_reward", "stay_cost"])
@pytest.mark.parametrize("value", [math.inf, math.nan, -1.0])
def test_navigation_rewards_must_be_finite_and_non_negative(env_class, key, value):
    with pytest.raises(ValueError, match=key):
        env_class({key: value})


def test_other_float_settings_refuse_non_finite_values():
    with pytest.raises(ValueError, match=r"attrition.prob must be a finite number, got nan"):
        PatrollingParallelEnv({"attrition": {"prob": math.nan}})
    with pytest.raises(ValueError, match=r"params.p must be a finite number, got .*inf"):
        GraphDistribution("erdos_renyi", (5,), {"p": np.float64(np.inf)})
