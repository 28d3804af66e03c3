"""Observation groups of the Isaac Lab Go2 tasks: the CPU MuJoCo Go2 tasks' groups, term for term.

Groups (term names, order, noise, clip and scale as in
:mod:`rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg`):

- ``policy``: Isaac Lab's velocity-task policy terms with their noise (base velocities, projected gravity, velocity
  command, joint positions and velocities, last action; ``height_scan`` on rough terrain): ``[N, 48]`` flat,
  ``[N, 235]`` rough;
- ``critic`` (privileged): the same terms without noise, then ``feet_contact_forces`` (world-frame forces on the four
  feet FL, FR, RL, RR, scaled by 0.01), ``friction_coefficient`` and ``added_mass``: ``[N, 62]`` flat, ``[N, 249]``
  rough;
- ``student`` (depth task): the policy's proprioceptive terms with noise, without the height scan, ``[N, 48]``;
- ``depth`` (depth task): the normalized depth image ``[N, 32, 32, 1]`` as Isaac Lab computes it, ``[N, 1, 32, 32]``
  after rsl_sim's Isaac Lab wrapper.

Joint terms and actions follow the robot's public joint order, which the env configs set to the CPU tasks' order
(:data:`rsl_sim.tasks.assets.go2.GO2_JOINT_NAMES`).
"""

from __future__ import annotations

import isaaclab.envs.mdp as mdp
from isaaclab.managers import ObservationGroupCfg, ObservationTermCfg, SceneEntityCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import UniformNoiseCfg

from rsl_sim.tasks.assets.go2 import GO2_FOOT_BODY_NAMES
from rsl_sim.tasks.locomotion.velocity.mdp.isaaclab import observations as rsl_sim_mdp
from rsl_sim.tasks.mujoco.managers.term_cfg import DepthCameraCfg

DEPTH_CAMERA = DepthCameraCfg()
"""The CPU depth task's camera (size, field of view, mount, near / far); the Isaac Lab camera is built from it."""


def _noise(magnitude: float) -> UniformNoiseCfg:
    """Uniform noise in ``[-magnitude, magnitude]``."""
    return UniformNoiseCfg(n_min=-magnitude, n_max=magnitude)


def _feet() -> SceneEntityCfg:
    """The Go2's four feet on the contact sensor, in the CPU tasks' order (FL, FR, RL, RR)."""
    return SceneEntityCfg("contact_forces", body_names=list(GO2_FOOT_BODY_NAMES), preserve_order=True)


@configclass
class ProprioceptionCfg(ObservationGroupCfg):
    """The velocity task's proprioceptive terms, noise-free (the noisy groups below add Isaac Lab's noise)."""

    base_lin_vel = ObservationTermCfg(func=mdp.base_lin_vel)
    base_ang_vel = ObservationTermCfg(func=mdp.base_ang_vel)
    projected_gravity = ObservationTermCfg(func=mdp.projected_gravity)
    velocity_commands = ObservationTermCfg(func=mdp.generated_commands, params={"command_name": "base_velocity"})
    joint_pos = ObservationTermCfg(func=mdp.joint_pos_rel)
    joint_vel = ObservationTermCfg(func=mdp.joint_vel_rel)
    actions = ObservationTermCfg(func=mdp.last_action)


@configclass
class StudentCfg(ProprioceptionCfg):
    """``student``: proprioception with Isaac Lab's noise (the policy terms without the height scan)."""

    def __post_init__(self) -> None:
        self.base_lin_vel.noise = _noise(0.1)
        self.base_ang_vel.noise = _noise(0.2)
        self.projected_gravity.noise = _noise(0.05)
        self.joint_pos.noise = _noise(0.01)
        self.joint_vel.noise = _noise(1.5)
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class PolicyCfg(StudentCfg):
    """``policy``: the student's terms and the noisy height scan (removed on flat ground)."""

    height_scan = ObservationTermCfg(
        func=mdp.height_scan,
        params={"sensor_cfg": SceneEntityCfg("height_scanner")},
        noise=UniformNoiseCfg(n_min=-0.1, n_max=0.1),
        clip=(-1.0, 1.0),
    )


@configclass
class CriticCfg(ProprioceptionCfg):
    """``critic``: noise-free proprioception, height scan, feet contact forces, friction and added base mass."""

    height_scan = ObservationTermCfg(
        func=mdp.height_scan, params={"sensor_cfg": SceneEntityCfg("height_scanner")}, clip=(-1.0, 1.0)
    )
    feet_contact_forces = ObservationTermCfg(
        func=rsl_sim_mdp.contact_forces, params={"sensor_cfg": _feet()}, scale=0.01
    )
    friction_coefficient = ObservationTermCfg(
        func=rsl_sim_mdp.friction_coefficient,
        params={"asset_cfg": SceneEntityCfg("robot", body_names=list(GO2_FOOT_BODY_NAMES), preserve_order=True)},
    )
    added_mass = ObservationTermCfg(
        func=rsl_sim_mdp.added_base_mass, params={"asset_cfg": SceneEntityCfg("robot", body_names="base")}
    )

    def __post_init__(self) -> None:
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class DepthCfg(ObservationGroupCfg):
    """``depth``: the depth camera's normalized image, channels-last ``[N, H, W, 1]``."""

    depth_image = ObservationTermCfg(
        func=rsl_sim_mdp.depth_image,
        params={"sensor_cfg": SceneEntityCfg("depth_camera"), "near": DEPTH_CAMERA.near, "far": DEPTH_CAMERA.far},
    )

    def __post_init__(self) -> None:
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class ObservationsCfg:
    """Observation groups of the flat and rough tasks: ``policy`` and ``critic``."""

    policy: PolicyCfg = PolicyCfg()
    critic: CriticCfg = CriticCfg()


@configclass
class DepthObservationsCfg(ObservationsCfg):
    """Observation groups of the depth task: the teacher's ``policy`` and ``critic``, the ``student`` and ``depth``."""

    student: StudentCfg = StudentCfg()
    depth: DepthCfg = DepthCfg()
