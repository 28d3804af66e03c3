"""Configs of the velocity-tracking task as data: the shared task (:class:`VelocityEnvCfg`) and the Go2 variants.

:class:`VelocityEnvCfg` holds Isaac Lab 3.0's ``LocomotionVelocityRoughEnvCfg`` (``isaaclab_tasks/core/velocity``): the
same command, observation, reward, termination and event terms, in the same order, with the same ranges and weights.
:class:`UnitreeGo2RoughEnvCfg` applies Isaac Lab's ``UnitreeGo2RoughEnvCfg`` changes on top (Go2 asset, smaller
terrain features, action scale 0.25, Go2 reward weights, terrain-relative base-height term), and
:class:`UnitreeGo2FlatEnvCfg` Isaac Lab's ``UnitreeGo2FlatEnvCfg`` changes on that (flat ground, no height scan, no
terrain curriculum, flat reward weights). :class:`UnitreeGo2RoughDepthEnvCfg` is ours: the rough task with a depth
camera and the observation groups of a camera student. The ``critic`` group is ours too: the policy terms without
noise plus privileged terms (feet contact forces, friction, added base mass).

Each config is a dataclass whose ``__post_init__`` applies its changes, as Isaac Lab's configclasses do; build one,
edit fields, and pass it to ``VelocityEnv(cfg=...)``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from rsl_sim.tasks.assets.go2 import go2_asset_cfg
from rsl_sim.tasks.assets.robot_cfg import RobotAssetCfg
from rsl_sim.tasks.mujoco.terrain import ROUGH_TERRAINS_CFG
from rsl_sim.tasks.velocity.term_cfg import (
    ContactSensorCfg,
    CurriculumTermCfg,
    DepthCameraCfg,
    EventTermCfg,
    HeightScannerCfg,
    JointPositionActionCfg,
    ObservationGroupCfg,
    ObservationTermCfg,
    PhysicsCfg,
    RewardTermCfg,
    SceneEntityCfg,
    TerminationTermCfg,
    TerrainCfg,
    UniformNoiseCfg,
    UniformVelocityCommandCfg,
    VelocityRangesCfg,
    ViewerCfg,
)


@dataclass
class SceneCfg:
    """What is simulated: the robot, the ground and the sensors (Isaac Lab's ``MySceneCfg`` of the velocity task).

    Attributes:
        num_envs: Number of environments (one robot each, each in its own MuJoCo world).
        robot: The robot asset.
        terrain: The ground (default: Isaac Lab's rough terrain generator, initial levels 0 to 5).
        height_scanner: The height scanner (None: no scanner).
        contact_forces: Contact sensor over the robot's bodies.
        depth_camera: A depth camera on the base (None: no camera; only camera tasks set one).
    """

    num_envs: int = 4096
    robot: RobotAssetCfg = field(default_factory=RobotAssetCfg)
    terrain: TerrainCfg = field(
        default_factory=lambda: TerrainCfg(
            terrain_type="generator",
            terrain_generator=copy.deepcopy(ROUGH_TERRAINS_CFG),
            max_init_terrain_level=5,
        )
    )
    height_scanner: HeightScannerCfg | None = field(default_factory=HeightScannerCfg)
    contact_forces: ContactSensorCfg = field(default_factory=ContactSensorCfg)
    depth_camera: DepthCameraCfg | None = None


def _policy_terms(noisy: bool) -> dict[str, ObservationTermCfg | None]:
    """The proprioceptive terms of the velocity task, with Isaac Lab's noise when ``noisy``."""

    def noise(n: float) -> UniformNoiseCfg | None:
        return UniformNoiseCfg(n_min=-n, n_max=n) if noisy else None

    return {
        "base_lin_vel": ObservationTermCfg(func="base_lin_vel", noise=noise(0.1)),
        "base_ang_vel": ObservationTermCfg(func="base_ang_vel", noise=noise(0.2)),
        "projected_gravity": ObservationTermCfg(func="projected_gravity", noise=noise(0.05)),
        "velocity_commands": ObservationTermCfg(func="generated_commands", params={"command_name": "base_velocity"}),
        "joint_pos": ObservationTermCfg(func="joint_pos_rel", noise=noise(0.01)),
        "joint_vel": ObservationTermCfg(func="joint_vel_rel", noise=noise(1.5)),
        "actions": ObservationTermCfg(func="last_action"),
    }


def _height_scan_term(noisy: bool) -> ObservationTermCfg:
    """Isaac Lab's ``height_scan`` term (noise +-0.1 m when ``noisy``, clipped to +-1 m)."""
    return ObservationTermCfg(
        func="height_scan",
        params={"sensor_cfg": SceneEntityCfg("height_scanner")},
        noise=UniformNoiseCfg(n_min=-0.1, n_max=0.1) if noisy else None,
        clip=(-1.0, 1.0),
    )


def _default_observations() -> dict[str, ObservationGroupCfg]:
    """Observation groups: ``policy`` (noisy, with the height scan) and ``critic`` (noise-free + privileged)."""
    policy_terms = _policy_terms(noisy=True)
    policy_terms["height_scan"] = _height_scan_term(noisy=True)
    critic_terms = _policy_terms(noisy=False)
    critic_terms["height_scan"] = _height_scan_term(noisy=False)
    critic_terms["feet_contact_forces"] = ObservationTermCfg(
        func="contact_forces",
        params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*_foot")},
        scale=0.01,
    )
    critic_terms["friction_coefficient"] = ObservationTermCfg(func="friction_coefficient")
    critic_terms["added_mass"] = ObservationTermCfg(func="added_base_mass")
    return {
        "policy": ObservationGroupCfg(terms=policy_terms, enable_corruption=True),
        "critic": ObservationGroupCfg(terms=critic_terms, enable_corruption=False),
    }


def _default_rewards() -> dict[str, RewardTermCfg | None]:
    """Reward terms of Isaac Lab's velocity task (shared weights)."""
    return {
        "track_lin_vel_xy_exp": RewardTermCfg(
            func="track_lin_vel_xy_exp", weight=1.0, params={"command_name": "base_velocity", "std": math.sqrt(0.25)}
        ),
        "track_ang_vel_z_exp": RewardTermCfg(
            func="track_ang_vel_z_exp", weight=0.5, params={"command_name": "base_velocity", "std": math.sqrt(0.25)}
        ),
        "lin_vel_z_l2": RewardTermCfg(func="lin_vel_z_l2", weight=-2.0),
        "ang_vel_xy_l2": RewardTermCfg(func="ang_vel_xy_l2", weight=-0.05),
        "dof_torques_l2": RewardTermCfg(func="joint_torques_l2", weight=-1.0e-5),
        "dof_acc_l2": RewardTermCfg(func="joint_acc_l2", weight=-2.5e-7),
        "action_rate_l2": RewardTermCfg(func="action_rate_l2", weight=-0.01),
        "feet_air_time": RewardTermCfg(
            func="feet_air_time",
            weight=0.125,
            params={
                "sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*FOOT"),
                "command_name": "base_velocity",
                "threshold": 0.5,
            },
        ),
        "undesired_contacts": RewardTermCfg(
            func="undesired_contacts",
            weight=-1.0,
            params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*THIGH"), "threshold": 1.0},
        ),
        "flat_orientation_l2": RewardTermCfg(func="flat_orientation_l2", weight=0.0),
        "dof_pos_limits": RewardTermCfg(func="joint_pos_limits", weight=0.0),
    }


def _default_terminations() -> dict[str, TerminationTermCfg | None]:
    """Termination terms: time limit (truncation) and illegal base contact."""
    return {
        "time_out": TerminationTermCfg(func="time_out", time_out=True),
        "base_contact": TerminationTermCfg(
            func="illegal_contact",
            params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names="base"), "threshold": 1.0},
        ),
    }


