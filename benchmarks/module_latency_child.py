"""The measuring side of ``benchmarks/module_latency.py``: one (encoder, size, batch) setting
timed in this process (the parent runs each in a fresh subprocess: see its docstring)."""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import time

import numpy as np

EDGE_FEATURE_ENCODERS = {"gat", "gine", "transformer"}
EDGE_HEADS = ("edge", "two_stage_edge")
MIB = 2.0 ** 20


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _spec(n: int, edges: int, node_features: int, edge_features: int, head: str = "node"):
    from envs.contract import GraphObsSpec
    return GraphObsSpec(max_nodes=n, max_edges=edges, node_features=node_features,
                        num_actions=edges if head in EDGE_HEADS else n,
                        edge_features=edge_features)


def _packed(spec, edge_index: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((spec.max_nodes, spec.node_features), dtype=np.float32)
    m = edge_index.shape[1]
    edge_attr = (rng.random((m, spec.edge_features), dtype=np.float32)
                 if spec.edge_features else None)
    return spec.pack(x, edge_index, np.ones(spec.num_actions, np.int8), edge_attr=edge_attr)


def _batch(obs: dict[str, np.ndarray], batch: int, device):
    """Stack ``batch`` copies of one packed observation as tensors (own memory each)."""
    import torch
    out = {}
    for key, value in obs.items():
        t = torch.from_numpy(value).unsqueeze(0)
        t = t.repeat(batch, *([1] * value.ndim)) if batch > 1 else t.clone()
        out[key] = t.to(device)
    return out


def _sync(device) -> None:
    import torch
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fns, max_reps: int, seconds: float, warmup: int, device) -> list[list[float]]:
    """Times of up to ``max_reps`` calls of each of ``fns``, alternating call by call;
    stop early once >= 3 calls of each took ``seconds`` in all."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    _sync(device)
    times: list[list[float]] = [[] for _ in fns]
    while len(times[0]) < max_reps and (len(times[0]) < 3 or sum(map(sum, times)) < seconds):
        for fn, out in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            _sync(device)
            out.append(time.perf_counter() - t0)
    return times


def _as_pyg(module, pyg: bool) -> bool:
    """Set the module's attention convolutions to PyG's classes (``pyg``) or back to ours
    (same weights: ours subclass PyG's); False when it has none."""
    from rllib_gnn.nn.attention import PLANNED_CONVS
    ours = {cls.__mro__[1]: cls for cls in PLANNED_CONVS}
    convs = [m for m in module.modules() if type(m) in ours or type(m) in PLANNED_CONVS]
    for conv in convs:
        base = type(conv) if type(conv) in ours else type(conv).__mro__[1]
        conv.__class__ = base if pyg else ours[base]
    return bool(convs)


def run_one(args: argparse.Namespace) -> dict:
    """Measure one (encoder, size, batch) in this process; return the result row."""
    import gymnasium as gym
    import torch
    from ray.rllib.core.columns import Columns

    from rllib_gnn.nn.module import GraphRLModule

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    edge_index = np.load(args.graph)["edge_index"]
    n, e, b = args.one_nodes, 4 * args.one_nodes, args.one_batch
    fe = 1 if args.one_encoder in EDGE_FEATURE_ENCODERS else 0
    spec = _spec(n, e, args.node_features, fe, args.head)
    config = {"encoder": args.one_encoder, "hidden": 128, "num_layers": 2, "head": args.head,
              "pooling": "mean", "critic": "shared"}
    module = GraphRLModule(observation_space=spec.space(),
                           action_space=gym.spaces.Discrete(spec.num_actions),
                           inference_only=False, model_config=config).to(device).eval()

    # Prime the libraries (thread pools, lazy imports) on a 10-node ring, outside the figure.
    tiny_spec = _spec(10, 20, args.node_features, fe, args.head)
    ring = np.arange(10)
    tiny_ei = np.concatenate([np.stack([ring, (ring + 1) % 10]),
                              np.stack([(ring + 1) % 10, ring])], axis=1)
    with torch.no_grad():
        module.forward_inference({Columns.OBS: _batch(_packed(tiny_spec, tiny_ei, 1), 1, device)})
    gc.collect()
    _sync(device)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        maxrss_before = None
    else:
        base = _rss_bytes()
        maxrss_before = _maxrss_bytes()

    obs = _packed(spec, edge_index, seed=0)
    batch = _batch(obs, b, device)
    del obs
    input_bytes = sum(t.numel() * t.element_size() for t in batch.values())
    inputs = {Columns.OBS: batch}

    def forward():
        with torch.no_grad():
            return module.forward_inference(inputs)

    logits = forward()[Columns.ACTION_DIST_INPUTS]
    assert logits.shape == (b, spec.num_actions), logits.shape
    fns = [forward]
    if args.compare_pyg and _as_pyg(module, True):
        reference = forward()[Columns.ACTION_DIST_INPUTS]
        _as_pyg(module, False)
        torch.testing.assert_close(logits, reference, rtol=1e-4, atol=1e-5)
        del reference

        def forward_pyg():
            _as_pyg(module, True)
            try:
                return forward()
            finally:
                _as_pyg(module, False)
        fns.append(forward_pyg)
    del logits
    times, *pyg_times = _time(fns, args.reps, args.seconds, 1 if n * b < 50_000 else 0, device)

    fwd_values_ms = None
    if n == args.values_nodes and b == args.values_batch:
        def forward_values():
            with torch.no_grad():
                out = module.forward_train(inputs)
                return module.compute_values(inputs, embeddings=out[Columns.EMBEDDINGS])
        fwd_values_ms = 1e3 * statistics.median(
            _time([forward_values], args.reps, args.seconds, 1, device)[0])

    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        peak = _maxrss_bytes() - base
    ms = 1e3 * statistics.median(times)
    return {
        "encoder": args.one_encoder, "head": args.head, "nodes": n,
        "edges": int(edge_index.shape[1]), "batch": b,
        "median_ms": ms, "min_ms": 1e3 * min(times), "ms_per_graph": ms / b, "peak_mib": peak / MIB,
        "input_mib": input_bytes / MIB, "reps": len(times), "times_ms": [1e3 * t for t in times],
        "edge_features": fe, "fwd_values_ms": fwd_values_ms, "device": str(device),
        "threads": torch.get_num_threads(),
        "maxrss_before_mib": None if maxrss_before is None else maxrss_before / MIB,
        "base_mib": base / MIB,
        **({"pyg_median_ms": 1e3 * statistics.median(pyg_times[0]),
            "pyg_min_ms": 1e3 * min(pyg_times[0])} if pyg_times else {}),
    }


# ---------------------------------------------------------------------------- parent side
