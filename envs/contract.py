"""The graph observation contract: a padded, sparse graph as a Dict of fixed-shape arrays.

Every environment builds its observation space with :meth:`GraphObsSpec.space` and its
observations with :meth:`GraphObsSpec.pack`; the RLModules of ``rllib_gnn`` consume exactly
these keys (see ``docs/architecture.md``).

=============  ==========  =======  =================================================
key            shape       dtype    meaning
=============  ==========  =======  =================================================
``x``          (N, F)      float32  node features; padding rows are zero
``edge_index`` (2, E)      int64    directed edges (an undirected edge in both
                                    directions); padding columns are 0
``edge_attr``  (E, Fe)     float32  edge features, present when Fe > 0
``node_mask``  (N,)        int8     1 for real nodes
``edge_mask``  (E,)        int8     1 for real edges
``action_mask`` (A,)       int8     1 for valid actions; never all zero
``agent_node`` (1,)        int64    agent-centric envs: the node the agent stands on
``neighbours`` (D,)        int64    neighbours-as-actions: slot i is the node action i
                                    moves to
``state``      Dict                 CTDE only: the global graph view (x, edge_index,
                                    edge_attr, node_mask, edge_mask) for a critic
=============  ==========  =======  =================================================

N = ``max_nodes``, E = ``max_edges``, D = ``max_degree``, A = ``num_actions``. Memory is
O(N + E): there is never an N x N array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from envs._validation import require_int

GRAPH_KEYS = ("x", "edge_index", "edge_attr", "node_mask", "edge_mask")


@dataclass(frozen=True)
class GraphObsSpec:
    """Sizes of one padded graph observation; builds its space and packs arrays into it.

    Args:
        max_nodes: N, node slots.
        max_edges: E, directed edge slots.
        node_features: F, width of ``x``.
        num_actions: A, length of ``action_mask``.
        edge_features: Fe, width of ``edge_attr`` (0 leaves the key out).
        max_degree: D, length of ``neighbours`` (None leaves the key out).
        agent_node: whether the ``agent_node`` key is present.
        state: spec of the global graph for a centralised critic (None leaves it out).
    """

    max_nodes: int
    max_edges: int
    node_features: int
    num_actions: int
    edge_features: int = 0
    max_degree: int | None = None
    agent_node: bool = False
    state: GraphObsSpec | None = None

    def __post_init__(self) -> None:
        require_int("max_nodes", self.max_nodes, minimum=1)
        require_int("max_edges", self.max_edges, minimum=1)
        require_int("node_features", self.node_features, minimum=1)
        require_int("num_actions", self.num_actions, minimum=1)
        require_int("edge_features", self.edge_features, minimum=0)
        if self.max_degree is not None:
            require_int("max_degree", self.max_degree, minimum=1)

    # ------------------------------------------------------------------ spaces
    def graph_spaces(self) -> dict[str, spaces.Space]:
        """The spaces of the graph keys alone (what ``state`` holds)."""
        n, e = self.max_nodes, self.max_edges
        out: dict[str, spaces.Space] = {
            "x": spaces.Box(-np.inf, np.inf, (n, self.node_features), np.float32),
            "edge_index": spaces.Box(0, n - 1, (2, e), np.int64),
            "node_mask": spaces.Box(0, 1, (n,), np.int8),
            "edge_mask": spaces.Box(0, 1, (e,), np.int8),
        }
        if self.edge_features:
            out["edge_attr"] = spaces.Box(-np.inf, np.inf, (e, self.edge_features), np.float32)
        return out

    def space(self) -> spaces.Dict:
        """The full observation space of one agent."""
        n = self.max_nodes
        out = self.graph_spaces()
        out["action_mask"] = spaces.Box(0, 1, (self.num_actions,), np.int8)
        if self.agent_node:
            out["agent_node"] = spaces.Box(0, n - 1, (1,), np.int64)
        if self.max_degree is not None:
            out["neighbours"] = spaces.Box(0, n - 1, (self.max_degree,), np.int64)
        if self.state is not None:
            out["state"] = spaces.Dict(self.state.graph_spaces())
        return spaces.Dict(out)

    # ------------------------------------------------------------------ packing
    def check_fits(self, num_nodes: int, num_directed_edges: int) -> None:
        """Raise a ``ValueError`` naming the limit a graph of this size would exceed."""
        if num_nodes > self.max_nodes:
            raise ValueError(
                f"graph has {num_nodes} nodes, over the env's max_nodes={self.max_nodes}; "
                f"raise max_nodes to at least {num_nodes}")
        if num_directed_edges > self.max_edges:
            raise ValueError(
                f"graph has {num_directed_edges} directed edges, over the env's "
                f"max_edges={self.max_edges}; raise max_edges to at least {num_directed_edges}")

    def pack_graph(self, x: np.ndarray, edge_index: np.ndarray,
                   edge_attr: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Pad one graph's arrays into the graph keys (fresh arrays, safe to keep).

        Args:
            x: (n, F) node features, finite.
            edge_index: (2, m) directed edges over nodes ``0..n-1``.
            edge_attr: (m, Fe) edge features when ``edge_features > 0``.
        """
        n, m = x.shape[0], edge_index.shape[1]
        self.check_fits(n, m)
        if x.shape[1] != self.node_features:
            raise ValueError(f"x has {x.shape[1]} features, the spec says {self.node_features}")
        if not np.isfinite(x).all():
            bad = np.argwhere(~np.isfinite(x))[0]
            raise ValueError(f"x holds a non-finite value {x[tuple(bad)]} at node {bad[0]}")
        out = {
            "x": np.zeros((self.max_nodes, self.node_features), np.float32),
            "edge_index": np.zeros((2, self.max_edges), np.int64),
            "node_mask": np.zeros(self.max_nodes, np.int8),
            "edge_mask": np.zeros(self.max_edges, np.int8),
        }
        out["x"][:n] = x
        out["edge_index"][:, :m] = edge_index
        out["node_mask"][:n] = 1
        out["edge_mask"][:m] = 1
        if self.edge_features:
            if edge_attr is None or edge_attr.shape != (m, self.edge_features):
                got = None if edge_attr is None else edge_attr.shape
                raise ValueError(f"edge_attr must have shape {(m, self.edge_features)}, got {got}")
            out["edge_attr"] = np.zeros((self.max_edges, self.edge_features), np.float32)
            out["edge_attr"][:m] = edge_attr
        return out

    def pack(self, x: np.ndarray, edge_index: np.ndarray, action_mask: np.ndarray, *,
             edge_attr: np.ndarray | None = None, agent_node: int | None = None,
             neighbours: np.ndarray | None = None, state: dict[str, np.ndarray] | None = None,
             terminal: bool = False) -> dict[str, np.ndarray]:
        """Build one agent's observation.

        Args:
            action_mask: (a,) bools, a <= ``num_actions``; padded with zeros.
            agent_node: the node the agent stands on (when ``agent_node`` is on).
            neighbours: (d,) node ids, d <= ``max_degree``; padded with the agent's node.
            state: an already packed global graph (``self.state.pack_graph(...)``).
            terminal: on a terminal observation with no valid action, slot 0 is marked
                valid so that the mask is never all zero (no action is taken from it).
        """
        obs = self.pack_graph(x, edge_index, edge_attr)
        mask = np.zeros(self.num_actions, np.int8)
        mask[: len(action_mask)] = action_mask
        if not mask.any():
            if not terminal:
                raise ValueError("action_mask is all zero on a non-terminal observation")
            mask[0] = 1
        obs["action_mask"] = mask
        if self.agent_node:
            obs["agent_node"] = np.array([agent_node], np.int64)
        if self.max_degree is not None:
            if len(neighbours) > self.max_degree:
                raise ValueError(
                    f"node {agent_node} has {len(neighbours)} neighbours, over the env's "
                    f"max_degree={self.max_degree}; raise max_degree")
            slots = np.full(self.max_degree, agent_node if agent_node is not None else 0, np.int64)
            slots[: len(neighbours)] = neighbours
            obs["neighbours"] = slots
        if self.state is not None:
            obs["state"] = state
        return obs
