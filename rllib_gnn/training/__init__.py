"""Training: experiment files, the RLlib algorithm config of an experiment, the Tune
trainable and driver, imitation pretraining, callbacks and env registration. Imports
``rllib_gnn.nn`` and ``envs``, never ``rllib_gnn.service``."""
