"""The Graph checks what it is given; networkx and PyG graphs convert with nothing lost."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from envs.graphs import Graph, GraphSource, as_graph, from_pyg


def user_graph() -> nx.Graph:
    """Non-contiguous ids given out of order, an isolated node, node weights, edge weights
    and lengths: what a user's graph has and a generated one lacks."""
    g = nx.Graph()
    g.add_nodes_from([(40, {"weight": 0.5}), (7, {"weight": 2.0}), (99, {"weight": 1.25}),
                      (3, {"weight": 0.75}), (12, {"weight": 1.0})])
    g.add_edge(40, 3, weight=0.9, length=2.5)
    g.add_edge(7, 12, weight=0.4, length=0.1)
    g.add_edge(3, 12, weight=0.3, length=1.0)
    g.add_edge(12, 40, weight=1.1, length=3.0)
    return g


def assert_same_graph(a: Graph, b: Graph) -> None:
    assert a.num_nodes == b.num_nodes and a.node_ids == b.node_ids
    np.testing.assert_array_equal(a.edges, b.edges)
    for field in ("weights", "positions", "edge_weights", "lengths"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=field)


# ---------------------------------------------------------------------------- Graph(...)
@pytest.mark.parametrize("edges, match", [
    ([[0, 1], [2, 2]], r"edges\[1\] = \(2, 2\) is a self-loop"),
    ([[0, 1], [1, 2], [0, 1]], r"edges\[2\] = \(0, 1\) repeats edges\[0\] = \(0, 1\)"),
    ([[0, 1], [2, 1], [1, 2]], r"edges\[2\] = \(1, 2\) repeats edges\[1\] = \(2, 1\)"),
    (np.array([[0.0, 1.0]]), r"edges must hold integer node ids, got dtype float64"),
    ([[0, 1], [1, 3]], r"edges\[1\] = \(1, 3\) names a node outside \[0, 3\)"),
    ([[0, -1]], r"edges\[0\] = \(0, -1\) names a node outside"),
    ([0, 1, 2], r"edges must have shape \(M, 2\), got \(3,\)"),
    ([[0, 1], [1]], r"edges must be an \(M, 2\) array of integer node ids"),
    ([[True, False]], r"edges must hold integer node ids, got dtype bool"),
])
def test_bad_edges_are_refused_naming_the_first_offender(edges, match):
    with pytest.raises(ValueError, match=match):
        Graph(3, edges)


def test_reversed_edges_are_stored_u_lt_v_at_their_index_with_their_attributes():
    g = Graph(4, [[2, 0], [1, 3]], edge_weights=[0.5, 0.25], lengths=[2.0, 3.0])
    np.testing.assert_array_equal(g.edges, [[0, 2], [1, 3]])
    np.testing.assert_array_equal(g.edge_weights, [0.5, 0.25])
    np.testing.assert_array_equal(g.edge_lengths(), [2.0, 3.0])


def test_a_graph_is_a_read_only_copy():
    edges = np.array([[0, 1], [1, 2]])
    weights = np.ones(3)
    g = Graph(3, edges, weights)
    weights[0] = 5.0
    assert g.weights[0] == 1.0 and g.edges is not edges
    with pytest.raises(ValueError, match="read-only"):
        g.edges[0, 0] = 2


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": [1.0, np.nan, 1.0]}, r"weights\[1\] = nan is not finite"),
    ({"weights": [1.0, 2.0]}, r"weights must have shape \(3,\), got \(2,\)"),
    ({"weights": ["a", "b", "c"]}, r"weights must be numbers"),
    ({"positions": [[0, 0], [1, np.inf], [2, 2]]}, r"positions\[1, 1\] = inf is not finite"),
    ({"positions": [0, 1, 2]}, r"positions must have shape \(3, 2\)"),
    ({"edge_weights": [0.5, -0.1]}, r"edge_weights\[1\] = -0.1 is below 0.0"),
    ({"lengths": [1.0, np.inf]}, r"lengths\[1\] = inf is not finite"),
    ({"lengths": [1.0]}, r"lengths must have shape \(2,\)"),
    ({"node_ids": ("a", "b", "a")}, r"node_ids holds 'a' twice"),
    ({"node_ids": ("a", "b")}, r"node_ids must hold one id per node \(3\), got 2"),
    ({"node_ids": ([1], [2], [3])}, r"node ids must be hashable"),
])
def test_bad_attributes_are_refused_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Graph(3, [[0, 1], [1, 2]], **kwargs)


def test_num_nodes_must_be_an_integer():
    with pytest.raises(ValueError, match="num_nodes must be an integer >= 0, got 2.5"):
        Graph(2.5, [[0, 1]])