def _default_events() -> dict[str, EventTermCfg | None]:
    """Event terms of Isaac Lab's velocity task (startup randomization, reset, pushes)."""
    return {
        "physics_material": EventTermCfg(
            func="randomize_rigid_body_material",
            mode="startup",
            params={"static_friction_range": (0.8, 0.8), "num_buckets": 64},
        ),
        "add_base_mass": EventTermCfg(
            func="randomize_rigid_body_mass",
            mode="startup",
            params={
                "asset_cfg": SceneEntityCfg("robot", body_names="base"),
                "mass_distribution_params": (1 / 1.25, 1.25),
                "operation": "scale",
                "distribution": "log_uniform",
            },
        ),
        "base_com": EventTermCfg(
            func="randomize_rigid_body_com",
            mode="startup",
            params={
                "asset_cfg": SceneEntityCfg("robot", body_names="base"),
                "com_range": {"x": (-0.05, 0.05), "y": (-0.05, 0.05), "z": (-0.01, 0.01)},
            },
        ),
        "base_external_force_torque": EventTermCfg(
            func="apply_external_force_torque",
            mode="reset",
            params={
                "asset_cfg": SceneEntityCfg("robot", body_names="base"),
                "force_range": (0.0, 0.0),
                "torque_range": (-0.0, 0.0),
            },
        ),
        "reset_base": EventTermCfg(
            func="reset_root_state_uniform",
            mode="reset",
            params={
                "pose_range": {"x": (-0.5, 0.5), "y": (-0.5, 0.5), "yaw": (-3.14, 3.14)},
                "velocity_range": {
                    "x": (-0.5, 0.5),
                    "y": (-0.5, 0.5),
                    "z": (-0.5, 0.5),
                    "roll": (-0.5, 0.5),
                    "pitch": (-0.5, 0.5),
                    "yaw": (-0.5, 0.5),
                },
            },
        ),
        "reset_robot_joints": EventTermCfg(
            func="reset_joints_by_scale",
            mode="reset",
            params={"position_range": (0.5, 1.5), "velocity_range": (0.0, 0.0)},
        ),
        "push_robot": EventTermCfg(
            func="push_by_setting_velocity",
            mode="interval",
            interval_range_s=(10.0, 15.0),
            params={"velocity_range": {"x": (-0.5, 0.5), "y": (-0.5, 0.5)}},
        ),
    }


