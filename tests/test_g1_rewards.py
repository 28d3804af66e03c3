"""G1 rewards: the term set, weights and parameters of Isaac Lab's G1 flat and rough tasks, and hand-computed values
of the terms the G1 adds to the shared MDP (yaw-frame and world-frame tracking, biped air time, feet slide, joint
deviation, termination penalty)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rsl_sim.tasks.assets.g1 import G1_JOINT_NAMES
from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg import G1_FALL_BODIES, G1FlatEnvCfg, G1RoughEnvCfg
from rsl_sim.tasks.locomotion.velocity.mdp import rewards
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection
from rsl_sim.tasks.mujoco.spatial import quat_rotate_inverse

# Isaac Lab 3.0's G1 rough task (isaaclab_tasks/core/velocity/config/g1/rough_env_cfg.py): (term, function, weight)
G1_ROUGH_REWARDS = [
    ("track_lin_vel_xy_exp", "track_lin_vel_xy_yaw_frame_exp", 1.0),
    ("track_ang_vel_z_exp", "track_ang_vel_z_world_exp", 2.0),
    ("lin_vel_z_l2", "lin_vel_z_l2", 0.0),
    ("ang_vel_xy_l2", "ang_vel_xy_l2", -0.05),
    ("dof_torques_l2", "joint_torques_l2", -1.5e-7),
    ("dof_acc_l2", "joint_acc_l2", -1.25e-7),
    ("action_rate_l2", "action_rate_l2", -0.005),
    ("feet_air_time", "feet_air_time_positive_biped", 0.25),
    ("flat_orientation_l2", "flat_orientation_l2", -1.0),
    ("dof_pos_limits", "joint_pos_limits", -1.0),
    ("termination_penalty", "is_terminated", -200.0),
    ("feet_slide", "feet_slide", -0.1),
    ("joint_deviation_hip", "joint_deviation_l1", -0.1),
    ("joint_deviation_arms", "joint_deviation_l1", -0.1),
    ("joint_deviation_torso", "joint_deviation_l1", -0.1),
]
# G1FlatEnvCfg's changes on top
G1_FLAT_WEIGHTS = {
    "track_ang_vel_z_exp": 1.0,
    "lin_vel_z_l2": -0.2,
    "action_rate_l2": -0.005,
    "dof_acc_l2": -1.0e-7,
    "feet_air_time": 0.75,
    "dof_torques_l2": -2.0e-6,
}


def joints(env: VelocityEnv, term: str, cfg) -> list[str]:
    """The joints a reward term selects, in the robot's joint order."""
    pattern = cfg.rewards[term].params["asset_cfg"].joint_names
    return [env.robot.joint_names[i] for i in resolve_names(pattern, env.robot.joint_names, key=term)]


def test_reward_sets_weights_and_parameters_are_isaac_labs():
    rough, flat = G1RoughEnvCfg(), G1FlatEnvCfg()
    active = [(name, term.func, term.weight) for name, term in rough.rewards.items() if term is not None]
    assert active == G1_ROUGH_REWARDS
    flat_active = {name: term.weight for name, term in flat.rewards.items() if term is not None}
    expected = {name: weight for name, _, weight in G1_ROUGH_REWARDS} | G1_FLAT_WEIGHTS
    assert flat_active == expected
    for cfg in (rough, flat):
        assert cfg.rewards["track_lin_vel_xy_exp"].params["std"] == 0.5
        assert cfg.rewards["track_ang_vel_z_exp"].params["std"] == 0.5
        assert cfg.rewards["feet_air_time"].params["threshold"] == 0.4
        assert cfg.rewards["feet_air_time"].params["sensor_cfg"].body_names == ".*_ankle_roll_link"
        assert cfg.rewards["undesired_contacts"] is None
        # Isaac Lab: the torso only (its minimal-collision G1 cannot sit; test_g1_terminations.py)
        assert cfg.terminations["base_contact"].params["sensor_cfg"].body_names == G1_FALL_BODIES
        assert cfg.events["base_com"] is None and cfg.events["reset_robot_joints"].params["position_range"] == (1, 1)
        assert cfg.events["add_base_mass"].params["asset_cfg"].body_names == "torso_link"
        assert cfg.actions.scale == 0.5
    # commands: forward only on rough, lateral too on flat
    ranges = rough.commands["base_velocity"].ranges
    assert (ranges.lin_vel_x, ranges.lin_vel_y, ranges.ang_vel_z) == ((0.0, 1.0), (0.0, 0.0), (-1.0, 1.0))
    ranges = flat.commands["base_velocity"].ranges
    assert (ranges.lin_vel_x, ranges.lin_vel_y, ranges.ang_vel_z) == ((0.0, 1.0), (-0.5, 0.5), (-1.0, 1.0))
    assert rough.commands["base_velocity"].vel_yaw_success_threshold == 0.8


