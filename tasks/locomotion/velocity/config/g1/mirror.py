"""Left-right mirror of the Unitree G1 velocity tasks, declared, for RSL-RL's symmetry extension.

The G1 is built symmetric about its sagittal plane (the x-z plane of the pelvis): each ``left_*`` joint and body has a
``right_*`` partner, and the waist joints lie on the plane. Under the left-right reflection:

- joints swap ``left_* <-> right_*`` (the permutation follows the env's joint names, so any joint order works);
- roll and yaw joints change sign (their axes lie along the base x and z, axial vectors under the reflection): hip
  roll/yaw, ankle roll, waist yaw/roll, shoulder roll/yaw, wrist roll/yaw; pitch joints (axis along y: hip, knee,
  ankle, waist, shoulder and wrist pitch, elbow) keep their sign;
- base and command terms, contact forces, the height scan: as for every robot of the velocity task
  (:mod:`rsl_sim.tasks.locomotion.velocity.mirror_builder`).

Model asymmetry: the model file is not exactly symmetric (one capsule under the left foot has an end 1 mm off the
mirror image of its right partner, the shoulders sit 10 um off mirror positions, a few right inertial frames differ from
their left partners' mirror images in the fourth digit, the bodies on the plane have centres of mass slightly off it).
With the many foot contacts, a simulated state and its mirror image driven by mirrored actions drift apart within a few
steps; with the model made exactly symmetric they stay mirror images bit for bit (``tests/test_g1_mirror.py``). The
augmentation mirrors the task, not the small manufacturing of the model file.

Usage::

    agent_cfg["algorithm"]["symmetry_cfg"] = {
        "use_data_augmentation": True,
        "data_augmentation_func": "rsl_sim.tasks.locomotion.velocity.config.g1.mirror:g1_mirror",
    }
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

from rsl_sim.extensions import MirrorFunction
from rsl_sim.tasks.locomotion.velocity.mirror_builder import build_velocity_mirror, cached_velocity_mirror

G1_SIDE_SWAPS: tuple[tuple[str, str], ...] = (("left", "right"),)
"""Name tokens of mirror partners (``left_knee_joint <-> right_knee_joint``, ``left_ankle_roll_link <-> ...``)."""

G1_NEGATED_JOINTS: tuple[str, ...] = (
    ".*_hip_roll_joint",
    ".*_hip_yaw_joint",
    ".*_ankle_roll_joint",
    "waist_yaw_joint",
    "waist_roll_joint",
    ".*_shoulder_roll_joint",
    ".*_shoulder_yaw_joint",
    ".*_wrist_roll_joint",
    ".*_wrist_yaw_joint",
)
"""Joints whose sign flips under the left-right reflection: every roll (axis x) and yaw (axis z) joint."""


def g1_mirror(
    env: Any = None, obs: TensorDict | None = None, actions: torch.Tensor | None = None
) -> tuple[TensorDict | None, torch.Tensor | None]:
    """Symmetry function of the G1 tasks: originals first, then their left-right mirror images.

    Follows RSL-RL's ``data_augmentation_func`` contract.

    Args:
        env: The environment: a :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv` or any wrapper of one.
        obs: Observations with batch size ``[B]`` (every group of the env, or a subset), or None.
        actions: Actions ``[B, 29]``, or None.

    Returns:
        ``(obs_aug [2 B], actions_aug [2 B, 29])``; None where the input was None.

    Raises:
        ValueError: If ``env`` holds no velocity env, or its observations use a term without a mirror rule.
    """
    return g1_mirror_function(env)(env, obs, actions)


def g1_mirror_function(env: Any) -> MirrorFunction:
    """The compiled left-right :class:`MirrorFunction` of a G1 env (built once per env, then cached).

    Raises:
        ValueError: As :func:`build_g1_mirror`.
    """
    return cached_velocity_mirror(env, side_swaps=G1_SIDE_SWAPS, negated_joints=G1_NEGATED_JOINTS, robot="G1")


def build_g1_mirror(env: Any) -> MirrorFunction:
    """Declare the G1 mirror of every observation group and of the actions from the env's observation layout.

    Raises:
        ValueError: As :func:`~rsl_sim.tasks.locomotion.velocity.mirror_builder.build_velocity_mirror`.
    """
    return build_velocity_mirror(env, side_swaps=G1_SIDE_SWAPS, negated_joints=G1_NEGATED_JOINTS, robot="G1")
