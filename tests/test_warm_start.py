"""Warm start of the Go2 rough task from the shipped flat policy: the widened actor and critic compute the flat
models' outputs exactly, whatever the height scan holds; bad layouts are refused; the normalizer is widened."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tensordict import TensorDict

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.models import MLPModel
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg, UnitreeGo2RoughEnvCfg
from rsl_sim.tasks.locomotion.velocity.warm_start import (
    hidden_dims,
    model_inputs,
    widen_checkpoint,
    widen_model_state,
)
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.utils.checkpoint import load_checkpoint

FLAT_POLICY = Path(__file__).resolve().parents[1] / "tasks/locomotion/velocity/config/go2/policies/flat/model_624.pt"
OBS_GROUPS = {"actor": ["policy"], "critic": ["critic"]}


@pytest.fixture(scope="module")
def envs():
    rough_cfg = UnitreeGo2RoughEnvCfg()
    rough_cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 2, "border_width": 2.0})
    flat = VelocityEnv(num_envs=1, cfg=UnitreeGo2FlatEnvCfg(), seed=0)
    rough = VelocityEnv(num_envs=6, cfg=rough_cfg, seed=0)
    yield flat, rough
    flat.close()
    rough.close()


def model(obs: TensorDict, obs_set: str, state: dict, stochastic: bool) -> MLPModel:
    distribution = {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"} if stochastic else None
    output = 12 if stochastic else 1
    built = MLPModel(obs, OBS_GROUPS, obs_set, output, hidden_dims(state), "elu", False, distribution)
    built.load_state_dict(state)
    return built


def test_widened_flat_policy_acts_as_the_flat_policy_on_rough_inputs(envs):
    flat_env, rough_env = envs
    checkpoint = load_checkpoint(FLAT_POLICY)
    assert hidden_dims(checkpoint["actor_state_dict"]) == [128, 128, 128]
    widened = widen_checkpoint(checkpoint, flat_env, rough_env, OBS_GROUPS)
    assert widened["actor_state_dict"]["mlp.0.weight"].shape == (128, 235)
    assert widened["critic_state_dict"]["mlp.0.weight"].shape == (128, 249)

    # rough observations, with a random height scan; the flat inputs are the same terms without it
    obs = rough_env.observation_manager.compute()
    generator = torch.Generator().manual_seed(0)
    policy = torch.as_tensor(obs["policy"]).clone()
    critic = torch.as_tensor(obs["critic"]).clone()
    policy[:, 48:] = torch.rand(policy[:, 48:].shape, generator=generator) * 2 - 1  # the scan: last in the policy
    critic[:, 48:235] = torch.rand(critic[:, 48:235].shape, generator=generator) * 2 - 1  # in the critic's middle
    rough_obs = TensorDict({"policy": policy, "critic": critic}, batch_size=[6])
    flat_obs = TensorDict(
        {"policy": policy[:, :48], "critic": torch.cat([critic[:, :48], critic[:, 235:]], dim=1)}, batch_size=[6]
    )
    with torch.no_grad():
        for obs_set, stochastic in (("actor", True), ("critic", False)):
            key = f"{obs_set}_state_dict"
            flat_model = model(flat_obs, obs_set, checkpoint[key], stochastic)
            rough_model = model(rough_obs, obs_set, widened[key], stochastic)
            # the flat outputs (up to the float summation order of the wider first layer) ...
            torch.testing.assert_close(rough_model(rough_obs), flat_model(flat_obs), rtol=1e-6, atol=1e-6)
            # ... and exactly the same outputs for another height scan
            other = rough_obs.clone()
            other["policy"][:, 48:] = 0.7
            other["critic"][:, 48:235] = -0.3
            assert torch.equal(rough_model(other), rough_model(rough_obs))
            # the new inputs have zero weights, the old ones are the flat policy's
            weight = widened[key]["mlp.0.weight"]
            scan = slice(48, 235)
            assert torch.count_nonzero(weight[:, scan]) == 0 and torch.count_nonzero(weight) > 0


def test_terms_are_matched_by_group_and_name_and_normalizers_widen(envs):
    flat_env, rough_env = envs
    assert [term for _, term, _ in model_inputs(rough_env, ["policy"])][-1] == "height_scan"
    source = [("policy", "a", 2), ("policy", "b", 1)]
    target = [("policy", "b", 1), ("policy", "new", 2), ("policy", "a", 2)]
    state = {
        "mlp.0.weight": torch.tensor([[1.0, 2.0, 3.0]]),
        "obs_normalizer._mean": torch.tensor([[10.0, 20.0, 30.0]]),
        "obs_normalizer._var": torch.tensor([[4.0, 5.0, 6.0]]),
    }
    widened = widen_model_state(state, source, target)
    assert widened["mlp.0.weight"].tolist() == [[3.0, 0.0, 0.0, 1.0, 2.0]]
    assert widened["obs_normalizer._mean"].tolist() == [[30.0, 0.0, 0.0, 10.0, 20.0]]
    assert widened["obs_normalizer._var"].tolist() == [[6.0, 1.0, 1.0, 4.0, 5.0]]
    with pytest.raises(ValueError, match="missing from the target"):
        widen_model_state(state, source, [("policy", "a", 2)])
    with pytest.raises(ValueError, match="of another width"):
        widen_model_state(state, source, [("policy", "a", 2), ("policy", "b", 3)])
    with pytest.raises(ValueError, match="the source inputs need 4 columns"):
        widen_model_state(state, [*source, ("policy", "c", 1)], target)
    with pytest.raises(ValueError, match="not in the env"):
        model_inputs(flat_env, ["depth"])
