"""TSP baselines on the same seeded episodes: tour length against the exact optimum.

Every ``tsp`` baseline of the catalog plays the same episodes (seeds 1000.. by default) of
uniform points in the unit square at each size; ``exact`` only up to ``--exact-up-to``
cities (its integer program takes seconds to minutes at 100). For each player: the mean
tour length with its standard error, the mean per-episode ratio to ``exact`` (where it ran)
and to ``christofides`` on the same episode with its paired standard error, and the wall
time per episode (solving included). Prints a table per size and writes
``benchmarks/results/tsp_baselines.json`` (atomically).

    python benchmarks/tsp_baselines.py [--sizes 20 50 100] [--episodes 100] [--seed 1000]
        [--exact-up-to 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from envs.catalog import entry
from envs.compare import format_table
from rllib_gnn.training.files import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ("exact", "christofides")


def lengths_and_times(size: int, seeds: range, names: list[str]) -> dict[str, np.ndarray]:
    """Player -> (episodes, 2) per-episode tour length and wall seconds."""
    tsp = entry("tsp")
    config = {"graphs": {"generator": "uniform_points", "sizes": [size], "weights": "unit"}}
    out = {}
    for name in names:
        env, player, rows = tsp.make(config), tsp.baseline(name), []
        for seed in seeds:
            start = time.perf_counter()
            length = player(env, seed)["tour_length"]
            rows.append((length, time.perf_counter() - start))
        out[name] = np.array(rows)
    return out


def table(logs: dict[str, np.ndarray]) -> list[dict]:
    """One row per player: mean tour length (s.e.), paired ratios to the references that
    ran, milliseconds per episode."""
    out = []
    for name, values in logs.items():
        length = values[:, 0]
        row = {"player": name, "tour_length": float(length.mean()),
               "se": float(length.std(ddof=1) / np.sqrt(len(length)))}
        for ref in REFERENCES:
            if ref in logs:
                ratios = length / logs[ref][:, 0]
                row[f"ratio_to_{ref}"] = float(ratios.mean())
                row[f"ratio_to_{ref}_se"] = float(ratios.std(ddof=1) / np.sqrt(len(ratios)))
        row["ms_per_episode"] = 1000 * float(values[:, 1].mean())
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1000, help="first episode seed")
    parser.add_argument("--exact-up-to", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "tsp_baselines.json"))
    args = parser.parse_args()

    seeds = range(args.seed, args.seed + args.episodes)
    record = {"episodes": args.episodes, "seeds": [seeds.start, seeds.stop - 1],
              "host": {"cpus": os.cpu_count(), "machine": platform.machine()}, "sizes": {}}
    for size in args.sizes:
        names = [n for n in entry("tsp").baselines if n != "exact" or size <= args.exact_up_to]
        rows = table(lengths_and_times(size, seeds, names))
        print(f"\n{size} cities, {args.episodes} episodes (seeds {seeds.start}..{seeds.stop - 1});"
              f" ratios on the same episode (paired s.e.)")
        print(format_table(rows))
        record["sizes"][str(size)] = rows
        write_json_atomic(Path(args.out), record)  # what is done so far, each time
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
