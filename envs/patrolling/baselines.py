"""Patrolling heuristics that play the env to its end and return its final info.

All read the env's core (positions, the neighbour table and what each agent can see) and
choose over an agent's neighbours with one numpy expression; they loop over agents only.

* random walk: every agent moves to a uniformly random neighbour (stays only on an isolated
  node); the choices come from ``np.random.default_rng(seed)``, apart from the env's rng.
* greedy idleness: every agent moves to the neighbour with the highest idleness it can see
  (true within its radius, the aged last-seen estimate elsewhere); ties go to the lowest
  node id. Agents choose in order ``agent_0, agent_1, ..``; a neighbour already claimed
  this step by an earlier agent is avoided when the agent has an unclaimed one. The claims
  are communication: an agent learns this step's choices of teammates whose knowledge it
  does not share, which no decentralised actor's observation holds.
* independent greedy: greedy idleness without claims, each agent on its own view: the
  rule as first specified ("move to the neighbour with the highest idleness"). Agents on
  one node see the same and move as one, so it is the uncoordinated floor below greedy
  idleness and local greedy.
* local greedy: the decentralised form of greedy idleness, each agent acting on its own
  observation only. Its observation counts, on every node in view, the teammates there
  whose index is below its own (``lower_ids_here``): it predicts that each of them moves
  greedily by what it sees itself (a node with ``c`` of them sends them to its ``c`` most
  idle neighbours), counts those targets as claimed and then chooses as greedy idleness
  does. Co-located agents thus fan out, and two agents two hops apart do not both take the
  node between them. It is the heuristic a trained decentralised policy is compared with
  like for like.
* cyclic (Chevaleyre 2004): every agent walks one short closed walk through every node
  (a TSP tour on hop distances, :mod:`.tours`), the agents evenly spaced along it; the
  strongest known strategy on these graphs. It knows the whole graph and, when it plans,
  every agent's node: centrally planned at the first step (each agent goes by a shortest
  path to the slot a min-cost assignment gives it, :mod:`.schedule`) and again when agents
  leave (the survivors re-spread). Between plans it plays open loop: each agent needs its
  own node and the clock, no observation.
* cyclic by id: the same walk, computed from the graph alone; the agent of rank j among
  the live agents takes slot j. It needs no teammate's position, only who is still live.
* partition: the graph split into one balanced connected region per agent
  (:mod:`.regions`), each agent cycling a short closed walk of its own region; planned
  centrally like cyclic, and split again for the survivors when agents leave.

The ``*_single`` versions play :class:`~envs.patrolling.env.PatrollingEnv`; the others play
:class:`~envs.patrolling.multi.PatrollingParallelEnv`. All return the final ``info``
(``avg_idleness``, ``worst_idleness``, ``graph_nodes``, ``agents_alive``) plus ``return``
and ``length`` from :mod:`envs.rollout`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.patrolling.core import PatrolCore
from envs.patrolling.env import PatrollingEnv
from envs.patrolling.multi import PatrollingParallelEnv
from envs.patrolling.schedule import Replanner
from envs.rollout import play, play_parallel


def _neighbour_nodes(core: PatrolCore, agent: int) -> np.ndarray:
    """The node ids of move slots 1..degree of ``agent`` (slot 0 is stay), sorted by id."""
    v = core.positions[agent]
    return core.neighbours[v, 1: core.num_slots[v]]


def random_slot(core: PatrolCore, agent: int, rng: np.random.Generator) -> int:
    """A uniformly random move slot 1..degree (0, stay, on an isolated node)."""
    deg = len(_neighbour_nodes(core, agent))
    return int(rng.integers(1, deg + 1)) if deg else 0


def greedy_slot(core: PatrolCore, agent: int, claimed: np.ndarray) -> int:
    """The slot of the neighbour with the highest idleness ``agent`` sees.

    Ties go to the lowest node id (slots are sorted by id and ``argmax`` takes the first);
    neighbours in ``claimed`` are skipped unless all of them are claimed.
    """
    nbrs = _neighbour_nodes(core, agent)
    if not len(nbrs):
        return 0
    score = core.seen_idleness(agent)[nbrs].astype(np.float64)
    taken = claimed[nbrs]
    if not taken.all():
        score[taken] = -np.inf
    return int(np.argmax(score)) + 1


def predicted_claims(core: PatrolCore, agent: int) -> np.ndarray:
    """(n,) bool: the nodes ``agent`` expects its lower-index teammates in view to move to.

    A node holding ``c`` of them sends them to its ``c`` most idle neighbours by
    ``agent``'s knowledge (ties to the lowest node id); it loops over those teammates' nodes.
    """
    seen = core.seen_idleness(agent)
    counts = core.lower_ids_here(agent)
    claimed = np.zeros(core.n, bool)
    for node in np.flatnonzero(counts):
        nbrs = core.neighbours[node, 1: core.num_slots[node]]
        claimed[nbrs[np.argsort(-seen[nbrs], kind="stable")[:counts[node]]]] = True
    return claimed


def local_greedy_slot(core: PatrolCore, agent: int) -> int:
    """Greedy idleness on ``agent``'s own observation, its claims predicted rather than told
    (:func:`predicted_claims`)."""
    return greedy_slot(core, agent, predicted_claims(core, agent))


def _greedy_choices(core: PatrolCore, agents: list[int]) -> dict[int, int]:
    claimed = np.zeros(core.n, bool)
    out = {}
    for i in agents:
        slot = greedy_slot(core, i, claimed)
        out[i] = slot
        claimed[core.neighbours[core.positions[i], slot]] = True
    return out


def play_random_walk(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of independent random walks by every agent; the env's final info."""
    rng = np.random.default_rng(seed)

    def choose(env: PatrollingParallelEnv, obs: dict) -> dict:
        return {a: random_slot(env.core, env._index[a], rng) for a in env.agents}

    return play_parallel(env, choose, seed=seed)


