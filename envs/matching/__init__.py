"""Maximum weighted matching, edges as actions: gymnasium and PettingZoo envs and baselines."""

from envs.matching.baselines import (
    exact_matching,
    greedy_matching,
    greedy_order,
    improve_final_matching,
    play_exact,
    play_greedy,
    play_greedy_parallel,
    play_random,
)
from envs.matching.core import DEFAULT_GRAPHS
from envs.matching.matching import MatchingState
from envs.matching.env import MaxMatchingEnv
from envs.matching.multi import MaxMatchingParallelEnv

__all__ = [
    "DEFAULT_GRAPHS",
    "MatchingState",
    "MaxMatchingEnv",
    "MaxMatchingParallelEnv",
    "exact_matching",
    "greedy_matching",
    "greedy_order",
    "improve_final_matching",
    "play_exact",
    "play_greedy",
    "play_greedy_parallel",
    "play_random",
]
