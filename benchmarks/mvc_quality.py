"""MVC quality vs the exact optimum, and the wall time / env steps to reach it.

Trains PPO + GraphRLModule from an experiment YAML (default: tune_configs/mvc_best.yaml) on
the seed blog's preset (Watts–Strogatz, 5/10/15 nodes) for a training-time budget, and
every ``--eval-every`` seconds of training evaluates the greedy policy on the held-out
20-node test episodes (seeds 1000.., the evaluation protocol of ``envs.compare``) against
the exact ILP optimum on the same episodes. It records when the mean per-episode ratio
first reaches the blog's best published agent (5.82 on its test graphs, i.e. 1.13 x optimum
there) and the brief's targets (1.02 x optimum), then evaluates the final policy with the
protocol on 20-, 100- and 1,000-node graphs of the same family without retraining, beside
every MVC baseline (exact, greedy, random): paired standard errors, env steps and wall
time per player, and the policy's training time and env steps. Evaluation time is not
counted as training time.

Other graph families: ``--graphs`` replaces the training graphs (a ``graphs`` mapping in
YAML); the test graphs are the same generator, parameters and weights at each of
``--test-sizes``. ``--env-steps`` ends training at a number of env steps as well (a budget
that does not depend on the machine's load, for comparing two variants).

    python benchmarks/mvc_quality.py [--budget 600] [--config tune_configs/mvc_best.yaml]
        [--busy python|numpy] [--env-steps 300000]
        [--graphs '{generator: barabasi_albert, sizes: [10, 15, 20], params: {m: 2},
                    weights: unit}']

It runs with the process environment the service gives a trial (the threading policy of
``rllib_gnn/training/threads.py``); ``--busy`` keeps one core busy with another process
(started and ended here) for the whole run.

Prints tables and writes benchmarks/results/mvc_quality.json, an evaluation record file
(one evaluation per test size, the learning curve and the targets reached as its tables)
that ``rllib-gnn report`` renders.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from envs.catalog import entry  # noqa: E402
from envs.compare import format_table, held_out_seeds, play_episodes  # noqa: E402
from envs.graphs import GraphDistribution  # noqa: E402
from envs.paired import paired  # noqa: E402
from rllib_gnn.service.players import policy_player  # noqa: E402
from rllib_gnn.service.records import evaluation_record, record_file, write_record  # noqa: E402
from rllib_gnn.service.tables import format_record  # noqa: E402
from timing import (  # noqa: E402 (benchmarks/timing.py)
    LOADS, NO_PERIODIC_EVALUATION, busy, rerun_as_the_service)

ROOT = Path(__file__).resolve().parents[1]
BLOG_BEST_RATIO = 1.13  # the blog's GraphSAGE agent: 5.82 on its 20-node test graphs


def size_configs(experiment: dict, sizes: list[int]) -> dict[int, dict]:
    """The evaluation env config of each test size: the training graphs' generator,
    parameters and weights at that size (the training size limits dropped)."""
    from rllib_gnn.training.experiment import evaluation_env_config

    family = GraphDistribution.from_config(experiment["env_config"]["graphs"])
    return {n: evaluation_env_config(experiment, {"graphs": dataclasses.asdict(
        dataclasses.replace(family, sizes=(n,)))}) for n in sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "tune_configs" / "mvc_best.yaml"))
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds")
    parser.add_argument("--eval-every", type=float, default=30.0, help="training seconds")
    parser.add_argument("--env-steps", type=int, help="also stop at this many env steps")
    parser.add_argument("--graphs", help="training graphs (YAML mapping); default: the config's")
    parser.add_argument("--test-sizes", type=int, nargs="+", default=[20, 100, 1000])
    parser.add_argument("--test-graphs", type=int, default=100)
    parser.add_argument("--large-graphs", type=int, default=20,
                        help="test graphs at sizes of 1,000 nodes and more")
    parser.add_argument("--exact-up-to", type=int, default=None, metavar="N",
                        help="play the exact ILP only at test sizes <= N (default: every "
                             "size); larger sizes get no ratio to the optimum, only the pairs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--busy", choices=sorted(LOADS), help="keep one core busy meanwhile")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mvc_quality.json"))
    args = parser.parse_args()
    rerun_as_the_service()
    with busy(args.busy):
        run(args)


def run(args: argparse.Namespace) -> None:
    """Train, evaluate and write the results (see the module docstring)."""
    import ray

    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.experiment import load_experiment

    graphs = [] if args.graphs is None else [f"env_config.graphs={args.graphs}"]
    if graphs and "max_nodes=" not in " ".join(args.set):
        graphs.append("env_config.max_nodes=null")  # sized by the new training graphs
    experiment = load_experiment(args.config, [NO_PERIODIC_EVALUATION, *graphs, *args.set])
    configs = size_configs(experiment, args.test_sizes)
    curve_config, curve_seeds = configs[args.test_sizes[0]], held_out_seeds(args.test_graphs)
    mvc = entry("mvc")
    optimum = play_episodes(mvc, {"exact": mvc.baseline("exact")}, curve_config,
                            curve_seeds)["exact"].metric

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    algo = build_algorithm_config(experiment).build_algo()
    try:
        module, training, curve = train(algo, args, curve_config, curve_seeds, optimum)
    finally:
        algo.stop()
    evaluations = [evaluate_size(module, training, configs[n],
                                 args.test_graphs if n < 1000 else args.large_graphs, n,
                                 exact=args.exact_up_to is None or n <= args.exact_up_to)
                   for n in args.test_sizes]
    report(args, experiment, evaluations, training, curve)


def train(algo, args, config: dict, seeds: range, optimum) -> tuple:
    """Train for the budget, evaluating the greedy policy on ``seeds`` every
    ``--eval-every`` training seconds; ``(module, training cost, curve)``."""
    mvc = entry("mvc")
    curve = []
    train_s, next_eval, steps, iterations = 0.0, 0.0, 0, 0
    step_budget = args.env_steps or float("inf")
    while train_s < args.budget and steps < step_budget:
        start = time.perf_counter()
        result = algo.train()
        train_s += time.perf_counter() - start
        steps = int(result["env_runners"]["num_env_steps_sampled_lifetime"])
        iterations += 1
        if train_s >= next_eval or train_s >= args.budget or steps >= step_budget:
            next_eval += args.eval_every
            policy = policy_player(algo.get_module("default_policy"))
            covers = play_episodes(mvc, {"policy": policy}, config, seeds)["policy"].metric
            stats = paired(covers, optimum)
            curve.append({"train_s": train_s, "env_steps": steps,
                          "cover_weight": float(covers.mean()),
                          "ratio_to_exact": stats["ratio"],
                          "ratio_to_exact_se": stats["ratio_se"]})
            print(f"t {train_s:6.1f}s  steps {steps:8d}  cover {covers.mean():.4f}  "
                  f"ratio {stats['ratio']:.4f} ± {stats['ratio_se']:.4f}", flush=True)
    training = {"time_total_s": train_s, "env_steps": steps, "iteration": iterations}
    return algo.get_module("default_policy"), training, curve


def evaluate_size(module, training: dict, config: dict, episodes: int, size: int,
                  exact: bool = True) -> dict:
    """The protocol's evaluation of the policy and every MVC baseline (without ``exact``:
    every one but the ILP) at one test size."""
    mvc = entry("mvc")
    players = {"policy": policy_player(module),
               **{name: mvc.baseline(name) for name in mvc.baselines
                  if exact or name != "exact"}}
    played = play_episodes(mvc, players, config, held_out_seeds(episodes))
    return evaluation_record("mvc", played, config, f"{episodes} x {size}-node graphs",
                             pairs_for=["policy"], training=training)


def reached(curve: list[dict]) -> list[dict]:
    """When the curve's ratio first reached each target (None: never)."""
    rows = []
    for target in (BLOG_BEST_RATIO, 1.04, 1.02):
        hit = next((point for point in curve if point["ratio_to_exact"] <= target), {})
        rows.append({"ratio_to_exact_at_most": target, "train_s": hit.get("train_s"),
                     "env_steps": hit.get("env_steps")})
    return rows


def report(args, experiment: dict, evaluations: list[dict], training: dict,
           curve: list[dict]) -> None:
    """Print the tables and write the record file."""
    for evaluation in evaluations:
        print(f"\n{format_record(evaluation)}")
    targets = reached(curve)
    print()
    print(format_table(targets))
    out = write_record(Path(args.out), record_file(
        f"MVC quality: {experiment['name']}, trained {training['time_total_s']:.0f} s",
        evaluations, tables={"curve": curve, "targets reached": targets},
        experiment=experiment, budget_s=args.budget, env_steps_budget=args.env_steps,
        busy=args.busy))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
