"""Imitation pretraining: warm-start the GNN policies by cloning one of the env's baselines.

:func:`record_demonstrations` plays a catalog baseline (``envs.catalog.EnvEntry.baselines``)
through a recording proxy of the env, so the baseline's own code runs unchanged, and keeps
what every agent saw, what the baseline chose and the discounted return that followed.
:func:`pretrain` builds each policy's module exactly as training does
(:func:`rllib_gnn.training.algorithm.policy_module_specs`) and fits it to those demonstrations:
masked cross-entropy of its logits against the baseline's actions plus ``value_coeff`` x
the MSE of its value estimates against the returns. RL then starts from the saved modules
(``build_algorithm_config(experiment, pretrained)``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import tree  # dm-tree: RLlib's own nested-structure helper
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.columns import Columns
from scipy.signal import lfilter

from envs.catalog import ENVS, EnvEntry
from rllib_gnn.nn.module import GraphRLModule
from rllib_gnn.training.algorithm import policy_module_specs
from rllib_gnn.training.experiment import algorithm_config_class
from rllib_gnn.training.files import write_json_atomic
from rllib_gnn.training.policy_mapping import POLICY_MAPPING

__all__ = ["Demonstrations", "discounted_returns", "fit", "imitation_accuracy", "pretrain",
           "pretrained_modules", "record_demonstrations"]

#: What :func:`pretrain` writes beside the modules; its presence marks a finished run.
SUMMARY_FILE = "pretrain.json"


# --------------------------------------------------------------------------- recording
@dataclass(frozen=True)
class Demonstrations:
    """S recorded decisions of a baseline, in the order they were taken.

    Attributes:
        observations: the env's padded observation contract, key -> (S, ...) array (the
            nested ``state`` dict of CTDE envs likewise).
        actions: (S,) the baseline's actions.
        returns: (S,) the discounted return-to-go of the acting agent from that decision.
        episodes: (S,) the episode index (episode i was played with seed ``seed + i``).
        agents: (S,) the acting agent's id in a multi-agent env; None for a single agent.
    """

    observations: dict[str, Any]
    actions: np.ndarray
    returns: np.ndarray
    episodes: np.ndarray
    agents: np.ndarray | None

    def __len__(self) -> int:
        return len(self.actions)

    def subset(self, keep: np.ndarray) -> Demonstrations:
        """The samples where the boolean (S,) ``keep`` is true."""
        return Demonstrations(tree.map_structure(lambda a: a[keep], self.observations),
                              self.actions[keep], self.returns[keep], self.episodes[keep],
                              None if self.agents is None else self.agents[keep])


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_t + gamma * G_{t+1}`` over one trajectory (one linear filter, no loop)."""
    return lfilter([1.0], [1.0, -gamma], rewards[::-1])[::-1]


class _Recording:
    """What the agents saw, did and got, one sample per decision, in order."""

    def __init__(self, multi_agent: bool) -> None:
        self.multi_agent = multi_agent
        self.observations: list[dict[str, Any]] = []
        self.actions: list[int] = []
        self.rewards: list[float] = []
        self.agents: list[str] = []
        self.episodes: list[int] = []
        self.trajectories: list[list[int]] = []  # the sample indices of each agent's episode
        self.episode = -1
        self.open: dict[str, list[int]] = {}  # agent -> its trajectory of this episode
        self.last_obs: dict[str, Any] = {}

    def close_trajectories(self) -> None:
        """End the trajectories still open (an episode left unfinished)."""
        self.trajectories += self.open.values()
        self.open = {}

    def reset(self, obs: Any) -> None:
        self.close_trajectories()
        self.episode += 1
        self.last_obs = dict(obs) if self.multi_agent else {DEFAULT_MODULE_ID: obs}

    def step(self, action: Any, obs: Any, rewards: Any, terms: Any, truncs: Any) -> None:
        if not self.multi_agent:  # one agent, DEFAULT_MODULE_ID
            action, obs, rewards, terms, truncs = ({DEFAULT_MODULE_ID: x} for x in
                                                   (action, obs, rewards, terms, truncs))
        for agent, chosen in action.items():
            self.open.setdefault(agent, []).append(len(self.actions))
            self.observations.append(tree.map_structure(np.array, self.last_obs[agent]))  # a copy
            self.actions.append(int(chosen))
            self.rewards.append(float(rewards[agent]))
            self.agents.append(agent)
            self.episodes.append(self.episode)
            if terms[agent] or truncs[agent]:
                self.trajectories.append(self.open.pop(agent))
        self.last_obs.update(obs)


