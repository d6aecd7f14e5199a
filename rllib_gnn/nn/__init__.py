"""The network: padded graph batches, GNN encoders, pooling, action heads, the model
config and the RLlib module (:class:`~rllib_gnn.nn.module.GraphRLModule`) with its
inference helpers. Imports ``envs`` only, never ``rllib_gnn.training`` or
``rllib_gnn.service``."""
