"""Observation terms of the velocity task, assembled into groups by the env's observation manager.

Each term is a function ``term(env, **params) -> [num_envs, dim]`` with Isaac Lab's name and meaning
(``base_lin_vel``, ``projected_gravity``, ``joint_pos_rel``, ...), plus the privileged terms of the critic group
(``contact_forces``, ``friction_coefficient``, ``added_base_mass``). The manager
(:class:`~rsl_sim.tasks.mujoco.managers.observation_manager.ObservationManager`) evaluates a group's terms in order,
adds noise, clips, scales and concatenates them, as Isaac Lab's ``ObservationManager`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


# Root state
def base_lin_vel(env: VelocityEnv) -> np.ndarray:
    """Base centre-of-mass linear velocity in the base frame [m/s], ``[N, 3]``."""
    return env.robot.root_lin_vel_b


def base_ang_vel(env: VelocityEnv) -> np.ndarray:
    """Base angular velocity in the base frame [rad/s], ``[N, 3]``."""
    return env.robot.root_ang_vel_b


def projected_gravity(env: VelocityEnv) -> np.ndarray:
    """Unit gravity direction in the base frame, ``[N, 3]`` ((0, 0, -1) when upright)."""
    return env.robot.projected_gravity_b


# Joint state
def joint_pos_rel(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Joint positions minus their defaults [rad], ``[N, num_joints]`` (public joint order)."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    robot = env.robot
    return robot.joint_pos[:, ids] - robot.default_joint_pos[ids]


def joint_vel_rel(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Joint velocities minus their defaults [rad/s], ``[N, num_joints]`` (public joint order)."""
    ids = slice(None) if asset_cfg is None else asset_cfg.joint_ids
    robot = env.robot
    return robot.joint_vel[:, ids] - robot.default_joint_vel[ids]


# Action and command
def last_action(env: VelocityEnv) -> np.ndarray:
    """The raw actions of the last step, ``[N, action_dim]`` (zero after a reset)."""
    return env.action_term.action


def generated_commands(env: VelocityEnv, command_name: str) -> np.ndarray:
    """The current command of a command term, ``[N, command_dim]``."""
    return env.command_manager[command_name].command


# Exteroception
def height_scan(env: VelocityEnv, sensor_cfg: EntitySelection, offset: float = 0.5) -> np.ndarray:
    """Terrain heights around the base: ``sensor_z - hit_z - offset`` [m], ``[N, num_rays]`` (Isaac Lab's order).

    Rays that hit nothing give ``-inf`` (the term's clip turns it into the low bound, as in Isaac Lab).
    """
    sensor = env.sensors[sensor_cfg.name]
    return sensor.pos_w[:, 2:3] - sensor.ray_hits_z - offset


def depth_image(env: VelocityEnv, sensor_cfg: EntitySelection) -> np.ndarray:
    """Normalized depth image of a depth camera, ``[N, 1, H, W]`` in [0, 1] (0 at ``near``, 1 at ``far``)."""
    return env.sensors[sensor_cfg.name].image


# Privileged terms (critic)
def contact_forces(env: VelocityEnv, sensor_cfg: EntitySelection) -> np.ndarray:
    """Net contact forces on the selected bodies, world frame [N], flattened ``[N, 3 * num_bodies]``."""
    forces = env.contact_sensor.net_forces_w[:, sensor_cfg.body_ids]
    return forces.reshape(env.num_envs, -1)


def friction_coefficient(env: VelocityEnv) -> np.ndarray:
    """Coulomb friction coefficient of the robot's contacts, ``[N, 1]``."""
    return env.robot.friction[:, None]


def added_base_mass(env: VelocityEnv, asset_cfg: EntitySelection | None = None) -> np.ndarray:
    """Mass the randomization added to the base [kg]: current minus the model's mass, ``[N, 1]``.

    Args:
        env: The env.
        asset_cfg: The robot bodies whose added masses are summed, where the mass event randomizes another body than
            the base (the G1's ``torso_link``, as in Isaac Lab's G1 config); None: the base.
    """
    robot = env.robot
    if asset_cfg is None:
        return (robot.base_mass - robot.default_base_mass)[:, None]
    bodies = np.arange(len(robot.body_names))[asset_cfg.body_ids]
    return np.sum(robot.body_mass[:, bodies] - robot.default_body_mass[bodies], axis=1, keepdims=True)
