"""Forward-pass latency and peak memory of GraphRLModule vs graph size, per encoder.

For each encoder (gcn, gat, sage, gin, gine, transformer), graph size (Watts-Strogatz,
k=4, p=0.3: 100, 1,000, 10,000 and 100,000 nodes, 4n directed edges) and batch size (1 and
64 copies of the graph) it times ``module.forward_inference({"obs": batch})`` under
``torch.no_grad`` and measures the memory that the forward pass and its input need.
Prints a table and one "linearity" line per encoder, and writes
``benchmarks/results/module_latency.json``.

    python benchmarks/module_latency.py [--sizes 100 1000 10000 100000] [--batches 1 64]
        [--encoders gcn gat ...] [--max-total-nodes 100000] [--reps 20] [--seconds 2]
        [--device cpu|cuda] [--head node|edge|two_stage_edge] [--threads 1] [--compare-pyg]
        [--loads none python] [--repeats 3]

Setup: module of 2 layers x 128 hidden, head ``--head`` ("node": one action per node; an
edge head: one per directed edge slot, every slot valid), pooling "mean", critic "shared",
``--node-features`` (4) random node features; gat, gine and transformer also get 1 random
edge feature (so they use edge features), the others none. Observations are packed with
``envs.contract.GraphObsSpec`` (max_nodes = n, max_edges = 4n), so the module sees exactly
the env contract (batch 64 = the same packed graph stacked 64 times, in separate memory).

How it measures:

* every (encoder, size, batch) runs in a fresh subprocess of this script (hidden ``--one``
  mode, one JSON line on stdout), so peak memory figures do not leak between runs;
* latency: median wall time of the timed forward passes after warm-up (a first,
  checked pass, plus one more below 50k total nodes): up to ``--reps`` (20) passes, but
  timing stops once at least 3 passes took ``--seconds`` (2 s), so big inputs get 3;
  on cuda the timers synchronise;
* peak memory (cpu): ``ru_maxrss`` after all passes minus the RSS just before the input
  batch is built (after module construction and one tiny 10-node priming pass, so
  one-off library start-up is not counted); it is the memory the input plus the forward
  pass's intermediates need. On cuda: ``torch.cuda.max_memory_allocated`` minus the
  memory allocated before the input is built;
* the table also shows the fastest pass (min ms): on a machine shared with other work,
  OpenMP threads that wait on a busy core make single passes 10-100x slower;
* input MiB: bytes of the observation tensors handed to the module;
* for 1,000 nodes x batch 64 it also times forward_train + compute_values(embeddings)
  (the learner's value path, under no_grad);
* ``--compare-pyg``: gat/transformer are also timed with their convolutions set back to
  PyG's classes (same weights, outputs checked equal), alternating pass by pass with ours
  in the same child (``pyg_median_ms``; peak memory is then the larger of the two);
* ``--loads none python``: each run quiet and then with ``timing.busy`` keeping one more
  core busy; ``--repeats R``: the whole grid R times, each figure the median of the R.

Combinations with nodes x batch above ``--max-total-nodes`` (default 100,000) are skipped
(listed in the table). The default leaves out 10k x 64 and 100k x 64: on 2 CPU cores one
10k x 64 pass (640k nodes, 2.56M edges) took 15 s / 4.7 GiB (gcn) to 45-50 s / 18-20 GiB
(gat, transformer with PyG's layers: per-edge, per-head messages); ``--max-total-nodes 1000000``
adds 10k x 64 (needs a big machine or ``--device cuda``). The graph of each size is
generated once (seed 0) by the parent and handed to the children as an ``.npz`` file.
Default settings take about 10 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from module_latency_child import EDGE_HEADS, run_one  # benchmarks/ (scripts run from here)
from timing import busy  # benchmarks/timing.py

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENCODERS = ["gcn", "gat", "sage", "gin", "gine", "transformer"]


# ---------------------------------------------------------------------------- parent side
def make_graph(n: int, path: Path) -> int:
    """Watts-Strogatz (k=4, p=0.3, seed 0) with ``n`` nodes, saved as ``edge_index``."""
    from envs.graphs import watts_strogatz
    graph = watts_strogatz(n, np.random.default_rng(0), k=4, p=0.3)
    edge_index = graph.edge_index
    np.savez(path, edge_index=edge_index)
    return int(edge_index.shape[1])


def spawn(args: argparse.Namespace, encoder: str, n: int, b: int, graph: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", "--one-encoder", encoder,
           "--one-nodes", str(n), "--one-batch", str(b), "--graph", str(graph),
           "--device", args.device, "--reps", str(args.reps), "--seconds", str(args.seconds),
           "--threads", str(args.threads), "--head", args.head,
           "--node-features", str(args.node_features),
           *(["--compare-pyg"] if args.compare_pyg else []),
           "--values-nodes", str(args.values_nodes), "--values-batch", str(args.values_batch)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {args.timeout}s"}
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
        return {"error": f"exit {proc.returncode}: {tail[0][:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def merge_runs(runs: list[dict]) -> dict:
    """One row from repeated runs of a setting: each median (ours, PyG's) the median over
    the runs (kept in ``runs_ms`` / ``pyg_runs_ms``), the least min, the rest from run 1."""
    ok = [r for r in runs if "median_ms" in r]
    row = dict(ok[0]) if ok else runs[-1]
    for pre in ("pyg_", "") if ok else ():
        if pre + "median_ms" in row:
            row[pre + "runs_ms"] = [r[pre + "median_ms"] for r in ok]
            row[pre + "median_ms"] = statistics.median(row[pre + "runs_ms"])
            row[pre + "min_ms"] = min(r[pre + "min_ms"] for r in ok)
    if ok:
        row["ms_per_graph"] = row["median_ms"] / row["batch"]
    return row


def linearity(results: list[dict], encoder: str, small: int, large: int) -> float | None:
    """(peak / (nodes+edges)) at ``small`` over the same at ``large``, batch 1."""
    rows = {r["nodes"]: r for r in results
            if r["encoder"] == encoder and r["batch"] == 1 and "peak_mib" in r
            and r["load"] == "none"}
    if small not in rows or large not in rows:
        return None
    per = {k: rows[k]["peak_mib"] / (rows[k]["nodes"] + rows[k]["edges"]) for k in (small, large)}
    return per[small] / per[large] if per[large] > 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 100000])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--encoders", nargs="+", default=ENCODERS, choices=ENCODERS)
    parser.add_argument("--max-total-nodes", type=int, default=100_000,
                        help="skip combinations whose nodes x batch exceeds this (1000000 "
                             "adds 10k x 64: minutes per pass and up to ~20 GiB on CPU)")
    parser.add_argument("--reps", type=int, default=20, help="most timed passes per run")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="stop timing once >= 3 passes took this long (big inputs)")
    parser.add_argument("--node-features", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads in the children (0: torch's default, "
                             "all cores; 1 avoids OpenMP stalls on a busy machine)")
    parser.add_argument("--compare-pyg", action="store_true",
                        help="also time gat/transformer with PyG's own convolutions, "
                             "alternating with ours in the same process")
    parser.add_argument("--loads", nargs="+", default=["none"],
                        help="'none' and/or a benchmarks.timing.LOADS kind: each run once "
                             "per load, back to back")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run the whole grid this many times; report medians")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--head", default="node", choices=["node", *EDGE_HEADS],
                        help="the action head (an edge head scores the 4n edge slots)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per child run")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "module_latency.json"))
    # Hidden single-run mode used by the parent (one JSON line on stdout).
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one-encoder", help=argparse.SUPPRESS)
    parser.add_argument("--one-nodes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    parser.add_argument("--values-nodes", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--values-batch", type=int, default=64, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_one(args)))
        return

    start = time.perf_counter()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="module_latency_") as tmp:
        graphs, num_edges = {}, {}
        for n in args.sizes:
            graphs[n] = Path(tmp) / f"ws_{n}.npz"
            num_edges[n] = make_graph(n, graphs[n])
        runs: dict[tuple, list[dict]] = {}
        for repeat, (encoder, n, b), load in itertools.product(
                range(args.repeats), itertools.product(args.encoders, args.sizes, args.batches),
                args.loads):
            if n * b > args.max_total_nodes:
                runs[encoder, n, b, load] = [{"skipped": f"nodes x batch > {args.max_total_nodes}"}]
                continue
            with busy(None if load == "none" else load):
                last = spawn(args, encoder, n, b, graphs[n])
            runs.setdefault((encoder, n, b, load), []).append(last)
            print(f"  [{repeat + 1}/{args.repeats}] {encoder} n={n} b={b} load={load}: " + (
                ", ".join(f"{k} {last[k]:.1f}" for k in ("median_ms", "pyg_median_ms") if k in last)
                or last.get("error", "")), file=sys.stderr, flush=True)
        results = [{"encoder": k[0], "nodes": k[1], "edges": num_edges[k[1]], "batch": k[2],
                    "load": k[3], **merge_runs(v)} for k, v in runs.items()]
    wall = time.perf_counter() - start

    def cell(row: dict, key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row and row[key] is not None else "-"

    table = []
    for r in results:
        note = ("skipped: " + r["skipped"]) if "skipped" in r else r.get("error", "")
        table.append({"encoder": r["encoder"], "nodes": str(r["nodes"]), "edges": str(r["edges"]),
                      "batch": str(r["batch"]), "load": r["load"],
                      "median ms": cell(r, "median_ms", ".2f"),
                      **({"PyG median ms": cell(r, "pyg_median_ms", ".2f")}
                         if args.compare_pyg else {}),
                      "min ms": cell(r, "min_ms", ".2f"),
                      "ms/graph": cell(r, "ms_per_graph", ".3f"),
                      "peak MiB": cell(r, "peak_mib", ".1f"),
                      "input MiB": cell(r, "input_mib", ".2f"), "note": note})
    from envs.compare import format_table
    print(format_table(table))

    values = [r for r in results if r.get("fwd_values_ms") is not None]
    if values:
        print(f"\nforward_train + compute_values, {args.values_nodes} nodes x batch "
              f"{args.values_batch} (vs forward_inference):")
        for r in values:
            print(f"  {r['encoder']:12s} {r['fwd_values_ms']:8.2f} ms  (inference "
                  f"{r['median_ms']:.2f} ms)")

    lin = {}
    if 10000 in args.sizes and 100000 in args.sizes and 1 in args.batches:
        print("\nlinearity: (peak / (nodes+edges)) at 10k over 100k, batch 1 "
              "(~1 = linear memory)")
        for encoder in args.encoders:
            lin[encoder] = linearity(results, encoder, 10000, 100000)
            print(f"  {encoder:12s} " + ("-" if lin[encoder] is None else f"{lin[encoder]:.2f}"))
    threads = next((r["threads"] for r in results if "threads" in r), None)
    print(f"\nwall time {wall:.0f} s, device {args.device}, torch threads {threads}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "settings": {k: v for k, v in vars(args).items() if not k.startswith("one")
                     and k not in ("graph", "out")},
        "model_config": {"hidden": 128, "num_layers": 2, "head": args.head, "pooling": "mean",
                         "critic": "shared"},
        "graph": {"generator": "watts_strogatz", "k": 4, "p": 0.3, "seed": 0},
        "wall_s": wall, "results": results, "linearity_10k_over_100k": lin}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
