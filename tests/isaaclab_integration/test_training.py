"""rsl_sim's OnPolicyRunner + PPO on the real Isaac Lab 3.0 Go2 flat task: train, checkpoint, export, replay.

Uses Isaac Lab's own registered agent config for the task (``UnitreeGo2FlatPPORunnerCfg``), converted with
:func:`rsl_sim.wrappers.isaaclab_cfg.agent_cfg_to_dict`; only the device and the iteration count change.
"""

from __future__ import annotations

import importlib
import os

import pytest
import torch

from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper
from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

GO2_FLAT_TASK = "Isaac-Velocity-Flat-UnitreeGo2"
NUM_ITERATIONS = 2
REPLAY_STEPS = 10


def _learner_missing() -> bool:
    """Whether the learner is incomplete in this tree (then the test is skipped, with the reason)."""
    return not hasattr(importlib.import_module("rsl_sim.algorithms"), "PPO")


pytestmark = pytest.mark.skipif(_learner_missing(), reason="rsl_sim.algorithms.PPO is not in this tree yet")


def _actor_obs(obs, groups: list[str]) -> torch.Tensor:
    """The exported policy's input: the actor's observation groups concatenated, ``[num_envs, obs_dim]``."""
    return torch.cat([obs[group] for group in groups], dim=-1)


def test_ppo_train_export_replay(go2_env, tmp_path):
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners import OnPolicyRunner

    # Isaac Lab's agent config for the task, as it is, on the CPU
    agent_cfg = load_cfg_from_registry(GO2_FLAT_TASK, "rsl_rl_cfg_entry_point")
    agent_cfg.device = "cpu"
    train_cfg = agent_cfg_to_dict(agent_cfg)
    assert train_cfg["actor"]["hidden_dims"] == [128, 128, 128] and train_cfg["num_steps_per_env"] == 24

    env = IsaacLabVecEnvWrapper(go2_env, clip_actions=agent_cfg.clip_actions)
    log_dir = tmp_path / "run"
    runner = OnPolicyRunner(env, train_cfg, log_dir=str(log_dir), device="cpu")
    actor_before = {name: value.clone() for name, value in runner.alg.get_policy().state_dict().items()}
    assert torch.all(env.episode_length_buf == env.episode_length_buf[0])  # all envs just reset together

    runner.learn(num_learning_iterations=NUM_ITERATIONS, init_at_random_ep_len=agent_cfg.init_at_random_ep_len)

    # Random start lengths were written into the Isaac Lab env, and the actor learned
    assert len(set(env.episode_length_buf.tolist())) > 1
    actor_after = runner.alg.get_policy().state_dict()
    assert any(not torch.equal(actor_before[name], actor_after[name]) for name in actor_before)

    # Checkpoints in RSL-RL 5.x layout: first and last iteration
    last = os.path.join(log_dir, f"model_{NUM_ITERATIONS - 1}.pt")
    assert os.path.isfile(os.path.join(log_dir, "model_0.pt")) and os.path.isfile(last)
    checkpoint = torch.load(last, weights_only=True)
    assert {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"} <= set(checkpoint)
    assert checkpoint["iter"] == NUM_ITERATIONS - 1

    # Export: TorchScript and ONNX give the actions of the inference policy
    groups = train_cfg["obs_groups"]["actor"]
    policy = runner.get_inference_policy()
    runner.export_policy_to_jit(str(tmp_path), "policy.pt")
    runner.export_policy_to_onnx(str(tmp_path), "policy.onnx")
    jit_policy = torch.jit.load(str(tmp_path / "policy.pt"))
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "policy.onnx"))
    input_name = session.get_inputs()[0].name

    # A fresh runner loads the checkpoint and acts like the trained one
    replay_runner = OnPolicyRunner(env, agent_cfg_to_dict(agent_cfg), log_dir=None, device="cpu")
    replay_runner.load(last)
    replay_policy = replay_runner.get_inference_policy()

    # Replay the exported policy in the env
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(REPLAY_STEPS):
            actions = policy(obs)
            flat = _actor_obs(obs, groups)
            torch.testing.assert_close(jit_policy(flat), actions, rtol=1e-5, atol=1e-5)
            onnx_actions = torch.from_numpy(session.run(None, {input_name: flat.numpy()})[0])
            torch.testing.assert_close(onnx_actions, actions, rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(replay_policy(obs), actions)
            obs, rewards, dones, _ = env.step(jit_policy(flat))
            assert torch.isfinite(rewards).all() and torch.isfinite(obs["policy"]).all()
