"""Observation terms of the velocity task and the manager that assembles them into groups.

Each term is a function ``term(env, **params) -> [num_envs, dim]`` with Isaac Lab's name and meaning
(``base_lin_vel``, ``projected_gravity``, ``joint_pos_rel``, ...), plus the privileged terms of the critic group
(``contact_forces``, ``friction_coefficient``, ``added_base_mass``). :class:`ObservationManager` evaluates a group's
terms in order, adds the configured uniform noise (groups with ``enable_corruption``), clips, scales and writes them
side by side into one ``float32`` array ``[num_envs, group_dim]``, as Isaac Lab's ``ObservationManager`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection, check_params, resolve_func, resolve_params
from rsl_sim.tasks.mujoco.managers.term_cfg import ObservationGroupCfg, ObservationTermCfg

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


def base_pos_z(env: VelocityEnv) -> np.ndarray:
    """Base height in the world frame [m], ``[N, 1]``."""
    return env.robot.root_pos_w[:, 2:3]


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


def added_base_mass(env: VelocityEnv) -> np.ndarray:
    """Base mass minus the model's base mass [kg], ``[N, 1]``."""
    return (env.robot.base_mass - env.robot.default_base_mass)[:, None]


class ObservationManager:
    """Computes the observation groups of the env.

    Args:
        cfg: Observation groups by name.
        env: The environment (terms read its state).

    Raises:
        ValueError: If a group is empty, a term cannot be resolved, a term returns neither ``[N, dim]`` nor
            ``[N, C, H, W]``, a group mixes vectors and images, or an image term has noise.

    Attributes:
        group_term_dims: Per group, each term's width (channels for image terms), in order.
        group_dims: Width of each vector group.
        group_shapes: Shape of each group without the env axis: ``(dim,)`` or ``(C, H, W)``.
    """

    def __init__(self, cfg: dict[str, ObservationGroupCfg], env: VelocityEnv) -> None:
        self.env = env
        self.group_names = list(cfg)
        self._groups: dict[str, list[tuple[str, Callable[..., np.ndarray], dict[str, Any], ObservationTermCfg]]] = {}
        self.group_term_dims: dict[str, dict[str, int]] = {}
        self.group_dims: dict[str, int] = {}
        self.group_shapes: dict[str, tuple[int, ...]] = {}
        self._noise: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray] | None] = {}
        module = sys.modules[__name__]
        for group_name, group in cfg.items():
            # Resolve each term and evaluate it once to learn its width (channels for images) and its noise columns
            terms = []
            dims: dict[str, int] = {}
            noise_cols, noise_low, noise_high = [], [], []
            image_shape: tuple[int, int] | None = None
            start = 0
            for term_name, term in group.terms.items():
                if term is None:
                    continue
                key = f"observations.{group_name}.{term_name}"
                func = resolve_func(term.func, module, key=key)
                check_params(func, term.params, key=key, skip=1)
                params = resolve_params(env, term.params, key=key)
                value = func(env, **params)
                if np.ndim(value) not in (2, 4) or value.shape[0] != env.num_envs:
                    raise ValueError(
                        f"{key}: the term returned shape {np.shape(value)}, expected [num_envs, dim] or "
                        "[num_envs, C, H, W]."
                    )
                # a group holds either vectors or images of one size
                if (np.ndim(value) == 4) != (image_shape is not None) and terms:
                    raise ValueError(f"observations.{group_name}: vector and image terms cannot share a group.")
                if np.ndim(value) == 4:
                    if image_shape is not None and value.shape[2:] != image_shape:
                        raise ValueError(f"{key}: image size {value.shape[2:]} differs from the group's {image_shape}.")
                    image_shape = value.shape[2:]
                    if group.enable_corruption and term.noise is not None:
                        raise ValueError(f"{key}: noise on image terms is not supported; set noise=None.")
                dim = value.shape[1]
                if group.enable_corruption and term.noise is not None:
                    noise_cols.extend(range(start, start + dim))
                    noise_low.extend([term.noise.n_min] * dim)
                    noise_high.extend([term.noise.n_max] * dim)
                terms.append((term_name, func, params, term))
                dims[term_name] = dim
                start += dim
            # Group layout and the noise bounds of its noisy columns
            if not terms:
                raise ValueError(f"observations.{group_name} has no terms.")
            self._groups[group_name] = terms
            self.group_term_dims[group_name] = dims
            if image_shape is None:
                self.group_dims[group_name] = start
                self.group_shapes[group_name] = (start,)
            else:
                self.group_shapes[group_name] = (start, *image_shape)
            self._noise[group_name] = (
                (np.asarray(noise_cols), np.asarray(noise_low), np.asarray(noise_high) - np.asarray(noise_low))
                if noise_cols
                else None
            )

    def group_terms(self, group_name: str) -> list[tuple[str, Callable[..., np.ndarray], dict[str, Any], int]]:
        """The resolved terms of a group, in order: ``(term name, function, resolved params, width)``.

        The width is the term's size along axis 1 (channels for image terms). Used to declare layouts that follow the
        observations, e.g. the Go2 mirror function.

        Raises:
            ValueError: If the group does not exist.
        """
        if group_name not in self._groups:
            raise ValueError(f"Unknown observation group {group_name!r}; groups: {self.group_names}.")
        dims = self.group_term_dims[group_name]
        return [(name, func, params, dims[name]) for name, func, params, _ in self._groups[group_name]]

    def compute(self) -> dict[str, np.ndarray]:
        """Evaluate every group.

        Returns:
            Group name -> ``float32`` array ``[num_envs, group_dim]`` (``[num_envs, C, H, W]`` for image groups).
        """
        return {name: self.compute_group(name) for name in self.group_names}

    def compute_group(self, group_name: str) -> np.ndarray:
        """Evaluate one group: terms in order, noise, clip and scale per term, concatenated.

        Args:
            group_name: The group.

        Returns:
            ``float32`` array ``[num_envs, *group_shape]``.
        """
        env = self.env
        # Raw term values side by side (along the channel axis for images)
        values = np.empty((env.num_envs, *self.group_shapes[group_name]), dtype=np.float64)
        start = 0
        for _, func, params, _ in self._groups[group_name]:
            value = func(env, **params)
            values[:, start : start + value.shape[1]] = value
            start += value.shape[1]
        # Noise for all noisy columns in one draw, then clip and scale per term
        noise = self._noise[group_name]
        if noise is not None:
            cols, low, width = noise
            values[:, cols] += low + width * env.rng.random((env.num_envs, len(cols)))
        start = 0
        for term_name, _, _, term in self._groups[group_name]:
            stop = start + self.group_term_dims[group_name][term_name]
            if term.clip is not None:
                np.clip(values[:, start:stop], term.clip[0], term.clip[1], out=values[:, start:stop])
            if term.scale is not None:
                values[:, start:stop] *= term.scale
            start = stop
        return values.astype(np.float32)