def play_greedy_idleness(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of greedy idleness (claimed targets avoided); the env's final info."""

    def choose(env: PatrollingParallelEnv, obs: dict) -> dict:
        slots = _greedy_choices(env.core, [env._index[a] for a in env.agents])
        return {a: slots[env._index[a]] for a in env.agents}

    return play_parallel(env, choose, seed=seed)


def play_independent_greedy(env: PatrollingParallelEnv, seed: int | None = None
                            ) -> dict[str, Any]:
    """One episode of independent greedy (no claims, no predictions); the final info."""

    def choose(env: PatrollingParallelEnv, obs: dict) -> dict:
        unclaimed = np.zeros(env.core.n, bool)
        return {a: greedy_slot(env.core, env._index[a], unclaimed) for a in env.agents}

    return play_parallel(env, choose, seed=seed)


def play_local_greedy(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of local greedy (every agent on its own observation); the final info."""

    def choose(env: PatrollingParallelEnv, obs: dict) -> dict:
        return {a: local_greedy_slot(env.core, env._index[a]) for a in env.agents}

    return play_parallel(env, choose, seed=seed)


def play_random_walk_single(env: PatrollingEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of a random walk in the single-agent env; the env's final info."""
    rng = np.random.default_rng(seed)
    return play(env, lambda env, obs: random_slot(env.core, 0, rng), seed=seed)


def play_greedy_idleness_single(env: PatrollingEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of greedy idleness in the single-agent env; the env's final info."""
    return play(env, lambda env, obs: _greedy_choices(env.core, [0])[0], seed=seed)


# ---------------------------------------------------------------------------- walks
def walk_slot(core: PatrolCore, agent: int, node: int) -> int:
    """The slot that takes ``agent`` to ``node`` (its own node or a neighbour)."""
    v = core.positions[agent]
    hit = np.flatnonzero(core.neighbours[v, : core.num_slots[v]] == node)
    if not len(hit):
        raise RuntimeError(f"agent {agent} on node {v} cannot step to node {node}")
    return int(hit[0])


class WalkPlayer(Replanner):
    """Agents on closed walks (:func:`.schedule.plan`): planned at the first step and again
    whenever the live agents change; one instance per episode."""

    def slots(self, core: PatrolCore, agents: list[int]) -> list[int]:
        """The slot of each agent of ``agents`` (the live ones) this step."""
        schedule = self.current(core.csr, core.positions, tuple(sorted(agents)), core.t)
        return [walk_slot(core, i, schedule.next_node(i, core.t)) for i in agents]


def play_walks(env: PatrollingParallelEnv, seed: int | None = None, strategy: str = "cyclic",
               join: str = "assign") -> dict[str, Any]:
    """One episode of a :class:`WalkPlayer`; the env's final info."""
    player = WalkPlayer(strategy, join)

    def choose(env: PatrollingParallelEnv, obs: dict) -> dict:
        agents = [env._index[a] for a in env.agents]
        return dict(zip(env.agents, player.slots(env.core, agents)))

    return play_parallel(env, choose, seed=seed)


def play_cyclic(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of the cyclic strategy (slots assigned centrally); the final info."""
    return play_walks(env, seed, "cyclic", "assign")


def play_cyclic_by_id(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of the cyclic strategy, agent j on slot j; the final info."""
    return play_walks(env, seed, "cyclic", "by_id")


def play_partition(env: PatrollingParallelEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of the partition strategy; the final info."""
    return play_walks(env, seed, "partition", "assign")


def play_cyclic_single(env: PatrollingEnv, seed: int | None = None) -> dict[str, Any]:
    """One episode of the single agent walking the cyclic strategy's walk (its TSP walk)
    round from its own node; the final info."""
    player = WalkPlayer("cyclic", "assign")
    return play(env, lambda env, obs: player.slots(env.core, [0])[0], seed=seed)