def test_ids_map_both_ways():
    g = Graph.from_networkx(user_graph())
    assert g.node_ids == (3, 7, 12, 40, 99)
    assert g.index_of(40) == 3 and g.id_of(3) == 40
    with pytest.raises(ValueError, match=r"goal = 41 is not a node id of the graph"):
        g.index_of(41, "goal")
    plain = Graph(3, [[0, 1]])
    assert plain.index_of(np.int64(2)) == 2 and plain.id_of(2) == 2
    with pytest.raises(ValueError, match=r"start = 3 is not a node of the graph \(its nodes are 0..2\)"):
        plain.index_of(3, "start")
    with pytest.raises(ValueError, match=r"start = 1.0 is not a node"):
        plain.index_of(1.0, "start")


# ---------------------------------------------------------------------------- networkx
def test_from_networkx_keeps_every_node_id_and_attribute():
    g = Graph.from_networkx(user_graph())
    assert g.num_nodes == 5 and g.node_ids == (3, 7, 12, 40, 99)  # sorted; 99 isolated
    np.testing.assert_array_equal(g.weights, [0.75, 2.0, 1.0, 0.5, 1.25])
    # edges by index, sorted: (3,12) (3,40) (7,12) (12,40)
    np.testing.assert_array_equal(g.edges, [[0, 2], [0, 3], [1, 2], [2, 3]])
    np.testing.assert_array_equal(g.edge_weights, [0.3, 0.9, 0.4, 1.1])
    np.testing.assert_array_equal(g.lengths, [1.0, 2.5, 0.1, 3.0])
    assert g.degrees()[4] == 0


def test_the_networkx_round_trip_gives_back_ids_and_attributes():
    original = user_graph()
    back = Graph.from_networkx(original).to_networkx()
    assert set(back.nodes) == set(original.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in original.edges}
    assert dict(back.nodes(data="weight")) == dict(original.nodes(data="weight"))
    for u, v, data in original.edges(data=True):
        assert back.edges[u, v] == data
    assert_same_graph(Graph.from_networkx(back), Graph.from_networkx(original))


def test_unsortable_ids_keep_insertion_order():
    g = nx.Graph([("b", 1), (1, (0, 0))])
    assert Graph.from_networkx(g).node_ids == ("b", 1, (0, 0))


def test_the_ids_used_to_be_renumbered_by_insertion_order():
    # the reviewer's examples: nothing is renumbered silently any more
    g = Graph.from_networkx(nx.Graph([(0, 1), (2, 3), (5, 6)]))
    assert g.node_ids == (0, 1, 2, 3, 5, 6)
    g = Graph.from_networkx(nx.Graph([(9, 3), (3, 0)]))
    assert g.node_ids == (0, 3, 9) and g.id_of(2) == 9


def test_positions_and_names_of_attributes():
    g = nx.Graph()
    g.add_node("a", xy=(0.0, 0.0), cost=2.0)
    g.add_node("b", xy=(3.0, 4.0), cost=1.0)
    g.add_edge("a", "b", w=0.5)
    graph = Graph.from_networkx(g, node_weight="cost", node_pos="xy", edge_weight="w",
                                edge_length=None)
    np.testing.assert_array_equal(graph.weights, [2.0, 1.0])
    np.testing.assert_array_equal(graph.edge_lengths(), [5.0])  # Euclidean from positions
    np.testing.assert_array_equal(graph.edge_weights, [0.5])
    assert Graph.from_networkx(g, node_weight=None).weights is None


@pytest.mark.parametrize("make, match", [
    (lambda: nx.DiGraph([(0, 1)]), r"directed DiGraph; a Graph is undirected"),
    (lambda: nx.MultiGraph([(0, 1), (0, 1)]), r"MultiGraph with parallel edges allowed"),
    (lambda: nx.Graph([(0, 1), (1, 1)]), r"edge \(1, 1\) is a self-loop"),
    (lambda: _with(nx.path_graph(3), nodes={0: 1.0, 2: 2.0}),
     r"node 1 has no 'weight' attribute, which other nodes have"),
    (lambda: _with(nx.path_graph(3), edges={(0, 1): 1.0}, attr="length"),
     r"edge \(1, 2\) has no 'length' attribute, which other edges have"),
    (lambda: _with(nx.path_graph(2), nodes={0: "heavy", 1: 1.0}),
     r"node attribute 'weight' of 0 is 'heavy'; it must be a number"),
    (lambda: _with(nx.path_graph(2), nodes={0: float("inf"), 1: 1.0}),
     r"weights\[0\] = inf is not finite"),
    (lambda: _with(nx.path_graph(2), nodes={0: (1.0,), 1: (1.0, 2.0)}, attr="pos"),
     r"node attribute 'pos' of 0 is \(1.0,\); it must be 2 numbers"),
    (lambda: _with(nx.path_graph(3), edges={(0, 1): -1.0, (1, 2): 1.0}),
     r"edge_weights\[0\] = -1.0 is below 0.0"),
])
def test_bad_networkx_graphs_are_refused_naming_the_problem(make, match):
    with pytest.raises(ValueError, match=match):
        Graph.from_networkx(make())


