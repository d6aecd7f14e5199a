"""One rate-allocation instance: a graph, node weights and capacities, and its rules.

Every node ``v`` sends at a rate ``x_v`` in [0, 1] and hears every node of its closed
neighbourhood ``N[v]`` (itself and its neighbours), which must share its capacity:

    maximise  sum_v w_v x_v   subject to   sum_{u in N[v]} x_u <= c_v  for every v,
                                           0 <= x_v <= 1,

a packing linear program (the fractional form of a weighted independent set under
interference). :meth:`RateProblem.repair` makes any rates feasible the way a network
would: every overloaded node throttles the nodes it hears by its own factor, and a node
takes the tightest throttle of the nodes that hear it. Everything here is numpy over whole
arrays: no Python loop over nodes or edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from envs.graphs import Graph

#: The columns of the node features ``x`` (see the env's docstring).
NODE_FEATURES = ("weight", "capacity", "log1p_degree", "equal_share")


@dataclass(frozen=True, eq=False)
class RateProblem:
    """One instance of the rate-allocation LP.

    Attributes:
        graph: the interference graph.
        weights: (n,) float64 utility per unit rate, >= 0.
        capacities: (n,) float64 capacity of each node's closed neighbourhood, > 0.
    """

    graph: Graph
    weights: np.ndarray
    capacities: np.ndarray

    @property
    def num_nodes(self) -> int:
        """n."""
        return self.graph.num_nodes

    @cached_property
    def _directed(self) -> tuple[np.ndarray, np.ndarray]:
        """(sources, targets) of every directed edge (both directions of each edge)."""
        edge_index = self.graph.edge_index
        return edge_index[0], edge_index[1]

    def load(self, rates: np.ndarray) -> np.ndarray:
        """(n,) the rate each node hears: ``sum_{u in N[v]} x_u``."""
        src, dst = self._directed
        return rates + np.bincount(dst, weights=rates[src], minlength=self.num_nodes)

    def neighbourhood_min(self, values: np.ndarray) -> np.ndarray:
        """(n,) ``min_{u in N[v]} values_u``."""
        src, dst = self._directed
        out = np.array(values, np.float64)
        np.minimum.at(out, dst, values[src])
        return out

    def repair(self, rates: np.ndarray) -> np.ndarray:
        """Feasible rates from any rates in [0, 1]: node ``v`` with load ``L_v > c_v``
        throttles by ``s_v = c_v / L_v`` (else ``s_v = 1``) and each node keeps
        ``x_u * min_{v in N[u]} s_v``. Feasible rates come back unchanged, and every
        constraint then holds: ``sum_{u in N[v]} x_u s_v <= c_v``."""
        load = self.load(rates)
        scale = np.where(load > self.capacities,
                         self.capacities / np.maximum(load, 1e-300), 1.0)
        return rates * self.neighbourhood_min(scale)

    def utility(self, rates: np.ndarray) -> float:
        """``sum_v w_v x_v``."""
        return float(self.weights @ rates)

    def overload(self, rates: np.ndarray) -> float:
        """The largest ``L_v - c_v`` (<= 0 for feasible rates; 1e-9 slack is rounding)."""
        return float((self.load(rates) - self.capacities).max(initial=-np.inf))

    @cached_property
    def equal_share(self) -> np.ndarray:
        """(n,) the closed-form feasible rates of equal sharing: each node ``v`` offers
        ``c_v / |N[v]|`` to every node it hears, and a node takes the smallest offer (capped
        at 1)."""
        offer = self.capacities / (self.graph.degrees() + 1.0)
        return np.minimum(self.neighbourhood_min(offer), 1.0)

    def features(self) -> np.ndarray:
        """(n, 4) float32 node features: weight, capacity, log(1 + degree) and the
        equal-share offer ``c_v / (1 + degree_v)``: a node's own quantities, the same at
        every graph size."""
        degree = self.graph.degrees().astype(np.float64)
        return np.stack([self.weights, self.capacities, np.log1p(degree),
                         self.capacities / (1.0 + degree)], axis=1).astype(np.float32)
