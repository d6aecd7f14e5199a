"""Navigation with neighbours as actions (or compass moves on grids): gymnasium and PettingZoo
envs and their shortest-path / random baselines, and prioritised planning for teams."""

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
from envs.navigation.planner import PrioritisedPlanner, play_prioritised, plan_team

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
    "PrioritisedPlanner",
    "RandomPolicy",
    "ShortestPathPolicy",
    "plan_team",
    "play_prioritised",
    "play_random",
    "play_random_parallel",
    "play_shortest_path",
    "play_shortest_path_parallel",
    "shortest_path_length",
]
