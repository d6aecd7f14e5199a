"""Weighted minimum vertex cover: gymnasium and PettingZoo environments and their baselines."""

from envs.mvc.baselines import (
    exact_mvc,
    greedy_choice,
    greedy_mvc,
    improve_final_cover,
    play_exact,
    play_exact_parallel,
    play_greedy,
    play_greedy_parallel,
    play_random,
    prune_cover,
)
from envs.mvc.cover import EDGE_FEATURES, NODE_FEATURES, CoverState
from envs.mvc.env import MinVertexCoverEnv
from envs.mvc.multi import MinVertexCoverParallelEnv
from envs.mvc.solvers import OptimumUnproven

__all__ = [
    "EDGE_FEATURES",
    "NODE_FEATURES",
    "CoverState",
    "MinVertexCoverEnv",
    "MinVertexCoverParallelEnv",
    "OptimumUnproven",
    "exact_mvc",
    "greedy_choice",
    "greedy_mvc",
    "improve_final_cover",
    "play_exact",
    "play_exact_parallel",
    "play_greedy",
    "play_greedy_parallel",
    "play_random",
    "prune_cover",
]
