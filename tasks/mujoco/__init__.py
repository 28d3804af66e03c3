"""MuJoCo building blocks of the CPU legged-robot tasks (``rsl_sim.tasks.mujoco``)."""

# Terrain, curriculum and exteroceptive sensors (importing them does not import mujoco).
from .curriculum import TerrainCurriculum
from .depth_camera import DepthCamera
from .height_scanner import HeightScanner, yaw_from_quat
from .terrain import FLAT_TERRAIN_CFG, ROUGH_TERRAINS_CFG, TerrainGenerator

__all__ = [
    "FLAT_TERRAIN_CFG",
    "ROUGH_TERRAINS_CFG",
    "DepthCamera",
    "HeightScanner",
    "TerrainCurriculum",
    "TerrainGenerator",
    "yaw_from_quat",
]
