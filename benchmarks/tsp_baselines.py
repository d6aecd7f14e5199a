"""TSP baselines on the same held-out episodes: tour length against the exact optimum.

Every ``tsp`` baseline of the catalog plays the same held-out episodes (the evaluation
protocol of ``envs.compare``: seeds 1000.. by default) of uniform points in the unit square
at each size; ``exact`` (the reference) only up to ``--exact-up-to`` cities, as its integer
program takes seconds a graph at 100. For each player, the protocol's row: tour length
(mean ± std), the paired ratio and difference to the exact optimum on the same episode
where it ran, env steps and wall time per episode (solving included); ``nearest_neighbour``
is also paired with every other baseline (Christofides at every size). Prints a table per
size and writes ``benchmarks/results/tsp_baselines.json`` (atomically, after each size), an
evaluation record file that ``rllib-gnn report`` renders.

    python benchmarks/tsp_baselines.py [--sizes 20 50 100] [--episodes 100] [--seed 1000]
        [--exact-up-to 50]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from envs.catalog import entry
from envs.compare import HELD_OUT_SEED, held_out_seeds, play_episodes
from recording import evaluate_each  # benchmarks/recording.py (scripts run from here)
from rllib_gnn.service.records import evaluation_record

ROOT = Path(__file__).resolve().parents[1]


def evaluate_size(size: int, seeds: range, exact_up_to: int) -> dict:
    """The protocol's evaluation of the baselines on ``seeds`` of ``size`` cities."""
    tsp = entry("tsp")
    names = [name for name in tsp.baselines if name != "exact" or size <= exact_up_to]
    config = {"graphs": {"generator": "uniform_points", "sizes": [size], "weights": "unit"}}
    played = play_episodes(tsp, {name: tsp.baseline(name) for name in names}, config, seeds)
    return evaluation_record("tsp", played, config, f"{size} cities",
                             pairs_for=["nearest_neighbour"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED, help="first episode seed")
    parser.add_argument("--exact-up-to", type=int, default=50)
    parser.add_argument("--out",
                        default=str(ROOT / "benchmarks" / "results" / "tsp_baselines.json"))
    args = parser.parse_args()

    seeds = held_out_seeds(args.episodes, args.seed)
    evaluate_each(args.sizes, lambda size: evaluate_size(size, seeds, args.exact_up_to),
                  "TSP baselines, uniform points in the unit square", args.out)

if __name__ == "__main__":
    main()
