"""``GraphEnv.step_many``: a sequence of actions applied as single steps, observed once.

It must equal stepping the same actions one at a time through ``step`` (those invalid at
their turn skipped, the episode's end ending the sequence): same final observation, summed
reward, termination, truncation and info, for every single-agent env. Also the incidence
table the MVC and matching transitions read, and their O(degree) updates.
"""

from __future__ import annotations

import numpy as np
import pytest

from envs.catalog import ENVS, entry
from envs.graphs import Graph
from envs.mvc import MinVertexCoverEnv
from tests.envs.episodes import assert_same

# step_many takes Discrete actions: the envs acting with a Box (one value per node) have none
SINGLES = sorted(name for name, e in ENVS.items()
                 if not e.multi_agent and e.make({}).action_space.shape == ())
SELECTION = {"mvc": {}, "matching": {}}


def one_at_a_time(env, actions) -> tuple:
    """The reference: ``env.step`` for each action, skipping those it refuses as invalid
    (mask mode refuses before anything changes), stopping at the episode's end."""
    total, last = 0.0, None
    for action in actions:
        try:
            obs, reward, terminated, truncated, info = env.step(int(action))
        except ValueError as err:
            assert "is invalid" in str(err)
            continue
        total += reward
        last = (obs, total, terminated, truncated, info)
        if terminated or truncated:
            break
    return last


def sequences(env, obs, rng) -> np.ndarray:
    """Some actions: valid ones of ``obs`` (some repeated) and, for moves, any slot."""
    if env.core.selection:
        valid = np.flatnonzero(obs["action_mask"])
        size = max(1, min(len(valid), int(rng.integers(1, 8))))
        picks = rng.choice(valid, size, replace=False)
        return np.concatenate([picks, rng.choice(picks, 2)])  # repeats: invalid at their turn
    return rng.integers(0, env.action_space.n, int(rng.integers(1, 6)))


@pytest.mark.parametrize("name", SINGLES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_step_many_equals_stepping_one_at_a_time(name, seed):
    make = entry(name).make
    batched, single = make({}), make({})
    obs, _ = batched.reset(seed=seed)
    single.reset(seed=seed)
    rng = np.random.default_rng(seed)
    done, calls = False, 0
    while not done:
        actions = sequences(batched, obs, rng)
        try:
            result = batched.step_many(actions)
        except ValueError as err:  # moves: none of them valid here
            assert "none of the" in str(err) and not batched.core.selection
            continue
        expected = one_at_a_time(single, actions)
        assert expected is not None
        assert_same(result, expected)
        obs, done, calls = result[0], result[2] or result[3], calls + 1
    assert calls >= 1 and batched.core.steps == single.core.steps


def test_the_episode_end_ends_the_sequence():
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    graph = Graph(5, edges, np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    env = MinVertexCoverEnv({"graphs": [graph], "max_steps": 2})
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step_many([0, 2, 4, 1])
    assert (terminated, truncated) == (False, True) and env.core.steps == 2
    assert reward == -4.0 and info["cover_size"] == 2 and info["uncovered_edges"] == 1
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step_many([1])
    env = MinVertexCoverEnv({"graphs": [graph]})
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step_many([1, 3, 0, 4])  # covered after 1 and 3
    assert terminated and reward == -6.0 and info["cover_size"] == 2


def test_penalty_mode_skips_invalid_actions_without_a_penalty():
    graph = Graph(3, np.array([[0, 1], [1, 2]]), np.array([1.0, 1.0, 1.0]))
    env = MinVertexCoverEnv({"graphs": [graph], "invalid_action": "penalty"})
    env.reset(seed=0)
    env.step_many([0])
    _, reward, terminated, _, info = env.step_many([0, 0, 2])
    assert terminated and reward == -1.0 and info["invalid_actions"] == 0


def test_bad_sequences_are_refused_with_one_line():
    env = MinVertexCoverEnv({"graphs": [Graph(3, np.array([[0, 1]]))]})
    with pytest.raises(RuntimeError, match="before reset"):
        env.step_many([0])
    env.reset(seed=0)
    n = env.action_space.n
    cases = [([], "actions must be a non-empty sequence of integers in"),
             ([0.0, 1.0], "got list of shape (2,) and dtype float64"),
             ([[0]], "got list of shape (1, 1)"),
             ([0, n], f"actions[1] {n} is outside the action space"),
             ([2, 2], "none of the 2 actions is valid now: action 2 is invalid: the node "
                      "touches no uncovered edge")]
    for actions, message in cases:
        with pytest.raises(ValueError) as err:
            env.step_many(actions)
        assert message in str(err.value) and "\n" not in str(err.value)
    assert env.core.steps == 0  # nothing changed


def test_incident_edges_are_the_edges_touching_the_nodes():
    rng = np.random.default_rng(0)
    pairs = {tuple(sorted(p)) for p in rng.integers(0, 30, (60, 2)) if p[0] != p[1]}
    graph = Graph(40, np.array(sorted(pairs)))  # nodes 30..39 isolated
    for nodes in ([0], [35], [3, 7, 3], list(range(40))):
        got = graph.incident_edges(np.array(nodes))
        want = np.concatenate([np.flatnonzero((graph.edges == v).any(axis=1)) for v in nodes])
        np.testing.assert_array_equal(np.sort(got), np.sort(want))
    assert graph.incident_edges(np.zeros(0, np.int64)).size == 0


@pytest.mark.parametrize("name", sorted(SELECTION))
def test_incremental_state_equals_recomputing_it(name):
    env = entry(name).make({})
    obs, _ = env.reset(seed=5)
    rng = np.random.default_rng(5)
    done = False
    while not done:
        obs, _, terminated, truncated, _ = env.step_many(sequences(env, obs, rng))
        done = terminated or truncated
        if name == "matching":
            m = env.matching
            np.testing.assert_array_equal(m.available, ~(m.matched[m.u] | m.matched[m.v]))
            assert m.num_available == m.available.sum()
        else:
            c = env.cover_state
            uncovered = ~(c.in_cover[c.edges[:, 0]] | c.in_cover[c.edges[:, 1]])
            np.testing.assert_array_equal(c.uncovered, uncovered)
            np.testing.assert_array_equal(c.uncovered_degree, np.bincount(
                c.edges[uncovered].ravel(), minlength=c.num_nodes))
            weight = np.bincount(c.edges[uncovered, 0], c.weights[c.edges[uncovered, 1]],
                                 c.num_nodes) + np.bincount(
                c.edges[uncovered, 1], c.weights[c.edges[uncovered, 0]], c.num_nodes)
            np.testing.assert_allclose(c.neighbour_weight, weight, atol=1e-12)
            assert (c.neighbour_weight[c.uncovered_degree == 0] == 0).all()
