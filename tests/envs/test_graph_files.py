"""Graph files load through an env config, as YAML gives it, into the networkx original."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from envs.graphs import Graph, absolute_files, read_graph_file
from envs.mvc import MinVertexCoverEnv
from tests.envs.test_graph_model import assert_same_graph, user_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "graphs"


def with_positions() -> nx.Graph:
    g = user_graph()
    nx.set_node_attributes(g, {v: [float(v), 1.5] for v in g}, "pos")
    return g


def edges_only() -> nx.Graph:
    """An edge list holds no isolated node and no node attribute."""
    g = user_graph()
    g.remove_node(99)
    for v in g:
        g.nodes[v].clear()
    return g


def string_ids() -> nx.Graph:
    return nx.relabel_nodes(user_graph(), {v: f"n{v}" for v in user_graph()})


WRITERS = {
    "graph.graphml": (nx.write_graphml, user_graph),
    "graph.gml": (nx.write_gml, with_positions),
    "strings.gml": (nx.write_gml, string_ids),
    "graph.json": (lambda g, p: Path(p).write_text(json.dumps(nx.node_link_data(g, edges="edges"))),
                   with_positions),
    "links.json": (lambda g, p: Path(p).write_text(json.dumps(nx.node_link_data(g, edges="links"))),
                   user_graph),
    "graph.edgelist": (lambda g, p: nx.write_edgelist(g, p, data=True), edges_only),
    "graph.txt": (lambda g, p: nx.write_edgelist(g, p, data=True), edges_only),
}


def env_graphs(graphs) -> list[Graph]:
    """The fixed list an env builds from a ``graphs`` config value."""
    return MinVertexCoverEnv({"graphs": graphs}).settings.source.fixed


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_each_format_loads_through_the_env_config_as_the_networkx_original(tmp_path, name):
    write, make = WRITERS[name]
    write(make(), tmp_path / name)
    [loaded] = env_graphs({"files": str(tmp_path / name)})
    assert_same_graph(loaded, Graph.from_networkx(make()))


def test_a_hand_written_node_link_file_is_a_simple_undirected_graph(tmp_path):
    (tmp_path / "hand.json").write_text(json.dumps(
        {"nodes": [{"id": "a", "weight": 2}, {"id": "b", "weight": 1}, {"id": "c", "weight": 3}],
         "edges": [{"source": "a", "target": "b", "length": 1.5}]}))
    g = read_graph_file(tmp_path / "hand.json")
    assert g.node_ids == ("a", "b", "c") and g.lengths.tolist() == [1.5]
    assert g.weights.tolist() == [2.0, 1.0, 3.0]


def test_integer_looking_ids_of_text_formats_become_ints_only_when_all_canonical(tmp_path):
    g = nx.Graph([("7", "12"), ("12", "007")])
    nx.write_graphml(g, tmp_path / "mixed.graphml")
    assert read_graph_file(tmp_path / "mixed.graphml").node_ids == ("007", "12", "7")
    nx.write_graphml(nx.Graph([(7, 12), (-3, 7)]), tmp_path / "ints.graphml")
    assert read_graph_file(tmp_path / "ints.graphml").node_ids == (-3, 7, 12)


def test_a_list_a_glob_relative_paths_and_attribute_names(tmp_path, monkeypatch):
    for i in range(3):
        nx.write_gml(user_graph(), tmp_path / f"g{i}.gml")
    nx.write_graphml(user_graph(), tmp_path / "h.graphml")
    monkeypatch.chdir(tmp_path)
    graphs = env_graphs({"files": ["h.graphml", "g*.gml"], "edge_weight": None,
                         "node_weight": "weight", "edge_length": "weight"})
    assert len(graphs) == 4
    assert all(g.edge_weights is None for g in graphs)
    np.testing.assert_array_equal(graphs[0].lengths, Graph.from_networkx(user_graph()).edge_weights)
    source = MinVertexCoverEnv({"graphs": {"files": "g*.gml"}}).settings.source
    assert source.names == ["g0.gml", "g1.gml", "g2.gml"]


def test_absolute_files_freezes_relative_entries(tmp_path):
    config = {"files": ["a.gml", str(tmp_path / "b.gml")], "node_weight": None}
    frozen = absolute_files(config, tmp_path)
    assert frozen == {"files": [str(tmp_path / "a.gml"), str(tmp_path / "b.gml")],
                      "node_weight": None}
    assert absolute_files({"files": "x/*.gml"}, "/data") == {"files": "/data/x/*.gml"}


def test_bad_files_are_refused_naming_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.csv").write_text("0,1\n")
    (tmp_path / "broken.gml").write_text("graph [ node [ id 0 ")
    (tmp_path / "bad.edgelist").write_text("0 1 heavy\n")
    nx.write_graphml(nx.DiGraph([(0, 1)]), tmp_path / "directed.graphml")
    nx.write_gml(nx.MultiGraph([(0, 1), (0, 1)]), tmp_path / "multi.gml")
    nx.write_graphml(_one_weight(), tmp_path / "partial.graphml")
    (tmp_path / "empty.json").write_text(json.dumps({"nodes": [], "edges": []}))
    (tmp_path / "twice.edgelist").write_text("0 1\n1 2\n1 0\n")
    (tmp_path / "loop.edgelist").write_text("0 1\n2 2\n")
    (tmp_path / "twice.json").write_text(json.dumps(
        {"nodes": [{"id": 0}, {"id": 1}], "edges": [{"source": 0, "target": 1}] * 2}))
    cases = [
        ("notes.csv", r"'notes.csv' has suffix '.csv'; known suffixes"),
        ("missing.gml", r"no file 'missing.gml' \(relative paths are resolved against the "
                        r"current directory"),
        ("nothing/*.gml", r"'nothing/\*.gml' matches no file"),
        ("broken.gml", r"cannot read 'broken.gml' as GML"),
        ("bad.edgelist", r"cannot read 'bad.edgelist' as an edge list"),
        ("directed.graphml", r"'directed.graphml': got a directed DiGraph"),
        ("multi.gml", r"'multi.gml': edge \(0, 1\) is given twice"),
        ("twice.edgelist", r"'twice.edgelist': edge \(0, 1\) is given twice"),
        ("twice.json", r"'twice.json': edge \(0, 1\) is given twice"),
        ("loop.edgelist", r"'loop.edgelist': edge \(2, 2\) is a self-loop"),
        ("partial.graphml", r"'partial.graphml': node 1 has no 'weight' attribute"),
        ("empty.json", r"'empty.json' holds no node"),
    ]
    for files, match in cases:
        with pytest.raises(ValueError, match=match):
            env_graphs({"files": files})


def _one_weight() -> nx.Graph:
    g = nx.path_graph(3)
    g.nodes[0]["weight"] = 1.0
    return g


@pytest.mark.parametrize("config, match", [
    ({"files": []}, r"graphs.files must be a path, a glob or a non-empty list of them"),
    ({"files": 3}, r"graphs.files must be a path"),
    ({"files": "a.gml", "weight": "w"}, r"unknown graphs \(files\) key\(s\) \['weight'\]"),
    ({"files": "a.gml", "node_weight": 3}, r"graphs.node_weight must be an attribute name"),
])
def test_bad_files_configs_name_the_key(config, match):
    with pytest.raises(ValueError, match=match):
        env_graphs(config)


def test_the_example_files_load_with_their_ids_and_attributes():
    graphs = env_graphs({"files": str(EXAMPLES / "*")})
    by_name = dict(zip((Path(n).name for n in MinVertexCoverEnv(
        {"graphs": {"files": str(EXAMPLES / "*")}}).settings.source.names), graphs))
    assert sorted(by_name) == ["district.graphml", "geometric.json", "small_world.gml",
                               "tree.edgelist"]
    district = by_name["district.graphml"]
    assert district.node_ids[:3] == (100, 107, 114) and 999 in district.node_ids
    assert district.degrees()[district.index_of(999)] == 0
    assert by_name["small_world.gml"].index_of("spare") >= 0
    assert by_name["geometric.json"].positions is not None
    for g in graphs:
        assert g.edge_weights is not None and g.lengths is not None
        assert all(size < 8000 for size in (p.stat().st_size for p in EXAMPLES.iterdir()))
