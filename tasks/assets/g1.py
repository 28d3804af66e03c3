"""Unitree G1 humanoid: the model files (in this repository) and Isaac Lab's G1 articulation settings as data.

Model: MuJoCo Menagerie's ``unitree_g1`` (29 DoF, revision 1.0; BSD-3-Clause, Unitree Robotics) as modified and
shipped by the PyPI wheel ``mjlab`` 1.6.0 (capsule collision shapes, seven capsules under each foot). The files are
copied into ``tasks/assets/unitree_g1/`` with their licenses (:data:`G1_LICENSE_PATH`) and provenance
(``unitree_g1/README.md``); nothing is downloaded at run time and mjlab is not a dependency.

Settings: Isaac Lab's velocity task drives ``G1_MINIMAL_CFG`` (``isaaclab_assets.robots.unitree``), a 37-DoF G1
(single torso joint, two elbow joints, seven finger joints per hand) with implicit PD actuators. Its values are mapped
onto the 29 joints of this model by joint function:

===============================  ============================================  ======================================
Isaac Lab (37 DoF)               this model (29 DoF)                            values
===============================  ============================================  ======================================
``.*_hip_{yaw,roll,pitch}``,     same names                                     kp 150 / 150 / 200 / 200, kd 5,
``.*_knee_joint``                                                               armature 0.01, effort 300 N m
``torso_joint``                  ``waist_yaw_joint`` (+ ``waist_roll_joint``,   kp 200, kd 5, armature 0.01,
                                 ``waist_pitch_joint``, absent there)           effort 300 N m
``.*_ankle_{pitch,roll}``        same names                                     kp 20, kd 2, armature 0.01, effort 20
``.*_shoulder_{pitch,roll,yaw}`` same names; ``.*_elbow_joint``;                kp 40, kd 10, armature 0.01,
``.*_elbow_{pitch,roll}``        ``.*_wrist_roll_joint`` (forearm roll),        effort 300 N m
                                 ``.*_wrist_{pitch,yaw}_joint`` (absent there)
finger joints                    absent (the rubber hands are rigid)            -
===============================  ============================================  ======================================

Initial pose: Isaac Lab's joint positions (hips -0.2, knees 0.42, ankles -0.23, elbows 0.87, shoulders pitch 0.35 and
roll +-0.16); the base starts at 0.78 m instead of Isaac Lab's 0.74 m, the height at which this model's feet touch
the ground in that pose (at 0.74 m they would start 3.8 cm inside it).
"""

from __future__ import annotations

from pathlib import Path

from rsl_sim.tasks.assets.robot_cfg import ImplicitActuatorCfg, RobotAssetCfg

G1_ASSET_DIR = Path(__file__).resolve().parent / "unitree_g1"
"""Folder of the G1 model files: ``g1.xml``, ``assets/*.STL``, ``LICENSE``, ``LICENSE.mjlab``, ``README.md``."""

G1_MJCF_PATH = G1_ASSET_DIR / "g1.xml"
"""The G1 MJCF (meshes resolved relative to it)."""

G1_LICENSE_PATH = G1_ASSET_DIR / "LICENSE"
"""License (BSD-3-Clause, Unitree Robotics) and provenance of the G1 model files."""

G1_JOINT_NAMES: tuple[str, ...] = (
    "left_hip_pitch_joint",
    "right_hip_pitch_joint",
    "waist_yaw_joint",
    "left_hip_roll_joint",
    "right_hip_roll_joint",
    "waist_roll_joint",
    "left_hip_yaw_joint",
    "right_hip_yaw_joint",
    "waist_pitch_joint",
    "left_knee_joint",
    "right_knee_joint",
    "left_shoulder_pitch_joint",
    "right_shoulder_pitch_joint",
    "left_ankle_pitch_joint",
    "right_ankle_pitch_joint",
    "left_shoulder_roll_joint",
    "right_shoulder_roll_joint",
    "left_ankle_roll_joint",
    "right_ankle_roll_joint",
    "left_shoulder_yaw_joint",
    "right_shoulder_yaw_joint",
    "left_elbow_joint",
    "right_elbow_joint",
    "left_wrist_roll_joint",
    "right_wrist_roll_joint",
    "left_wrist_pitch_joint",
    "right_wrist_pitch_joint",
    "left_wrist_yaw_joint",
    "right_wrist_yaw_joint",
)
"""The 29 G1 joints in Isaac Lab's PhysX order: breadth-first over the kinematic tree, children in file order (left
leg, right leg, waist). This is the order of the ``joint_pos``/``joint_vel``/``actions`` entries (the order Isaac Lab
gives this model's joints); MuJoCo's depth-first order differs and is mapped by name."""

