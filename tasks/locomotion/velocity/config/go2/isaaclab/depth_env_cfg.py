"""The Isaac Lab Go2 rough task with a ray-cast depth camera, for distilling the rough policy into a camera student.

Isaac Lab's tiled camera renders through Isaac Sim; without it a depth image comes from Isaac Lab's
``RayCasterCamera`` with a pinhole pattern (rays cast against the terrain mesh, on the CPU with warp). The camera is
the CPU depth task's (:class:`~rsl_sim.tasks.mujoco.managers.term_cfg.DepthCameraCfg`, ``RslSim/Go2-Rough-Depth-v0``):
32 x 32 pixels over 87 x 58 degrees (pinhole, non-square pixels), 0.30 m ahead of and 0.05 m above the base origin,
tilted 30 degrees down, depth to the image plane clipped to [0.1 m, 3 m] and scaled to [0, 1], refreshed every 0.04 s.
Like the CPU camera it sees the terrain only.
"""

from __future__ import annotations

import math

from isaaclab.sensors import RayCasterCameraCfg, patterns
from isaaclab.utils import configclass
from isaaclab_tasks.core.velocity.velocity_env_cfg import MySceneCfg

from rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.observations_cfg import DEPTH_CAMERA, DepthObservationsCfg
from rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.rough_env_cfg import UnitreeGo2RoughEnvCfg
from rsl_sim.tasks.mujoco.managers.term_cfg import DepthCameraCfg

TERRAIN_PRIM_PATH = "/World/ground"
"""The terrain mesh the camera's rays are cast against (Isaac Lab's velocity-task terrain)."""


def depth_camera_cfg(camera: DepthCameraCfg) -> RayCasterCameraCfg:
    """An Isaac Lab ray-cast camera on the Go2 base with the pinhole model, mount and range of a CPU camera config.

    Intrinsics: focal lengths ``f_x = (W / 2) / tan(hfov / 2)`` and ``f_y = (H / 2) / tan(vfov / 2)`` pixels (apertures
    ``2 tan(fov / 2)`` at focal length 1), principal point at the image centre, rays through the pixel centres.
    Mount: ``camera.offset`` in the base frame and a downward pitch of ``camera.pitch_deg`` (a rotation about the base
    y axis, in Isaac Lab's ``"world"`` convention: x forward, z up). Depth beyond ``camera.far`` and rays that hit
    nothing read ``camera.far`` (``depth_clipping_behavior="max"``).

    Args:
        camera: The CPU camera config.

    Returns:
        The camera config (a scene entity named ``depth_camera`` in the depth task).
    """
    half_pitch = math.radians(camera.pitch_deg) / 2.0
    return RayCasterCameraCfg(
        prim_path="{ENV_REGEX_NS}/Robot/base",
        mesh_prim_paths=[TERRAIN_PRIM_PATH],
        update_period=camera.update_period,
        offset=RayCasterCameraCfg.OffsetCfg(
            pos=tuple(camera.offset), rot=(0.0, math.sin(half_pitch), 0.0, math.cos(half_pitch)), convention="world"
        ),
        data_types=[camera.data_type],
        depth_clipping_behavior="max",
        max_distance=camera.far,
        debug_vis=False,
        pattern_cfg=patterns.PinholeCameraPatternCfg(
            focal_length=1.0,
            horizontal_aperture=2.0 * math.tan(math.radians(camera.horizontal_fov_deg) / 2.0),
            vertical_aperture=2.0 * math.tan(math.radians(camera.vertical_fov_deg) / 2.0),
            width=camera.width,
            height=camera.height,
        ),
    )


@configclass
class DepthSceneCfg(MySceneCfg):
    """Isaac Lab's velocity-task scene with the Go2 depth camera (``depth_camera``)."""

    depth_camera: RayCasterCameraCfg = depth_camera_cfg(DEPTH_CAMERA)


@configclass
class UnitreeGo2RoughDepthEnvCfg(UnitreeGo2RoughEnvCfg):
    """The Go2 rough task with a depth camera (``RslSim-Isaac-Velocity-Rough-Depth-Go2-v0``).

    The teacher's groups stay as in the rough task (``policy`` with the height scan, ``critic``); the student's are
    added: ``student`` (noisy proprioception, ``[N, 48]``) and ``depth`` (``[N, 32, 32, 1]`` in [0, 1], channels-last
    as Isaac Lab's cameras; ``[N, 1, 32, 32]`` through rsl_sim's Isaac Lab wrapper).
    """

    scene: DepthSceneCfg = DepthSceneCfg(num_envs=4096, env_spacing=2.5)
    observations: DepthObservationsCfg = DepthObservationsCfg()
