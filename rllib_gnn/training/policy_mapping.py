"""Which policy acts for which agent: the policy mapping fns of ``multi_agent.policies``.

Training (:mod:`rllib_gnn.training.algorithm`, imitation pretraining) and evaluation
(:mod:`rllib_gnn.service.checkpoints`) read the same mapping, so a checkpoint's modules
play the agents they were trained for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["POLICY_MAPPING", "SHARED_POLICY", "own_policy", "shared_policy"]

#: The policy id of the one module every agent shares (``multi_agent.policies: shared``).
SHARED_POLICY = "shared"


def shared_policy(agent_id: str, episode: Any = None, **kwargs: Any) -> str:
    """Policy mapping with parameter sharing: every agent acts with one GNN policy."""
    return SHARED_POLICY


def own_policy(agent_id: str, episode: Any = None, **kwargs: Any) -> str:
    """Policy mapping with independent learners: each agent has a policy of its own."""
    return agent_id


#: The policy mapping fn of each ``multi_agent.policies`` value of an experiment.
POLICY_MAPPING = {"shared": shared_policy, "per_agent": own_policy}
