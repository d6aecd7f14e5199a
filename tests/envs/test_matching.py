"""Maximum weighted matching env (single- and multi-agent) and its baselines."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from envs.graphs import Graph, GraphDistribution, sample_graphs
from envs.matching import (
    MaxMatchingEnv,
    MaxMatchingParallelEnv,
)
from tests.envs.episodes import (
    assert_no_global_state,
    assert_replays,
    assert_same,
    assert_single_agent_state_view,
    bad_graphs_configs,
    check_single_env,
    record_episode,
    record_parallel_episode,
    shared_graph_states,
)

PATH4 = Graph(4, np.array([[0, 1], [1, 2], [2, 3]], np.int64))          # 0-1-2-3
PATH3_AND_EDGE = Graph(5, np.array([[0, 1], [1, 2], [3, 4]], np.int64))  # 0-1-2, 3-4
TRIANGLE_TAIL = Graph(5, np.array([[0, 1], [0, 2], [1, 2], [2, 3], [3, 4]], np.int64))


def _random_weighted_graphs(count: int, seed: int, p: float = 0.3):
    """Seeded ER graphs of 6..14 nodes with U[0,1) edge weights (edgeless ones dropped)."""
    dist = GraphDistribution("erdos_renyi", (6, 9, 12, 14), {"p": p}, "unit")
    rng = np.random.default_rng(seed + 1)
    out = []
    for g in sample_graphs(dist, count, seed):
        if g.num_edges:
            out.append((g, rng.random(g.num_edges).astype(np.float32)))
    return out


def _nx_optimum(graph: Graph, weights: np.ndarray) -> float:
    """networkx's maximum weight, computed independently of the baseline."""
    g = nx.Graph()
    for (u, v), w in zip(graph.edges.tolist(), weights.tolist()):
        g.add_edge(u, v, weight=w)
    pairs = nx.max_weight_matching(g, maxcardinality=False)
    return sum(g[a][b]["weight"] for a, b in pairs)


def _sequential_greedy(graph: Graph, weights: np.ndarray) -> list[int]:
    """Reference greedy: a plain loop over edges by weight descending, ties to the lower id."""
    matched, out = set(), []
    for k in sorted(range(graph.num_edges), key=lambda k: (-float(weights[k]), k)):
        u, v = graph.edges[k].tolist()
        if u not in matched and v not in matched:
            matched |= {u, v}
            out.append(k)
    return out


# ---------------------------------------------------------------------------- API checks
def test_check_env_penalty_mode():
    check_single_env(MaxMatchingEnv(invalid_action="penalty"))


def test_check_env_mask_mode_every_slot_valid_after_reset():
    # check_env steps one UNMASKED action_space.sample() after a reset, so use one fixed graph
    # with max_edges exactly 2M: right after reset every directed slot is a valid pick.
    env = MaxMatchingEnv(graphs=[TRIANGLE_TAIL], max_edges=2 * TRIANGLE_TAIL.num_edges)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].all()
    check_single_env(env)


def test_parallel_api():
    parallel_api_test(MaxMatchingParallelEnv(num_agents=3), num_cycles=50)
    parallel_api_test(MaxMatchingParallelEnv(num_agents=2, invalid_action="penalty"),
                      num_cycles=50)
    parallel_api_test(MaxMatchingParallelEnv(num_agents=2, global_state=False), num_cycles=50)


