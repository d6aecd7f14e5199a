"""Navigation with neighbours as actions (or compass moves on grids): gymnasium and PettingZoo
envs and their shortest-path / random baselines."""

from envs.navigation.baselines import (
    RandomPolicy,
    ShortestPathPolicy,
    play_random,
    play_random_parallel,
    play_shortest_path,
    play_shortest_path_parallel,
    shortest_path_length,
)
from envs.navigation.core import (
    DEFAULT_GRAPHS,
    MULTI_FEATURES,
    SINGLE_FEATURES,
    STATE_FEATURES,
    NavigationCore,
    NavigationSettings,
)
from envs.navigation.env import NavigationEnv
from envs.navigation.graph import COMPASS, NavGraph
from envs.navigation.multi import NavigationParallelEnv

__all__ = [
    "COMPASS",
    "DEFAULT_GRAPHS",
    "MULTI_FEATURES",
    "SINGLE_FEATURES",
    "STATE_FEATURES",
    "NavGraph",
    "NavigationCore",
    "NavigationEnv",
    "NavigationSettings",
    "NavigationParallelEnv",
    "RandomPolicy",
    "ShortestPathPolicy",
    "play_random",
    "play_random_parallel",
    "play_shortest_path",
    "play_shortest_path_parallel",
    "shortest_path_length",
]
