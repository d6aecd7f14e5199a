"""PPO training throughput on a one-node vs a two-node Ray cluster, vs env runners.

Trains an experiment YAML (default: tune_configs/mvc_best.yaml) against a running Ray
cluster: one warm-up iteration, then ``--iterations`` timed ones, reporting env steps
sampled / wall seconds with RLlib's sampling and learner-update timers beside it, for each
``--nodes`` count and ``--runners`` (num_env_runners) setting.

    python benchmarks/cluster_scaling.py [--nodes 1 2] [--runners 1 2 4] [--iterations 3]
                                         [--cpus-per-node N] [--set KEY.PATH=VALUE ...]
    python benchmarks/cluster_scaling.py --address HOST:GCS_PORT   # an existing cluster

The local clusters are the tests' (tests/cluster/local_cluster.py): docker/entrypoint.sh
nodes on 127.0.0.1 only, token authentication (the head writes the token file, the others
read it through RAY_AUTH_TOKEN_PATH), each node its own temp dir and free ports. One cluster
is started per node count (head only, or head + one worker raylet; each node
``--cpus-per-node`` CPUs, default this machine's cores / 2) and torn down at the end, even
on error, by stopping only the node processes this script started (never ``ray stop``,
which ends every Ray process of the user). Each setting runs in a fresh subprocess that
connects with RAY_ADDRESS and builds the algorithm in-process (the driver holds the
learner: num_learners=0; the env runners are Ray actors placed by Ray across the nodes).

Settings whose env runners need more CPUs than the cluster has (num_env_runners x
env_runners.num_cpus_per_env_runner, RLlib's default 1 per runner) are reported as
*skipped*, not run: lower the per-runner CPUs to run them, e.g.
``--set env_runners.num_cpus_per_env_runner=0.5`` (runners then share cores).

On one 2-core host the two raylets share the same cores, so the two-node figure shows the
overhead of a second raylet (cross-node actor placement, object transfer, more processes),
not a speed-up. For real scaling numbers run it against a real cluster with ``--address``
(then ``--nodes`` only labels the rows with the cluster's node count, and RAY_AUTH_TOKEN /
RAY_AUTH_TOKEN_PATH must give that cluster's token).

Prints a table and writes benchmarks/results/cluster_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from timing import (  # benchmarks/timing.py
    NO_PERIODIC_EVALUATION, overlap_overrides, time_training)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.cluster.local_cluster


def one_setting(config: str, runners: int, iterations: int, overrides: list[str]) -> dict:
    """Measure one setting in this process against the cluster at RAY_ADDRESS."""
    import ray

    from rllib_gnn.training.experiment import load_experiment
    from rllib_gnn.training.algorithm import build_algorithm_config

    experiment = load_experiment(config, [NO_PERIODIC_EVALUATION, *overlap_overrides(runners),
                                          *overrides, f"env_runners.num_env_runners={runners}"])
    ray.init(address=os.environ["RAY_ADDRESS"], log_to_driver=False)
    nodes = sum(1 for n in ray.nodes() if n["Alive"])
    cluster_cpus = ray.cluster_resources().get("CPU", 0.0)
    per_runner = float(experiment["env_runners"].get("num_cpus_per_env_runner", 1))
    row = {"nodes": nodes, "cluster_cpus": cluster_cpus, "runners": runners,
           "cpus_per_runner": per_runner}
    if runners * per_runner > cluster_cpus:
        ray.shutdown()
        return {**row, "env_steps": "", "seconds": "", "env_steps_per_s": "skipped",
                "sampling_timer_s": "", "learner_timer_s": "",
                "note": f"needs {runners * per_runner:g} CPUs"}
    algo = build_algorithm_config(experiment).build_algo()
    timing = time_training(algo, iterations)
    # Where the env runner actors ran (node count), as Ray placed them.
    try:
        from ray.util.state import list_actors
        runner_nodes = str(len({a.node_id for a in list_actors(
            filters=[("state", "=", "ALIVE")]) if "EnvRunner" in a.class_name}))
    except Exception:  # noqa: BLE001 - the state API is a nicety here
        runner_nodes = "?"
    algo.stop()
    ray.shutdown()
    return {**row, **timing, "note": f"runners on {runner_nodes} node(s)"}


def start_cluster(nodes: int, cpus_per_node: int):
    """A loopback cluster of ``nodes`` (1 or 2) nodes, as tests/cluster/local_cluster.py."""
    from tests.cluster.local_cluster import LocalCluster, node_command

    cluster = LocalCluster(num_cpus_per_node=cpus_per_node)
    if nodes == 2:
        cluster.start()
    else:  # LocalCluster.start's head only
        cluster._start("head", node_command("head") + [
            "--temp-dir", f"{cluster.temp_dir}/h",
            "--ray-client-server-port", str(cluster.client_port),
            "--dashboard-agent-listen-port", str(cluster.head_agent_port)])
    return cluster


def run_settings(args, nodes: int, env: dict) -> list[dict]:
    rows = []
    for runners in args.runners:
        cmd = [sys.executable, __file__, "--one", "--config", args.config,
               "--runners", str(runners), "--iterations", str(args.iterations),
               *sum((["--set", s] for s in args.set), [])]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
        if not lines:
            print(f"nodes={nodes} runners={runners} failed:\n{out.stderr[-2000:]}", flush=True)
            continue
        rows.append(json.loads(lines[-1][len("RESULT "):]))
        if args.address is None and rows[-1]["nodes"] != nodes:
            print(f"warning: expected {nodes} nodes, the cluster had {rows[-1]['nodes']}")
        from envs.compare import format_table
        print(format_table(rows[-1:]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "tune_configs" / "mvc_best.yaml"))
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--cpus-per-node", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--address", default=None,
                        help="an existing cluster's GCS address: start no local cluster")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "cluster_scaling.json"))
    args = parser.parse_args()

    if args.one:
        row = one_setting(args.config, args.runners[0], args.iterations, args.set)
        print("RESULT " + json.dumps(row))
        return

    from envs.compare import format_table

    rows: list[dict] = []
    start = time.perf_counter()
    if args.address:
        env = {**os.environ, "RAY_ADDRESS": args.address}
        rows += run_settings(args, 0, env)
    else:
        for nodes in args.nodes:
            cluster = start_cluster(nodes, args.cpus_per_node)
            try:
                cluster.wait_for_nodes(nodes)
                print(f"-- {nodes}-node loopback cluster at {cluster.head_address}, "
                      f"{args.cpus_per_node} CPU(s) per node", flush=True)
                env = {**cluster.client_env, "RAY_ADDRESS": cluster.head_address}
                rows += run_settings(args, nodes, env)
            finally:
                survivors = cluster.stop()
                if survivors:
                    print(f"killed after SIGTERM: {survivors}")
    wall = time.perf_counter() - start
    print()
    print(format_table(rows))
    print(f"total wall time {wall:.0f} s")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"config": args.config, "overrides": args.set,
                                "address": args.address, "cpus_per_node": args.cpus_per_node,
                                "iterations": args.iterations, "wall_s": wall, "rows": rows},
                               indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
