"""Team patrolling baselines on the same held-out episodes: average and worst idleness.

Every ``patrol-multi`` baseline of the catalog, plus ``cyclic_nearest`` (the cyclic
strategy's other way of joining the walk: each agent starts round it from its own node, no
spacing), plays the same seeded episodes (seeds 1000.. by default) of three settings:

* ``ctde``: the env of ``tune_configs/patrol_ctde.yaml`` (3 agents, 6x6 grids with walls,
  30-32 nodes, 100 steps, observation radius 2);
* ``grid10_k3``, ``grid10_k5``: 10x10 grids with 10% of the cells removed (largest
  component kept, ~90 nodes), 300 steps, observation radius 2, 3 and 5 agents.

For each player: the mean average and worst idleness with their standard errors, the mean
per-episode ratio of each to the cyclic strategy's on the same episode with its paired
standard error, the smallest such ratio of the average idleness, and the wall time per
episode (planning included). Prints a table per
setting and writes ``benchmarks/results/patrol_baselines.json`` (atomically).

    python benchmarks/patrol_baselines.py [--episodes 200] [--seed 1000]
        [--settings ctde grid10_k3 grid10_k5]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from pathlib import Path

import numpy as np
import yaml

from envs.catalog import entry
from envs.compare import format_table
from envs.patrolling import play_walks
from rllib_gnn.training.files import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
GRID10 = {"graphs": {"generator": "grid", "sizes": [100], "params": {"removed": 0.1},
                     "weights": "unit"},
          "max_steps": 300, "observation_radius": 2}
REFERENCE = "cyclic"
METRICS = ("avg_idleness", "worst_idleness")


def settings() -> dict[str, dict]:
    """The env configs by setting name."""
    ctde = yaml.safe_load((ROOT / "tune_configs" / "patrol_ctde.yaml").read_text())
    return {"ctde": ctde["env_config"], "grid10_k3": {**GRID10, "num_agents": 3},
            "grid10_k5": {**GRID10, "num_agents": 5}}


def players() -> dict:
    """The catalog's patrol-multi baselines and ``cyclic_nearest``."""
    team = entry("patrol-multi")
    found = {name: team.baseline(name) for name in team.baselines}
    found["cyclic_nearest"] = functools.partial(play_walks, strategy="cyclic", join="nearest")
    return found


def play_all(config: dict, seeds: range) -> dict[str, dict[str, np.ndarray]]:
    """Player -> metric (and ``wall_s``) -> per-episode values, every player on ``seeds``."""
    team, logs = entry("patrol-multi"), {}
    for name, play in players().items():
        env = team.make(config)
        values: dict[str, list] = {key: [] for key in (*METRICS, "wall_s")}
        for seed in seeds:
            start = time.perf_counter()
            info = play(env, seed)
            values["wall_s"].append(time.perf_counter() - start)
            for key in METRICS:
                values[key].append(info[key])
        logs[name] = {key: np.array(v, np.float64) for key, v in values.items()}
    return logs


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def rows(logs: dict[str, dict[str, np.ndarray]]) -> list[dict]:
    """One row per player: mean and s.e. of each metric (``avg``: average idleness,
    ``worst``: worst idleness), the paired ratio to the reference (mean and s.e. of the
    per-episode ratios), the smallest per-episode ratio of the average idleness (above 1:
    the reference is better on every episode) and the wall time per episode."""
    reference = logs[REFERENCE]
    out = []
    for name, values in logs.items():
        row: dict = {"player": name}
        for key in METRICS:
            short = key.split("_")[0]  # avg, worst
            row[short], row[f"{short}_se"] = _mean_se(values[key])
            ratios = values[key] / reference[key]
            row[f"{short}_ratio"], row[f"{short}_ratio_se"] = _mean_se(ratios)
        row["avg_ratio_min"] = float((values["avg_idleness"] / reference["avg_idleness"]).min())
        row["ms_per_episode"] = 1000 * float(values["wall_s"].mean())
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1000, help="first episode seed")
    parser.add_argument("--settings", nargs="+", default=list(settings()),
                        choices=list(settings()))
    parser.add_argument("--out",
                        default=str(ROOT / "benchmarks" / "results" / "patrol_baselines.json"))
    args = parser.parse_args()

    seeds = range(args.seed, args.seed + args.episodes)
    record = {"episodes": args.episodes, "seeds": [seeds.start, seeds.stop - 1],
              "reference": REFERENCE, "host": {"cpus": os.cpu_count(),
                                                "machine": platform.machine()},
              "settings": {}}
    for name in args.settings:
        config = settings()[name]
        table = rows(play_all(config, seeds))
        print(f"\n{name}: {config}\n{args.episodes} episodes, seeds {seeds.start}.."
              f"{seeds.stop - 1}; ratios to {REFERENCE} on the same episode (paired s.e.)")
        print(format_table(table))
        record["settings"][name] = {"env_config": config, "rows": table}
        write_json_atomic(Path(args.out), record)  # what is done so far, each time
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
