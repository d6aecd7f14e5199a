"""The observation contract: spaces, padding, and its errors."""

import numpy as np
import pytest

from envs.contract import GraphObsSpec
from envs.graphs import Graph


def _triangle_plus_tail():
    g = Graph(4, np.array([[0, 1], [0, 2], [1, 2], [2, 3]]))
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    return g, x


def test_pack_pads_and_the_result_lies_in_the_space():
    g, x = _triangle_plus_tail()
    spec = GraphObsSpec(max_nodes=6, max_edges=10, node_features=2, num_actions=6,
                        edge_features=1, max_degree=4, agent_node=True,
                        state=GraphObsSpec(6, 10, 1, 1))
    state = spec.state.pack_graph(np.ones((4, 1), np.float32), g.edge_index)
    obs = spec.pack(x, g.edge_index, np.array([1, 0, 1, 1]), edge_attr=np.ones((8, 1)),
                    agent_node=2, neighbours=np.array([0, 1, 3]), state=state)
    assert spec.space().contains(obs)
    np.testing.assert_array_equal(obs["node_mask"], [1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(obs["edge_mask"], [1] * 8 + [0] * 2)
    np.testing.assert_array_equal(obs["x"][4:], 0)
    np.testing.assert_array_equal(obs["edge_index"][:, 8:], 0)
    np.testing.assert_array_equal(obs["action_mask"], [1, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(obs["neighbours"], [0, 1, 3, 2])
    assert obs["x"].dtype == np.float32 and obs["edge_index"].dtype == np.int64
    assert obs["node_mask"].dtype == np.int8


def test_no_array_is_quadratic_in_nodes():
    spec = GraphObsSpec(max_nodes=10_000, max_edges=40_000, node_features=3,
                        num_actions=10_000, edge_features=1)
    sizes = {k: int(np.prod(s.shape)) for k, s in spec.space().spaces.items()}
    assert max(sizes.values()) <= 2 * 40_000


@pytest.mark.parametrize("n, edges, key", [(7, 4, "max_nodes"), (4, 12, "max_edges")])
def test_graph_over_the_limits_names_the_limit(n, edges, key):
    spec = GraphObsSpec(6, 10, 2, 6)
    ei = np.zeros((2, edges), np.int64)
    with pytest.raises(ValueError, match=key):
        spec.pack(np.zeros((n, 2), np.float32), ei, np.ones(1))


def test_nan_features_and_all_zero_masks_are_rejected():
    g, x = _triangle_plus_tail()
    spec = GraphObsSpec(6, 10, 2, 6)
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        spec.pack(bad, g.edge_index, np.ones(4))
    with pytest.raises(ValueError, match="all zero"):
        spec.pack(x, g.edge_index, np.zeros(4))
    terminal = spec.pack(x, g.edge_index, np.zeros(4), terminal=True)
    assert terminal["action_mask"].sum() == 1


def test_bad_spec_sizes_name_the_key():
    with pytest.raises(ValueError, match="max_nodes"):
        GraphObsSpec(0, 10, 2, 6)
    with pytest.raises(ValueError, match="max_degree"):
        GraphObsSpec(6, 10, 2, 6, max_degree=-1)