def test_obs_layout_and_features():
    env = MaxMatchingEnv()
    obs, _ = env.reset(seed=3)
    st = env.state
    n, m = st.num_nodes, st.num_edges
    assert obs["x"].shape == (20, 4) and obs["edge_attr"].shape == (env.settings.max_edges, 2)
    assert obs in env.observation_space
    assert np.array_equal(obs["edge_index"][:, :2 * m], np.concatenate(
        [st.graph.edges.T, st.graph.edges[:, ::-1].T], axis=1))
    assert obs["edge_mask"].sum() == 2 * m and obs["node_mask"].sum() == n
    w = obs["edge_attr"][:m, 0]
    assert np.array_equal(w, obs["edge_attr"][m:2 * m, 0]) and ((w >= 0) & (w < 1)).all()
    assert len(np.unique(w)) > 1                                   # uniform, not unit
    # pick some edge, then check every feature against a plain loop
    env.step(int(np.argmax(w)))
    obs, *_ = env.step(int(np.flatnonzero(env.state.slot_mask())[-1]))   # a reverse slot
    st = env.state
    for node in range(n):
        matched = node in {int(x) for k in st.chosen for x in st.graph.edges[k]}
        inc = [k for k, (a, b) in enumerate(st.graph.edges.tolist())
               if node in (a, b) and st.available[k]]
        assert obs["x"][node, 0] == float(matched)
        assert obs["x"][node, 1] == pytest.approx(np.log1p(len(inc)))
        assert obs["x"][node, 2] == pytest.approx(np.log1p(sum(float(st.weights[k]) for k in inc)))
        assert obs["x"][node, 3] == pytest.approx(max((float(st.weights[k]) for k in inc),
                                                      default=0.0))
    for k, (a, b) in enumerate(st.graph.edges.tolist()):
        free = not obs["x"][a, 0] and not obs["x"][b, 0]
        assert obs["edge_attr"][k, 1] == obs["edge_attr"][m + k, 1] == float(free)
        assert obs["action_mask"][k] == obs["action_mask"][m + k] == int(free)
    assert not obs["x"][n:].any() and not obs["action_mask"][2 * m:].any()


# ---------------------------------------------------------------------------- dynamics
def test_edges_touching_matched_nodes_become_masked():
    env = MaxMatchingEnv(graphs=[TRIANGLE_TAIL], edge_weights="unit")
    obs, _ = env.reset(seed=0)
    m = TRIANGLE_TAIL.num_edges
    obs, reward, term, trunc, info = env.step(1)                   # edge (0, 2)
    assert reward == 1.0 and not term and not trunc and info == {}
    # (0,1), (0,2), (1,2), (2,3) touch 0 or 2; only (3,4) is left
    assert obs["action_mask"][:2 * m].tolist() == [0, 0, 0, 0, 1] * 2
    assert obs["x"][:5, 0].tolist() == [1, 0, 1, 0, 0]
    with pytest.raises(ValueError, match=r"action 3 is invalid.*touches .*matched node\(s\) 2"):
        env.step(3)
    obs, reward, term, trunc, info = env.step(m + 4)               # (4, 3): reverse slot
    assert term and not trunc and reward == 1.0
    assert info == {"matching_weight": 2.0, "matching_size": 2.0, "invalid_actions": 0,
                    "graph_nodes": 5}
    assert obs["action_mask"].sum() == 1                           # terminal: slot 0 marked


def test_reverse_slot_has_same_effect_as_forward_slot():
    for k in range(TRIANGLE_TAIL.num_edges):
        a, b = MaxMatchingEnv(graphs=[TRIANGLE_TAIL]), MaxMatchingEnv(graphs=[TRIANGLE_TAIL])
        a.reset(seed=7)
        b.reset(seed=7)
        out_a = a.step(k)
        out_b = b.step(TRIANGLE_TAIL.num_edges + k)
        assert_same(out_a, out_b)
        assert out_a[1] == pytest.approx(float(a.state.weights[k])) and out_a[1] > 0
        assert a.state.chosen == b.state.chosen == [k]


def test_mask_mode_rejects_masked_and_padding_actions():
    # (3, 4) stays available after (1, 2) is picked: the episode goes on, and a masked
    # pick is refused as invalid (stepping an ended episode is refused before that)
    env = MaxMatchingEnv(graphs=[PATH3_AND_EDGE], max_edges=10)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action 6 is invalid: it is a padding slot"):
        env.step(6)
    with pytest.raises(ValueError, match=r"outside Discrete\(10\)"):
        env.step(10)
    env.step(1)                                                    # (1, 2)
    with pytest.raises(ValueError, match=r"action 3 is invalid: edge 0 \(0, 1\) touches"):
        env.step(3)
    assert env.state.chosen == [1]                                 # state unchanged


