"""Unitree G1 velocity tasks on CPU MuJoCo: Isaac Lab's G1 changes on top of the velocity task's config.

:class:`G1RoughEnvCfg` applies Isaac Lab's ``G1RoughEnvCfg`` (``isaaclab_tasks/core/velocity/config/g1``) to
:class:`~rsl_sim.tasks.locomotion.velocity.velocity_env_cfg.VelocityEnvCfg`: the G1 asset, the ``G1Rewards`` terms
(termination penalty, yaw-frame / world-frame tracking, biped air time, feet slide, ankle limits, joint deviations),
forward-only commands, the torso as the mass-randomized body, no CoM randomization and joints reset at their defaults.
One change from Isaac Lab: every body but the feet is an illegal contact (Isaac Lab: the torso), because this model's
pelvis, leg and arm capsules let a G1 sit, which Isaac Lab's minimal-collision G1 cannot (``README.md``).
:class:`G1FlatEnvCfg` applies Isaac Lab's ``G1FlatEnvCfg`` on that (flat ground, no height scan, no terrain
curriculum, lateral commands, flat reward weights).

The 29-DoF model (MuJoCo Menagerie) replaces Isaac Lab's 37-DoF ``G1_MINIMAL_CFG``; the joint groups of the reward
terms are mapped by function (``rsl_sim.tasks.assets.g1``, ``README.md`` in this folder): the torso term covers the
three waist joints, the arm term the shoulders, elbows and wrists, and the finger term is dropped (no fingers).
"""

from __future__ import annotations

from dataclasses import dataclass

from rsl_sim.tasks.assets.g1 import g1_asset_cfg
from rsl_sim.tasks.locomotion.velocity.velocity_env_cfg import VelocityEnvCfg
from rsl_sim.tasks.mujoco.managers.term_cfg import RewardTermCfg, SceneEntityCfg, TerrainCfg

G1_FEET = ".*_ankle_roll_link"
"""The G1 foot bodies as a regular expression."""

G1_FALL_BODIES: tuple[str, ...] = (
    "pelvis",
    ".*_hip_.*_link",
    ".*_knee_link",
    "waist_.*_link",
    "torso_link",
    ".*_shoulder_.*_link",
    ".*_elbow_link",
    ".*_wrist_.*_link",
)
"""Every G1 body but the feet (``*_ankle_*_link``): a contact on any of them above 1 N ends the episode."""

G1_LEG_JOINTS: tuple[str, ...] = (".*_hip_.*", ".*_knee_joint")
"""Hips and knees: the joints of the flat task's torque and acceleration penalties."""


def g1_rewards() -> dict[str, RewardTermCfg]:
    """The terms Isaac Lab's ``G1Rewards`` adds to (or replaces in) the velocity task's rewards."""
    return {
        "termination_penalty": RewardTermCfg(func="is_terminated", weight=-200.0),
        "track_lin_vel_xy_exp": RewardTermCfg(
            func="track_lin_vel_xy_yaw_frame_exp", weight=1.0, params={"command_name": "base_velocity", "std": 0.5}
        ),
        "track_ang_vel_z_exp": RewardTermCfg(
            func="track_ang_vel_z_world_exp", weight=2.0, params={"command_name": "base_velocity", "std": 0.5}
        ),
        "feet_air_time": RewardTermCfg(
            func="feet_air_time_positive_biped",
            weight=0.25,
            params={
                "command_name": "base_velocity",
                "sensor_cfg": SceneEntityCfg("contact_forces", body_names=G1_FEET),
                "threshold": 0.4,
            },
        ),
        "feet_slide": RewardTermCfg(
            func="feet_slide",
            weight=-0.1,
            params={
                "sensor_cfg": SceneEntityCfg("contact_forces", body_names=G1_FEET),
                "asset_cfg": SceneEntityCfg("robot", body_names=G1_FEET),
            },
        ),
        # ankle joint limits
        "dof_pos_limits": RewardTermCfg(
            func="joint_pos_limits",
            weight=-1.0,
            params={"asset_cfg": SceneEntityCfg("robot", joint_names=(".*_ankle_pitch_joint", ".*_ankle_roll_joint"))},
        ),
        # deviation from the default pose of the joints that are not essential for walking
        "joint_deviation_hip": RewardTermCfg(
            func="joint_deviation_l1",
            weight=-0.1,
            params={"asset_cfg": SceneEntityCfg("robot", joint_names=(".*_hip_yaw_joint", ".*_hip_roll_joint"))},
        ),
        "joint_deviation_arms": RewardTermCfg(
            func="joint_deviation_l1",
            weight=-0.1,
            params={
                "asset_cfg": SceneEntityCfg(
                    "robot", joint_names=(".*_shoulder_.*_joint", ".*_elbow_joint", ".*_wrist_.*_joint")
                )
            },
        ),
        "joint_deviation_torso": RewardTermCfg(
            func="joint_deviation_l1",
            weight=-0.1,
            params={"asset_cfg": SceneEntityCfg("robot", joint_names="waist_.*")},
        ),
    }


