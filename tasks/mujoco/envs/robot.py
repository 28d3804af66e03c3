"""The robot's state in the task's frames and joint order, read from the batched simulation's state rows.

:class:`RobotData` plays the part of Isaac Lab's ``ArticulationData`` for the terms: root pose and velocities in world
and base frames, projected gravity, heading, joint positions/velocities/accelerations and applied torques, all
``[num_envs, ...]`` numpy arrays refreshed by :meth:`RobotData.update`. Joint quantities use the public joint order of
the robot config (Isaac Lab's PhysX order for the Go2), mapped to MuJoCo's ``qpos``/``qvel``/actuator indices by name.

Frames: MuJoCo's free joint stores the world-frame linear velocity of the base frame origin and the base-frame angular
velocity; Isaac Lab's root velocities are those of the base's centre of mass. Both conversions are done here (the
centre of mass offset is per environment once it is randomized).
"""

from __future__ import annotations

import mujoco
import numpy as np

from rsl_sim.tasks.assets.robot_cfg import RobotAssetCfg, resolve_joint_values
from rsl_sim.tasks.mujoco.batched_sim import BatchedMujocoSim
from rsl_sim.tasks.mujoco.envs.scene import actuator_parameters
from rsl_sim.tasks.mujoco.spatial import quat_rotate, quat_rotate_inverse, yaw_from_quat

_GRAVITY_DIR = np.array([0.0, 0.0, -1.0])


