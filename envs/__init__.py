"""Graph environments (gymnasium and PettingZoo), their generators and exact/heuristic baselines.

Usable without Ray or torch.
"""
