"""Event terms of the velocity task (randomization, resets, pushes), scheduled by the env's event manager.

Terms keep Isaac Lab's names, parameters and sampling (``isaaclab.envs.mdp.events``) and are called as
``term(env, env_ids, **params)``. Modes: ``"startup"`` runs once when the env is built (and when ``reset`` is given a
new seed), ``"reset"`` on every episode reset, ``"interval"`` every ``interval_range_s`` seconds of episode time per
env (the timer restarts with each episode).

MuJoCo specifics: friction is one Coulomb coefficient per contact (the per-env value of Isaac Lab's
``static_friction_range`` -- Isaac Lab's MuJoCo-based Newton backend also uses that single coefficient), stored in the
per-env ``pair_friction`` of the ground contacts; one friction bucket is drawn per env (Isaac Lab draws one per
shape). Masses, inertias and centres of mass are per-env model fields, followed by ``mj_setConst``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.event_manager import changes_model_constants
from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection
from rsl_sim.tasks.mujoco.spatial import quat_from_euler_xyz, quat_mul

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

_POSE_KEYS = ("x", "y", "z", "roll", "pitch", "yaw")


def _sample_ranges(env: VelocityEnv, ranges: dict[str, tuple[float, float]], count: int) -> np.ndarray:
    """Uniform samples ``[count, 6]`` over (x, y, z, roll, pitch, yaw); missing keys give 0.

    Raises:
        ValueError: For a key outside (x, y, z, roll, pitch, yaw).
    """
    unknown = sorted(set(ranges) - set(_POSE_KEYS))
    if unknown:
        raise ValueError(f"Range keys {unknown} are not among {list(_POSE_KEYS)}.")
    bounds = np.array([ranges.get(key, (0.0, 0.0)) for key in _POSE_KEYS], dtype=np.float64)
    return bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * env.rng.random((count, len(_POSE_KEYS)))


def _robot_body_ids(env: VelocityEnv, asset_cfg: EntitySelection | None) -> np.ndarray:
    """Robot body indices (MuJoCo order without the world body) selected by ``asset_cfg``."""
    if asset_cfg is None or isinstance(asset_cfg.body_ids, slice):
        return np.arange(len(env.robot.body_names))
    return np.asarray(asset_cfg.body_ids)


# Startup randomization
def randomize_rigid_body_material(
    env: VelocityEnv,
    env_ids: np.ndarray,
    static_friction_range: tuple[float, float],
    num_buckets: int,
    asset_cfg: EntitySelection | None = None,
) -> None:
    """Friction of the robot's ground contacts, one of ``num_buckets`` values ``U(static_friction_range)`` per env.

    ``asset_cfg`` restricts the change to the contacts of the selected robot bodies (default: all).

    Raises:
        ValueError: If ``num_buckets`` < 1.
    """
    if num_buckets < 1:
        raise ValueError(f"randomize_rigid_body_material: num_buckets must be >= 1, got {num_buckets}.")
    buckets = env.rng.uniform(static_friction_range[0], static_friction_range[1], size=num_buckets)
    friction = buckets[env.rng.integers(0, num_buckets, size=len(env_ids))]
    pairs = np.flatnonzero(np.isin(env.pair_body_ids, _robot_body_ids(env, asset_cfg)))
    pair_friction = env.sim.model_field("pair_friction")
    pair_friction[np.ix_(env_ids, pairs, [0, 1])] = friction[:, None, None]
    env.robot.friction[env_ids] = friction


@changes_model_constants
def randomize_rigid_body_mass(
    env: VelocityEnv,
    env_ids: np.ndarray,
    asset_cfg: EntitySelection,
    mass_distribution_params: tuple[float, float],
    operation: str,
    distribution: str = "uniform",
    recompute_inertia: bool = True,
    min_mass: float = 1e-6,
) -> None:
    """Body masses: the defaults changed by ``operation`` with samples of ``distribution``.

    ``operation`` is ``add``, ``scale`` or ``abs``; ``distribution`` is ``uniform`` ``U(a, b)``, ``log_uniform``
    ``exp(U(log a, log b))`` or ``gaussian`` ``N(a, b)``. Inertias scale with the mass ratio when
    ``recompute_inertia``; masses are floored at ``min_mass`` [kg].

    Raises:
        ValueError: For an unknown operation or distribution, or log-uniform bounds that are not positive.
    """
    bodies = _robot_body_ids(env, asset_cfg)
    low, high = mass_distribution_params
    shape = (len(env_ids), len(bodies))
    if distribution == "uniform":
        samples = env.rng.uniform(low, high, size=shape)
    elif distribution == "log_uniform":
        if low <= 0.0 or high <= 0.0:
            raise ValueError(f"randomize_rigid_body_mass: log_uniform needs positive bounds, got ({low}, {high}).")
        samples = np.exp(env.rng.uniform(np.log(low), np.log(high), size=shape))
    elif distribution == "gaussian":
        samples = env.rng.normal(low, high, size=shape)
    else:
        raise ValueError(
            f"randomize_rigid_body_mass: distribution={distribution!r}; valid: uniform, log_uniform, gaussian."
        )
    default = env.robot.default_body_mass[bodies]
    if operation == "add":
        masses = default + samples
    elif operation == "scale":
        masses = default * samples
    elif operation == "abs":
        masses = samples
    else:
        raise ValueError(f"randomize_rigid_body_mass: operation={operation!r}; valid: add, scale, abs.")
    masses = np.maximum(masses, min_mass)

    # Write per-env masses (model body ids are shifted by the world body)
    model_bodies = bodies + 1
    rows = env_ids[:, None]
    env.sim.model_field("body_mass")[rows, model_bodies] = masses
    if recompute_inertia:
        ratio = masses / default
        inertia = env.sim.model_field("body_inertia")
        inertia[rows, model_bodies] = env.default_body_inertia[bodies] * ratio[..., None]
    env.robot.body_mass[rows, bodies] = masses


@changes_model_constants
def randomize_rigid_body_com(
    env: VelocityEnv, env_ids: np.ndarray, com_range: dict[str, tuple[float, float]], asset_cfg: EntitySelection
) -> None:
    """Centres of mass (body frame) moved from the defaults by ``U(com_range)`` offsets along x, y, z [m]."""
    bodies = _robot_body_ids(env, asset_cfg)
    offsets = _sample_ranges(env, com_range, len(env_ids))[:, 0:3]
    model_bodies = bodies + 1
    ipos = env.sim.model_field("body_ipos")
    ipos[env_ids[:, None], model_bodies] = env.default_body_ipos[bodies] + offsets[:, None, :]
    base = np.flatnonzero(model_bodies == env.robot.base_body_id)
    if base.size:
        env.robot.base_com_b[env_ids] = ipos[env_ids, env.robot.base_body_id]


# Reset
def apply_external_force_torque(
    env: VelocityEnv,
    env_ids: np.ndarray,
    force_range: tuple[float, float],
    torque_range: tuple[float, float],
    asset_cfg: EntitySelection | None = None,
) -> None:
    """A constant random force [N] and torque [N m] on the base for the episode (no-op when both ranges are zero).

    The wrench is fixed in the base frame and applied at the base's centre of mass.

    Raises:
        ValueError: If bodies other than the base are selected.
    """
    if force_range == (0.0, 0.0) and torque_range == (0.0, 0.0):
        return
    bodies = _robot_body_ids(env, asset_cfg)
    if not np.array_equal(bodies + 1, [env.robot.base_body_id]):
        raise ValueError("apply_external_force_torque: only the base body is supported (asset_cfg body_names='base').")
    forces = env.rng.uniform(force_range[0], force_range[1], size=(len(env_ids), 3))
    torques = env.rng.uniform(torque_range[0], torque_range[1], size=(len(env_ids), 3))
    env.external_wrench_b[env_ids] = np.concatenate((forces, torques), axis=1)


def reset_root_state_uniform(
    env: VelocityEnv,
    env_ids: np.ndarray,
    pose_range: dict[str, tuple[float, float]],
    velocity_range: dict[str, tuple[float, float]],
    asset_cfg: EntitySelection | None = None,
) -> None:
    """Root pose = default + env origin + ``U(pose_range)``; root velocity = ``U(velocity_range)``.

    Roll/pitch/yaw samples rotate the default orientation; velocities are the centre of mass's, world frame. The
    robot is the only asset (``asset_cfg`` is accepted for Isaac Lab compatibility).
    """
    robot = env.robot
    pose = _sample_ranges(env, pose_range, len(env_ids))
    positions = robot.default_root_pos + env.env_origins[env_ids] + pose[:, 0:3]
    orientations = quat_mul(robot.default_root_quat, quat_from_euler_xyz(pose[:, 3], pose[:, 4], pose[:, 5]))
    velocity = _sample_ranges(env, velocity_range, len(env_ids))
    robot.write_root_state(env_ids, positions, orientations, velocity[:, 0:3], velocity[:, 3:6])


def reset_joints_by_scale(
    env: VelocityEnv,
    env_ids: np.ndarray,
    position_range: tuple[float, float],
    velocity_range: tuple[float, float],
    asset_cfg: EntitySelection | None = None,
) -> None:
    """Joint positions/velocities = defaults scaled by ``U(range)`` per joint, clamped to the soft limits."""
    robot = env.robot
    joints = np.arange(robot.num_joints) if asset_cfg is None else np.arange(robot.num_joints)[asset_cfg.joint_ids]
    shape = (len(env_ids), len(joints))
    pos = robot.default_joint_pos[joints] * env.rng.uniform(position_range[0], position_range[1], size=shape)
    vel = robot.default_joint_vel[joints] * env.rng.uniform(velocity_range[0], velocity_range[1], size=shape)
    limits = robot.soft_joint_pos_limits[joints]
    pos = np.clip(pos, limits[:, 0], limits[:, 1])
    vel = np.clip(vel, -robot.joint_vel_limits[joints], robot.joint_vel_limits[joints])
    full_pos = robot.joint_pos[env_ids].copy()
    full_vel = robot.joint_vel[env_ids].copy()
    full_pos[:, joints] = pos
    full_vel[:, joints] = vel
    robot.write_joint_state(env_ids, full_pos, full_vel)


# Interval
def push_by_setting_velocity(
    env: VelocityEnv,
    env_ids: np.ndarray,
    velocity_range: dict[str, tuple[float, float]],
    asset_cfg: EntitySelection | None = None,
) -> None:
    """Add ``U(velocity_range)`` to the root velocity (centre of mass, world frame): a push.

    The robot is the only asset (``asset_cfg`` is accepted for Isaac Lab compatibility).
    """
    robot = env.robot
    delta = _sample_ranges(env, velocity_range, len(env_ids))
    lin = robot.root_lin_vel_w[env_ids] + delta[:, 0:3]
    ang = robot.root_ang_vel_w[env_ids] + delta[:, 3:6]
    robot.write_root_velocity(env_ids, lin, ang)
