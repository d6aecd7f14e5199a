"""Multi-pick decoding (``rllib_gnn.nn.decoding``) on small untrained, seeded modules.

Every decoding gives a valid solution (a cover covers every edge, a matching is a maximal
matching) on graphs with isolated nodes, one edge, or several components; one-at-a-time
decoding plays exactly the actions of ``play_episode``; a bad decoding or an env it cannot
play is one ``ValueError`` line.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rllib_gnn
from envs.catalog import entry
from envs.graphs import Graph
from envs.matching import MaxMatchingEnv
from envs.mvc import MinVertexCoverEnv
from rllib_gnn.nn.decoding import Decoding, check_decodable, decode_episode
from rllib_gnn.nn.inference import play_episode
from rllib_gnn.nn.module import GraphRLModule
from tests.module.conftest import tiny_config

SETTINGS = [Decoding(), *(Decoding(top_fraction=f) for f in (0.01, 0.1, 0.5, 1.0)),
            *(Decoding(prob_ratio=r) for r in (0.01, 0.5, 0.9, 1.0))]


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def graph(n: int, edges: list[tuple[int, int]], seed: int = 0) -> Graph:
    weights = np.random.default_rng(seed).random(n)
    return Graph(n, np.array(edges, np.int64).reshape(-1, 2), weights)


def ws(n: int, seed: int) -> Graph:
    from envs.graphs import GraphDistribution, sample_graphs

    return sample_graphs(GraphDistribution("watts_strogatz", (n,), {"k": 4, "p": 0.3},
                                           "uniform"), 1, seed)[0]


GRAPHS = {
    "isolated nodes": graph(7, [(0, 1), (1, 2), (2, 0)]),  # 3..6 touch nothing
    "one edge": graph(2, [(0, 1)]),
    "components": graph(12, [(0, 1), (1, 2), (2, 0), (3, 4), (5, 6), (6, 7), (7, 8),
                             (8, 5), (5, 7)]),  # a triangle, an edge, a K4 minus one; 9..11 alone
    "watts-strogatz": ws(40, seed=3),
}


def module_for(env, head: str, seed: int = 0) -> GraphRLModule:
    """An untrained module for ``env``'s spaces, its weights drawn from ``seed``."""
    key = (env.observation_space["x"].shape, env.action_space.n, head, seed)
    if key not in MODULES:
        torch.manual_seed(seed)
        MODULES[key] = GraphRLModule(observation_space=env.observation_space,
                                     action_space=env.action_space,
                                     model_config=tiny_config(encoder="sage", head=head)).eval()
    return MODULES[key]


MODULES: dict[tuple, GraphRLModule] = {}


def cover_env(g: Graph, **config) -> MinVertexCoverEnv:
    return MinVertexCoverEnv({"graphs": [g], **config})


def matching_env(g: Graph) -> MaxMatchingEnv:
    return MaxMatchingEnv({"graphs": [g]})


# ---------------------------------------------------------------------------- picks
def test_picks_rank_the_valid_actions_by_logit_ties_to_the_lower_id():
    logits = np.array([0.0, 3.0, 1.0, 3.0, 2.5, -1e30], np.float32)
    valid = np.array([True, True, True, True, False, False])
    assert Decoding().picks(1, logits, valid).tolist() == [1]
    assert Decoding(top_fraction=0.5).picks(1, logits, valid).tolist() == [1, 3]
    assert Decoding(top_fraction=0.75).picks(1, logits, valid).tolist() == [1, 3, 2]
    assert Decoding(top_fraction=0.01).picks(1, logits, valid).tolist() == [1]  # at least one
    assert Decoding(top_fraction=1.0).picks(1, logits, valid).tolist() == [1, 3, 2, 0]
    assert Decoding(prob_ratio=1.0).picks(1, logits, valid).tolist() == [1, 3]  # ties only
    assert Decoding(prob_ratio=math.exp(-2.5)).picks(1, logits, valid).tolist() == [1, 3, 2]
    # 4 (logit 2.5) is masked: never picked, however close to the best
    assert 4 not in Decoding(prob_ratio=0.01).picks(1, logits, valid).tolist()


def test_top_fraction_takes_the_ceiling_of_f_times_the_valid_actions():
    logits = np.arange(30, dtype=np.float32)[::-1].copy()
    valid = np.ones(30, bool)
    assert len(Decoding(top_fraction=0.1).picks(0, logits, valid)) == 3  # 0.1 x 30 = 3.0000...04
    assert len(Decoding(top_fraction=0.11).picks(0, logits, valid)) == 4


# ---------------------------------------------------------------------------- validity
@pytest.mark.parametrize("decoding", SETTINGS, ids=lambda d: d.label())
@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("mask_useless", [True, False])
def test_every_decoding_covers_every_edge(decoding, name, mask_useless):
    g = GRAPHS[name]
    env = cover_env(g, mask_useless=mask_useless)
    info = decode_episode(module_for(env, "node"), env, decoding, seed=0)
    chosen = env.in_cover
    assert (chosen[g.edges[:, 0]] | chosen[g.edges[:, 1]]).all(), "an edge is uncovered"
    assert info["uncovered_edges"] == 0 and info["cover_size"] == chosen.sum()
    assert info["cover_weight"] == pytest.approx(g.weights[chosen].sum())
    assert info["return"] == pytest.approx(-info["cover_weight"])
    assert 1 <= info["forward_passes"] <= info["length"] == chosen.sum()


