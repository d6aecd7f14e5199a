"""The patrolling heuristics (greedy idleness, local and independent greedy, random walk)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.patrolling import (
    PatrollingEnv,
    PatrollingParallelEnv,
    play_greedy_idleness,
    play_greedy_idleness_single,
    play_independent_greedy,
    play_local_greedy,
    play_random_walk,
    play_random_walk_single,
)
from envs.patrolling.baselines import _greedy_choices, greedy_slot, local_greedy_slot

POLICY_SEED = 99  # the random policy's seed in the determinism tests
from tests.envs.test_patrolling import cycle_graph


# ---------------------------------------------------------------------------- baselines
def _reference_greedy(core, order) -> dict[int, int]:
    """Greedy targets recomputed with networkx and plain Python (the spec, literally)."""
    g = core.graph.to_networkx()
    claimed, out = set(), {}
    for i in order:
        v = int(core.positions[i])
        nbrs = sorted(g.neighbors(v))
        if not nbrs:
            out[i] = v
            continue
        seen = core.seen_idleness(i)
        free = [u for u in nbrs if u not in claimed] or nbrs
        best = max(free, key=lambda u: (seen[u], -u))
        claimed.add(best)
        out[i] = best
    return out


def test_greedy_choice_matches_networkx_reference():
    env = PatrollingParallelEnv(num_agents=4, max_steps=40, observation_radius=1)
    env.reset(seed=3)
    core = env.core
    while env.agents:
        order = [env._index[a] for a in env.agents]
        slots = _greedy_choices(core, order)
        targets = {i: int(core.neighbours[core.positions[i], s]) for i, s in slots.items()}
        assert targets == _reference_greedy(core, order)
        env.step({a: slots[env._index[a]] for a in env.agents})


def _slot_from_observation(obs: dict) -> int:
    """Local greedy recomputed from one agent's observation dict alone."""
    deg = int(obs["action_mask"].sum()) - 1
    if not deg:
        return 0
    x, (src, dst) = obs["x"], obs["edge_index"][:, obs["edge_mask"].astype(bool)]
    claimed = set()
    for node in np.flatnonzero(x[:, 6]):  # nodes with lower-index teammates in view
        nbrs = sorted(dst[src == node])
        ranked = sorted(nbrs, key=lambda u: (-x[u, 0], u))
        claimed.update(ranked[: int(x[node, 6])])
    mine = list(obs["neighbours"][1: deg + 1])
    free = [u for u in mine if u not in claimed] or mine
    best = max(free, key=lambda u: (x[u, 0], -u))
    return mine.index(best) + 1


def _pair_up(env: PatrollingParallelEnv) -> dict:
    """On cycle_graph(12) from start nodes 3, 4, 8, 9: agents 1 and 3 step onto agents 0
    and 2, who stay; the observations after that step."""
    env.reset(seed=0, options={"start_nodes": [3, 4, 8, 9]})
    obs, *_ = env.step({"agent_0": 0, "agent_1": 1, "agent_2": 0, "agent_3": 1})
    assert env.core.positions.tolist() == [3, 3, 8, 8]
    return obs


@pytest.mark.parametrize("paired", [False, True])
def test_local_greedy_acts_on_its_own_observation_alone(paired):
    config = {"num_agents": 4, "max_steps": 40, "observation_radius": 1,
              "attrition": {"prob": 0.05, "min_agents": 1}}
    if paired:
        env = PatrollingParallelEnv(graphs=[cycle_graph(12)], **config)
        obs = _pair_up(env)
    else:
        env = PatrollingParallelEnv(**config)
        obs, _ = env.reset(seed=5)
    while env.agents:
        slots = {a: local_greedy_slot(env.core, env._index[a]) for a in env.agents}
        assert slots == {a: _slot_from_observation(obs[a]) for a in env.agents}
        obs, *_ = env.step(slots)
    assert env.core.t == 40


def test_local_greedy_fans_out_agents_that_share_a_node():
    env = PatrollingParallelEnv(graphs=[cycle_graph(12)], num_agents=4, max_steps=12,
                                observation_radius=None)
    _pair_up(env)
    targets = [int(env.core.neighbours[env.core.positions[i], local_greedy_slot(env.core, i)])
               for i in range(4)]
    # each pair has identical knowledge, so plain greedy without claims would send both
    # the same way; the rank splits them
    assert sorted(targets[:2]) == [2, 4] and sorted(targets[2:]) == [7, 9]


def test_independent_greedy_moves_agents_that_share_a_node_as_one():
    env = PatrollingParallelEnv(graphs=[cycle_graph(12)], num_agents=4, max_steps=12,
                                observation_radius=None)
    _pair_up(env)
    unclaimed = np.zeros(env.core.n, bool)
    for _ in range(5):
        env.step({a: greedy_slot(env.core, env._index[a], unclaimed) for a in env.agents})
        positions = env.core.positions
        assert positions[0] == positions[1] and positions[2] == positions[3]


def test_local_greedy_leaves_the_node_between_to_the_lower_index_agent():
    # cycle 0..11, agents at 3 and 5; node 4 (between them) is the most idle node both see
    env = PatrollingParallelEnv(graphs=[cycle_graph(12)], num_agents=2, max_steps=12,
                                observation_radius=2)
    env.reset(seed=0, options={"start_nodes": [3, 5]})
    env.core.idleness[:] = 1
    env.core.idleness[4] = 5
    env.core._look(np.arange(2))
    targets = [int(env.core.neighbours[env.core.positions[i], local_greedy_slot(env.core, i)])
               for i in range(2)]
    # agent_1 sees agent_0 two hops away, predicts it takes node 4 and turns to node 6
    assert targets == [4, 6]


def test_greedy_beats_random_walk():
    env = PatrollingParallelEnv()
    seeds = range(6)
    greedy = [play_greedy_idleness(env, s) for s in seeds]
    local = [play_local_greedy(env, s) for s in seeds]
    independent = [play_independent_greedy(env, s) for s in seeds]
    walk = [play_random_walk(env, s) for s in seeds]
    # same seeds -> same graphs
    assert [g["graph_nodes"] for g in greedy] == [w["graph_nodes"] for w in walk]
    for metric in ("avg_idleness", "worst_idleness"):
        assert np.mean([g[metric] for g in greedy]) < np.mean([w[metric] for w in walk])
        assert np.mean([g[metric] for g in local]) < np.mean([w[metric] for w in walk])
        assert np.mean([g[metric] for g in local]) < np.mean([g[metric] for g in independent])
    single = PatrollingEnv()
    sg = [play_greedy_idleness_single(single, s)["avg_idleness"] for s in seeds]
    sw = [play_random_walk_single(single, s)["avg_idleness"] for s in seeds]
    assert np.mean(sg) < np.mean(sw)


def test_random_walk_never_stays():
    env = PatrollingParallelEnv(max_steps=30)
    env.reset(seed=0)
    positions = []
    original = env.step

    def spy(actions):
        positions.append(env.core.positions.copy())
        return original(actions)

    env.step = spy
    info = play_random_walk(env, 0)
    positions.append(env.core.positions.copy())
    moves = np.diff(np.array(positions), axis=0)
    assert (moves != 0).all() and info["length"] == 30
    assert set(info) >= {"avg_idleness", "worst_idleness", "graph_nodes", "agents_alive"}
