"""Team patrolling baselines on the same held-out episodes: average and worst idleness.

Every ``patrol-multi`` baseline of the catalog, plus ``cyclic_nearest`` (the cyclic
strategy's other way of joining the walk: each agent starts round it from its own node, no
spacing), plays the same held-out episodes (the evaluation protocol of ``envs.compare``:
seeds 1000.. by default) of three settings:

* ``ctde``: the env of ``tune_configs/patrol_ctde.yaml`` (3 agents, 6x6 grids with walls,
  30-32 nodes, 100 steps, observation radius 2);
* ``grid10_k3``, ``grid10_k5``: 10x10 grids with 10% of the cells removed (largest
  component kept, ~90 nodes), 300 steps, observation radius 2, 3 and 5 agents.

For each player, the protocol's row: average and worst idleness (mean ± std), the mean
per-episode ratio and difference of the average idleness to the cyclic strategy's on the
same episode with their paired standard errors and whether the s.e. is below the
difference, env steps and wall time per episode (planning included); plus ``ratio_min``,
the smallest such ratio (above 1: the cyclic strategy is better on every episode).
``greedy_idleness`` is also paired with every other baseline (what its told claims are
worth). Prints a table per setting and writes ``benchmarks/results/patrol_baselines.json``
(atomically, after each setting), an evaluation record file that ``rllib-gnn report``
renders.

    python benchmarks/patrol_baselines.py [--episodes 200] [--seed 1000]
        [--settings ctde grid10_k3 grid10_k5]
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import yaml

from envs.catalog import entry
from envs.compare import HELD_OUT_SEED, held_out_seeds, play_episodes
from recording import evaluate_each  # benchmarks/recording.py (scripts run from here)
from envs.paired import episode_ratios
from envs.patrolling import play_walks
from rllib_gnn.service.records import evaluation_record

ROOT = Path(__file__).resolve().parents[1]
GRID10 = {"graphs": {"generator": "grid", "sizes": [100], "params": {"removed": 0.1},
                     "weights": "unit"},
          "max_steps": 300, "observation_radius": 2}
REFERENCE = "cyclic"


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


def evaluate_setting(name: str, config: dict, seeds: range) -> dict:
    """The protocol's evaluation of every player on ``seeds`` of one setting, each row with
    its ``ratio_min`` to the reference."""
    played = play_episodes(entry("patrol-multi"), players(), config, seeds)
    evaluation = evaluation_record("patrol-multi", played, config, name,
                                   pairs_for=["greedy_idleness"])
    reference = played[REFERENCE].metric
    for row in evaluation["rows"]:
        row["ratio_min"] = float(episode_ratios(played[row["player"]].metric, reference).min())
    return evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED, help="first episode seed")
    parser.add_argument("--settings", nargs="+", default=list(settings()),
                        choices=list(settings()))
    parser.add_argument("--out",
                        default=str(ROOT / "benchmarks" / "results" / "patrol_baselines.json"))
    args = parser.parse_args()

    seeds = held_out_seeds(args.episodes, args.seed)
    evaluate_each(args.settings,
                  lambda name: evaluate_setting(name, settings()[name], seeds),
                  "Team patrolling baselines, radius 2", args.out)

if __name__ == "__main__":
    main()
