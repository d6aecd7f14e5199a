"""Graph patrolling: K agents keep every node's idleness low (neighbour actions).

:class:`PatrollingParallelEnv` (PettingZoo, primary: partial observability, global state,
attrition) and :class:`PatrollingEnv` (gymnasium, one agent) share :mod:`.core`. The
baselines (:mod:`.baselines`) include the cyclic and partition strategies, built on closed
walks (:mod:`.tours`), balanced regions (:mod:`.regions`) and schedules (:mod:`.schedule`).
"""

from envs.patrolling.baselines import (
    WalkPlayer,
    greedy_slot,
    local_greedy_slot,
    play_cyclic,
    play_cyclic_by_id,
    play_cyclic_single,
    play_greedy_idleness,
    play_greedy_idleness_single,
    play_independent_greedy,
    play_local_greedy,
    play_partition,
    play_random_walk,
    play_random_walk_single,
    play_walks,
    random_slot,
)
from envs.patrolling.core import (
    DEFAULT_GRAPHS,
    HOP_MATRIX_MAX_NODES,
    NODE_FEATURES,
    STATE_FEATURES,
    PatrolSettings,
    PatrolCore,
)
from envs.patrolling.env import PatrollingEnv
from envs.patrolling.multi import PatrollingParallelEnv

__all__ = [
    "DEFAULT_GRAPHS",
    "HOP_MATRIX_MAX_NODES",
    "NODE_FEATURES",
    "STATE_FEATURES",
    "PatrolSettings",
    "PatrolCore",
    "PatrollingEnv",
    "PatrollingParallelEnv",
    "WalkPlayer",
    "greedy_slot",
    "local_greedy_slot",
    "play_cyclic",
    "play_cyclic_by_id",
    "play_cyclic_single",
    "play_greedy_idleness",
    "play_greedy_idleness_single",
    "play_independent_greedy",
    "play_local_greedy",
    "play_partition",
    "play_random_walk",
    "play_random_walk_single",
    "play_walks",
    "random_slot",
]
