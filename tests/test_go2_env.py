"""Go2 env: gymnasium registration and API, same-step auto-reset with final observations, time-outs versus
terminations, episode logs, determinism and the ranges of every randomization."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.locomotion.velocity.mdp import events
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.spatial import quat_from_euler_xyz, yaw_from_quat


def make_env(num_envs=6, seed=0, **changes):
    cfg = UnitreeGo2FlatEnvCfg()
    for key, value in changes.items():
        cfg.events[key] = value
    return VelocityEnv(num_envs=num_envs, cfg=cfg, seed=seed)


def test_make_vec_builds_the_batched_env():
    env = gymnasium.make_vec("RslSim/Go2-Flat-v0", num_envs=5, seed=1)
    assert isinstance(env.unwrapped, VelocityEnv) and env.num_envs == 5
    assert env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert env.unwrapped.step_dt == pytest.approx(0.02) and env.unwrapped.max_episode_length == 1000
    obs, _ = env.reset(seed=0)
    assert obs["policy"].shape == (5, 48)
    obs, reward, terminated, truncated, infos = env.step(env.action_space.sample())
    assert reward.shape == (5,) and terminated.dtype == bool and truncated.dtype == bool
    env.close()


def test_time_out_truncates_and_base_contact_terminates():
    env = make_env(push_robot=None)
    env.reset(seed=0)
    # env 1 reaches the time limit on the next step; env 2 lies on its back
    lengths = np.full(env.num_envs, 5)
    lengths[1] = env.max_episode_length - 1
    env.episode_length_buf = torch.as_tensor(lengths)  # the trainer writes tensors
    quat = quat_from_euler_xyz(np.array([np.pi]), np.zeros(1), np.zeros(1))
    env.robot.write_root_state(np.array([2]), np.array([[0.0, 0.0, 0.065]]), quat, np.zeros((1, 3)), np.zeros((1, 3)))
    _, _, terminated, truncated, infos = env.step(np.zeros((env.num_envs, 12)))
    assert truncated.tolist() == [False, True, False, False, False, False]
    assert terminated.tolist() == [False, False, True, False, False, False]
    np.testing.assert_array_equal(env.episode_length_buf, [6, 0, 0, 6, 6, 6])
    assert infos["_final_obs"].tolist() == [False, True, True, False, False, False]
    log = infos["log"]
    assert log["Episode_Termination/time_out"] == pytest.approx(1 / 6)
    assert log["Episode_Termination/base_contact"] == pytest.approx(1 / 6)
    assert {"Metrics/base_velocity/error_vel_xy", "Metrics/base_velocity/error_vel_yaw"} <= set(log)
    assert any(key.startswith("Episode_Reward/") for key in log)


def test_final_observation_is_the_pre_reset_observation():
    env = make_env()
    env.reset(seed=1)
    captured = {}
    reset_idx = env._reset_idx

    def capture_then_reset(env_ids):
        captured["obs"] = env.observation_manager.compute_group("critic")
        captured["joint_pos"] = env.robot.joint_pos.copy()
        return reset_idx(env_ids)

    env._reset_idx = capture_then_reset
    env.episode_length_buf = np.array([0, 999, 0, 999, 0, 0])
    obs, _, _, truncated, infos = env.step(np.zeros((6, 12)))
    done = np.flatnonzero(truncated)
    assert done.tolist() == [1, 3]
    for i in done:
        np.testing.assert_array_equal(infos["final_obs"][i]["critic"], captured["obs"][i])
        assert infos["final_obs"][i]["policy"].shape == (48,)
        # the returned observation is the new episode's: zero last action, fresh joints
        assert not np.allclose(obs["critic"][i, 12:24], infos["final_obs"][i]["critic"][12:24])
        np.testing.assert_array_equal(obs["critic"][i, 36:48], 0.0)
    assert infos["final_obs"][0] is None and infos["_final_info"].tolist() == truncated.tolist()


def test_same_seed_same_observations_different_seed_different():
    actions = np.random.default_rng(0).uniform(-1, 1, size=(100, 6, 12))

    def rollout(seed):
        env = make_env(seed=123)
        obs, _ = env.reset(seed=seed)
        out = [obs["policy"].copy()]
        for a in actions:
            obs, *_ = env.step(a)
            out.append(obs["policy"].copy())
        return np.stack(out)

    first, second, other = rollout(7), rollout(7), rollout(8)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_startup_randomization_stays_in_range():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.events["physics_material"].params = {"static_friction_range": (0.4, 1.1), "num_buckets": 4}
    env = VelocityEnv(num_envs=64, cfg=cfg, seed=0)
    robot = env.robot
    # friction: at most 4 bucket values, inside the range, written into every ground contact of the env
    assert np.all((robot.friction >= 0.4) & (robot.friction <= 1.1)) and len(np.unique(robot.friction)) <= 4
    pair_friction = env.sim.model_field("pair_friction")
    np.testing.assert_array_equal(pair_friction[:, :, 0], np.repeat(robot.friction[:, None], env.model.npair, 1))
    # base mass: log-uniform scale in [1/1.25, 1.25], inertia scaled alike, other bodies untouched
    ratio = robot.base_mass / robot.default_base_mass
    assert ratio.min() >= 0.8 - 1e-12 and ratio.max() <= 1.25 + 1e-12 and ratio.std() > 0.05
    mass = env.sim.model_field("body_mass")
    np.testing.assert_array_equal(mass[:, robot.base_body_id], robot.base_mass)
    np.testing.assert_array_equal(mass[:, robot.base_body_id + 1], env.model.body_mass[robot.base_body_id + 1])
    inertia = env.sim.model_field("body_inertia")[:, robot.base_body_id]
    np.testing.assert_allclose(inertia, env.model.body_inertia[robot.base_body_id] * ratio[:, None])
    # centre of mass: offsets within (+-0.05, +-0.05, +-0.01) m
    offset = robot.base_com_b - env.model.body_ipos[robot.base_body_id]
    assert np.all(np.abs(offset) <= [0.05, 0.05, 0.01]) and np.all(offset.std(axis=0) > [0.01, 0.01, 0.002])


def test_reset_state_stays_in_range():
    env = make_env(num_envs=64, push_robot=None)
    env.reset(seed=2)
    robot = env.robot
    pos = robot.root_pos_w
    assert np.all(np.abs(pos[:, :2]) <= 0.5) and np.allclose(pos[:, 2], 0.4)
    yaw = yaw_from_quat(robot.root_quat_w)
    assert np.all(np.abs(yaw) <= 3.14 + 1e-9) and yaw.std() > 1.0
    np.testing.assert_allclose(robot.projected_gravity_b, np.tile([0.0, 0.0, -1.0], (64, 1)), atol=1e-12)
    assert np.all(np.abs(robot.root_lin_vel_w) <= 0.5 + 1e-9) and np.all(np.abs(robot.root_ang_vel_w) <= 0.5 + 1e-9)
    # joints: default x U(0.5, 1.5), clamped to the soft limits
    scale = robot.joint_pos / robot.default_joint_pos
    limits = robot.soft_joint_pos_limits
    inside = (robot.joint_pos >= limits[:, 0] - 1e-12) & (robot.joint_pos <= limits[:, 1] + 1e-12)
    assert inside.all()
    clamped = np.isclose(robot.joint_pos, limits[:, 0]) | np.isclose(robot.joint_pos, limits[:, 1])
    assert np.all((scale[~clamped] >= 0.5 - 1e-12) & (scale[~clamped] <= 1.5 + 1e-12))
    np.testing.assert_array_equal(robot.joint_vel, 0.0)


def test_push_changes_the_velocity_within_its_range():
    env = make_env(num_envs=32)
    env.reset(seed=3)
    robot = env.robot
    before_lin, before_ang = robot.root_lin_vel_w.copy(), robot.root_ang_vel_w.copy()
    ids = np.arange(0, 32, 2)
    events.push_by_setting_velocity(env, ids, {"x": (-0.5, 0.5), "y": (-0.5, 0.5)})
    robot.update()
    delta = robot.root_lin_vel_w - before_lin
    assert np.all(np.abs(delta[ids, :2]) <= 0.5 + 1e-9) and np.abs(delta[ids, :2]).max() > 0.3
    np.testing.assert_allclose(delta[ids, 2], 0.0, atol=1e-12)
    np.testing.assert_allclose(robot.root_ang_vel_w, before_ang, atol=1e-12)
    np.testing.assert_allclose(delta[1::2], 0.0, atol=1e-12)


def test_pushes_happen_every_ten_to_fifteen_seconds():
    env = make_env(num_envs=4)
    env.reset(seed=4)
    manager = env.event_manager
    timers = manager._time_left[0]
    assert np.all((timers >= 10.0) & (timers <= 15.0))
    timers[:] = [0.015, 1.0, 1.0, 0.03]
    env.step(np.zeros((4, 12)))
    assert timers[0] >= 10.0 - 1e-9 and timers[3] == pytest.approx(0.01)


def test_commands_follow_isaac_lab_ranges():
    env = make_env(num_envs=256)
    env.reset(seed=5)
    command = env.command_manager["base_velocity"]
    assert np.all(np.abs(command.command) <= 1.0)
    assert command.is_heading_env.all() and 0.0 < command.is_standing_env.mean() < 0.08
    assert np.all(np.abs(command.heading_target) <= np.pi)
    np.testing.assert_allclose(command.time_left, 10.0)
    env.step(np.zeros((256, 12)))
    # standing envs get a zero command from the first command update on (as in Isaac Lab)
    np.testing.assert_array_equal(command.command[command.is_standing_env], 0.0)
    np.testing.assert_allclose(command.time_left, 10.0 - env.step_dt)
    # heading control: omega_z = clip(0.5 * wrap(target - heading), -1, 1) for non-standing envs
    moving = ~command.is_standing_env
    error = np.angle(np.exp(1j * (command.heading_target - env.robot.heading_w)))
    np.testing.assert_allclose(command.command[moving, 2], np.clip(0.5 * error, -1, 1)[moving], atol=1e-9)


def test_episode_length_buf_accepts_arrays_and_tensors():
    env = make_env(num_envs=3)
    env.episode_length_buf = torch.tensor([1, 2, 3])
    assert isinstance(env.episode_length_buf, np.ndarray) and env.episode_length_buf.dtype == np.int64
    env.step(np.zeros((3, 12)))
    np.testing.assert_array_equal(env.episode_length_buf, [2, 3, 4])


def test_config_errors_are_actionable():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.rewards["lin_vel_z_l2"].params = {"stdd": 1.0}
    with pytest.raises(ValueError, match="unknown keys"):
        VelocityEnv(num_envs=2, cfg=cfg)
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.rewards["lin_vel_z_l2"].func = "lin_vel_zz"
    with pytest.raises(ValueError, match="not a term"):
        VelocityEnv(num_envs=2, cfg=cfg)
    with pytest.raises(ValueError, match="actions must have shape"):
        make_env(num_envs=2).step(np.zeros((3, 12)))


def test_render_returns_rgb_frames():
    env = VelocityEnv(num_envs=2, cfg=UnitreeGo2FlatEnvCfg(), seed=0, render_mode="rgb_array")
    env.cfg.viewer.width, env.cfg.viewer.height = 160, 120
    try:
        frame = env.render()
    except RuntimeError as error:
        pytest.skip(f"no OpenGL backend on this machine: {error}")
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
    assert frame.std() > 5.0  # robot and ground, not a blank image
    env.close()