G1_FOOT_BODY_NAMES: tuple[str, ...] = ("left_ankle_roll_link", "right_ankle_roll_link")
"""The G1 foot bodies (seven 1 cm capsules each)."""


def g1_mjcf_path() -> Path:
    """The G1 MJCF file shipped with this package.

    Returns:
        Absolute path of ``g1.xml``.

    Raises:
        FileNotFoundError: If the file is missing (an install without the package data).
    """
    if not G1_MJCF_PATH.is_file():
        raise FileNotFoundError(
            f"The Unitree G1 model file {G1_MJCF_PATH} is missing: the package was installed without its data "
            "files; reinstall rsl_sim (`pip install --force-reinstall rsl-sim`) or check out the repository."
        )
    return G1_MJCF_PATH


def g1_asset_cfg() -> RobotAssetCfg:
    """Isaac Lab's ``G1_MINIMAL_CFG`` mapped onto the 29-DoF G1 (see the module docstring) as a :class:`RobotAssetCfg`.

    Returns:
        A fresh config (safe to modify).

    Raises:
        FileNotFoundError: If the model file is missing.
    """
    return RobotAssetCfg(
        mjcf_path=str(g1_mjcf_path()),
        joint_names=G1_JOINT_NAMES,
        base_body_name="pelvis",
        foot_body_names=G1_FOOT_BODY_NAMES,
        init_pos=(0.0, 0.0, 0.78),
        init_rot=(1.0, 0.0, 0.0, 0.0),
        init_joint_pos={
            ".*_hip_pitch_joint": -0.20,
            ".*_knee_joint": 0.42,
            ".*_ankle_pitch_joint": -0.23,
            ".*_elbow_joint": 0.87,
            "left_shoulder_roll_joint": 0.16,
            "left_shoulder_pitch_joint": 0.35,
            "right_shoulder_roll_joint": -0.16,
            "right_shoulder_pitch_joint": 0.35,
            "(waist|.*_hip_roll|.*_hip_yaw|.*_ankle_roll|.*_shoulder_yaw|.*_wrist)_.*": 0.0,
        },
        init_joint_vel={".*": 0.0},
        soft_joint_pos_limit_factor=0.9,
        actuators={
            "legs": ImplicitActuatorCfg(
                joint_names_expr=(".*_hip_yaw_joint", ".*_hip_roll_joint", ".*_hip_pitch_joint", ".*_knee_joint"),
                stiffness={
                    ".*_hip_yaw_joint": 150.0,
                    ".*_hip_roll_joint": 150.0,
                    ".*_hip_pitch_joint": 200.0,
                    ".*_knee_joint": 200.0,
                },
                damping=5.0,
                effort_limit=300.0,
                armature=0.01,
            ),
            "waist": ImplicitActuatorCfg(
                joint_names_expr=("waist_.*_joint",),
                stiffness=200.0,
                damping=5.0,
                effort_limit=300.0,
                armature=0.01,
            ),
            "feet": ImplicitActuatorCfg(
                joint_names_expr=(".*_ankle_pitch_joint", ".*_ankle_roll_joint"),
                stiffness=20.0,
                damping=2.0,
                effort_limit=20.0,
                armature=0.01,
            ),
            "arms": ImplicitActuatorCfg(
                joint_names_expr=(".*_shoulder_.*_joint", ".*_elbow_joint", ".*_wrist_.*_joint"),
                stiffness=40.0,
                damping=10.0,
                effort_limit=300.0,
                armature=0.01,
            ),
        },
        joint_damping=0.0,
    )