@pytest.fixture(scope="module")
def env():
    cfg = G1FlatEnvCfg()
    cfg.events["push_robot"] = None
    env = VelocityEnv(num_envs=4, cfg=cfg, seed=0)
    env.reset(seed=0)
    yield env
    env.close()


def test_joint_groups_of_the_terms(env):
    cfg = G1FlatEnvCfg()
    assert joints(env, "joint_deviation_hip", cfg) == [n for n in G1_JOINT_NAMES if "hip_yaw" in n or "hip_roll" in n]
    assert joints(env, "joint_deviation_torso", cfg) == ["waist_yaw_joint", "waist_roll_joint", "waist_pitch_joint"]
    arms = [n for n in G1_JOINT_NAMES if any(k in n for k in ("shoulder", "elbow", "wrist"))]
    assert joints(env, "joint_deviation_arms", cfg) == arms and len(arms) == 14
    assert joints(env, "dof_pos_limits", cfg) == [n for n in G1_JOINT_NAMES if "ankle" in n]
    legs = [n for n in G1_JOINT_NAMES if "hip" in n or "knee" in n]
    assert joints(env, "dof_torques_l2", cfg) == legs and len(legs) == 8


def test_yaw_frame_and_world_frame_tracking(env):
    robot, command = env.robot, env.command_manager["base_velocity"]
    command.vel_command_b[:] = [[1.0, 0.0, 0.5], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.2, 0.0, -1.0]]
    # heading 90 deg: world +y is the base's forward direction; a vertical velocity does not count
    robot.heading_w = np.array([math.pi / 2, 0.0, 0.0, math.pi])
    robot.root_lin_vel_w = np.array([[0.0, 1.0, 0.7], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [-0.2, 0.0, 0.0]])
    np.testing.assert_allclose(
        rewards.track_lin_vel_xy_yaw_frame_exp(env, std=0.5, command_name="base_velocity"),
        [1.0, math.exp(-0.25 / 0.25), 1.0, 1.0],
        atol=1e-12,
    )
    # world z angular velocity, whatever the base tilt
    robot.root_ang_vel_w = np.array([[0.3, -0.2, 0.5], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.5]])
    np.testing.assert_allclose(
        rewards.track_ang_vel_z_world_exp(env, command_name="base_velocity", std=0.5),
        [1.0, 1.0, math.exp(-4.0), math.exp(-1.0)],
    )


