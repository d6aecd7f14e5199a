"""The collision rule of the robots env: which proposed moves go through.

Robots move simultaneously. A move is *blocked* (the robot stays where it is) when

* another robot ends the step in the same cell: a robot staying there (by choice or because
  its own move was blocked) keeps it; among robots moving into a free cell the one with the
  lowest index gets it (a fixed priority, so two robots can never block each other forever
  by symmetry alone);
* it is a swap: two robots moving into each other's cell (they would pass through each
  other on the edge).

Blocking a move can create a new conflict (a robot that followed the blocked one now moves
into an occupied cell), so the rule is applied until nothing changes: at most K rounds, each
one numpy pass over the K robots. Moving into a cell that its robot leaves in the same step
is allowed (a train of robots moves together), and so is a rotation of three or more robots,
as in the usual multi-agent path finding (MAPF) model that the prioritised planner plans in.
"""

from __future__ import annotations

import numpy as np


def resolve_moves(current: np.ndarray, proposed: np.ndarray, num_cells: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(final, blocked)``: each robot's cell after the step and the (K,) bool of robots
    whose move was blocked. ``current`` (K,) are distinct cells; ``proposed`` (K,) the cells
    the robots' actions lead to (``current`` for an idle robot)."""
    k = len(current)
    index = np.arange(k)
    final = proposed.copy()
    blocked = np.zeros(k, bool)
    owner = np.full(num_cells, -1, np.int64)
    owner[current] = index
    for _ in range(k + 1):  # a fixed point within K rounds: each round blocks a robot or ends
        moving = final != current
        # Swaps: the robot in my target cell moves into mine.
        other = owner[final]
        swap = moving & (other >= 0) & (other != index) & (final[np.maximum(other, 0)] == current)
        # Vertex conflicts: a stayer keeps its cell; else the lowest-index mover gets it.
        key = np.where(moving, index + 1, 0)
        best = np.full(num_cells, k + 1, np.int64)
        np.minimum.at(best, final, key)
        lost = moving & (key != best[final])
        new = swap | lost
        if not new.any():
            return final, blocked
        blocked |= new
        final[new] = current[new]
    raise AssertionError("resolve_moves did not reach a fixed point")  # unreachable
