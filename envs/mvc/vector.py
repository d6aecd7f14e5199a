"""B MVC episodes stepped at once: a native gymnasium ``VectorEnv`` of :class:`MinVertexCoverEnv`.

RLlib's env runners step ``num_envs_per_env_runner`` copies of an env; with gymnasium's
``SyncVectorEnv`` that is B Python steps and B packed observations per step, about half of
an env runner's sampling time on the blog's 15-node graphs. Here one step is a few array
operations over all B episodes, held padded:

- ``in_cover`` (B, N) and ``uncovered`` (B, M) of the M = E / 2 undirected edge slots;
- a pick a_b covers every uncovered edge slot of row b with an endpoint at a_b;
- the observation's node features are recomputed from ``uncovered`` (a sum over edge slots
  by ``np.bincount``), not updated in place.

Everything per episode stays with the single-agent env: each of the B slots has its own
:class:`MinVertexCoverEnv`, whose ``reset`` draws the episode's graph (so seeds mean what they
mean there: ``reset(seed=s)`` seeds slot i with ``s + i``, as ``SyncVectorEnv`` does), and
whose final ``info`` (metrics, the reference solve) is computed from the episode's picks at
its end. The rules are the single env's: the same observations (node features to float32
rounding), rewards, ends and infos for the same seeds and actions
(``tests/envs/test_mvc_vector.py``). Autoreset is gymnasium's default, next-step: the step
after an episode ends resets that slot and returns its first observation (RLlib expects it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from envs.contract import GRAPH_KEYS
from envs.mvc.cover import node_weights
from envs.mvc.env import MinVertexCoverEnv

__all__ = ["MinVertexCoverVectorEnv"]


class MinVertexCoverVectorEnv(VectorEnv):
    """``num_envs`` MVC episodes in lockstep; the config is :class:`MinVertexCoverEnv`'s.

    Args:
        num_envs: B, the episodes stepped together.
        config: the env config (RLlib's ``env_config``), as for :class:`MinVertexCoverEnv`.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, config: Mapping | None = None, **overrides: Any) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        self.envs = [MinVertexCoverEnv(config, **overrides) for _ in range(num_envs)]
        self.num_envs = num_envs
        settings = self.settings = self.envs[0].settings
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        b, n, e = num_envs, settings.max_nodes, settings.max_edges
        self._weights = np.zeros((b, n))
        self._nodes = np.zeros((b, n), bool)                # real node slots
        self._ends = np.zeros((b, 2, e // 2), np.int64)     # undirected edge slots (u, v)
        self._edge_index = np.zeros((b, 2, e), np.int64)
        self._slot_edge = np.zeros((b, e), np.int64)      # directed slot -> undirected slot
        self._directed = np.zeros((b, e), bool)           # real directed edge slots
        self._in_cover = np.zeros((b, n), bool)
        self._uncovered = np.zeros((b, e // 2), bool)
        self._steps = np.zeros(b, np.int64)
        self._max_steps = np.zeros(b, np.int64)
        self._invalid = np.zeros(b, np.int64)
        self._picked_at = np.zeros((b, n), np.int64)       # the step a node joined the cover
        self._needs_reset = np.zeros(b, bool)
        self._valid = np.zeros((b, n), bool)  # the picks the last observation allows

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode in every slot; an int ``seed`` seeds slot i with ``seed + i``."""
        if seed is None or isinstance(seed, int):
            seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        elif len(seed) == self.num_envs:
            seeds = list(seed)
        else:
            raise ValueError(f"seed must be None, an int or {self.num_envs} seeds, got {seed!r}")
        for i, s in enumerate(seeds):
            self._start(i, s)
        self._needs_reset[:] = False
        return self._observations(np.zeros(self.num_envs, bool)), {}

    def step(self, actions: Any) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                          np.ndarray, dict[str, Any]]:
        """One step of every slot: slots whose episode ended last step start a new one
        (their action is ignored, reward 0), the others pick ``actions[i]``."""
        b, n = self.num_envs, self.settings.max_nodes
        actions = np.asarray(actions).reshape(-1)
        if (actions.shape != (b,) or not np.issubdtype(actions.dtype, np.integer)
                or (actions < 0).any() or (actions >= n).any()):
            raise ValueError(f"actions must be {b} integers in 0..{n - 1} (one node slot per "
                             f"env), got {np.asarray(actions).tolist()}")
        playing, rows = ~self._needs_reset, np.arange(b)
        valid = playing & self._valid[rows, actions]  # judged on the state the agent saw
        if not self.settings.penalty and (playing & ~valid).any():
            i = int(np.flatnonzero(playing & ~valid)[0])
            raise ValueError(f"env {i}: action {actions[i]} is invalid: "
                             f"{self._invalid_reason(i, int(actions[i]))}")
        for i in np.flatnonzero(~playing):
            self._start(int(i), None)
        picked = np.where(valid, actions, -1)
        self._in_cover[rows[valid], actions[valid]] = True
        self._uncovered &= ~(self._ends == picked[:, None, None]).any(axis=1)
        self._picked_at[rows[valid], actions[valid]] = self._steps[valid]
        rewards = np.where(valid, -self._weights[rows, actions], 0.0)
        if self.settings.penalty:
            rewards = np.where(playing & ~valid, rewards + self.settings.invalid_penalty, rewards)
            self._invalid += playing & ~valid
        self._steps += playing
        terminated = playing & ~self._uncovered.any(axis=1)
        truncated = playing & ~terminated & (self._steps >= self._max_steps)
        self._needs_reset = terminated | truncated
        infos: dict[str, Any] = {}
        for i in np.flatnonzero(self._needs_reset):
            infos = self._add_info(infos, self._final_info(int(i)), int(i))
        return (self._observations(self._needs_reset), rewards, terminated, truncated, infos)

    def close_extras(self, **kwargs: Any) -> None:
        for env in self.envs:
            env.close()

    # ------------------------------------------------------------------ one slot
    def _start(self, i: int, seed: int | None) -> None:
        """A new episode in slot ``i``: the single env draws its graph; load it padded."""
        env = self.envs[i]
        env.start_episode(seed)
        graph = env.core.graph
        n, m = graph.num_nodes, graph.num_edges
        for array in (self._weights, self._nodes, self._in_cover, self._uncovered, self._ends, self._edge_index, self._picked_at):
            array[i] = 0
        self._weights[i, :n] = node_weights(graph)
        self._nodes[i, :n] = True
        self._ends[i, :, :m] = graph.edges.T
        self._uncovered[i, :m] = True
        self._edge_index[i, :, :2 * m] = graph.edge_index
        self._slot_edge[i, :2 * m] = np.tile(np.arange(m), 2)  # edge k and its reverse m + k
        self._slot_edge[i, 2 * m:] = 0
        self._directed[i] = False
        self._directed[i, :2 * m] = True
        self._steps[i], self._max_steps[i], self._invalid[i] = 0, env.core.max_steps, 0

    def _invalid_reason(self, i: int, node: int) -> str:
        """Why slot ``i`` may not pick ``node`` now (``CoverState.invalid_reason``'s words)."""
        if not self._nodes[i, node]:
            return (f"it is a padding slot (the episode's graph has {self._nodes[i].sum()} "
                    f"nodes)")
        if self._in_cover[i, node]:
            return "the node is already in the cover"
        return "the node touches no uncovered edge (mask_useless=True)"

    def _final_info(self, i: int) -> dict[str, Any]:
        """Slot ``i``'s episode-end info: the single env's, from the same picks."""
        core = self.envs[i].core
        picks = np.flatnonzero(self._in_cover[i])
        core.cover.add(picks[np.argsort(self._picked_at[i, picks], kind="stable")])
        core.invalid_actions = int(self._invalid[i])
        return core.final_info(0)

    # ------------------------------------------------------------------ observations
    def _degrees(self) -> tuple[np.ndarray, np.ndarray]:
        """(B, N) uncovered degree and uncovered-neighbour weight of every node slot."""
        b, n = self._nodes.shape
        live = self._uncovered
        row = np.arange(b)[:, None] * n
        u, v = (self._ends[:, 0] + row)[live], (self._ends[:, 1] + row)[live]
        weights = self._weights.reshape(-1)
        degree = np.bincount(u, minlength=b * n) + np.bincount(v, minlength=b * n)
        neighbour = (np.bincount(u, weights[v], minlength=b * n)
                     + np.bincount(v, weights[u], minlength=b * n))
        return degree.reshape(b, n), neighbour.reshape(b, n)

    def _observations(self, terminal: np.ndarray) -> dict[str, np.ndarray]:
        """The batched observation of the contract (what B single envs pack, stacked)."""
        degree, neighbour = self._degrees()
        x = np.stack([self._weights, self._in_cover, np.log1p(degree), np.log1p(neighbour)],
                     axis=-1).astype(np.float32)
        if self.settings.mask_useless:  # CoverState.valid
            self._valid = degree > 0
        else:
            self._valid = self._nodes & ~self._in_cover
        mask = (self._nodes if self.settings.penalty else self._valid).astype(np.int8)
        mask[terminal & ~mask.any(axis=1), 0] = 1  # never all zero (envs.contract)
        covered = ~np.take_along_axis(self._uncovered, self._slot_edge, axis=1) & self._directed
        obs = {"x": x, "edge_index": self._edge_index.copy(),
               "edge_attr": covered.astype(np.float32)[:, :, None],
               "node_mask": self._nodes.astype(np.int8),
               "edge_mask": self._directed.astype(np.int8),
               "action_mask": mask}
        if self.settings.global_state:
            obs["state"] = {key: obs[key].copy() for key in GRAPH_KEYS if key in obs}
        return obs
