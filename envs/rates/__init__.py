"""Rate allocation under neighbourhood capacities: a gymnasium env with one continuous
action per node, its LP optimum and heuristic baselines."""

from envs.rates.baselines import (
    play_equal_share,
    play_greedy,
    play_lp,
    play_random,
    rates_to_action,
)
from envs.rates.env import RateAllocationEnv
from envs.rates.problem import NODE_FEATURES, RateProblem
from envs.rates.solvers import equal_share_rates, greedy_rates, lp_rates

__all__ = [
    "NODE_FEATURES",
    "RateAllocationEnv",
    "RateProblem",
    "equal_share_rates",
    "greedy_rates",
    "lp_rates",
    "play_equal_share",
    "play_greedy",
    "play_lp",
    "play_random",
    "rates_to_action",
]