def _with(g: nx.Graph, nodes: dict | None = None, edges: dict | None = None,
          attr: str = "weight") -> nx.Graph:
    nx.set_node_attributes(g, nodes or {}, attr)
    nx.set_edge_attributes(g, edges or {}, attr)
    return g


# ---------------------------------------------------------------------------- PyG, lists
class FakeTensor:
    """What from_pyg reads of a torch tensor: detach(), cpu(), numpy()."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


class FakeData:
    """A PyG Data by duck typing: num_nodes, edge_index (both directions), x, pos, ..."""

    def __init__(self, num_nodes, edge_index, **attrs):
        self.num_nodes = num_nodes
        self.edge_index = FakeTensor(edge_index)
        for key, value in attrs.items():
            setattr(self, key, None if value is None else FakeTensor(value))


def test_a_pyg_data_converts_both_directions_to_one_edge():
    data = FakeData(4, [[0, 1, 1, 2, 3], [1, 0, 2, 1, 0]], x=[[1.0], [2.0], [3.0], [4.0]],
                    edge_weight=[0.5, 0.5, 0.25, 0.25, 0.75], pos=np.zeros((4, 2)), y=[1])
    g = from_pyg(data)
    np.testing.assert_array_equal(g.edges, [[0, 1], [0, 3], [1, 2]])
    np.testing.assert_array_equal(g.edge_weights, [0.5, 0.75, 0.25])
    np.testing.assert_array_equal(g.weights, [1.0, 2.0, 3.0, 4.0])
    assert g.positions.shape == (4, 2) and g.node_ids is None
    assert_same_graph(as_graph(data), g)


@pytest.mark.parametrize("data, match", [
    (FakeData(3, [[0, 1, 0], [1, 0, 1]]), r"holds a directed edge of \(0, 1\) twice"),
    (FakeData(3, [[0, 1], [1, 0]], edge_weight=[0.5, 0.25]),
     r"data.edge_weight differs between the two directions of edge \(1, 0\)"),
    (FakeData(3, [[0, 1], [1, 1]]), r"data.edge_index.T\[1\] = \(1, 1\) is a self-loop"),
    (FakeData(3, [[0, 5], [1, 0]]), r"names a node outside \[0, 3\)"),
    (FakeData(3, [[0], [1]], x=np.ones((3, 4))), r"data.x has shape \(3, 4\), but node_weight "
                                                  r"needs one number per node.*from_pyg"),
    (FakeData(None, [[0], [1]]), r"data.num_nodes is not set"),
])
def test_bad_pyg_data_is_refused(data, match):
    with pytest.raises(ValueError, match=match):
        from_pyg(data)


def test_a_list_of_graphs_of_any_kind_becomes_a_fixed_list():
    data = FakeData(3, [[0, 1], [1, 2]], x=None)
    source = GraphSource([Graph(2, [[0, 1]]), user_graph(), data])
    assert [g.num_nodes for g in source.fixed] == [2, 5, 3]
    assert source.fixed[1].node_ids == (3, 7, 12, 40, 99)
    assert source.names == ["graphs[0]", "graphs[1]", "graphs[2]"]
    with pytest.raises(ValueError, match=r"graphs\[1\]: got a directed DiGraph"):
        GraphSource([Graph(2, [[0, 1]]), nx.DiGraph([(0, 1)])])
    with pytest.raises(ValueError, match=r"graphs\[0\] must be an envs.graphs.Graph, a "
                                         r"networkx graph or a PyG Data"):
        GraphSource([[(0, 1)]])
    with pytest.raises(ValueError, match="graphs must not be an empty list"):
        GraphSource([])


def test_a_real_pyg_data_converts_by_duck_typing():
    torch = pytest.importorskip("torch")
    data_module = pytest.importorskip("torch_geometric.data")
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]])
    data = data_module.Data(edge_index=edge_index, x=torch.tensor([[1.0], [2.0], [3.0]]),
                            edge_weight=torch.tensor([0.5, 0.5, 0.25, 0.25, 1.0, 1.0]))
    g = as_graph(data)
    np.testing.assert_array_equal(g.edges, [[0, 1], [0, 2], [1, 2]])
    np.testing.assert_array_equal(g.edge_weights, [0.5, 1.0, 0.25])
    np.testing.assert_array_equal(g.weights, [1.0, 2.0, 3.0])
