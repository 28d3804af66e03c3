"""The velocity-tracking task's config as data (:class:`VelocityEnvCfg`), shared by every robot.

:class:`VelocityEnvCfg` holds Isaac Lab 3.0's ``LocomotionVelocityRoughEnvCfg`` (``isaaclab_tasks/core/velocity``): the
same command, observation, reward, termination and event terms, in the same order, with the same ranges and weights.
The ``critic`` group is ours: the policy terms without noise plus privileged terms (feet contact forces, friction,
added base mass). The robots' configs (``config/<robot>/``) apply their changes on top, as Isaac Lab's do.

Each config is a dataclass whose ``__post_init__`` applies its changes, as Isaac Lab's configclasses do; build one,
edit fields, and pass it to ``VelocityEnv(cfg=...)``.
"""

# No `from __future__ import annotations`: the field types stay objects, so the robots' subclasses in other modules
# (config/<robot>/) resolve their inherited annotations (dataclasses, typing.get_type_hints, pdoc) without imports.
import copy
import math
from dataclasses import dataclass, field

from rsl_sim.tasks.assets.robot_cfg import RobotAssetCfg
from rsl_sim.tasks.locomotion.velocity.mdp.actions import JointPositionActionCfg
from rsl_sim.tasks.locomotion.velocity.mdp.commands import UniformVelocityCommandCfg, VelocityRangesCfg
from rsl_sim.tasks.mujoco.envs.manager_based_rl_env_cfg import ManagerBasedRLEnvCfg
from rsl_sim.tasks.mujoco.managers.term_cfg import (
    ContactSensorCfg,
    CurriculumTermCfg,
    DepthCameraCfg,
    EventTermCfg,
    HeightScannerCfg,
    ObservationGroupCfg,
    ObservationTermCfg,
    PhysicsCfg,
    RewardTermCfg,
    SceneEntityCfg,
    TerminationTermCfg,
    TerrainCfg,
    UniformNoiseCfg,
    ViewerCfg,
)
from rsl_sim.tasks.mujoco.terrain import ROUGH_TERRAINS_CFG


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


def proprioceptive_terms(noisy: bool) -> dict[str, ObservationTermCfg | None]:
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
    policy_terms = proprioceptive_terms(noisy=True)
    policy_terms["height_scan"] = _height_scan_term(noisy=True)
    critic_terms = proprioceptive_terms(noisy=False)
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
class VelocityEnvCfg(ManagerBasedRLEnvCfg):
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
        mdp_module: The package of the plain term names: this task's :mod:`rsl_sim.tasks.locomotion.velocity.mdp`.

    Defaults never overwrite what a caller passes (``VelocityEnvCfg(decimation=2).decimation == 2``); the physics
    step is ``PhysicsCfg``'s 0.005 s.
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
    mdp_module: str | None = "rsl_sim.tasks.locomotion.velocity.mdp"

    def __post_init__(self) -> None:
        # the terrain generator lays out difficulty levels when the terrain-level curriculum is on
        generator = self.scene.terrain.terrain_generator
        if generator is not None:
            generator["curriculum"] = self.curriculum.get("terrain_levels") is not None
