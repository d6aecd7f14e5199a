"""rllib-gnn: graph neural network policies (PyTorch Geometric) for Ray RLlib."""

__version__ = "0.1.0"
