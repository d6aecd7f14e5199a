"""The smallest useful MVC experiment: one PPO iteration of a 16-wide GraphSAGE in seconds."""

TINY_MVC = {
    "algorithm": "PPO",
    "env": "mvc",
    "env_config": {"graphs": {"preset": "blog_mvc", "split": "train"}, "max_nodes": 15},
    "model": {"encoder": "sage", "head": "node", "hidden": 16, "num_layers": 2,
              "head_hidden": 16},
    "training": {"train_batch_size_per_learner": 128, "minibatch_size": 64, "num_epochs": 1},
    "env_runners": {"num_env_runners": 0, "num_envs_per_env_runner": 2},
    "stop": {"training_iteration": 1},
    "evaluation": {"env_config": {"graphs": {"preset": "blog_mvc", "split": "test"}},
                   "episodes": 3},
    "checkpoint": {"frequency": 1, "at_end": True},
}