class _RecordingEnv:
    """A thin proxy of an env: every attribute is the env's, but ``reset`` and ``step``
    also feed a :class:`_Recording`, so a baseline that reads env internals
    (``env.core``, ``env.agents``, ...) plays it unchanged."""

    def __init__(self, env: Any, recording: _Recording) -> None:
        self._recorded_env = env
        self._recording = recording

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorded_env, name)

    def reset(self, *args: Any, **kwargs: Any):
        obs, info = self._recorded_env.reset(*args, **kwargs)
        self._recording.reset(obs)
        return obs, info

    def step(self, action: Any):
        result = self._recorded_env.step(action)
        self._recording.step(action, *result[:4])
        return result


def record_demonstrations(entry: EnvEntry, baseline: str, env_config: Mapping[str, Any],
                          episodes: int, seed: int, gamma: float) -> Demonstrations:
    """Play baseline ``baseline`` of ``entry`` for ``episodes`` episodes (seeds ``seed``,
    ``seed + 1``, ...) on an env built from ``env_config`` and record every decision.

    Returns-to-go are discounted by ``gamma`` along each agent's own trajectory and end
    with its episode (no bootstrap after a truncation).
    """
    player = entry.baseline(baseline)
    recorder = _Recording(entry.multi_agent)
    env = _RecordingEnv(entry.make(dict(env_config)), recorder)
    for episode in range(episodes):
        player(env, seed + episode)
    recorder.close_trajectories()
    if not recorder.actions:
        raise ValueError(f"baseline {baseline!r} took no action in {episodes} episode(s)")
    rewards = np.asarray(recorder.rewards, np.float64)
    returns = np.zeros(len(rewards), np.float32)
    for samples in recorder.trajectories:
        returns[samples] = discounted_returns(rewards[samples], gamma)
    return Demonstrations(
        observations=tree.map_structure(lambda *xs: np.stack(xs), *recorder.observations),
        actions=np.asarray(recorder.actions, np.int64),
        returns=returns,
        episodes=np.asarray(recorder.episodes, np.int64),
        agents=np.asarray(recorder.agents) if entry.multi_agent else None)


# --------------------------------------------------------------------------- fitting
def _batch(observations: Mapping[str, Any], index: torch.Tensor) -> dict[str, Any]:
    """The module's input batch of the samples at ``index`` of torch ``observations``."""
    return {Columns.OBS: tree.map_structure(lambda t: t[index], observations)}


def imitation_accuracy(module: GraphRLModule, demos: Demonstrations,
                       batch_size: int = 1024) -> float:
    """The fraction of ``demos`` where the module's greedy action is the baseline's."""
    observations = tree.map_structure(torch.as_tensor, demos.observations)
    actions = torch.as_tensor(demos.actions)
    was_training = module.training
    module.eval()
    hits = 0
    with torch.no_grad():
        for index in torch.arange(len(demos)).split(batch_size):
            logits = module.forward_inference(_batch(observations, index))[
                Columns.ACTION_DIST_INPUTS]
            hits += int((logits.argmax(-1) == actions[index]).sum())
    module.train(was_training)
    return hits / len(demos)


def fit(module: GraphRLModule, demos: Demonstrations, *, epochs: int, lr: float,
        minibatch_size: int, value_coeff: float) -> float:
    """Train ``module`` on ``demos`` with Adam; returns the last epoch's mean value MSE.

    Loss per minibatch: cross-entropy of the masked logits of ``forward_train`` against
    the baseline's actions + ``value_coeff`` x MSE of ``compute_values`` against the
    returns. Shuffles with torch's global generator (seed it for reproducibility).
    """
    observations = tree.map_structure(torch.as_tensor, demos.observations)
    actions, returns = torch.as_tensor(demos.actions), torch.as_tensor(demos.returns)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    value_mse = torch.zeros(())
    for _ in range(epochs):
        value_mse = torch.zeros(())
        for index in torch.randperm(len(demos)).split(minibatch_size):
            batch = _batch(observations, index)
            out = module.forward_train(batch)
            policy_loss = F.cross_entropy(out[Columns.ACTION_DIST_INPUTS], actions[index])
            value_loss = F.mse_loss(module.compute_values(batch, out[Columns.EMBEDDINGS]),
                                    returns[index])
            optimizer.zero_grad()
            (policy_loss + value_coeff * value_loss).backward()
            optimizer.step()
            value_mse += value_loss.detach() * len(index)
    return float(value_mse) / len(demos)


