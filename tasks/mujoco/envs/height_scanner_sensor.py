"""The env's height scanner: Isaac Lab's ``height_scanner`` ray caster on the env's terrain, with buffered readings.

:class:`HeightScannerSensor` keeps the readings the terms use (``pos_w``, ``ray_hits_z``), refreshed by the env once
per env step after the physics (Isaac Lab updates the scanner every ``decimation * dt``) and for the envs it resets.
The rays are looked up in the terrain's height field (:class:`~rsl_sim.tasks.mujoco.height_scanner.HeightScanner`,
MuJoCo's triangulated surface), so the scan sees the terrain only, never a robot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.height_scanner import HeightScanner
from rsl_sim.tasks.mujoco.managers.term_cfg import HeightScannerCfg
from rsl_sim.tasks.mujoco.terrain import TerrainGenerator

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.robot import RobotData


class HeightScannerSensor:
    """Grid of vertical rays around each robot's base, read by the ``height_scan`` term and ``base_height_l2``.

    Args:
        cfg: Ray pattern and offset.
        terrain: The env's terrain (height field or plane).
        robot: The robot state (base position and heading).

    Attributes:
        scanner: The ray caster.
        pos_w: Sensor (base) positions at the last update [m], ``[num_envs, 3]``.
        ray_hits_z: World heights of the ray hits at the last update [m], ``[num_envs, num_rays]``; ``+inf`` for a
            ray that hits nothing.

    Raises:
        ValueError: For an unknown ``ray_alignment`` or ``ordering``, or a non-positive resolution.
    """

    def __init__(self, cfg: HeightScannerCfg, terrain: TerrainGenerator, robot: RobotData) -> None:
        self.cfg = cfg
        self.robot = robot
        self.scanner = HeightScanner(
            terrain,
            resolution=cfg.resolution,
            size=tuple(cfg.size),
            ordering=cfg.ordering,
            offset=tuple(cfg.offset),
            clip=None,
            ray_alignment=cfg.ray_alignment,
            # as many ray-casting threads as the physics has (they never run at the same time)
            num_threads=robot.sim.num_threads,
        )
        self.pos_w = np.zeros((robot.num_envs, 3))
        self.ray_hits_z = np.zeros((robot.num_envs, self.scanner.num_rays))

    @property
    def num_rays(self) -> int:
        """Rays per env (187 for Isaac Lab's 1.6 m x 1.0 m grid at 0.1 m)."""
        return self.scanner.num_rays

    @property
    def pattern(self) -> np.ndarray:
        """Planar ray offsets in the base's yaw frame (before ``offset``) [m], ``[num_rays, 2]``."""
        return self.scanner.pattern

    def update(self, env_ids: np.ndarray | None = None) -> None:
        """Cast the rays of some envs (all when None) from the robot's current base pose.

        Args:
            env_ids: Environment indices ``[k]``, or None for all.
        """
        rows = slice(None) if env_ids is None else env_ids
        if env_ids is not None and len(env_ids) == 0:
            return
        pos = self.robot.root_pos_w[rows]
        self.pos_w[rows] = pos
        self.ray_hits_z[rows] = self.scanner.hit_heights(pos, self.robot.heading_w[rows])