def test_penalty_mode_penalises_and_truncates():
    env = MaxMatchingEnv(graphs=[PATH4], max_edges=10, invalid_action="penalty",
                         invalid_penalty=-0.5)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1] * 6 + [0] * 4
    obs, reward, term, trunc, _ = env.step(3)                      # valid: (1, 0), reversed
    assert reward == pytest.approx(float(env.state.weights[0])) and not term
    assert obs["action_mask"].tolist() == [1] * 6 + [0] * 4        # all real slots valid
    before = obs
    for step in range(2, 5):                                       # invalid x3 (n = 4 steps)
        obs, reward, term, trunc, info = env.step(1 if step % 2 else 8)
        assert reward == -0.5 and not term
        assert_same(obs["x"], before["x"])
        assert_same(obs["edge_attr"], before["edge_attr"])
        assert trunc == (step == 4)
    assert info["matching_size"] == 1.0 and info["graph_nodes"] == 4
    assert info["invalid_actions"] == 3
    assert info["matching_weight"] == pytest.approx(float(env.state.weights[0]))


def test_edgeless_graph_raises_at_reset():
    env = MaxMatchingEnv(graphs=[Graph(6, np.zeros((0, 2), np.int64))], max_edges=4)
    with pytest.raises(ValueError, match=r"6 nodes and no edges"):
        env.reset(seed=0)


def test_same_seed_same_episode_different_seed_differs():
    # fresh envs and seeded resets of a used env replay the same episode
    assert_replays(MaxMatchingEnv, seed=11, other_seed=12)
    # unseeded resets move on
    env1 = MaxMatchingEnv()
    record_episode(env1, 11)
    env1.reset()
    assert env1.state.graph.num_edges != 0


def test_fixed_list_seed_picks_graph_seed_mod_len_and_unseeded_resets_sample():
    graphs = [PATH4, TRIANGLE_TAIL]
    env = MaxMatchingEnv(graphs=graphs)
    for seed in (0, 1, 2, 3):
        env.reset(seed=seed)
        assert env.state.graph is graphs[seed % 2]
    seen = set()
    for _ in range(20):
        env.reset()
        seen.add(id(env.state.graph))
    assert seen == {id(g) for g in graphs}


# ---------------------------------------------------------------------------- multi-agent
def test_parallel_void_rule_and_team_reward():
    env = MaxMatchingParallelEnv(graphs=[PATH4], max_edges=6, num_agents=2)
    env.reset(seed=0)
    w = env.matching.weights.astype(float)
    # agent_0 takes (0,1); agent_1's (1,2) shares node 1 -> void, no penalty
    obs, rew, terms, truncs, infos = env.step({"agent_0": 0, "agent_1": 1})
    assert env.matching.chosen == [0]
    assert rew == {"agent_0": pytest.approx(w[0]), "agent_1": pytest.approx(w[0])}  # full team
    assert not any(terms.values()) and env.agents == ["agent_0", "agent_1"]
    # both pick (2,3), one by the reverse slot: the second is void; episode ends for all
    obs, rew, terms, truncs, infos = env.step({"agent_0": 5, "agent_1": 2})
    assert env.matching.chosen == [0, 2] and all(terms.values()) and not any(truncs.values())
    assert sum(rew.values()) == pytest.approx(2 * w[2])
    assert infos["agent_1"]["matching_weight"] == pytest.approx(w[0] + w[2])
    assert infos["agent_0"]["matching_size"] == 2.0 and env.agents == []


