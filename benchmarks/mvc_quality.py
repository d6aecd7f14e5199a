"""MVC quality vs the exact optimum, and the wall time / env steps to reach it.

Trains PPO + GraphRLModule from an experiment YAML (default: tune_configs/mvc_best.yaml) on
the seed blog's preset (Watts–Strogatz, 5/10/15 nodes) for a training-time budget, and
every ``--eval-every`` seconds of training evaluates the greedy policy on fixed 20-node test
graphs against the exact ILP optimum. It records when the mean cover weight first reaches
the blog's best published agent (5.82 on its test graphs, i.e. 1.13 x optimum there) and
the brief's targets (1.02 x optimum), then evaluates the final policy on 20-, 100- and
1,000-node graphs of the same family without retraining, beside greedy and the exact
optimum. Evaluation time is not counted as training time.

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

Prints tables and writes benchmarks/results/mvc_quality.json.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from envs.compare import format_table  # noqa: E402
from envs.graphs import GraphDistribution, sample_graphs  # noqa: E402
from envs.mvc import MinVertexCoverEnv, exact_mvc, greedy_mvc  # noqa: E402
from timing import (  # noqa: E402 (benchmarks/timing.py)
    LOADS, NO_PERIODIC_EVALUATION, busy, rerun_as_the_service)

ROOT = Path(__file__).resolve().parents[1]
BLOG_BEST_RATIO = 1.13  # the blog's GraphSAGE agent: 5.82 on its 20-node test graphs


def greedy_covers(module, graphs) -> np.ndarray:
    """Cover weight of the greedy (argmax) policy on each graph, all episodes in lockstep.

    One batched forward per step for every unfinished episode: no per-graph forward loop.
    """
    from rllib_gnn.nn.inference import resize_module

    envs = [MinVertexCoverEnv({"graphs": [g]}) for g in graphs]
    sized = resize_module(module, envs[0].observation_space, envs[0].action_space)
    sized.eval()
    obs = [env.reset(seed=0)[0] for env in envs]
    weights = np.zeros(len(envs))
    live = list(range(len(envs)))
    with torch.no_grad():
        while live:
            batch = {k: torch.as_tensor(np.stack([obs[i][k] for i in live])) for k in obs[0]}
            logits = sized.forward_inference({"obs": batch})["action_dist_inputs"]
            actions = logits.argmax(-1).tolist()
            still = []
            for i, action in zip(live, actions):
                obs[i], _, term, trunc, info = envs[i].step(action)
                if term or trunc:
                    weights[i] = info["cover_weight"]
                else:
                    still.append(i)
            live = still
    return weights


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

    from rllib_gnn.training.experiment import load_experiment
    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.files import write_json_atomic

    graphs = [] if args.graphs is None else [f"env_config.graphs={args.graphs}"]
    if graphs and "max_nodes=" not in " ".join(args.set):
        graphs.append("env_config.max_nodes=null")  # sized by the new training graphs
    experiment = load_experiment(args.config, [NO_PERIODIC_EVALUATION, *graphs, *args.set])
    family = GraphDistribution.from_config(experiment["env_config"]["graphs"])
    test_sets = {n: sample_graphs(replace(family, sizes=(n,)), args.test_graphs if n < 1000
                                  else args.large_graphs, seed=2026) for n in args.test_sizes}
    test = test_sets[args.test_sizes[0]]
    optimum = np.array([exact_mvc(g)[1] for g in test])

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    algo = build_algorithm_config(experiment).build_algo()
    curve, reached = [], {}
    train_s, next_eval = 0.0, 0.0
    steps, step_budget = 0, args.env_steps or float("inf")
    while train_s < args.budget and steps < step_budget:
        start = time.perf_counter()
        result = algo.train()
        train_s += time.perf_counter() - start
        steps = int(result["env_runners"]["num_env_steps_sampled_lifetime"])
        if train_s >= next_eval or train_s >= args.budget or steps >= step_budget:
            next_eval += args.eval_every
            covers = greedy_covers(algo.get_module("default_policy"), test)
            ratio = float((covers / optimum).mean())
            curve.append({"train_s": train_s, "env_steps": steps, "cover_weight": covers.mean(),
                          "ratio_to_exact": ratio})
            print(f"t {train_s:6.1f}s  steps {steps:8d}  cover {covers.mean():.4f}  "
                  f"ratio {ratio:.4f}", flush=True)
            for target in (BLOG_BEST_RATIO, 1.04, 1.02):
                if ratio <= target and target not in reached:
                    reached[target] = {"train_s": train_s, "env_steps": steps}
    module = algo.get_module("default_policy")
    algo.stop()

    rows = []
    for n, graphs in test_sets.items():
        exact = optimum if graphs is test else np.array([exact_mvc(g)[1] for g in graphs])
        greedy = np.array([greedy_mvc(g)[1] for g in graphs])
        start = time.perf_counter()
        policy = greedy_covers(module, graphs)
        rows.append({"graphs": f"{len(graphs)} x {n} nodes",
                     "exact": exact.mean(), "greedy": greedy.mean(), "policy": policy.mean(),
                     "greedy_ratio": float((greedy / exact).mean()),
                     "policy_ratio": float((policy / exact).mean()),
                     "policy_eval_s": time.perf_counter() - start})
    print()
    print(format_table(rows))
    print()
    for target in (BLOG_BEST_RATIO, 1.04, 1.02):
        hit = reached.get(target)
        print(f"ratio <= {target}: " + (f"after {hit['train_s']:.0f} s of training, "
                                        f"{hit['env_steps']} env steps" if hit else "not reached"))
    out = write_json_atomic(Path(args.out), {
        "experiment": experiment, "budget_s": args.budget, "env_steps_budget": args.env_steps,
        "busy": args.busy, "curve": curve, "final": rows,
        "reached": {str(k): v for k, v in reached.items()}})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
