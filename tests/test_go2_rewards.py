"""Go2 rewards and terminations: hand-computed term values on constructed states, weights x dt, episode logging."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.locomotion.velocity.mdp import rewards, terminations
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection

# Isaac Lab's Go2 flat task: (term, weight) in order
GO2_FLAT_REWARDS = [
    ("track_lin_vel_xy_exp", 1.5),
    ("track_ang_vel_z_exp", 0.75),
    ("lin_vel_z_l2", -2.0),
    ("ang_vel_xy_l2", -0.05),
    ("dof_torques_l2", -0.0002),
    ("dof_acc_l2", -2.5e-7),
    ("action_rate_l2", -0.005),
    ("feet_air_time", 0.25),
    ("flat_orientation_l2", -2.5),
    ("dof_pos_limits", 0.0),
    ("base_height_l2", -30.0),
]


@pytest.fixture
def env():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.events["push_robot"] = None
    return VelocityEnv(num_envs=4, cfg=cfg, seed=0)


def test_go2_flat_reward_set_and_weights():
    cfg = UnitreeGo2FlatEnvCfg()
    active = [(name, term.weight) for name, term in cfg.rewards.items() if term is not None]
    assert active == GO2_FLAT_REWARDS
    assert cfg.rewards["track_lin_vel_xy_exp"].params["std"] == math.sqrt(0.25)
    assert cfg.rewards["feet_air_time"].params["threshold"] == 0.5
    assert cfg.rewards["base_height_l2"].params["target_height"] == 0.4
    assert cfg.actions.scale == 0.25
    assert list(cfg.terminations) == ["time_out", "base_contact"]


def test_terms_against_hand_computed_values(env):
    robot, command = env.robot, env.command_manager["base_velocity"]
    command.vel_command_b[:] = [[1.0, 0.0, 0.5], [0.0, 0.0, 0.0], [0.3, -0.4, 0.0], [0.05, 0.05, -1.0]]
    robot.root_lin_vel_b = np.array([[0.5, 0.0, 0.3], [0.0, 0.0, 0.0], [0.3, -0.4, -0.1], [0.0, 0.0, 0.0]])
    robot.root_ang_vel_b = np.array([[0.1, -0.2, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    robot.projected_gravity_b = np.array([[0.1, 0.2, -0.97], [0, 0, -1.0], [0, 0, -1.0], [0.6, 0.0, -0.8]])
    robot.root_pos_w = np.array([[0, 0, 0.3], [0, 0, 0.4], [0, 0, 0.5], [0, 0, 0.0]])

    np.testing.assert_allclose(
        rewards.track_lin_vel_xy_exp(env, std=0.5, command_name="base_velocity"),
        [math.exp(-1.0), 1.0, 1.0, math.exp(-0.005 / 0.25)],
    )
    np.testing.assert_allclose(
        rewards.track_ang_vel_z_exp(env, std=0.5, command_name="base_velocity"),
        [math.exp(-1.0), 1.0, 1.0, math.exp(-4.0)],
    )
    np.testing.assert_allclose(rewards.lin_vel_z_l2(env), [0.09, 0.0, 0.01, 0.0])
    np.testing.assert_allclose(rewards.ang_vel_xy_l2(env), [0.05, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(rewards.flat_orientation_l2(env), [0.05, 0.0, 0.0, 0.36])
    np.testing.assert_allclose(rewards.base_height_l2(env, target_height=0.4), [0.01, 0.0, 0.01, 0.16])

    robot.applied_torque = np.zeros((4, 12))
    robot.applied_torque[0, :3] = [1.0, 2.0, -3.0]
    np.testing.assert_allclose(rewards.joint_torques_l2(env), [14.0, 0.0, 0.0, 0.0])
    robot.joint_acc = np.zeros((4, 12))
    robot.joint_acc[1, 5] = 100.0
    np.testing.assert_allclose(rewards.joint_acc_l2(env), [0.0, 1e4, 0.0, 0.0])

    # soft limits: 90 % of the range around its middle; the hip range is +-1.0472 rad
    robot.joint_pos = np.tile(robot.default_joint_pos, (4, 1))
    robot.joint_pos[2, 0] = 1.0  # FL hip beyond +0.94248
    robot.joint_pos[3, 0] = -1.0
    expected_excess = 1.0 - 0.9 * 1.0472
    np.testing.assert_allclose(rewards.joint_pos_limits(env), [0.0, 0.0, expected_excess, expected_excess], atol=1e-9)

    env.action_term.prev_action = np.zeros((4, 12))
    env.action_term.action = np.zeros((4, 12))
    env.action_term.action[0, 0], env.action_term.prev_action[0, 0] = 1.0, 0.5
    np.testing.assert_allclose(rewards.action_rate_l2(env), [0.25, 0.0, 0.0, 0.0])


def test_feet_air_time_rewards_long_steps_on_touchdown(env):
    sensor = env.contact_sensor
    feet = sensor.find_bodies(".*_foot")
    selection = EntitySelection("contact_forces", joint_ids=slice(None), body_ids=feet)
    command = env.command_manager["base_velocity"]
    command.vel_command_b[:] = [[0.5, 0.0, 0.0], [0.0, 0.05, 0.0], [0.5, 0.0, 0.0], [0.5, 0.0, 0.0]]
    sensor.current_contact_time[:] = 0.0
    sensor.last_air_time[:] = 0.0
    # env 0: FL touched down 5 ms ago after 0.6 s of air, RL 20 ms ago after 0.3 s, FR/RR long ago (ignored)
    sensor.current_contact_time[0, feet] = [0.005, 0.5, 0.02, 0.03]
    sensor.last_air_time[0, feet] = [0.6, 0.7, 0.3, 0.9]
    # env 1: same feet but a near-zero command; env 2: no touchdown
    sensor.current_contact_time[1, feet] = [0.005, 0.5, 0.02, 0.03]
    sensor.last_air_time[1, feet] = [0.6, 0.7, 0.3, 0.9]
    value = rewards.feet_air_time(env, command_name="base_velocity", sensor_cfg=selection, threshold=0.5)
    np.testing.assert_allclose(value, [(0.6 - 0.5) + (0.3 - 0.5), 0.0, 0.0, 0.0], atol=1e-12)


def test_air_time_tracking_follows_isaac_lab(env):
    sensor, dt = env.contact_sensor, env.physics_dt
    sensor.reset(np.arange(4))
    num_bodies = len(env.layout.contact_body_names)
    foot = sensor.find_bodies("FL_foot")[0]
    forces = np.zeros((4, 4, num_bodies, 3))
    # 12 substeps in the air, then touchdown on the 13th, then 3 more in contact
    for _ in range(3):
        sensor.update(forces)
    forces[:, :, foot, 2] = 50.0
    sensor.update(forces)
    # touchdown substep: last air time = 12 dt of air + the elapsed step (Isaac Lab adds dt on the transition)
    np.testing.assert_allclose(sensor.last_air_time[:, foot], 13 * dt)
    np.testing.assert_allclose(sensor.current_contact_time[:, foot], 4 * dt)
    assert sensor.compute_first_contact(env.step_dt)[:, foot].all()
    sensor.update(forces)
    assert not sensor.compute_first_contact(env.step_dt)[:, foot].any()
    # the history holds the newest 3 substeps
    assert sensor.net_forces_w_history.shape == (4, 3, num_bodies, 3)


def test_contact_terms(env):
    sensor = env.contact_sensor
    base = EntitySelection("contact_forces", slice(None), sensor.find_bodies("base"))
    thighs = EntitySelection("contact_forces", slice(None), sensor.find_bodies(".*_thigh"))
    sensor.net_forces_w_history[:] = 0.0
    sensor.net_forces_w_history[0, 2, base.body_ids[0]] = [0.0, 0.0, 1.5]  # oldest slot still counts
    sensor.net_forces_w_history[1, 0, base.body_ids[0]] = [0.6, 0.0, 0.6]  # |f| = 0.85 < 1 N
    sensor.net_forces_w_history[2, 1, thighs.body_ids] = [0.0, 3.0, 0.0]
    np.testing.assert_array_equal(terminations.illegal_contact(env, 1.0, base), [True, False, False, False])
    np.testing.assert_allclose(rewards.undesired_contacts(env, 1.0, thighs), [0, 0, 4, 0])


def test_step_reward_is_weighted_sum_times_dt_and_is_logged(env):
    env.reset(seed=4)
    rng = np.random.default_rng(0)
    manager = env.reward_manager
    assert manager.term_names == [name for name, _ in GO2_FLAT_REWARDS]
    sums = np.zeros(env.num_envs)
    for _ in range(10):
        _, reward, *_ = env.step(rng.uniform(-1, 1, size=(4, 12)))
        np.testing.assert_allclose(reward, manager.step_reward.sum(axis=1) * env.step_dt, rtol=1e-12)
        sums += reward
    np.testing.assert_allclose(manager.episode_sums.sum(axis=1), sums, rtol=1e-10, atol=1e-12)

    # on a fixed state: reward = sum_i weight_i * term_i * dt, zero-weight terms skipped
    expected = np.zeros(env.num_envs)
    for (name, weight), (term_name, func, params, _) in zip(GO2_FLAT_REWARDS, manager._terms):
        assert term_name == name
        if weight != 0.0:
            expected += weight * func(env, **params) * env.step_dt
    before = manager.episode_sums.copy()
    np.testing.assert_allclose(manager.compute(env.step_dt), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(manager.episode_sums.sum(axis=1) - before.sum(axis=1), expected, atol=1e-12)

    # logging: mean over the reset envs of episode sum / max_episode_length_s
    episode_sums = manager.episode_sums.copy()
    log = manager.reset(np.array([1, 3]))
    for index, name in enumerate(manager.term_names):
        value = episode_sums[[1, 3], index].mean() / env.max_episode_length_s
        assert log[f"Episode_Reward/{name}"] == pytest.approx(value)
    assert log["Episode_Reward/dof_pos_limits"] == 0.0
    assert np.all(manager.episode_sums[[1, 3]] == 0.0) and np.any(manager.episode_sums[[0, 2]] != 0.0)
