"""Baselines for rate allocation: players of the env (LP optimum, greedy, equal share,
random).

Each ``play_*`` plays one episode through ``envs.rollout`` and returns the env's final info
(``utility``, ``throttled``, ... plus ``return`` and ``length``), so a policy and a baseline
are measured by the same code on the same seeded episodes. A baseline's rates are feasible,
so the env's repair leaves them as they are (random rates are repaired like a policy's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from envs.rates.env import RateAllocationEnv
from envs.rates.problem import RateProblem
from envs.rates.solvers import equal_share_rates, greedy_rates, lp_rates
from envs.rollout import play

__all__ = ["play_equal_share", "play_greedy", "play_lp", "play_random", "rates_to_action"]


def rates_to_action(rates: np.ndarray, max_nodes: int) -> np.ndarray:
    """The env's (N,) float32 action asking for ``rates`` (padding slots at -1)."""
    action = np.full(max_nodes, -1.0, np.float32)
    action[:len(rates)] = 2.0 * np.asarray(rates) - 1.0
    return action


def _play(solver: Callable[[RateProblem], tuple[np.ndarray, float]]
          ) -> Callable[[RateAllocationEnv, int | None], dict[str, Any]]:
    def player(env: RateAllocationEnv, seed: int | None = None) -> dict[str, Any]:
        return play(env, lambda env, obs: rates_to_action(solver(env.problem)[0],
                                                          env.settings.max_nodes), seed=seed)
    player.__doc__ = f"Play one episode with the rates of ``{solver.__name__}``."
    return player


play_lp = _play(lp_rates)
play_greedy = _play(greedy_rates)
play_equal_share = _play(equal_share_rates)


def play_random(env: RateAllocationEnv, seed: int | None = None) -> dict[str, Any]:
    """Play one episode asking for rates U[0, 1) (from a Generator seeded with ``seed``),
    repaired by the env."""
    rng = np.random.default_rng(seed)
    return play(env, lambda env, obs: rates_to_action(rng.random(env.problem.num_nodes),
                                                      env.settings.max_nodes), seed=seed)
