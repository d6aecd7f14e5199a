"""Timing of RLlib training iterations, shared by the throughput benchmarks."""

from __future__ import annotations

import time


def time_training(algo, iterations: int) -> dict[str, float]:
    """One warm-up iteration, then ``iterations`` timed ones.

    Returns env steps sampled in the timed iterations, their wall seconds, env steps/s,
    and RLlib's own sampling and learner-update timers averaged per iteration.
    """
    algo.train()  # warm-up: builds connectors, first episodes
    start_steps, start = None, time.perf_counter()
    sample_s = learn_s = 0.0
    for _ in range(iterations):
        result = algo.train()
        runners = result["env_runners"]
        if start_steps is None:
            start_steps = runners["num_env_steps_sampled_lifetime"] - runners["num_env_steps_sampled"]
        sample_s += result["timers"]["env_runner_sampling_timer"]
        learn_s += result["timers"]["learner_update_timer"]
    seconds = time.perf_counter() - start
    steps = result["env_runners"]["num_env_steps_sampled_lifetime"] - start_steps
    return {"env_steps": steps, "seconds": seconds, "env_steps_per_s": steps / seconds,
            "sampling_timer_s": sample_s / iterations, "learner_timer_s": learn_s / iterations}
