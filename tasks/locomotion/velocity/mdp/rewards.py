"""Reward terms of the velocity task, weighed, summed and logged by the env's reward manager.

Terms keep Isaac Lab's names and formulas (``isaaclab.envs.mdp.rewards`` and the velocity task's
``mdp/rewards.py``); each returns ``[num_envs]``. The manager
(:class:`~rsl_sim.tasks.mujoco.managers.reward_manager.RewardManager`) computes
``reward = sum_i weight_i * term_i * step_dt`` like Isaac Lab's ``RewardManager``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


# Task: velocity tracking
def track_lin_vel_xy_exp(env: VelocityEnv, std: float, command_name: str) -> np.ndarray:
    """``exp(-|v*_xy - v_xy|^2 / std^2)``: tracking of the commanded base-frame xy velocity."""
    command = env.command_manager[command_name].command
    error = np.sum(np.square(command[:, :2] - env.robot.root_lin_vel_b[:, :2]), axis=1)
    return np.exp(-error / std**2)


def track_ang_vel_z_exp(env: VelocityEnv, std: float, command_name: str) -> np.ndarray:
    """``exp(-(w*_z - w_z)^2 / std^2)``: tracking of the commanded yaw rate (base frame)."""
    command = env.command_manager[command_name].command
    error = np.square(command[:, 2] - env.robot.root_ang_vel_b[:, 2])
    return np.exp(-error / std**2)


def track_lin_vel_xy_yaw_frame_exp(env: VelocityEnv, std: float, command_name: str) -> np.ndarray:
    """``exp(-|v*_xy - v^yaw_xy|^2 / std^2)``: tracking in the gravity-aligned base frame.

    ``v^yaw`` is the world-frame base velocity turned by the base's heading only (Isaac Lab's
    ``track_lin_vel_xy_yaw_frame_exp``: ``quat_apply_inverse(yaw_quat(q), v_w)``), so a tilted base is not penalized
    for the part of its velocity that its tilt turns out of the horizontal plane.
    """
    command = env.command_manager[command_name].command
    heading = env.robot.heading_w
    cos, sin = np.cos(heading), np.sin(heading)
    vel_w = env.robot.root_lin_vel_w
    vel_x = cos * vel_w[:, 0] + sin * vel_w[:, 1]
    vel_y = -sin * vel_w[:, 0] + cos * vel_w[:, 1]
    error = np.square(command[:, 0] - vel_x) + np.square(command[:, 1] - vel_y)
    return np.exp(-error / std**2)


def track_ang_vel_z_world_exp(env: VelocityEnv, command_name: str, std: float) -> np.ndarray:
    """``exp(-(w*_z - w^world_z)^2 / std^2)``: tracking of the commanded yaw rate about the world z axis."""
    command = env.command_manager[command_name].command
    error = np.square(command[:, 2] - env.robot.root_ang_vel_w[:, 2])
    return np.exp(-error / std**2)


# Terminations
def is_terminated(env: VelocityEnv) -> np.ndarray:
    """1 where the episode terminated this step (time-outs excluded), else 0 (Isaac Lab's ``is_terminated``)."""
    return env.termination_manager.terminated.astype(np.float64)


# Root penalties
def lin_vel_z_l2(env: VelocityEnv) -> np.ndarray:
    """Squared vertical base velocity (base frame) [m^2/s^2]."""
    return np.square(env.robot.root_lin_vel_b[:, 2])


def ang_vel_xy_l2(env: VelocityEnv) -> np.ndarray:
    """Squared roll and pitch rates (base frame) [rad^2/s^2]."""
    return np.sum(np.square(env.robot.root_ang_vel_b[:, :2]), axis=1)


def flat_orientation_l2(env: VelocityEnv) -> np.ndarray:
    """Squared xy components of the projected gravity: zero when the base is level."""
    return np.sum(np.square(env.robot.projected_gravity_b[:, :2]), axis=1)


def base_height_l2(env: VelocityEnv, target_height: float, sensor_cfg: EntitySelection | None = None) -> np.ndarray:
    """Squared deviation of the base height from its target [m^2].

    Without ``sensor_cfg`` the target is ``target_height`` in the world frame (flat ground). With a height scanner
    (``SceneEntityCfg("height_scanner")``) the target is ``target_height`` above the mean height of the scanner's ray
    hits; rays that hit nothing are left out, and an env whose rays all miss keeps the world-frame target (Isaac Lab's
    ``base_height_l2``).
    """
    target = np.full(env.num_envs, float(target_height))
    if sensor_cfg is not None:
        hits = env.sensors[sensor_cfg.name].ray_hits_z
        finite = np.isfinite(hits)
        count = np.maximum(finite.sum(axis=1), 1)
        target += np.where(finite, hits, 0.0).sum(axis=1) / count
    return np.square(env.robot.root_pos_w[:, 2] - target)


# Joint penalties
def joint_torques_l2(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Sum of squared applied joint torques [N^2 m^2]."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    return np.sum(np.square(env.robot.applied_torque[:, ids]), axis=1)


def joint_acc_l2(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Sum of squared joint accelerations [rad^2/s^4] (finite difference over the last physics step)."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    return np.sum(np.square(env.robot.joint_acc[:, ids]), axis=1)


def joint_deviation_l1(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Sum of absolute deviations of the joint positions from their defaults [rad]."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    robot = env.robot
    return np.sum(np.abs(robot.joint_pos[:, ids] - robot.default_joint_pos[ids]), axis=1)


def joint_pos_limits(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Sum of joint-position excursions beyond the soft limits [rad]."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    robot = env.robot
    pos = robot.joint_pos[:, ids]
    limits = robot.soft_joint_pos_limits[ids]
    below = np.clip(limits[:, 0] - pos, 0.0, None)
    above = np.clip(pos - limits[:, 1], 0.0, None)
    return np.sum(below + above, axis=1)


# Action penalties
def action_rate_l2(env: VelocityEnv) -> np.ndarray:
    """Sum of squared changes of the raw actions between two steps."""
    return np.sum(np.square(env.action_term.action - env.action_term.prev_action), axis=1)


# Contacts
def feet_air_time(env: VelocityEnv, command_name: str, sensor_cfg: EntitySelection, threshold: float) -> np.ndarray:
    """``sum_feet (last_air_time - threshold)`` over feet touching down this step; zero for commands below 0.1 m/s.

    Rewards long steps (Isaac Lab's ``feet_air_time`` of the velocity task).
    """
    sensor = env.contact_sensor
    first_contact = sensor.compute_first_contact(env.step_dt)[:, sensor_cfg.body_ids]
    last_air_time = sensor.last_air_time[:, sensor_cfg.body_ids]
    reward = np.sum((last_air_time - threshold) * first_contact, axis=1)
    moving = np.linalg.norm(env.command_manager[command_name].command[:, :2], axis=1) > 0.1
    return reward * moving


def feet_air_time_positive_biped(
    env: VelocityEnv, command_name: str, threshold: float, sensor_cfg: EntitySelection
) -> np.ndarray:
    """Single-stance time [s] of a biped's gait, clipped to ``threshold`` (Isaac Lab's biped air-time term).

    While exactly one foot is on the ground: the shortest time any foot has spent in its current mode (swing or
    stance); zero in double stance, in flight, or for commands below 0.1 m/s. Rewards walking with one foot at a time
    in the air (Isaac Lab's ``feet_air_time_positive_biped``).
    """
    sensor = env.contact_sensor
    air_time = sensor.current_air_time[:, sensor_cfg.body_ids]
    contact_time = sensor.current_contact_time[:, sensor_cfg.body_ids]
    in_contact = contact_time > 0.0
    in_mode_time = np.where(in_contact, contact_time, air_time)
    single_stance = np.sum(in_contact, axis=1) == 1
    reward = np.min(np.where(single_stance[:, None], in_mode_time, 0.0), axis=1)
    reward = np.minimum(reward, threshold)
    moving = np.linalg.norm(env.command_manager[command_name].command[:, :2], axis=1) > 0.1
    return reward * moving


def feet_slide(env: VelocityEnv, sensor_cfg: EntitySelection, asset_cfg: EntitySelection) -> np.ndarray:
    """Sum over the feet in contact of their horizontal speed [m/s] (Isaac Lab's ``feet_slide``).

    A foot is in contact when its contact force exceeded 1 N during the force history. The speed is that of the
    foot body's centre of mass in the world frame, ``|J_p(c) qd|`` with MuJoCo's translational Jacobian at the centre
    of mass ``c``; ``c`` comes from the last physics substep's kinematics (at most one substep, 5 ms, old: a foot
    turning at ``w`` rad/s is off by ``w`` times the distance ``c`` moved in it).
    """
    forces = env.contact_sensor.net_forces_w_history[:, :, sensor_cfg.body_ids]
    contacts = np.max(np.linalg.norm(forces, axis=-1), axis=1) > 1.0
    body_ids = np.arange(len(env.robot.body_names))[asset_cfg.body_ids]
    speed = np.linalg.norm(_body_com_lin_vel_w(env, body_ids)[..., :2], axis=-1)
    return np.sum(speed * contacts, axis=1)


def _body_com_lin_vel_w(env: VelocityEnv, body_ids: np.ndarray) -> np.ndarray:
    """World-frame linear velocities ``[N, k, 3]`` of the centres of mass of some robot bodies.

    ``body_ids`` index ``env.robot.body_names`` (MuJoCo order without the world body).
    """
    batch = env.sim.batch
    com_w = batch.bind("xipos")
    if not com_w.any():
        # first use: a bound output is filled by the batch calls after the bind; compute the current one once
        env.sim.forward()
    qvel = env.sim.qvel
    velocity = np.empty((env.num_envs, len(body_ids), 3))
    for k, body in enumerate(body_ids):
        # MuJoCo body id = robot body index + 1 (the world body comes first)
        jacp, _ = batch.jac(int(body) + 1, com_w[:, int(body) + 1])
        velocity[:, k] = np.einsum("nij,nj->ni", jacp, qvel)
    return velocity


def undesired_contacts(env: VelocityEnv, threshold: float, sensor_cfg: EntitySelection) -> np.ndarray:
    """Number of selected bodies whose contact force exceeded ``threshold`` [N] during the force history."""
    forces = env.contact_sensor.net_forces_w_history[:, :, sensor_cfg.body_ids]
    in_contact = np.max(np.linalg.norm(forces, axis=-1), axis=1) > threshold
    return np.sum(in_contact, axis=1).astype(np.float64)
