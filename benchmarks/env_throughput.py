"""Env steps per second at 20, 1,000 and 10,000 nodes, and exact vs greedy MVC quality.

Prints two tables and writes ``benchmarks/results/env_throughput.json``.

    python benchmarks/env_throughput.py [--seconds 2] [--sizes 20 1000 10000]

The stepping policy picks a uniformly random valid action from the observation's mask
(``numpy`` over the mask: part of the measured time, as a trivial policy would be).
Multi-agent envs count one step per agent action (a team step of K agents = K steps).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from envs.catalog import entry
from envs.compare import format_table
from envs.graphs import preset, sample_graphs
from envs.mvc import exact_mvc, greedy_mvc


def env_config(name: str, n: int) -> dict:
    """A config of env ``name`` on graphs of about ``n`` nodes with average degree ~4."""
    family = name.split("-")[0]
    if family == "mvc":
        return {"graphs": {"generator": "watts_strogatz", "sizes": [n], "params": {"k": 4, "p": 0.3}}}
    if family in ("nav", "patrol"):
        return {"graphs": {"generator": "grid", "sizes": [n], "weights": "unit"},
                **({"max_steps": 200} if family == "patrol" else {})}
    return {"graphs": {"generator": "erdos_renyi", "sizes": [n], "params": {"p": min(1.0, 4.0 / n)}}}


def _random_valid(rng: np.random.Generator, obs: dict) -> int:
    return int(rng.choice(np.flatnonzero(obs["action_mask"])))


def steps_per_second(name: str, n: int, seconds: float) -> dict:
    """Step env ``name`` for about ``seconds`` (resets excluded from the step time)."""
    env_entry = entry(name)
    env = env_entry.make(env_config(name, n))
    rng = np.random.default_rng(0)
    steps, step_time, resets, reset_time, seed = 0, 0.0, 0, 0.0, 0
    while step_time + reset_time < seconds:
        t0 = time.perf_counter()
        obs, _ = env.reset(seed=seed)
        reset_time += time.perf_counter() - t0
        resets, seed = resets + 1, seed + 1
        done = False
        while not done and step_time + reset_time < seconds:
            if env_entry.multi_agent:
                actions = {a: _random_valid(rng, obs[a]) for a in env.agents}
                t0 = time.perf_counter()
                obs, _, terms, truncs, _ = env.step(actions)
                step_time += time.perf_counter() - t0
                steps += len(actions)
                done = not env.agents
            else:
                action = _random_valid(rng, obs)
                t0 = time.perf_counter()
                obs, _, term, trunc, _ = env.step(action)
                step_time += time.perf_counter() - t0
                steps += 1
                done = term or trunc
    return {"env": name, "nodes": n, "steps": steps, "steps_per_s": steps / max(step_time, 1e-9),
            "resets": resets, "reset_ms": 1e3 * reset_time / max(resets, 1)}


def mvc_quality(count: int, seed: int) -> dict:
    """Exact vs greedy cover weight on ``count`` blog-preset test graphs (20 nodes)."""
    graphs = sample_graphs(preset("blog_mvc", "test"), count, seed)
    t0 = time.perf_counter()
    exact = np.array([exact_mvc(g)[1] for g in graphs])
    exact_s = time.perf_counter() - t0
    greedy = np.array([greedy_mvc(g)[1] for g in graphs])
    return {"graphs": count, "seed": seed, "exact_mean": float(exact.mean()),
            "exact_std": float(exact.std()), "greedy_mean": float(greedy.mean()),
            "greedy_std": float(greedy.std()), "greedy_over_exact": float((greedy / exact).mean()),
            "exact_ms_per_graph": 1e3 * exact_s / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="stepping time per env and size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 1000, 10000])
    parser.add_argument("--envs", nargs="+", default=["mvc", "mvc-multi", "nav", "nav-multi",
                                                      "patrol", "patrol-multi", "matching",
                                                      "matching-multi"])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "env_throughput.json"))
    args = parser.parse_args()

    rows = [steps_per_second(name, n, args.seconds) for name in args.envs for n in args.sizes]
    print(format_table(rows))
    quality = mvc_quality(100, seed=2026)
    print()
    print(format_table([quality]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"throughput": rows, "mvc_quality": quality}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
