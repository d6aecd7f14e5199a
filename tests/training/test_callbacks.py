"""The problem-metric callback reads a multi-agent episode's team metrics."""

from __future__ import annotations

import pytest
from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

from envs.navigation import NavigationParallelEnv
from envs.navigation.baselines import ShortestPathPolicy
from rllib_gnn.training.callbacks import final_info


def recorded_nav_episode(seed: int) -> tuple[MultiAgentEpisode, NavigationParallelEnv, set]:
    """A nav-multi episode of shortest-path walkers as RLlib's env runner records it, and
    the steps at which agents finished."""
    env = NavigationParallelEnv(num_agents=3)
    policy = ShortestPathPolicy()
    obs, infos = env.reset(seed=seed)
    episode = MultiAgentEpisode(agent_to_module_mapping_fn=lambda agent, episode: "p")
    episode.add_env_reset(observations=obs, infos=infos)
    end_steps, step = set(), 0
    while env.agents:
        actions = policy(env, obs)
        obs, rewards, terms, truncs, infos = env.step(actions)
        step += 1
        if any(terms[a] or truncs[a] for a in actions):
            end_steps.add(step)
        terms["__all__"] = truncs["__all__"] = not env.agents
        episode.add_env_step(observations=obs, actions=actions, rewards=rewards, infos=infos,
                             terminateds=terms, truncateds=truncs)
    return episode, env, end_steps


def test_final_info_of_agents_ending_apart_is_the_team_metric():
    for seed in range(20):
        episode, env, end_steps = recorded_nav_episode(seed)
        if len(end_steps) > 1:  # agents reached their goals at different steps
            break
    else:
        pytest.fail("no seed made the shortest-path walkers finish at different steps")
    info, team = final_info(episode), env.team_info()
    assert info["path_length"] == pytest.approx(team["path_length"])
    assert info["success"] == team["success"] == 1.0
    assert info["path_ratio"] == pytest.approx(team["path_ratio"])
    # the team's path is the sum over the agents, more than any one agent's
    last = [episode.agent_episodes[a].get_infos(-1) for a in env.possible_agents]
    assert team["path_length"] == pytest.approx(sum(i["path_length"] for i in last))
    assert team["path_length"] > max(i["path_length"] for i in last)


def test_clamped_value_losses_names_the_modules_above_vf_clip_param():
    from rllib_gnn.training.trainable import clamped_value_losses

    learners = {"shared": {"vf_loss_unclipped": 42.0, "vf_loss": 4.1},
                "agent_1": {"vf_loss_unclipped": 3.0, "vf_loss": 3.0},
                "__all_modules__": {"num_trainable_parameters": 10}}
    warning = clamped_value_losses(learners, 10.0)
    assert "vf_clip_param=10" in warning and "shared 42" in warning
    assert "agent_1" not in warning
    assert clamped_value_losses(learners, 1000.0) is None


def test_problem_result_leaves_out_what_nothing_measured_never_nan():
    from envs.catalog import ENVS
    from rllib_gnn.training.callbacks import problem_result

    mvc, patrol = ENVS["mvc"], ENVS["patrol"]
    runners = {"rllib_gnn": {"cover_weight": 4.5, "cover_ratio": 1.1},
               "num_env_steps_sampled": 200}
    assert problem_result(mvc, runners, 2.0) == {"metric": 4.5, "ratio": 1.1,
                                                 "env_steps_per_s": 100.0}
    # no env_config.reference: the env logs no ratio; no episode ended yet: no metric
    assert problem_result(mvc, {"rllib_gnn": {"cover_weight": 4.5}}, 1.0) == {
        "metric": 4.5, "env_steps_per_s": 0.0}
    assert problem_result(mvc, {}, 0.0) == {"env_steps_per_s": 0.0}
    assert problem_result(mvc, {"rllib_gnn": {"cover_weight": float("nan"),
                                              "cover_ratio": float("inf")}}, 1.0) == {
        "env_steps_per_s": 0.0}
    assert "ratio" not in problem_result(patrol, {"rllib_gnn": {"avg_idleness": 3.0}}, 1.0)


def test_progress_lines_cope_with_absent_metrics(capsys):
    from types import SimpleNamespace

    from rllib_gnn.training.tuner import ProgressLines

    lines = ProgressLines("cover_weight")
    trial = SimpleNamespace(trial_id="t0")
    lines.on_trial_result(1, [], trial, {"training_iteration": 1, "time_total_s": 2.0,
                                         "rllib_gnn": {"env_steps_per_s": 10.0}})
    lines.on_trial_result(2, [], trial, {})
    first, second = capsys.readouterr().out.splitlines()
    assert "return n/a  cover_weight n/a  ratio n/a  env steps/s 10" in first
    assert "iter    ?" in second and "env steps/s n/a" in second
