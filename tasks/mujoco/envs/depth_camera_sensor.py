"""The env's depth camera: a ray-cast forward camera on the base whose images refresh at their own rate.

:class:`DepthCameraSensor` wraps :class:`~rsl_sim.tasks.mujoco.depth_camera.DepthCamera` (compiled ray casting on
the terrain's height field, all envs in one call; the image sees the terrain, never a robot). The env calls
:meth:`update` once per env step after the physics; the images are recomputed every ``period_steps``-th call (Isaac
Lab's sensor ``update_period`` in whole env steps) and kept in between. Envs that reset get a fresh image at once
(:meth:`reset`). Nothing is computed unless a config adds a camera (``scene.depth_camera``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.depth_camera import DepthCamera
from rsl_sim.tasks.mujoco.managers.term_cfg import DepthCameraCfg
from rsl_sim.tasks.mujoco.terrain import TerrainGenerator

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.robot import RobotData


class DepthCameraSensor:
    """Normalized depth images ``[num_envs, 1, height, width]`` (float32 in [0, 1]) read by the ``depth_image`` term.

    Args:
        cfg: Camera model and update period.
        terrain: The env's terrain (height field or plane).
        robot: The robot state (base pose).
        step_dt: Env step [s], to turn ``cfg.update_period`` into whole steps.

    Attributes:
        camera: The ray-cast camera.
        period_steps: Env steps between two image updates (at least 1).

    Raises:
        ValueError: For an invalid camera model (see :class:`DepthCamera`) or a negative ``update_period``.
    """

    def __init__(self, cfg: DepthCameraCfg, terrain: TerrainGenerator, robot: RobotData, step_dt: float) -> None:
        if cfg.update_period < 0.0:
            raise ValueError(f"scene.depth_camera.update_period must be >= 0 seconds, got {cfg.update_period}.")
        self.cfg = cfg
        self.robot = robot
        self.period_steps = max(1, round(cfg.update_period / step_dt))
        self.camera = DepthCamera(
            terrain,
            width=cfg.width,
            height=cfg.height,
            horizontal_fov_deg=cfg.horizontal_fov_deg,
            vertical_fov_deg=cfg.vertical_fov_deg,
            offset=tuple(cfg.offset),
            pitch_deg=cfg.pitch_deg,
            near=cfg.near,
            far=cfg.far,
            data_type=cfg.data_type,
            update_period=self.period_steps,
            # as many ray-casting threads as the physics has (they never run at the same time)
            num_threads=robot.sim.num_threads,
        )
        self.image = np.zeros((robot.num_envs, 1, cfg.height, cfg.width), dtype=np.float32)
        self._started = False

    def update(self) -> None:
        """Advance one env step; recompute every image on every ``period_steps``-th call (and the first)."""
        self.image = self.camera.step(self.robot.root_pos_w, self.robot.root_quat_w)
        self._started = True

    def reset(self, env_ids: np.ndarray) -> None:
        """Recompute the images of some envs from their current (just reset) poses.

        Args:
            env_ids: Environment indices ``[k]``.
        """
        if len(env_ids) == 0:
            return
        if not self._started:
            self.update()
            return
        self.camera.reset(env_ids, self.robot.root_pos_w[env_ids], self.robot.root_quat_w[env_ids])
