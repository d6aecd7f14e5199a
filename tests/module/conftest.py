"""Tiny graphs, specs and module builders shared by the module tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces

from envs.contract import GraphObsSpec

ENCODERS = ("gcn", "gat", "sage", "gin", "gine", "transformer")
HEADS = ("fixed", "node", "proto", "neighbour", "edge", "two_stage_edge")
EDGE_HEADS = ("edge", "two_stage_edge")

# A 5-node graph: a path 0-1-2-3-4 plus the chord 0-2, both directions (10 directed edges).
UNDIRECTED = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 2]])
EDGE_INDEX = np.concatenate([UNDIRECTED.T, UNDIRECTED[:, ::-1].T], axis=1)
NUM_NODES = 5
FEATURES = 3
EDGE_FEATURES = 2
AGENT = 2
NEIGHBOURS = np.array([1, 3, 0])  # the neighbours of node 2


def tiny_config(**overrides: Any) -> dict[str, Any]:
    """A small, deterministic model config (dropout 0)."""
    cfg = {"hidden": 8, "num_layers": 2, "head_hidden": 8, "attention_heads": 2}
    cfg.update(overrides)
    return cfg


def num_actions(head: str, max_nodes: int, max_edges: int, max_degree: int) -> int:
    """The action count each head needs (``fixed`` takes 4 compass-like moves)."""
    return {"fixed": 4, "node": max_nodes, "proto": max_nodes, "neighbour": max_degree,
            "edge": max_edges, "two_stage_edge": max_edges,
            "gaussian": max_nodes}[head]


def action_space_for(head: str, spec: GraphObsSpec) -> spaces.Space:
    """``Discrete(A)``, or for the ``gaussian`` head the Box of one value per node slot."""
    if head == "gaussian":
        return spaces.Box(-1.0, 1.0, (spec.max_nodes,), np.float32)
    return spaces.Discrete(spec.num_actions)


def make_spec(head: str, max_nodes: int = NUM_NODES, max_edges: int = 10, max_degree: int = 3,
              state: bool = False) -> GraphObsSpec:
    """A spec with every optional key on (edge features, agent node, neighbours)."""
    state_spec = (GraphObsSpec(max_nodes=max_nodes, max_edges=max_edges,
                               node_features=FEATURES + 1, num_actions=1,
                               edge_features=EDGE_FEATURES) if state else None)
    return GraphObsSpec(max_nodes=max_nodes, max_edges=max_edges, node_features=FEATURES,
                        num_actions=num_actions(head, max_nodes, max_edges, max_degree),
                        edge_features=EDGE_FEATURES, max_degree=max_degree, agent_node=True,
                        state=state_spec)


def graph_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """Node features, edge features and a global-state feature matrix for the 5-node graph."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(NUM_NODES, FEATURES)).astype(np.float32),
        "edge_attr": rng.normal(size=(EDGE_INDEX.shape[1], EDGE_FEATURES)).astype(np.float32),
        "state_x": rng.normal(size=(NUM_NODES, FEATURES + 1)).astype(np.float32),
    }


def action_mask_for(head: str, spec: GraphObsSpec, edge_index: np.ndarray,
                    neighbours: np.ndarray) -> np.ndarray:
    """A mask with some valid and some invalid real slots (real-graph slots only)."""
    if head in ("node", "proto"):
        return np.array([1, 0, 1, 1, 1])            # node 1 invalid
    if head == "neighbour":
        return np.ones(len(neighbours), np.int8)
    if head in EDGE_HEADS:
        return (np.arange(edge_index.shape[1]) % 3 != 0).astype(np.int8)
    return np.array([1, 1, 0, 1])


def make_obs(spec: GraphObsSpec, head: str, arrays: Mapping[str, np.ndarray],
             perm: np.ndarray | None = None) -> dict[str, Any]:
    """The 5-node graph's observation, its nodes relabelled ``v -> perm[v]`` when given.

    Edge slots and neighbour slots keep their order (only their node ids change); a node
    head's action mask moves with the nodes.
    """
    perm = np.arange(NUM_NODES) if perm is None else np.asarray(perm)
    x = np.empty_like(arrays["x"])
    x[perm] = arrays["x"]
    state_x = np.empty_like(arrays["state_x"])
    state_x[perm] = arrays["state_x"]
    edge_index = perm[EDGE_INDEX]
    neighbours = perm[NEIGHBOURS]
    mask = action_mask_for(head, spec, EDGE_INDEX, NEIGHBOURS)
    if head in ("node", "proto"):
        moved = np.empty_like(mask)
        moved[perm] = mask
        mask = moved
    state = (spec.state.pack_graph(state_x, edge_index, arrays["edge_attr"])
             if spec.state is not None else None)
    return spec.pack(x, edge_index, mask, edge_attr=arrays["edge_attr"],
                     agent_node=int(perm[AGENT]), neighbours=neighbours, state=state)


def to_batch(observations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stack raw observations (nested ``state`` allowed) into a torch batch, as RLlib does."""
    first = observations[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, Mapping):
            out[key] = to_batch([o[key] for o in observations])
        else:
            out[key] = torch.as_tensor(np.stack([o[key] for o in observations]))
    return out


def build_module(spec: GraphObsSpec, **config: Any):
    """A GraphRLModule in eval mode for ``spec`` (seeded, so runs repeat)."""
    from rllib_gnn.nn.module import GraphRLModule

    torch.manual_seed(0)
    module = GraphRLModule(observation_space=spec.space(),
                           action_space=action_space_for(config.get("head", "fixed"), spec),
                           model_config=tiny_config(**config))
    return module.eval()


@pytest.fixture(scope="session")
def arrays() -> dict[str, np.ndarray]:
    return graph_arrays()
