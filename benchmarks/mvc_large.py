"""MVC on large graphs: seconds per graph and quality of each decoding of a trained policy.

A policy checkpoint of ``rllib-gnn train`` (``--checkpoint``, e.g. of
``tune_configs/mvc_best.yaml``) plays blog-weight Watts–Strogatz graphs (k=4, p=0.3,
weights U[0, 1)) of 1,000, 10,000 and 100,000 nodes with each ``--decoding``: ``one``
(one pick per forward pass, the default everywhere; only up to ``--one-max-nodes``
nodes, it costs O(N) passes) and multi-pick ones (``top_fraction=F``, ``prob_ratio=R``:
``rllib_gnn/nn/decoding.py``), through the player ``rllib-gnn evaluate`` uses (one torch
thread). Each row: seconds per graph (mean and max), forward passes, the cover weight over
the exact optimum (``envs.mvc.exact_mvc``, the scipy MILP, ``--exact-limit`` seconds per
graph; where it proves no optimum in time the ratio is to its lower bound, an upper bound
on the true ratio, marked ``<=``) and over greedy.

    python benchmarks/mvc_large.py --checkpoint CKPT [--sizes 1000 10000 100000]
        [--graphs 10 2 1] [--decoding one top_fraction=0.1 prob_ratio=0.5]
        [--exact-limit 900] [--references FILE] [--busy python|numpy] [--out FILE]

The references (exact, greedy) are solved before the policy plays, without the ``--busy``
load, and kept in ``--references`` (``benchmarks/results/mvc_large_references.json``, by
size, graph, seed and time limit), so that a second run (loaded, other decodings) does
not solve the MILPs again: 10,000 nodes take it 400-500 s a graph here. It runs with the
process environment the service gives a trial (``benchmarks/timing.py``); ``--busy``
keeps one core busy with another process while the policy plays.

Prints a row as each is measured and the table at the end, and rewrites
``benchmarks/results/mvc_large.json`` after every row: a record file
(``rllib_gnn/service/records.py``, atomic) whose table ``decoding`` holds the rows.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from envs.compare import format_table
from envs.graphs import GraphDistribution, sample_graphs
from envs.mvc import MinVertexCoverEnv, OptimumUnproven, exact_mvc, greedy_mvc
from rllib_gnn.service.records import record_file, write_record
from rllib_gnn.training.files import write_json_atomic
from timing import LOADS, busy, rerun_as_the_service  # benchmarks/timing.py

RESULTS = Path(__file__).resolve().parent / "results"
#: The targets of issue 19: seconds per graph by size, and the ratio to the optimum.
TARGET_S = {1_000: 1.0, 10_000: 10.0, 100_000: 120.0}
TARGET_RATIO = 1.04


def blog_graphs(n: int, count: int, seed: int) -> list:
    """``count`` blog-weight Watts–Strogatz graphs of ``n`` nodes."""
    family = GraphDistribution("watts_strogatz", (n,), {"k": 4, "p": 0.3}, "uniform")
    return sample_graphs(family, count, seed)


def reference(graph, exact_limit: float) -> dict:
    """Greedy's cover weight, and the optimum's (or, unproven, the MILP's lower bound)."""
    start = time.perf_counter()
    try:
        exact, bound = exact_mvc(graph, time_limit=exact_limit)[1], None
    except OptimumUnproven as err:
        exact, bound = None, err.bound
    return {"exact": exact, "bound": bound, "exact_s": time.perf_counter() - start,
            "greedy": greedy_mvc(graph)[1]}


def references(sizes, counts, seed: int, exact_limit: float, cache: Path) -> dict:
    """``"n:i" -> reference`` for every graph, from the ``cache`` file where it has the graph
    (same seed and MILP time limit), else solved and added to it at once."""
    known = json.loads(cache.read_text()) if cache.is_file() else {}
    out = {}
    for n, count in zip(sizes, counts):
        for i, graph in enumerate(blog_graphs(n, count, seed)):
            key = f"{n}:{i}:seed={seed}:limit={exact_limit:g}"
            if key not in known:
                known[key] = reference(graph, exact_limit)
                write_json_atomic(cache, known)
            ref = out[f"{n}:{i}"] = known[key]
            print(f"{n} nodes, graph {i}: greedy {ref['greedy']:.2f}, exact "
                  + (f"{ref['exact']:.2f}" if ref["exact"] is not None else
                     f"unproven in {exact_limit:g} s (bound {ref['bound']:.2f})")
                  + f" ({ref['exact_s']:.1f} s)", flush=True)
    return out


def play(module, graphs: list, decoding) -> list[dict]:
    """Each graph's final info and wall seconds under ``decoding``, as evaluate plays it."""
    from rllib_gnn.service.players import policy_player

    env = MinVertexCoverEnv({"graphs": graphs})  # a fixed list: seed i plays graph i
    player = policy_player(module, decoding=decoding)  # graph 0's time has the resize in it
    out = []
    for i in range(len(graphs)):
        start = time.perf_counter()
        info = player(env, i)
        out.append({**info, "wall_s": time.perf_counter() - start})
    return out


def row(n: int, decoding, infos: list[dict], refs: list[dict]) -> dict:
    """One table row: seconds per graph, passes, and the ratios to the references."""
    weights = np.array([info["cover_weight"] for info in infos])
    proven = all(r["exact"] is not None for r in refs)
    optimum = np.array([r["exact"] if proven else r["bound"] for r in refs], float)
    ratio = float(np.mean(weights / optimum))
    seconds = [info["wall_s"] for info in infos]
    return {"nodes": n, "decoding": decoding.label(), "graphs": len(infos),
            "s_per_graph": float(np.mean(seconds)), "max_s": float(np.max(seconds)),
            "forward_passes": float(np.mean([info["forward_passes"] if "forward_passes" in info
                                             else info["length"] for info in infos])),
            "cover_weight": float(weights.mean()),
            "ratio_to_exact": f"{'' if proven else '<= '}{ratio:.4f}",
            "ratio_to_greedy": float(np.mean(weights / [r["greedy"] for r in refs])),
            "meets_targets": bool(np.max(seconds) < TARGET_S.get(n, math.inf)
                                  and ratio <= TARGET_RATIO)}


def run(args: argparse.Namespace, refs: dict) -> list[dict]:
    """Every (size, decoding) row (see the module docstring), the output rewritten after
    each one."""
    from rllib_gnn.nn.decoding import Decoding
    from rllib_gnn.service.checkpoints import load_policy

    module, _ = load_policy(args.checkpoint)
    rows = []
    for n, count in zip(args.sizes, args.graphs):
        graphs = blog_graphs(n, count, args.seed)
        for decoding in map(parse_decoding, args.decoding):
            if decoding == Decoding() and n > args.one_max_nodes:
                continue
            rows.append(row(n, decoding, play(module, graphs, decoding),
                            [refs[f"{n}:{i}"] for i in range(count)]))
            print(format_table(rows[-1:]), flush=True)
            write_record(Path(args.out), record_file(
                "MVC on large graphs: decoding choices", [], tables={"decoding": rows},
                checkpoint=str(Path(args.checkpoint).resolve()), busy=args.busy,
                seed=args.seed, exact_limit_s=args.exact_limit, references=refs,
                targets={"s_per_graph": TARGET_S, "ratio": TARGET_RATIO}))
    return rows


def parse_decoding(text: str):
    """``one``, ``top_fraction=F`` or ``prob_ratio=R`` as a checked Decoding."""
    from rllib_gnn.nn.decoding import Decoding

    if text == "one":
        return Decoding()
    key, _, value = text.partition("=")
    try:
        return Decoding.parse({key: float(value)})
    except ValueError as err:
        raise SystemExit(f"--decoding {text!r}: {err} (or 'one')") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a checkpoint of rllib-gnn train")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--graphs", type=int, nargs="+", default=[10, 2, 1],
                        help="graphs per size")
    parser.add_argument("--decoding", nargs="+",
                        default=["one", "top_fraction=0.05", "top_fraction=0.1",
                                 "top_fraction=0.2", "prob_ratio=0.5"])
    parser.add_argument("--one-max-nodes", type=int, default=1_000,
                        help="largest size decoded one pick per pass")
    parser.add_argument("--exact-limit", type=float, default=900.0, help="MILP seconds a graph")
    parser.add_argument("--references", default=str(RESULTS / "mvc_large_references.json"),
                        help="the file of solved references, read and extended")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--busy", choices=sorted(LOADS), help="keep one core busy meanwhile")
    parser.add_argument("--out", default=str(RESULTS / "mvc_large.json"))
    args = parser.parse_args()
    if len(args.graphs) != len(args.sizes):
        parser.error(f"--graphs needs one count per size ({len(args.sizes)}), got {args.graphs}")
    for text in args.decoding:
        parse_decoding(text)
    rerun_as_the_service()
    refs = references(args.sizes, args.graphs, args.seed, args.exact_limit,
                      Path(args.references))
    with busy(args.busy):
        rows = run(args, refs)
    print()
    print(format_table(rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
