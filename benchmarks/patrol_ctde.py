"""Team patrolling: CTDE vs a decentralised critic vs the heuristics, over several seeds.

Trains ``tune_configs/patrol_ctde.yaml`` (3 agents on 30-32-node grids with walls, partial
observability) for a wall-time budget per trial: the critic reads either the agent's own
view (``shared``, decentralised) or the global state (``central``, CTDE), one trial per
critic and seed. Then every trial's last checkpoint plays decentralised (each agent acts on
its own observation) on the same seeded evaluation episodes as the baselines: the cyclic
strategy (all agents evenly spaced on one short closed walk through every node, slots
assigned centrally; the strongest known strategy and the reference), cyclic by id (agent j
on slot j of the walk, no teammate information), partition (one balanced region and its
walk per agent), greedy idleness (coordinated: agents claim this step's targets in turn),
local greedy (its decentralised form: each agent on its own observation, predicting its
teammates' moves), independent greedy (each agent alone, no predictions) and random walk. Prints a table per
trial and a summary over seeds, and writes ``benchmarks/results/patrol_ctde.json``.

    python benchmarks/patrol_ctde.py [--budget 600] [--seeds 0 1 2] [--concurrent 2]
        [--episodes 200] [--set KEY.PATH=VALUE ...]
    python benchmarks/patrol_ctde.py --run-dir RUN_DIR [--episodes 200]

``--run-dir`` evaluates a run trained before, e.g. by ``rllib-gnn train
tune_configs/patrol_ctde.yaml`` on a bigger machine, stopped and resumed in slices.

``--set`` changes the experiment as ``rllib-gnn train --set`` does, e.g.
``--set learners.num_gpus_per_learner=0.15`` puts each trial's learner on a GPU share.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import numpy as np  # noqa: E402

from envs.compare import format_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEURISTICS = ("cyclic", "cyclic_by_id", "partition", "greedy_idleness", "local_greedy",
              "independent_greedy", "random_walk")
CRITIC_NAMES = {"central": "CTDE (central critic)", "shared": "decentralised critic"}


def trial_rows(results) -> list[dict]:
    """Each trial's critic, seed, last checkpoint and training figures, from a ResultGrid."""
    trials = []
    for result in results:
        metrics = result.metrics
        trials.append({
            "critic": result.config["model"]["critic"], "seed": result.config["seed"],
            "checkpoint": result.checkpoint.path,
            "train_s": metrics["time_total_s"], "iterations": metrics["training_iteration"],
            "env_steps": metrics["env_runners"]["num_env_steps_sampled_lifetime"],
            "train_avg_idleness_last": metrics.get("rllib_gnn", {}).get("metric")})
    return sorted(trials, key=lambda t: (t["critic"], t["seed"]))


def train_trials(config: str, budget: float, seeds: list[int], concurrent: int,
                 overrides: list[str], storage: str) -> list[dict]:
    """Train one trial per critic x seed for ``budget`` seconds each; see :func:`trial_rows`."""
    from rllib_gnn.training.experiment import load_experiment
    from rllib_gnn.training.tuner import train

    experiment = load_experiment(config, [
        *overrides, f"storage={storage}", f"stop={{time_total_s: {budget}}}",
        "evaluation.episodes=0", f"tune.param_space.seed={{grid: {seeds}}}",
        f"tune.max_concurrent_trials={concurrent}"])
    return trial_rows(train(experiment))


def finished_trials(run_dir: str) -> list[dict]:
    """The trials of a run trained before (by ``rllib-gnn train``, maybe resumed)."""
    from ray import tune

    from rllib_gnn.training.trainable import ExperimentTrainable

    return trial_rows(tune.Tuner.restore(run_dir, trainable=ExperimentTrainable).get_results())


def evaluate_trials(trials: list[dict], episodes: int) -> dict[str, dict]:
    """Evaluate every checkpoint; rows of the policy per trial and of the heuristics.

    The policy plays twice (``evaluate(..., sampled=True)``): greedy (argmax) and sampling
    its actions, both seeded per episode.
    """
    from rllib_gnn.service.evaluation import evaluate

    heuristics: dict[str, dict] = {}
    for trial in trials:
        rows = {row["player"]: row
                for row in evaluate(trial["checkpoint"], episodes=episodes, sampled=True)}
        trial["eval"], trial["eval_sampled"] = rows["policy"], rows["policy_sampled"]
        heuristics = {name: rows[name] for name in HEURISTICS}  # same episodes every trial
    return heuristics


def summary(trials: list[dict], heuristics: dict[str, dict]) -> list[dict]:
    """One row per player: average idleness over the evaluation episodes, mean over seeds."""
    rows = []
    for critic, name in CRITIC_NAMES.items():
        for decode, key in (("argmax", "eval"), ("sampled", "eval_sampled")):
            per_seed = np.array([t[key]["avg_idleness_mean"] for t in trials
                                 if t["critic"] == critic])
            if len(per_seed):
                rows.append({"player": f"{name}, {decode}", "seeds": len(per_seed),
                             "avg_idleness": float(per_seed.mean()),
                             "std_over_seeds": float(per_seed.std()),
                             "best_seed": float(per_seed.min()),
                             "worst_seed": float(per_seed.max())})
    for name, row in heuristics.items():
        value = row["avg_idleness_mean"]
        rows.append({"player": name, "seeds": "-", "avg_idleness": value,
                     "std_over_seeds": 0.0, "best_seed": value, "worst_seed": value})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "tune_configs" / "patrol_ctde.yaml"))
    parser.add_argument("--budget", type=float, default=600, help="training seconds per trial")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--concurrent", type=int, default=2, help="trials at a time")
    # the players differ by 0.5-1% and single episodes by about 4%: 50 episodes were too few
    parser.add_argument("--episodes", type=int, default=200, help="evaluation episodes")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--storage", help="run dir root (default: a temporary folder)")
    parser.add_argument("--run-dir", help="evaluate this trained run instead of training one")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "patrol_ctde.json"))
    args = parser.parse_args()

    start = time.perf_counter()
    if args.run_dir:
        trials = finished_trials(args.run_dir)
    else:
        storage = args.storage or tempfile.mkdtemp(prefix="patrol_ctde_")
        trials = train_trials(args.config, args.budget, args.seeds, args.concurrent, args.set,
                              storage)
    train_wall = time.perf_counter() - start
    heuristics = evaluate_trials(trials, args.episodes)

    table = [{"critic": t["critic"], "seed": t["seed"], "train_s": t["train_s"],
              "env_steps": t["env_steps"], "avg_idleness": t["eval"]["avg_idleness_mean"],
              "avg_idleness_std": t["eval"]["avg_idleness_std"],
              "worst_idleness": t["eval"]["worst_idleness_mean"],
              "sampled_avg_idleness": t["eval_sampled"]["avg_idleness_mean"],
              "sampled_worst_idleness": t["eval_sampled"]["worst_idleness_mean"]}
             for t in trials]
    rows = summary(trials, heuristics)
    print(format_table(table))
    print(f"\naverage idleness over {args.episodes} evaluation episodes (lower is better):")
    print(format_table(rows))
    record = {"config": args.config, "overrides": args.set, "budget_s": args.budget,
              "seeds": args.seeds, "concurrent": args.concurrent, "episodes": args.episodes,
              "host": {"cpus": os.cpu_count(), "machine": platform.machine()},
              "train_wall_s": train_wall, "trials": trials, "heuristics": heuristics,
              "summary": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2, default=repr) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
