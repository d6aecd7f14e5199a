"""What a user calls: the ``rllib-gnn`` command line, the evaluation of checkpoints and the
report of a run. Imports ``rllib_gnn.training``, ``rllib_gnn.nn`` and ``envs``."""
