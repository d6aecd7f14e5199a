"""Write the example graph files of examples/graphs/ (deterministic: run it to regenerate).

    python scripts/make_example_graphs.py [--out examples/graphs]

One small graph per format the envs read (``envs.graph_files``), each with what a user's
graph has and a generated one lacks: node ids that are not 0..n-1, an isolated node (the
edge list cannot hold one), node weights (``weight``), edge weights (``weight``) and edge
lengths (``length``); the node-link JSON also has positions (``pos``). Values are rounded
so that the files stay small and every number reads back exactly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import networkx as nx
import numpy as np

SEED = 16
OUT = Path(__file__).resolve().parents[1] / "examples" / "graphs"


def _decorate(g: nx.Graph, rng: np.random.Generator) -> nx.Graph:
    """Node weights in [0.5, 2), edge weights in [0, 1) and lengths in [1, 3), rounded."""
    for v in g.nodes:
        g.nodes[v]["weight"] = round(float(rng.uniform(0.5, 2.0)), 3)
    for u, v in g.edges:
        g.edges[u, v]["weight"] = round(float(rng.random()), 3)
        g.edges[u, v].setdefault("length", round(float(rng.uniform(1.0, 3.0)), 2))
    return g


def district(rng: np.random.Generator) -> nx.Graph:
    """A 4 x 5 street grid with two blocks removed, ids 100, 107, 114, ...; isolated 999."""
    g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 5))
    g.remove_nodes_from([7, 12])
    g = nx.relabel_nodes(g, {v: 100 + 7 * v for v in g.nodes})
    g.add_node(999)
    return _decorate(g, rng)


def small_world(rng: np.random.Generator) -> nx.Graph:
    """Watts-Strogatz n=16, k=4, p=0.3 with string ids ``s0``..``s15``; isolated ``spare``."""
    g = nx.watts_strogatz_graph(16, 4, 0.3, seed=np.random.default_rng(rng.integers(2**32)))
    g = nx.relabel_nodes(g, {v: f"s{v}" for v in g.nodes})
    g.add_node("spare")
    return _decorate(g, rng)


def geometric(rng: np.random.Generator) -> nx.Graph:
    """A random geometric graph of 18 nodes (radius 0.4) with positions and Euclidean
    lengths, ids 10, 20, ..., 180."""
    pos = {10 * (i + 1): [round(float(x), 3), round(float(y), 3)]
           for i, (x, y) in enumerate(rng.random((18, 2)))}
    g = nx.random_geometric_graph(list(pos), 0.4, pos=pos)
    for u, v in g.edges:
        g.edges[u, v]["length"] = round(float(np.hypot(*np.subtract(pos[u], pos[v]))), 4)
    return _decorate(g, rng)


def tree(rng: np.random.Generator) -> nx.Graph:
    """A Barabasi-Albert tree (m=1) of 14 nodes, ids 1000, 1003, 1006, ..."""
    g = nx.barabasi_albert_graph(14, 1, seed=np.random.default_rng(rng.integers(2**32)))
    return _decorate(nx.relabel_nodes(g, {v: 1000 + 3 * v for v in g.nodes}), rng)


def write(out: Path) -> list[Path]:
    """Write the four files into ``out``; returns their paths."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    files = {"district.graphml": district(rng), "small_world.gml": small_world(rng),
             "geometric.json": geometric(rng), "tree.edgelist": tree(rng)}
    for name, g in files.items():
        path = out / name
        if path.suffix == ".graphml":
            nx.write_graphml(g, path)
        elif path.suffix == ".gml":
            nx.write_gml(g, path)
        elif path.suffix == ".json":
            path.write_text(json.dumps(nx.node_link_data(g, edges="edges"), indent=1) + "\n")
        else:
            nx.write_edgelist(g, path, data=True)
    return [out / name for name in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: %(default)s)")
    for path in write(parser.parse_args().out):
        print(f"{path}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