def test_biped_air_time_rewards_single_stance(env):
    sensor, command = env.contact_sensor, env.command_manager["base_velocity"]
    feet = EntitySelection("contact_forces", slice(None), sensor.find_bodies(".*_ankle_roll_link"))
    command.vel_command_b[:] = [[0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [0.05, 0.0, 0.0]]
    air, contact = np.zeros_like(sensor.current_air_time), np.zeros_like(sensor.current_contact_time)
    left, right = feet.body_ids
    # env 0: left stance 0.3 s, right swing 0.2 s -> 0.2; env 1: stance 0.6 s, swing 0.5 s -> clipped to 0.4;
    # env 2: double stance -> 0; env 3: single stance but a command below 0.1 m/s -> 0
    contact[0, left], air[0, right] = 0.3, 0.2
    contact[1, right], air[1, left] = 0.6, 0.5
    contact[2, left], contact[2, right] = 0.3, 0.1
    contact[3, left], air[3, right] = 0.3, 0.2
    sensor.current_air_time, sensor.current_contact_time = air, contact
    np.testing.assert_allclose(
        rewards.feet_air_time_positive_biped(env, command_name="base_velocity", threshold=0.4, sensor_cfg=feet),
        [0.2, 0.4, 0.0, 0.0],
    )


def test_feet_slide_is_the_speed_of_the_feet_in_contact(env):
    sensor, robot = env.contact_sensor, env.robot
    feet_sensor = EntitySelection("contact_forces", slice(None), sensor.find_bodies(".*_ankle_roll_link"))
    feet_bodies = np.array([robot.body_names.index(n) for n in ("left_ankle_roll_link", "right_ankle_roll_link")])
    feet_robot = EntitySelection("robot", slice(None), feet_bodies)
    env.step(np.zeros((4, 29)))
    # the whole robot translates (no rotation): every body moves with the base, at any point
    qvel = env.sim.qvel
    qvel[:] = 0.0
    qvel[:, 0:3] = [[0.3, -0.4, 0.2], [0.3, -0.4, 0.2], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    history = np.zeros_like(sensor.net_forces_w_history)
    history[0, 1, feet_sensor.body_ids] = [0.0, 0.0, 50.0]  # both feet in contact
    history[1, 0, feet_sensor.body_ids[0]] = [0.0, 0.0, 50.0]  # left foot only
    history[2, 2, feet_sensor.body_ids[1]] = [0.0, 0.8, 0.0]  # below 1 N: no contact
    sensor.net_forces_w_history = history
    np.testing.assert_allclose(
        rewards.feet_slide(env, sensor_cfg=feet_sensor, asset_cfg=feet_robot), [1.0, 0.5, 0.0, 0.0], atol=1e-12
    )
    # a turn at 2 rad/s about the world z axis through the base origin: a foot's centre of mass c moves at
    # w x (c - origin), i.e. at 2 |(c - origin)_xy| horizontally (c from the same kinematics as the term's)
    qvel[:] = 0.0
    qvel[:, 3:6] = quat_rotate_inverse(env.sim.qpos[:, 3:7], np.array([0.0, 0.0, 2.0]))
    com = env.sim.batch.bind("xipos")[:, feet_bodies + 1]
    # the centres of mass are the feet's: near the ground, half a hip width (6 cm or more) left and right of the base
    assert (com[..., 2] < 0.2).all()
    lateral = quat_rotate_inverse(env.sim.qpos[:, 3:7], com[:, 0] - com[:, 1])[:, 1]
    assert (lateral > 0.12).all()
    expected = 2.0 * np.linalg.norm(com[..., :2] - env.sim.qpos[:, None, 0:2], axis=-1)
    contacts = np.array([[1, 1], [1, 0], [0, 0], [0, 0]], dtype=float)
    assert expected.min() > 0.05
    np.testing.assert_allclose(
        rewards.feet_slide(env, sensor_cfg=feet_sensor, asset_cfg=feet_robot), (expected * contacts).sum(axis=1)
    )


def test_joint_deviation_and_termination_penalty(env):
    robot = env.robot
    robot.joint_pos = np.tile(robot.default_joint_pos, (4, 1))
    waist = np.array([robot.joint_names.index(n) for n in ("waist_yaw_joint", "waist_roll_joint")])
    robot.joint_pos[1, waist] += [0.2, -0.3]
    robot.joint_pos[2, 0] += 1.0  # a hip pitch: not in the selection
    selection = EntitySelection("robot", np.array(sorted(waist)), slice(None))
    np.testing.assert_allclose(rewards.joint_deviation_l1(env, asset_cfg=selection), [0.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(rewards.joint_deviation_l1(env), [0.0, 0.5, 1.0, 0.0])
    env.termination_manager.terminated = np.array([False, True, False, True])
    np.testing.assert_array_equal(rewards.is_terminated(env), [0.0, 1.0, 0.0, 1.0])
