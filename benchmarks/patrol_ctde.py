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
teammates' moves), independent greedy (each agent alone, no predictions) and random walk:
the evaluation protocol of ``rllib-gnn evaluate`` (held-out seeds 1000.., paired standard
errors, each trial's training wall time and env steps at its checkpoint). Prints a table
per trial and a summary over seeds, and writes ``benchmarks/results/patrol_ctde.json``, an
evaluation record file (one evaluation per trial) that ``rllib-gnn report`` renders.

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
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import numpy as np  # noqa: E402

from envs.compare import format_table  # noqa: E402
from rllib_gnn.service.records import record_file, write_record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEURISTICS = ("cyclic", "cyclic_by_id", "partition", "greedy_idleness", "local_greedy",
              "independent_greedy", "random_walk")
CRITIC_NAMES = {"central": "CTDE (central critic)", "shared": "decentralised critic"}


def trial_rows(results) -> list[dict]:
    """Each trial's critic, seed and last checkpoint, from a ResultGrid (what training cost
    comes with its evaluation, from the trial's results at that checkpoint)."""
    trials = [{"critic": result.config["model"]["critic"], "seed": result.config["seed"],
               "checkpoint": result.checkpoint.path} for result in results]
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


def evaluate_trials(trials: list[dict], episodes: int) -> list[dict]:
    """The protocol's evaluation of every checkpoint (each beside every heuristic, on the
    same held-out episodes), named by its critic and seed. The policy plays twice
    (``evaluate(..., sampled=True)``): greedy (argmax) and sampling its actions, both
    seeded per episode."""
    from rllib_gnn.service.evaluation import evaluate

    evaluations = []
    for trial in trials:
        evaluation = evaluate(trial["checkpoint"], episodes=episodes, sampled=True)
        evaluation["name"] = f"{CRITIC_NAMES[trial['critic']]}, seed {trial['seed']}"
        evaluations.append(evaluation)
    return evaluations


def _rows(evaluation: dict) -> dict[str, dict]:
    return {row["player"]: row for row in evaluation["rows"]}


def trial_table(trials: list[dict], evaluations: list[dict]) -> list[dict]:
    """One row per trial: its training cost and its policy's average idleness (argmax and
    sampled), the argmax one's paired ratio to greedy idleness."""
    table = []
    for trial, evaluation in zip(trials, evaluations):
        rows, cost = _rows(evaluation), evaluation["training"] or {}
        [greedy] = [p for p in evaluation["pairs"]
                    if (p["player"], p["against"]) == ("policy", "greedy_idleness")]
        table.append({"critic": trial["critic"], "seed": trial["seed"],
                      "train_s": cost.get("time_total_s"), "env_steps": cost.get("env_steps"),
                      "avg_idleness": rows["policy"]["avg_idleness_mean"],
                      "worst_idleness": rows["policy"]["worst_idleness_mean"],
                      "ratio_to_greedy_idleness": greedy["ratio"],
                      "ratio_to_greedy_idleness_se": greedy["ratio_se"],
                      "sampled_avg_idleness": rows["policy_sampled"]["avg_idleness_mean"]})
    return table


def summary(trials: list[dict], evaluations: list[dict]) -> list[dict]:
    """One row per player: average idleness over the evaluation episodes, mean over seeds."""
    rows = []
    for critic, name in CRITIC_NAMES.items():
        for decode, player in (("argmax", "policy"), ("sampled", "policy_sampled")):
            per_seed = np.array([_rows(e)[player]["avg_idleness_mean"]
                                 for t, e in zip(trials, evaluations) if t["critic"] == critic])
            if len(per_seed):
                rows.append({"player": f"{name}, {decode}", "seeds": len(per_seed),
                             "avg_idleness": float(per_seed.mean()),
                             "std_over_seeds": float(per_seed.std()),
                             "best_seed": float(per_seed.min()),
                             "worst_seed": float(per_seed.max())})
    heuristics = _rows(evaluations[-1])  # the same episodes in every evaluation
    for name in HEURISTICS:
        value = heuristics[name]["avg_idleness_mean"]
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
    evaluations = evaluate_trials(trials, args.episodes)

    table, rows = trial_table(trials, evaluations), summary(trials, evaluations)
    print(format_table(table))
    print(f"\naverage idleness over {args.episodes} evaluation episodes (lower is better):")
    print(format_table(rows))
    write_record(Path(args.out), record_file(
        "Team patrolling: CTDE vs a decentralised critic vs the heuristics", evaluations,
        tables={"trials": table, "summary over seeds": rows}, config=args.config,
        overrides=args.set, budget_s=args.budget, seeds=args.seeds,
        concurrent=args.concurrent, train_wall_s=train_wall))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
