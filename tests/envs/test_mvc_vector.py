"""The vectorised MVC env plays exactly the single env's episodes, B at a time."""

import gymnasium as gym
import numpy as np
import pytest

from envs.mvc import MinVertexCoverEnv
from envs.mvc.vector import MinVertexCoverVectorEnv

CONFIGS = {
    "blog": {},
    "penalty": {"invalid_action": "penalty", "max_steps": 6},
    "keep useless": {"mask_useless": False, "reference": "greedy"},
    "state": {"global_state": True,
              "graphs": {"generator": "erdos_renyi", "sizes": [8, 12], "params": {"p": 0.5}}},
}


def _same(single_obs: dict, batched: dict, i: int) -> None:
    for key, value in single_obs.items():
        if isinstance(value, dict):
            _same(value, batched[key], i)
        elif key == "x":  # sums taken in another order: equal to float32 rounding
            np.testing.assert_allclose(batched[key][i], value, rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(batched[key][i], value, err_msg=key)


def _next_step(single, obs: dict, done: bool, rng: np.random.Generator, penalty: bool):
    """The single env's next step the way a vector env drives it (next-step autoreset),
    with an action drawn from the observation's mask (any real slot under penalties)."""
    if done:
        return single.reset()[0], 0.0, False, False, {}, 0
    allowed = obs["node_mask"] if penalty else obs["action_mask"]
    action = int(rng.choice(np.flatnonzero(allowed)))
    return (*single.step(action), action)


@pytest.mark.parametrize("name", CONFIGS)
def test_vector_env_equals_single_envs_step_by_step(name):
    config, b = CONFIGS[name], 5
    vector = MinVertexCoverVectorEnv(b, config)
    singles = [MinVertexCoverEnv(config) for _ in range(b)]
    vobs, _ = vector.reset(seed=40)
    obs = [env.reset(seed=40 + i)[0] for i, env in enumerate(singles)]
    for i in range(b):
        _same(obs[i], vobs, i)
    rng, done, ends = np.random.default_rng(0), [False] * b, 0
    for _ in range(60):
        steps = [_next_step(env, obs[i], done[i], rng, name == "penalty")
                 for i, env in enumerate(singles)]
        vobs, rewards, terminated, truncated, infos = vector.step(
            np.array([s[5] for s in steps]))
        for i, (o, r, term, trunc, info, _) in enumerate(steps):
            _same(o, vobs, i)
            assert rewards[i] == pytest.approx(r, abs=1e-12)
            assert (terminated[i], truncated[i]) == (term, trunc)
            for key, value in info.items():
                assert infos["_" + key][i] and infos[key][i] == pytest.approx(value), key
            obs[i], done[i] = o, term or trunc
            ends += done[i]
    assert ends >= 2 * b  # the comparison crossed several episode ends in every slot


def test_vector_env_passes_gymnasium_vector_checks_and_rejects_bad_actions():
    vector = MinVertexCoverVectorEnv(3)
    obs, _ = vector.reset(seed=1)
    assert vector.observation_space.contains(obs)
    assert vector.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    taken = np.argmax(obs["action_mask"] == 0, axis=1)  # a masked slot in every row
    with pytest.raises(ValueError, match=r"env 0: action \d+ is invalid"):
        vector.step(taken)
    with pytest.raises(ValueError, match=r"3 integers in 0\.\.14"):
        vector.step(np.array([0, 1, 99]))
    with pytest.raises(ValueError, match="num_envs must be an int >= 1"):
        MinVertexCoverVectorEnv(0)