def test_parallel_masked_pick_raises_and_penalty_mode():
    env = MaxMatchingParallelEnv(graphs=[PATH4], max_edges=6, num_agents=2)
    env.reset(seed=0)
    env.step({"agent_0": 0, "agent_1": 0})                         # (0,1); agent_1 void
    with pytest.raises(ValueError, match=r"agent_1's action 4 is invalid"):
        env.step({"agent_0": 2, "agent_1": 4})
    assert env.matching.chosen == [0]                              # nothing applied
    pen = MaxMatchingParallelEnv(graphs=[PATH4], max_edges=6, num_agents=2,
                                 invalid_action="penalty", invalid_penalty=-2.0)
    pen.reset(seed=0)
    pen.step({"agent_0": 0, "agent_1": 3})                         # (0,1); agent_1 void
    _, rew, terms, truncs, _ = pen.step({"agent_0": 1, "agent_1": 4})
    assert rew == {"agent_0": -2.0, "agent_1": -2.0} and not any(terms.values())
    for _ in range(2):                                             # n = 4 steps in all
        _, rew, terms, truncs, infos = pen.step({"agent_0": 1, "agent_1": 0})
    assert all(truncs.values()) and not any(terms.values()) and pen.agents == []
    assert infos["agent_0"]["matching_size"] == 1.0 and infos["agent_1"]["invalid_actions"] == 6


def test_parallel_same_seed_same_episode():
    assert_replays(lambda: MaxMatchingParallelEnv(num_agents=3), seed=5, other_seed=6,
                   record=record_parallel_episode)
    e1 = MaxMatchingParallelEnv(num_agents=3)
    record_parallel_episode(e1, 5)
    assert e1.observation_space("agent_0") is e1.observation_space("agent_2")


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize("cls", [MaxMatchingEnv, MaxMatchingParallelEnv])
@pytest.mark.parametrize("kwargs, key", [
    *bad_graphs_configs("erdos_renyi"),
    ({"colour": 1}, "colour"),
    ({"edge_weights": "gaussian"}, "edge_weights"),
    ({"invalid_action": "ignore"}, "invalid_action"),
    ({"max_steps": 0}, "max_steps"),
    ({"reference": "bogus"}, r"reference must be one of \['none', 'greedy', 'exact'\]"),
    ({"global_state": "on"}, "global_state"),
    ({"graphs": [TRIANGLE_TAIL], "max_nodes": 4}, "max_nodes"),
    ({"graphs": [TRIANGLE_TAIL], "max_edges": 9}, "max_edges"),
    ({"max_nodes": 12}, "max_nodes"),
])
def test_bad_config_names_key(cls, kwargs, key):
    with pytest.raises(ValueError, match=key):
        cls(kwargs)


def test_graph_over_max_edges_at_reset():
    env = MaxMatchingEnv(graphs={"generator": "erdos_renyi", "sizes": [12], "params": {"p": 0.9}},
                         max_edges=20)
    with pytest.raises(ValueError, match="max_edges=20"):
        env.reset(seed=0)


def test_more_agents_than_nodes():
    with pytest.raises(ValueError, match="num_agents=5"):
        MaxMatchingParallelEnv(graphs=[PATH4], num_agents=5)
    with pytest.raises(ValueError, match="num_agents"):
        MaxMatchingParallelEnv(num_agents=0)
    assert MaxMatchingParallelEnv(graphs=[PATH4], num_agents=4).possible_agents[-1] == "agent_3"


# ---------------------------------------------------------------------------- global state (CTDE)
def test_global_state_is_the_shared_full_view():
    env = MaxMatchingParallelEnv(num_agents=3)
    for state in shared_graph_states(env, seed=0):
        m = env.matching.num_edges
        np.testing.assert_array_equal(state["edge_attr"][:m, 1], env.matching.available)


def test_global_state_off_and_single_agent_form():
    assert_no_global_state(MaxMatchingParallelEnv(global_state=False), MaxMatchingEnv())
    single = MaxMatchingEnv(global_state=True, invalid_action="penalty")
    assert_single_agent_state_view(single)
