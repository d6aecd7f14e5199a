"""PPO training throughput (env steps/s) vs env runners, envs per runner and torch threads.

Builds the algorithm of an experiment YAML (default: tune_configs/mvc_best.yaml, GraphSAGE
2 x 128 on the blog's MVC preset) once per setting, runs one warm-up iteration, then times
``--iterations`` iterations: env steps sampled / wall seconds, with RLlib's own sampling and
learner-update timers beside it.

    python benchmarks/training_throughput.py [--runners 0 1 2] [--envs 8 32] [--threads 1 2]

Each setting runs in a fresh subprocess (torch's thread count and Ray are per process).
Prints a table and writes benchmarks/results/training_throughput.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from timing import time_training  # benchmarks/timing.py (scripts run from here)

ROOT = Path(__file__).resolve().parents[1]


def one_setting(config: str, runners: int, envs: int, threads: int, iterations: int,
                overrides: list[str]) -> dict:
    """Measure one setting in this process (called in a subprocess by main)."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray
    import torch

    from rllib_gnn.training.experiment import load_experiment
    from rllib_gnn.training.algorithm import build_algorithm_config

    torch.set_num_threads(threads)
    experiment = load_experiment(config, [*overrides, f"env_runners.num_env_runners={runners}",
                                          f"env_runners.num_envs_per_env_runner={envs}"])
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    algo = build_algorithm_config(experiment).build_algo()
    timing = time_training(algo, iterations)
    algo.stop()
    ray.shutdown()
    model = experiment["model"]
    return {"runners": runners, "envs_per_runner": envs, "torch_threads": threads,
            "model": f"{model['encoder']} {model['num_layers']}x{model['hidden']}",
            **timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "tune_configs" / "mvc_best.yaml"))
    parser.add_argument("--runners", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--envs", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "training_throughput.json"))
    args = parser.parse_args()

    if args.one:
        row = one_setting(args.config, args.runners[0], args.envs[0], args.threads[0],
                          args.iterations, args.set)
        print("RESULT " + json.dumps(row))
        return

    from envs.compare import format_table

    rows = []
    for runners, envs, threads in itertools.product(args.runners, args.envs, args.threads):
        cmd = [sys.executable, __file__, "--one", "--config", args.config,
               "--runners", str(runners), "--envs", str(envs), "--threads", str(threads),
               "--iterations", str(args.iterations), *sum((["--set", s] for s in args.set), [])]
        out = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
        if not lines:
            print(f"runners={runners} envs={envs} threads={threads} failed:\n{out.stderr[-2000:]}")
            continue
        rows.append(json.loads(lines[-1][len("RESULT "):]))
        print(format_table(rows[-1:]), flush=True)
    print()
    print(format_table(rows))
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"config": args.config, "overrides": args.set, "rows": rows},
                               indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
