"""PPO training throughput (env steps/s), quiet and with other work on the machine.

Builds the algorithm of an experiment YAML (default: tune_configs/mvc_best.yaml, GraphSAGE
2 x 128 on the blog's MVC preset) once per setting, runs one warm-up iteration, then times
``--iterations`` iterations: env steps sampled / wall seconds, with RLlib's own sampling and
learner-update timers beside it.

    python benchmarks/training_throughput.py [--runners 0 1 2] [--envs 8 32] [--threads 1 2]
        [--loads quiet python numpy] [--busy 1] [--policy default off]

Each setting runs in a fresh subprocess (torch's thread count and Ray are per process), once
per load, in the same run: ``quiet``, or with ``--busy`` other processes started here and
ended after it, each keeping one core busy: ``python`` (a pure-Python loop) or ``numpy``
(single-threaded matrix products). ``--policy default`` measures the service's threading
policy (``rllib_gnn/training/threads.py``: sampling on one torch thread, the update on
``--threads``, OpenMP threads that sleep rather than spin), ``off`` torch's own behaviour
(every op on ``--threads`` threads, OpenMP's default wait policy).
Prints a table (with each loaded figure's share of the quiet one) and writes
benchmarks/results/training_throughput.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from timing import (  # benchmarks/timing.py (scripts run from here)
    LOADS, NO_PERIODIC_EVALUATION, busy, overlap_overrides, service_env, time_training)

ROOT = Path(__file__).resolve().parents[1]


def one_setting(args: argparse.Namespace) -> dict:
    """Measure one setting in this process (called in a subprocess by main)."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray
    import torch

    from rllib_gnn.training import threads as policy
    from rllib_gnn.training.algorithm import build_algorithm_config
    from rllib_gnn.training.experiment import load_experiment

    runners, envs, count = args.runners[0], args.envs[0], args.threads[0]
    if args.policy[0] == "off":
        policy.SAMPLING_THREADS = count  # sample on the learner's threads, as torch would
    torch.set_num_threads(count)  # what Ray gives a process of num_cpus=count
    experiment = load_experiment(args.config, [
        NO_PERIODIC_EVALUATION, *overlap_overrides(runners), *args.set,
        f"env_runners.num_env_runners={runners}", f"env_runners.num_envs_per_env_runner={envs}"])
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
             runtime_env=(policy.runtime_env() or None) if args.policy[0] == "default" else None)
    algo = build_algorithm_config(experiment).build_algo()
    timing = time_training(algo, args.iterations)
    algo.stop()
    ray.shutdown()
    model = experiment["model"]
    return {"runners": runners, "envs_per_runner": envs, "torch_threads": count,
            "policy": args.policy[0], "model": f"{model['encoder']} {model['num_layers']}x"
                                               f"{model['hidden']}", **timing}


def measured(args: argparse.Namespace, runners: int, envs: int, count: int, policy: str,
             load: str) -> dict | None:
    """One setting in a fresh subprocess under ``load``; None (and the reason) if it failed."""
    env = service_env() if policy == "default" else dict(os.environ)
    cmd = [sys.executable, __file__, "--one", "--config", args.config, "--runners", str(runners),
           "--envs", str(envs), "--threads", str(count), "--policy", policy,
           "--iterations", str(args.iterations), *sum((["--set", s] for s in args.set), [])]
    with busy(None if load == "quiet" else load, args.busy):
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        print(f"runners={runners} envs={envs} threads={count} policy={policy} load={load} "
              f"failed:\n{out.stderr[-2000:]}")
        return None
    return {"load": load, "busy": 0 if load == "quiet" else args.busy,
            **json.loads(lines[-1][len("RESULT "):])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "tune_configs" / "mvc_best.yaml"))
    parser.add_argument("--runners", type=int, nargs="+", default=[0])
    parser.add_argument("--envs", type=int, nargs="+", default=[32])
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--policy", nargs="+", choices=("default", "off"), default=["default"])
    parser.add_argument("--loads", nargs="+", choices=("quiet", *LOADS),
                        default=["quiet", *LOADS])
    parser.add_argument("--busy", type=int, default=1, help="busy processes per load")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "training_throughput.json"))
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one_setting(args)))
        return

    from envs.compare import format_table

    rows = []
    for setting in itertools.product(args.runners, args.envs, args.threads, args.policy):
        quiet = None
        for load in args.loads:
            row = measured(args, *setting, load)
            if row is None:
                continue
            quiet = row["env_steps_per_s"] if load == "quiet" else quiet
            row["share_of_quiet"] = row["env_steps_per_s"] / quiet if quiet else float("nan")
            rows.append(row)
            print(format_table(rows[-1:]), flush=True)
    print()
    print(format_table(rows))
    from rllib_gnn.training.files import write_json_atomic

    path = write_json_atomic(Path(args.out), {"config": args.config, "overrides": args.set,
                                              "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
