"""Run an experiment (one trial or a sweep) with Ray Tune, or resume one.

Without ``RAY_ADDRESS`` Tune starts an embedded local Ray; with it (or inside
``ray job submit``) it joins that cluster. Results and checkpoints go to
``<storage>/<name>/`` (see :mod:`rllib_gnn.training.trainable` for what a trial writes).
"""

from __future__ import annotations

import copy
import os
import math
from pathlib import Path
from typing import Any

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, PopulationBasedTraining

from rllib_gnn.training.experiment import set_path
from rllib_gnn.training.threads import runtime_env
from rllib_gnn.training.trainable import ExperimentTrainable

_SAMPLERS = {
    "grid": tune.grid_search,
    "choice": tune.choice,
    "uniform": lambda v: tune.uniform(*v),
    "loguniform": lambda v: tune.loguniform(*v),
    "randint": lambda v: tune.randint(*v),
}


def _sampler(spec: dict[str, Any]):
    kind, values = next(iter(spec.items()))
    return _SAMPLERS[kind](values)


def param_space(experiment: dict[str, Any]) -> dict[str, Any]:
    """The experiment dict with Tune samplers at the swept paths."""
    space = copy.deepcopy(experiment)
    for path, spec in experiment["tune"]["param_space"].items():
        set_path(space, path, _sampler(spec))
    return space


def make_scheduler(tune_section: dict[str, Any]):
    """FIFO, ASHA or PBT from the experiment's ``tune.scheduler`` mapping."""
    params = dict(tune_section["scheduler"])
    kind = params.pop("type", "fifo")
    if kind == "asha":
        return ASHAScheduler(time_attr="training_iteration", **params)
    if kind == "pbt":
        # A result lacks rllib_gnn/metric until an episode has ended (rllib_gnn/ratio: where
        # the env computes none); PBT then waits instead of failing the trial.
        params.setdefault("require_attrs", False)
        mutations: dict[str, Any] = {}
        for path, spec in params.pop("hyperparam_mutations", {}).items():
            set_path(mutations, path, _sampler(spec))
        return PopulationBasedTraining(time_attr="training_iteration",
                                       hyperparam_mutations=mutations, **params)
    return FIFOScheduler()


def storage_path(experiment: dict[str, Any]) -> str:
    """The experiment's storage as Tune wants it: a URI as given, a local path made absolute."""
    storage = experiment["storage"]
    return storage if "://" in storage else str(Path(storage).expanduser().resolve())


def run_dir(experiment: dict[str, Any]) -> str:
    """Where this experiment's trials live."""
    return f"{storage_path(experiment).rstrip('/')}/{experiment['name']}"


class ProgressLines(tune.Callback):
    """One line per trial iteration: return, problem metric, ratio, env steps/s, and the
    latest periodic evaluation's metric and ratio when there is one."""

    def __init__(self, metric_name: str) -> None:
        self.metric_name = metric_name  # (no stream kept: Tune pickles its callbacks)

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        own = result.get("rllib_gnn", {})
        ret = result.get("env_runners", {}).get("episode_return_mean", math.nan)

        def fmt(value: Any) -> str:
            return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
                else f"{value:.4g}"

        evaluation = own.get("eval") or {}
        latest = "" if not evaluation else (
            f"  eval {self.metric_name} {fmt(evaluation.get('metric'))}"
            + (f" ratio {fmt(evaluation['ratio'])}" if "ratio" in evaluation else "")
            + f" (iter {evaluation.get('at_iteration', '?')}, "
            f"{evaluation.get('wall_s', math.nan):.3g} s)")
        print(f"[{trial.trial_id}] iter {result.get('training_iteration', '?'):>4}  "
              f"return {fmt(ret)}  {self.metric_name} {fmt(own.get('metric'))}  "
              f"ratio {fmt(own.get('ratio'))}  env steps/s {fmt(own.get('env_steps_per_s'))}"
              f"{latest}  t {result.get('time_total_s', 0):.0f}s", flush=True)

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info) -> None:
        print(f"[{trial.trial_id}] checkpoint {checkpoint.path}", flush=True)


def build_tuner(experiment: dict[str, Any], resume: bool = False) -> tune.Tuner:
    """A Tuner for the experiment; ``resume`` restores the unfinished run at its run dir."""
    from envs.catalog import ENVS

    section = experiment["tune"]
    checkpoint = experiment["checkpoint"]
    run_config = tune.RunConfig(
        name=experiment["name"],
        storage_path=storage_path(experiment),
        stop=dict(experiment["stop"]),
        checkpoint_config=tune.CheckpointConfig(
            checkpoint_frequency=checkpoint["frequency"],
            checkpoint_at_end=checkpoint["at_end"],
            num_to_keep=checkpoint["keep"]),
        failure_config=tune.FailureConfig(max_failures=experiment["failure"]["max_failures"]),
        callbacks=[ProgressLines(ENVS[experiment["env"]].metric)],
        verbose=0,
    )
    if resume:
        path = run_dir(experiment)
        if not tune.Tuner.can_restore(path):
            raise ValueError(f"--resume: no run to resume at {path!r} (train it first, or check "
                             f"name and storage)")
        return tune.Tuner.restore(path, trainable=ExperimentTrainable, resume_unfinished=True,
                                  resume_errored=True, param_space=param_space(experiment))
    return tune.Tuner(
        ExperimentTrainable,
        param_space=param_space(experiment),
        tune_config=tune.TuneConfig(
            metric=section["metric"], mode=section["mode"], num_samples=section["num_samples"],
            scheduler=make_scheduler(section),
            max_concurrent_trials=section["max_concurrent_trials"]),
        run_config=run_config,
    )


def start_ray() -> None:
    """Start (or join, with ``RAY_ADDRESS``) Ray unless this process already has, giving the
    run's processes the threading environment of :mod:`rllib_gnn.training.threads`, and
    print the dashboard's address when there is one."""
    if ray.is_initialized():
        return
    context = ray.init(runtime_env=runtime_env() or None)
    if context.dashboard_url:
        print(f"Ray dashboard: http://{context.dashboard_url}", flush=True)


def train(experiment: dict[str, Any], resume: bool = False):
    """Run (or resume) the experiment; returns Tune's ResultGrid."""
    # Tune snapshots its experiment state at most every 10 s by default, so a driver killed
    # soon after a trial checkpoint would resume from an older one. The state is small:
    # snapshot it every second.
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
    # Results leave out metrics nothing measured yet (RLlib's episode_return_mean and our
    # rllib_gnn/metric before the first episode ends) instead of reporting NaN; Tune's
    # strict check would fail such a trial. The experiment's validation checks tune.metric.
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    start_ray()
    print(f"results and checkpoints: {run_dir(experiment)}", flush=True)
    results = build_tuner(experiment, resume).fit()
    errors = [r.error for r in results if r.error is not None]
    if errors:
        raise RuntimeError(f"{len(errors)} trial(s) failed; first error: {errors[0]}")
    return results