# --------------------------------------------------------------------------- pretraining
def _gamma(experiment: Mapping[str, Any]) -> float:
    """The discount the RL algorithm will use (its own default unless ``training`` sets it)."""
    return float(experiment["training"].get(
        "gamma", algorithm_config_class(experiment["algorithm"])().gamma))


def _provenance(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment keys the pretrained modules depend on (JSON-normalised)."""
    keys = ("env", "env_config", "model", "multi_agent", "seed", "pretrain")
    return json.loads(json.dumps({k: experiment.get(k) for k in keys}, default=str))


def pretrain(experiment: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """Clone ``experiment["pretrain"]["imitate"]`` into every policy's module.

    Records the demonstrations (seeds from ``experiment["seed"]``), builds each policy's
    module from :func:`~rllib_gnn.training.algorithm.policy_module_specs` on the env's spaces, fits
    it to the samples of the agents the policy mapping gives it (all of them for
    ``shared`` and single-agent envs) and saves it with ``save_to_path(out_dir / pid)``.
    ``out_dir / SUMMARY_FILE`` reports per policy the samples, the final imitation
    accuracy (argmax == baseline action, on the demonstrations) and value MSE.

    Returns:
        policy id -> saved module folder (what ``build_algorithm_config`` loads).
    """
    start = time.perf_counter()
    settings = experiment["pretrain"]
    entry = ENVS[experiment["env"]]
    out_dir = Path(out_dir)
    demos = record_demonstrations(entry, settings["imitate"], experiment["env_config"],
                                  settings["episodes"], experiment["seed"], _gamma(experiment))
    env = entry.make(dict(experiment["env_config"]))
    if entry.multi_agent:
        policy_of = POLICY_MAPPING[experiment["multi_agent"]["policies"]]
        agent_of_policy = {policy_of(agent): agent for agent in env.possible_agents}
        spaces = {pid: (env.observation_space(a), env.action_space(a))
                  for pid, a in agent_of_policy.items()}
        policies_of_samples = np.array([policy_of(a) for a in demos.agents])
    else:
        spaces = {DEFAULT_MODULE_ID: (env.observation_space, env.action_space)}
        policies_of_samples = np.full(len(demos), DEFAULT_MODULE_ID)
    torch.manual_seed(experiment["seed"])
    report: dict[str, dict[str, float]] = {}
    for pid, spec in policy_module_specs(dict(experiment)).items():
        spec.observation_space, spec.action_space = spaces[pid]
        module = spec.build()
        mine = demos.subset(policies_of_samples == pid)
        if not len(mine):
            raise ValueError(f"policy {pid!r} has no demonstrations: none of its agents "
                             f"acted in {settings['episodes']} episode(s) of "
                             f"{settings['imitate']!r}")
        value_mse = fit(module, mine, epochs=settings["epochs"], lr=settings["lr"],
                        minibatch_size=settings["minibatch_size"],
                        value_coeff=settings["value_coeff"])
        report[pid] = {"samples": len(mine), "accuracy": imitation_accuracy(module, mine),
                       "value_mse": value_mse}
        module.save_to_path(out_dir / pid)
    seconds = time.perf_counter() - start
    write_json_atomic(out_dir / SUMMARY_FILE, {
        "imitate": settings["imitate"], "policies": report, "seconds": seconds,
        "experiment": _provenance(experiment)})
    accuracy = ", ".join(f"{pid} {r['accuracy']:.3f} ({r['samples']} samples)"
                         for pid, r in report.items())
    print(f"pretrained by imitating {settings['imitate']!r} in {seconds:.1f} s; accuracy: "
          f"{accuracy}", flush=True)
    return {pid: str(out_dir / pid) for pid in report}


def pretrained_modules(experiment: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """:func:`pretrain` into ``out_dir``, unless it already holds the modules of this very
    experiment (a resumed or retried trial): those are reused as they are."""
    summary_file = Path(out_dir) / SUMMARY_FILE
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text())
        if summary["experiment"] == _provenance(experiment):
            return {pid: str(Path(out_dir) / pid) for pid in summary["policies"]}
    return pretrain(experiment, out_dir)
