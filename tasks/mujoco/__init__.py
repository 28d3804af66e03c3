"""The CPU MuJoCo machinery below the tasks (``rsl_sim.tasks.mujoco``), as Isaac Lab's core package is below its tasks.

- this package: batched stepping (:mod:`.batched_sim`), terrain generator and curriculum, height scanner, depth
  camera, spatial math;
- :mod:`.envs`: the batched manager-based env (:class:`~.envs.velocity_env.VelocityEnv`, its config schema
  :class:`~.envs.manager_based_rl_env_cfg.ManagerBasedRLEnvCfg`), scene building, robot data, sensors, viewer;
- :mod:`.managers`: the term configs and the managers that evaluate a task's terms.

Nothing here imports a task.
"""

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