@dataclass
class VelocityEnvCfg:
    """The velocity-tracking task: Isaac Lab's ``LocomotionVelocityRoughEnvCfg`` terms (robot and ground per subclass).

    Attributes:
        scene: Robot, ground and contact sensor.
        physics: MuJoCo settings (time step, solver, threads).
        decimation: Physics steps per env step.
        episode_length_s: Episode time limit [s].
        actions: The joint-position action.
        commands: Command terms by name (``"base_velocity"``).
        observations: Observation groups by name.
        rewards: Reward terms by name (None entries are left out).
        terminations: Termination terms by name.
        events: Event terms by name.
        curriculum: Curriculum terms by name (run on the envs being reset).
        seed: Seed of the startup randomization when ``reset`` is not given one; None draws from the OS.
        viewer: Offscreen rendering.
    """

    scene: SceneCfg = field(default_factory=SceneCfg)
    physics: PhysicsCfg = field(default_factory=PhysicsCfg)
    decimation: int = 4
    episode_length_s: float = 20.0
    actions: JointPositionActionCfg = field(default_factory=lambda: JointPositionActionCfg(scale=0.5))
    commands: dict[str, UniformVelocityCommandCfg] = field(
        default_factory=lambda: {
            "base_velocity": UniformVelocityCommandCfg(
                resampling_time_range=(10.0, 10.0),
                rel_standing_envs=0.02,
                rel_heading_envs=1.0,
                heading_command=True,
                heading_control_stiffness=0.5,
                ranges=VelocityRangesCfg(
                    lin_vel_x=(-1.0, 1.0), lin_vel_y=(-1.0, 1.0), ang_vel_z=(-1.0, 1.0), heading=(-math.pi, math.pi)
                ),
            )
        }
    )
    observations: dict[str, ObservationGroupCfg] = field(default_factory=_default_observations)
    rewards: dict[str, RewardTermCfg | None] = field(default_factory=_default_rewards)
    terminations: dict[str, TerminationTermCfg | None] = field(default_factory=_default_terminations)
    events: dict[str, EventTermCfg | None] = field(default_factory=_default_events)
    curriculum: dict[str, CurriculumTermCfg | None] = field(
        default_factory=lambda: {"terrain_levels": CurriculumTermCfg(func="terrain_levels_vel")}
    )
    seed: int | None = None
    viewer: ViewerCfg = field(default_factory=ViewerCfg)

    def __post_init__(self) -> None:
        # general settings of the velocity task
        self.physics.dt = 0.005
        self.decimation = 4
        self.episode_length_s = 20.0
        # the terrain generator lays out difficulty levels when the terrain-level curriculum is on
        generator = self.scene.terrain.terrain_generator
        if generator is not None:
            generator["curriculum"] = self.curriculum.get("terrain_levels") is not None


@dataclass
class UnitreeGo2RoughEnvCfg(VelocityEnvCfg):
    """Unitree Go2 on rough terrain: Isaac Lab's ``UnitreeGo2RoughEnvCfg`` (registered as ``RslSim/Go2-Rough-v0``).

    Policy observations: 48 proprioceptive values + the 187-point height scan = 235; critic: 249.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        _apply_go2_settings(self)
        # smaller terrain features for the small robot
        terrains = self.scene.terrain.terrain_generator["sub_terrains"]
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
        self.observations["student"] = ObservationGroupCfg(terms=_policy_terms(noisy=True), enable_corruption=True)
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