@pytest.mark.parametrize("decoding", SETTINGS, ids=lambda d: d.label())
@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("head", ["edge", "two_stage_edge"])
def test_every_decoding_gives_a_maximal_matching(decoding, name, head):
    g = GRAPHS[name]
    env = matching_env(g)
    info = decode_episode(module_for(env, head), env, decoding, seed=0)
    m = env.matching
    ends = g.edges[m.chosen].ravel()
    assert len(np.unique(ends)) == len(ends), "two chosen edges share a node"
    matched = np.zeros(g.num_nodes, bool)
    matched[ends] = True
    assert (matched[g.edges[:, 0]] | matched[g.edges[:, 1]]).all(), "an edge could be added"
    assert info["matching_weight"] == pytest.approx(m.weights[m.chosen].sum())
    assert info["matching_size"] == len(m.chosen) == info["length"]


def test_multi_pick_decoding_needs_fewer_forward_passes():
    env = cover_env(ws(200, seed=1))
    module = module_for(env, "node")
    one = decode_episode(module, env, Decoding(), seed=0)
    many = decode_episode(module, env, Decoding(top_fraction=0.2), seed=0)
    assert one["forward_passes"] == one["length"] > 50
    assert many["forward_passes"] < one["forward_passes"] / 4
    assert many["uncovered_edges"] == 0


# ---------------------------------------------------------------------------- one at a time
def recorded(env, method: str) -> list:
    """Wrap ``env.<method>`` so that every call's actions are appended to the list returned."""
    calls, real = [], getattr(env, method)

    def wrapper(actions):
        calls.append(np.atleast_1d(actions).tolist())
        return real(actions)
    setattr(env, method, wrapper)
    return calls


@pytest.mark.parametrize("make, head", [(cover_env, "node"), (matching_env, "edge"),
                                        (matching_env, "two_stage_edge")])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_at_a_time_decoding_plays_the_actions_of_play_episode(make, head, seed):
    g = ws(30, seed)
    env_play, env_decode = make(g), make(g)
    module = module_for(env_play, head, seed)
    stepped, committed = recorded(env_play, "step"), recorded(env_decode, "step_many")
    expected = play_episode(env_play, lambda *_: module, seed=seed)
    got = decode_episode(module, env_decode, Decoding(), seed=seed)
    assert committed == stepped and len(stepped) > 5  # action by action, one per pass
    assert got.pop("forward_passes") == len(stepped)
    assert got == expected  # the same final info, return and length, float for float


# ---------------------------------------------------------------------------- refusals
def test_decodings_that_cannot_be_are_one_line_value_errors():
    cases = [({"top_fraction": 0}, "decoding.top_fraction must be a number in (0, 1], got 0"),
             ({"prob_ratio": 1.5}, "decoding.prob_ratio must be a number in (0, 1], got 1.5"),
             ({"prob_ratio": True}, "decoding.prob_ratio must be a number in (0, 1], got True"),
             ({"top_fraction": "0.1"}, "must be a number in (0, 1], got '0.1'"),
             ({"top_k": 3}, "unknown decoding key(s) ['top_k']; allowed: ['prob_ratio', "
                            "'top_fraction']"),
             ({"top_fraction": 0.1, "prob_ratio": 0.5}, "decoding takes one of"),
             ([0.1], "decoding must be a mapping")]
    for config, message in cases:
        with pytest.raises(ValueError) as err:
            Decoding.parse(config)
        assert message in str(err.value) and "\n" not in str(err.value)
    assert Decoding.parse(None) == Decoding.parse({}) == Decoding()
    assert Decoding.parse({"top_fraction": 0.1}).to_dict() == {"top_fraction": 0.1}
    assert rllib_gnn.Decoding is Decoding and rllib_gnn.decode_episode is decode_episode


def test_envs_decoding_cannot_play_are_refused():
    many = Decoding(top_fraction=0.1)
    penalty = cover_env(GRAPHS["one edge"], invalid_action="penalty")
    with pytest.raises(ValueError, match="invalid_action='penalty'"):
        check_decodable(penalty, Decoding())
    with pytest.raises(ValueError, match="MinVertexCoverParallelEnv is a team env"):
        check_decodable(entry("mvc-multi").make({}), Decoding())
    nav = entry("nav").make({})
    check_decodable(nav, Decoding())  # one action per pass plays any single-agent env
    with pytest.raises(ValueError, match="NavigationEnv's actions follow from the one before"):
        check_decodable(nav, many)
    with pytest.raises(ValueError, match="a tour's next city"):
        check_decodable(entry("tsp").make({}), many)
    with pytest.raises(ValueError, match="team env"):
        decode_episode(None, entry("matching-multi").make({}), many)
