"""No forward pass loops over graphs, nodes or edges in Python.

A loop in Python over the B graphs (or N nodes, E edges) of a batch would issue a number
of torch calls that grows with B (or N, E). Counting every torch function call made by a
forward pass under ``TorchFunctionMode`` shows the count is the same for 1 small graph
and for 16 graphs of 5x the size: the work is batched tensor expressions only.
"""

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from envs.contract import GraphObsSpec
from envs.graphs import watts_strogatz
from tests.module.conftest import ENCODERS, HEADS, action_space_for, num_actions


class _CountCalls(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


def _batch(head: str, n: int, batch: int, max_nodes: int, max_edges: int) -> dict:
    spec = GraphObsSpec(max_nodes, max_edges, node_features=3,
                        num_actions=num_actions(head, max_nodes, max_edges, 4), edge_features=1,
                        max_degree=4, agent_node=True,
                        state=GraphObsSpec(max_nodes, max_edges, 2, 1, edge_features=1))
    rng = np.random.default_rng(n)
    obs = []
    for _ in range(batch):
        g = watts_strogatz(n, rng)
        ei = g.edge_index
        x = rng.normal(size=(n, 3)).astype(np.float32)
        ea = rng.random((ei.shape[1], 1)).astype(np.float32)
        state = spec.state.pack_graph(x[:, :2], ei, ea)
        obs.append(spec.pack(x, ei, np.ones(spec.num_actions, np.int8), edge_attr=ea,
                             agent_node=0, neighbours=ei[1, ei[0] == 0][:4], state=state))
    stacked = {k: torch.as_tensor(np.stack([o[k] for o in obs])) for k in obs[0] if k != "state"}
    stacked["state"] = {k: torch.as_tensor(np.stack([o["state"][k] for o in obs]))
                        for k in obs[0]["state"]}
    return {"obs": stacked}


def _count(module, batch) -> int:
    counter = _CountCalls()
    with torch.no_grad(), counter:
        out = module.forward_train(batch)
        module.compute_values(batch, out.get("embeddings"))
    return counter.calls


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("head", (*HEADS, "gaussian"))
def test_torch_call_count_does_not_grow_with_graphs_nodes_or_edges(encoder, head):
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from rllib_gnn.nn.module import GraphRLModule

    counts = []
    for n, batch in [(10, 1), (50, 16)]:
        max_nodes, max_edges = 64, 256
        sample = _batch(head, n, batch, max_nodes, max_edges)
        spec = GraphObsSpec(max_nodes, max_edges, 3, num_actions(head, max_nodes, max_edges, 4),
                            edge_features=1, max_degree=4, agent_node=True,
                            state=GraphObsSpec(max_nodes, max_edges, 2, 1, edge_features=1))
        module = RLModuleSpec(
            module_class=GraphRLModule, observation_space=spec.space(),
            action_space=action_space_for(head, spec),
            model_config={"encoder": encoder, "head": head, "hidden": 8, "num_layers": 2,
                          "head_hidden": 8, "critic": "central"}).build()
        counts.append(_count(module, sample))
    assert counts[0] == counts[1], (
        f"{encoder}/{head}: {counts[0]} torch calls for 1 graph of 10 nodes, {counts[1]} for "
        f"16 graphs of 50 nodes — a Python loop over graphs, nodes or edges?")
