from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.extensions import RandomNetworkDistillation, resolve_rnd_config, rnd_weight

OBS_GROUPS = {"actor": ["policy"], "critic": ["policy"], "rnd_state": ["policy", "extra"]}


def _obs(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return TensorDict({"policy": torch.randn(n, 6, generator=g), "extra": torch.randn(n, 2, generator=g)}, [n])


def _rnd(**kwargs):
    torch.manual_seed(0)
    cfg = dict(num_outputs=8, predictor_hidden_dims=[32, 32], target_hidden_dims=[32], learning_rate=1e-2, weight=1.0)
    cfg.update(kwargs)
    return RandomNetworkDistillation(num_states=8, obs_groups=OBS_GROUPS, **cfg)


def test_intrinsic_reward_shrinks_on_visited_states_only():
    rnd = _rnd()
    visited, novel = _obs(64, seed=1), _obs(64, seed=2)
    novel["policy"] += 3.0
    before_visited = rnd.get_intrinsic_reward(visited).mean()
    before_novel = rnd.get_intrinsic_reward(novel).mean()
    for _ in range(300):
        loss = rnd.compute_loss(visited)
        rnd.optimizer.zero_grad()
        loss.backward()
        rnd.optimizer.step()
    after_visited = rnd.get_intrinsic_reward(visited).mean()
    after_novel = rnd.get_intrinsic_reward(novel).mean()
    assert after_visited < 0.2 * before_visited
    assert after_novel > 3.0 * after_visited
    assert before_novel > 0.5 * after_novel  # novel states stay novel


def test_target_is_frozen_and_reward_matches_embedding_distance():
    rnd = _rnd()
    target_before = [p.clone() for p in rnd.target.parameters()]
    obs = _obs()
    loss = rnd.compute_loss(obs)
    loss.backward()
    rnd.optimizer.step()
    assert all(p.grad is None for p in rnd.target.parameters())
    assert all(torch.equal(a, b) for a, b in zip(target_before, rnd.target.parameters()))
    state = torch.cat([obs["policy"], obs["extra"]], dim=-1)
    expected = torch.linalg.vector_norm(rnd.target(state) - rnd.predictor(state), dim=1)
    torch.testing.assert_close(rnd.get_intrinsic_reward(obs), expected.detach())


@pytest.mark.parametrize(
    ("schedule", "steps", "expected"),
    [
        (None, [1, 100], [2.0, 2.0]),
        ({"mode": "constant"}, [1, 100], [2.0, 2.0]),
        ({"mode": "step", "final_step": 10, "final_value": 0.5}, [9, 10, 50], [2.0, 0.5, 0.5]),
        (
            {"mode": "linear", "initial_step": 10, "final_step": 20, "final_value": 0.0},
            [5, 10, 15, 20, 30],
            [2.0, 2.0, 1.0, 0.0, 0.0],
        ),
    ],
)
def test_weight_schedules(schedule, steps, expected):
    assert [rnd_weight(schedule, 2.0, s) for s in steps] == pytest.approx(expected)


def test_schedule_advances_with_env_steps():
    rnd = _rnd(weight=1.0, weight_schedule={"mode": "step", "final_step": 3, "final_value": 0.0})
    obs = _obs()
    rewards = [rnd.get_intrinsic_reward(obs).abs().sum().item() for _ in range(4)]
    assert rewards[0] > 0 and rewards[1] > 0 and rewards[2] == 0 and rewards[3] == 0
    assert rnd.weight == 0.0


def test_resolve_config_scales_weight_by_step_dt_and_keeps_input():
    user = {"rnd_cfg": {"weight": 10.0, "num_outputs": 4, "predictor_hidden_dims": [8], "target_hidden_dims": [8]}}
    resolved = resolve_rnd_config(user, _obs(), OBS_GROUPS, SimpleNamespace(step_dt=0.02))
    assert resolved["rnd_cfg"]["weight"] == pytest.approx(0.2)
    assert resolved["rnd_cfg"]["num_states"] == 8
    assert user["rnd_cfg"]["weight"] == 10.0 and "num_states" not in user["rnd_cfg"]
    env = SimpleNamespace(unwrapped=SimpleNamespace(step_dt=0.005))
    assert resolve_rnd_config(user, _obs(), OBS_GROUPS, env)["rnd_cfg"]["weight"] == pytest.approx(0.05)
    assert resolve_rnd_config({"rnd_cfg": None}, _obs(), OBS_GROUPS, env)["rnd_cfg"] is None


def test_errors():
    with pytest.raises(ValueError, match="weigth"):
        resolve_rnd_config({"rnd_cfg": {"weigth": 1.0}}, _obs(), OBS_GROUPS, SimpleNamespace(step_dt=0.02))
    with pytest.raises(ValueError, match="step_dt"):
        resolve_rnd_config({"rnd_cfg": {"weight": 1.0}}, _obs(), OBS_GROUPS, SimpleNamespace())
    images = TensorDict({"policy": torch.zeros(2, 1, 4, 4), "extra": torch.zeros(2, 2)}, [2])
    with pytest.raises(ValueError, match="'policy'"):
        resolve_rnd_config({"rnd_cfg": {"weight": 1.0}}, images, OBS_GROUPS, SimpleNamespace(step_dt=0.02))
    with pytest.raises(ValueError, match="cosine"):
        _rnd(weight_schedule={"mode": "cosine"})
    with pytest.raises(ValueError, match="final_value"):
        _rnd(weight_schedule={"mode": "step", "final_step": 3})
    with pytest.raises(RuntimeError, match="get_intrinsic_reward"):
        _rnd()(_obs())


def test_state_normalization_and_state_dict_round_trip():
    rnd = _rnd(state_normalization=True, reward_normalization=True)
    obs = _obs(256)
    rnd.update_normalization(obs)
    state = torch.cat([obs["policy"], obs["extra"]], dim=-1)
    torch.testing.assert_close(rnd.state_normalizer.mean, state.mean(0), atol=1e-5, rtol=1e-5)
    keys = set(rnd.state_dict())
    assert {"state_normalizer._mean", "predictor.0.weight", "target.0.weight"} <= keys
    clone = _rnd(state_normalization=True, reward_normalization=True)
    clone.load_state_dict(rnd.state_dict())
    torch.testing.assert_close(clone.get_intrinsic_reward(obs), _rnd_copy_reward(rnd, obs))
    rnd.eval()
    assert not rnd.predictor.training and not rnd.target.training
    rnd.train()
    assert rnd.predictor.training and not rnd.target.training


def _rnd_copy_reward(rnd, obs):
    rnd.update_counter = 0
    return rnd.get_intrinsic_reward(obs)