@dataclass
class G1RoughEnvCfg(VelocityEnvCfg):
    """Unitree G1 on rough terrain: Isaac Lab's ``G1RoughEnvCfg`` (registered as ``RslSim/G1-Rough-v0``).

    Policy observations: 12 base/command values + 3 x 29 joint values + the 187-point height scan = 286; critic: 294
    (the policy terms without noise, the two feet's contact forces, friction, added torso mass).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        # scene: the G1 with its implicit PD drives
        self.scene.robot = g1_asset_cfg()
        self.observations["critic"].terms["feet_contact_forces"].params["sensor_cfg"].body_names = G1_FEET
        # commands: forward only, turning
        command = self.commands["base_velocity"]
        command.vel_yaw_success_threshold = 0.8
        command.ranges.lin_vel_x = (0.0, 1.0)
        command.ranges.lin_vel_y = (-0.0, 0.0)
        command.ranges.ang_vel_z = (-1.0, 1.0)
        # rewards: Isaac Lab's G1Rewards, then the G1 weights of the shared terms
        self.rewards.update(g1_rewards())
        self.rewards["lin_vel_z_l2"].weight = 0.0
        self.rewards["undesired_contacts"] = None
        self.rewards["flat_orientation_l2"].weight = -1.0
        self.rewards["action_rate_l2"].weight = -0.005
        self.rewards["dof_acc_l2"].weight = -1.25e-7
        self.rewards["dof_acc_l2"].params["asset_cfg"] = SceneEntityCfg("robot", joint_names=G1_LEG_JOINTS)
        self.rewards["dof_torques_l2"].weight = -1.5e-7
        self.rewards["dof_torques_l2"].params["asset_cfg"] = SceneEntityCfg(
            "robot", joint_names=(*G1_LEG_JOINTS, ".*_ankle_.*")
        )
        # terminations: any body but the feet touching the ground (Isaac Lab: the torso; its minimal-collision G1
        # cannot rest on the pelvis, thighs, knees or hands, which this model's capsules let it sit on; README.md)
        self.terminations["base_contact"].params["sensor_cfg"].body_names = G1_FALL_BODIES
        # events: torso mass, no CoM randomization, joints reset at their defaults
        self.events["add_base_mass"].params["asset_cfg"].body_names = "torso_link"
        self.observations["critic"].terms["added_mass"].params["asset_cfg"] = SceneEntityCfg(
            "robot", body_names="torso_link"
        )
        self.events["base_com"] = None
        self.events["base_external_force_torque"].params["asset_cfg"].body_names = "torso_link"
        self.events["reset_robot_joints"].params["position_range"] = (1.0, 1.0)


@dataclass
class G1FlatEnvCfg(G1RoughEnvCfg):
    """Unitree G1 on flat ground: Isaac Lab's ``G1FlatEnvCfg`` (registered as ``RslSim/G1-Flat-v0``).

    Policy observations: 99; critic: 107. ``scene.num_envs`` defaults to 1024 (Isaac Lab: 4096), as for the Go2.
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
        # commands: lateral velocities too
        command = self.commands["base_velocity"]
        command.ranges.lin_vel_x = (0.0, 1.0)
        command.ranges.lin_vel_y = (-0.5, 0.5)
        command.ranges.ang_vel_z = (-1.0, 1.0)
        # flat-terrain reward weights
        self.rewards["track_ang_vel_z_exp"].weight = 1.0
        self.rewards["lin_vel_z_l2"].weight = -0.2
        self.rewards["action_rate_l2"].weight = -0.005
        self.rewards["dof_acc_l2"].weight = -1.0e-7
        self.rewards["feet_air_time"].weight = 0.75
        self.rewards["feet_air_time"].params["threshold"] = 0.4
        self.rewards["dof_torques_l2"].weight = -2.0e-6
        self.rewards["dof_torques_l2"].params["asset_cfg"] = SceneEntityCfg("robot", joint_names=G1_LEG_JOINTS)
