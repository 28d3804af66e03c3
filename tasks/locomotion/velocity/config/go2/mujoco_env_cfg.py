"""Unitree Go2 velocity tasks on CPU MuJoCo: Isaac Lab's Go2 changes on top of the velocity task's config.

:class:`UnitreeGo2RoughEnvCfg` applies Isaac Lab's ``UnitreeGo2RoughEnvCfg`` changes to
:class:`~rsl_sim.tasks.locomotion.velocity.velocity_env_cfg.VelocityEnvCfg` (Go2 asset, smaller terrain features,
action scale 0.25, Go2 reward weights, terrain-relative base-height term), and :class:`UnitreeGo2FlatEnvCfg` Isaac Lab's
``UnitreeGo2FlatEnvCfg`` changes on that (flat ground, no height scan, no terrain curriculum, flat reward weights).
:class:`UnitreeGo2RoughDepthEnvCfg` is ours: the rough task with a depth camera and the observation groups of a camera
student.
"""

from __future__ import annotations

from dataclasses import dataclass

from rsl_sim.tasks.assets.go2 import go2_asset_cfg
from rsl_sim.tasks.locomotion.velocity.velocity_env_cfg import VelocityEnvCfg, proprioceptive_terms
from rsl_sim.tasks.mujoco.managers.term_cfg import (
    DepthCameraCfg,
    ObservationGroupCfg,
    ObservationTermCfg,
    RewardTermCfg,
    SceneEntityCfg,
    TerrainCfg,
)


@dataclass
class UnitreeGo2RoughEnvCfg(VelocityEnvCfg):
    """Unitree Go2 on rough terrain: Isaac Lab's ``UnitreeGo2RoughEnvCfg`` (registered as ``RslSim/Go2-Rough-v0``).

    Policy observations: 48 proprioceptive values + the 187-point height scan = 235; critic: 249.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        _apply_go2_settings(self)
        # smaller terrain features for the small robot (on a generated terrain)
        generator = self.scene.terrain.terrain_generator
        if generator is not None:
            terrains = generator["sub_terrains"]
            terrains["boxes"]["grid_height_range"] = (0.025, 0.1)
            terrains["random_rough"]["noise_range"] = (0.01, 0.06)
            terrains["random_rough"]["noise_step"] = 0.01
            terrains["pyramid_stairs"]["step_height_range"] = (0.025, 0.12)
            terrains["pyramid_stairs_inv"]["step_height_range"] = (0.025, 0.12)
        # base height above the scanned terrain
        self.rewards["base_height_l2"].params["sensor_cfg"] = SceneEntityCfg("height_scanner")


@dataclass
class UnitreeGo2FlatEnvCfg(UnitreeGo2RoughEnvCfg):
    """Unitree Go2 on flat ground: Isaac Lab's ``UnitreeGo2FlatEnvCfg`` (registered as ``RslSim/Go2-Flat-v0``).

    ``scene.num_envs`` defaults to 1024 (Isaac Lab: 4096), a size that keeps a PPO iteration to a few seconds on a
    2-core CPU.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.scene.num_envs = 1024
        # flat ground, no height scan, no terrain curriculum
        self.scene.terrain = TerrainCfg(terrain_type="plane")
        self.scene.height_scanner = None
        self.observations["policy"].terms["height_scan"] = None
        self.observations["critic"].terms["height_scan"] = None
        self.curriculum["terrain_levels"] = None
        # flat-terrain reward weights
        self.rewards["flat_orientation_l2"].weight = -2.5
        self.rewards["feet_air_time"].weight = 0.25
        self.rewards["base_height_l2"].params["sensor_cfg"] = None


@dataclass
class UnitreeGo2RoughDepthEnvCfg(UnitreeGo2RoughEnvCfg):
    """The Go2 rough task with a depth camera, for distilling the rough policy into a camera student.

    Registered as ``RslSim/Go2-Rough-Depth-v0``. The teacher's groups stay as in the rough task (``policy`` with the
    height scan, ``critic``); two groups are added for the student:

    - ``student``: the proprioceptive policy terms with their noise, without the height scan, ``[N, 48]``;
    - ``depth``: the depth image, ``[N, 1, 32, 32]`` float32 in [0, 1] (0 at 0.1 m, 1 at 3 m and beyond), refreshed
      every 0.04 s (2 env steps).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.scene.depth_camera = DepthCameraCfg()
        self.observations["student"] = ObservationGroupCfg(
            terms=proprioceptive_terms(noisy=True), enable_corruption=True
        )
        self.observations["depth"] = ObservationGroupCfg(
            terms={
                "depth_image": ObservationTermCfg(
                    func="depth_image", params={"sensor_cfg": SceneEntityCfg("depth_camera")}
                )
            }
        )


def _apply_go2_settings(cfg: VelocityEnvCfg) -> None:
    """Isaac Lab's ``UnitreeGo2RoughEnvCfg`` changes shared by every Go2 variant (the terrain changes aside)."""
    # scene: the Go2 with its DC motors
    cfg.scene.robot = go2_asset_cfg()
    # actions
    cfg.actions.scale = 0.25
    # rewards: Go2 weights, feet by name, thigh contacts dropped, base-height term added
    cfg.rewards["feet_air_time"].params["sensor_cfg"].body_names = ".*_foot"
    cfg.rewards["feet_air_time"].weight = 0.01
    cfg.rewards["undesired_contacts"] = None
    cfg.rewards["dof_torques_l2"].weight = -0.0002
    cfg.rewards["track_lin_vel_xy_exp"].weight = 1.5
    cfg.rewards["track_ang_vel_z_exp"].weight = 0.75
    cfg.rewards["dof_acc_l2"].weight = -2.5e-7
    cfg.rewards["base_height_l2"] = RewardTermCfg(func="base_height_l2", weight=-30.0, params={"target_height": 0.4})
    cfg.rewards["action_rate_l2"].weight = -0.005
    # terminations
    cfg.terminations["base_contact"].params["sensor_cfg"].body_names = "base"
