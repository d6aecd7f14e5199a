"""Multi-robot path finding with communication over a dynamic agent graph: the PettingZoo
env, its collision rule and the centrally planned baselines."""

from envs.robots.baselines import (
    play_independent,
    play_prioritised,
)
from envs.robots.core import ACTIONS, DEFAULT_GRAPHS, RobotsCore, RobotsSettings
from envs.robots.multi import RobotsParallelEnv

__all__ = [
    "ACTIONS",
    "DEFAULT_GRAPHS",
    "RobotsCore",
    "RobotsParallelEnv",
    "RobotsSettings",
    "play_independent",
    "play_prioritised",
]