class RobotData:
    """Index maps and per-step derived state of the robot in every environment.

    Args:
        cfg: The robot asset config (joint order, defaults, soft limits).
        model: The compiled physics model.
        body_names: Robot bodies in MuJoCo order (without the world body).
        sim: The batched simulation whose state rows are read and written.

    Raises:
        ValueError: If the base body has no free joint or a joint or actuator of ``cfg.joint_names`` is missing.
    """

    def __init__(
        self, cfg: RobotAssetCfg, model: mujoco.MjModel, body_names: tuple[str, ...], sim: BatchedMujocoSim
    ) -> None:
        self.cfg = cfg
        self.sim = sim
        self.num_envs = sim.num_envs
        self.joint_names: tuple[str, ...] = tuple(cfg.joint_names)
        self.body_names: tuple[str, ...] = body_names
        self.num_joints = len(self.joint_names)

        # The floating base: a free joint at qpos[0:7], qvel[0:6]
        base = model.body(cfg.base_body_name)
        self.base_body_id = int(base.id)
        free = [j for j in range(model.njnt) if model.jnt_bodyid[j] == base.id and model.jnt_type[j] == 0]
        if not free or model.jnt_qposadr[free[0]] != 0 or model.jnt_dofadr[free[0]] != 0:
            raise ValueError(f"Body {cfg.base_body_name!r} must carry the model's first joint, a free joint.")

        # Public joint order -> MuJoCo indices, by name
        self.qpos_ids = np.array([model.joint(name).qposadr[0] for name in self.joint_names])
        self.dof_ids = np.array([model.joint(name).dofadr[0] for name in self.joint_names])
        self.actuator_ids = np.array([model.actuator(name).id for name in self.joint_names])

        # Defaults and limits in the public order
        self.default_root_pos = np.asarray(cfg.init_pos, dtype=np.float64)
        self.default_root_quat = np.asarray(cfg.init_rot, dtype=np.float64)
        self.default_joint_pos = resolve_joint_values(cfg.init_joint_pos, self.joint_names, key="init_joint_pos")
        self.default_joint_vel = resolve_joint_values(cfg.init_joint_vel, self.joint_names, key="init_joint_vel")
        ranges = np.array([model.joint(name).range for name in self.joint_names])
        middle, half = ranges.mean(axis=1), 0.5 * (ranges[:, 1] - ranges[:, 0]) * cfg.soft_joint_pos_limit_factor
        self.soft_joint_pos_limits = np.stack((middle - half, middle + half), axis=1)
        self.joint_vel_limits = actuator_parameters(cfg)["velocity_limit"]

        # Physical parameters that events randomize, per env
        self.default_body_mass = model.body_mass[1:].copy()
        self.default_base_mass = float(model.body_mass[self.base_body_id])
        self.body_mass = np.tile(self.default_body_mass, (self.num_envs, 1))
        self.base_com_b = np.tile(model.body_ipos[self.base_body_id], (self.num_envs, 1))
        self.friction = np.full(self.num_envs, np.nan)

        # Derived state, filled by update()
        self._prev_joint_vel = np.zeros((self.num_envs, self.num_joints))
        self.joint_acc = np.zeros((self.num_envs, self.num_joints))
        self.update()

    @property
    def base_mass(self) -> np.ndarray:
        """Mass of the base body per env [kg], ``[N]`` (a view of :attr:`body_mass`, which the mass events write)."""
        return self.body_mass[:, self.base_body_id - 1]

    # Refresh
    def update(self, qvel_substeps: np.ndarray | None = None, physics_dt: float | None = None) -> None:
        """Recompute the derived state from the simulation's state rows.

        Args:
            qvel_substeps: Joint-space velocities recorded after each physics substep, ``[N, S, nv]``; with
                ``physics_dt``, the joint accelerations are the finite difference over the last substep (as Isaac Lab
                computes them every physics step). None keeps the previous accelerations.
            physics_dt: Physics time step [s].
        """
        qpos, qvel = self.sim.qpos, self.sim.qvel
        self.root_pos_w = qpos[:, 0:3].copy()
        self.root_quat_w = qpos[:, 3:7].copy()
        quat = self.root_quat_w

        # Base-frame angular velocity comes straight from the free joint; the CoM adds omega x r
        self.root_ang_vel_b = qvel[:, 3:6].copy()
        origin_lin_vel_b = quat_rotate_inverse(quat, qvel[:, 0:3])
        self.root_lin_vel_b = origin_lin_vel_b + np.cross(self.root_ang_vel_b, self.base_com_b)
        self.root_lin_vel_w = quat_rotate(quat, self.root_lin_vel_b)
        self.root_ang_vel_w = quat_rotate(quat, self.root_ang_vel_b)
        self.projected_gravity_b = quat_rotate_inverse(quat, _GRAVITY_DIR)
        self.heading_w = yaw_from_quat(quat)

        # Joints in the public order
        self.joint_pos = qpos[:, self.qpos_ids]
        self.joint_vel = qvel[:, self.dof_ids]
        if qvel_substeps is not None and physics_dt is not None:
            before = qvel_substeps[:, -2, self.dof_ids] if qvel_substeps.shape[1] > 1 else self._prev_joint_vel
            self.joint_acc = (self.joint_vel - before) / physics_dt
        self._prev_joint_vel = self.joint_vel
        self.applied_torque = self.sim.actuator_force[:, self.actuator_ids]

    # Writes into the simulation
    def write_root_state(
        self,
        env_ids: np.ndarray,
        pos_w: np.ndarray,
        quat_w: np.ndarray,
        lin_vel_w: np.ndarray,
        ang_vel_w: np.ndarray,
    ) -> None:
        """Set root poses and centre-of-mass velocities (world frame) of some environments.

        Args:
            env_ids: Environment indices ``[k]``.
            pos_w: Base positions [m], ``[k, 3]``.
            quat_w: Base orientations (w, x, y, z), ``[k, 4]``.
            lin_vel_w: Base centre-of-mass linear velocities [m/s], world frame, ``[k, 3]``.
            ang_vel_w: Base angular velocities [rad/s], world frame, ``[k, 3]``.
        """
        qpos = self.sim.qpos
        qpos[env_ids, 0:3] = pos_w
        qpos[env_ids, 3:7] = quat_w
        self.write_root_velocity(env_ids, lin_vel_w, ang_vel_w)

    def write_root_velocity(self, env_ids: np.ndarray, lin_vel_w: np.ndarray, ang_vel_w: np.ndarray) -> None:
        """Set centre-of-mass velocities (world frame) of some environments, keeping their poses.

        Args:
            env_ids: Environment indices ``[k]``.
            lin_vel_w: Base centre-of-mass linear velocities [m/s], ``[k, 3]``.
            ang_vel_w: Base angular velocities [rad/s], ``[k, 3]``.
        """
        quat = self.sim.qpos[env_ids, 3:7]
        com_offset_w = quat_rotate(quat, self.base_com_b[env_ids])
        qvel = self.sim.qvel
        qvel[env_ids, 0:3] = lin_vel_w - np.cross(ang_vel_w, com_offset_w)
        qvel[env_ids, 3:6] = quat_rotate_inverse(quat, ang_vel_w)

    def write_joint_state(self, env_ids: np.ndarray, joint_pos: np.ndarray, joint_vel: np.ndarray) -> None:
        """Set joint positions and velocities (public joint order) of some environments.

        Args:
            env_ids: Environment indices ``[k]``.
            joint_pos: Joint positions [rad], ``[k, num_joints]``.
            joint_vel: Joint velocities [rad/s], ``[k, num_joints]``.
        """
        rows = env_ids[:, None]
        self.sim.qpos[rows, self.qpos_ids] = joint_pos
        self.sim.qvel[rows, self.dof_ids] = joint_vel
        self._prev_joint_vel = self._prev_joint_vel.copy()
        self._prev_joint_vel[env_ids] = joint_vel
