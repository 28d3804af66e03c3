"""Left-right mirror of the Unitree Go2 velocity tasks, declared term by term, for RSL-RL's symmetry extension.

The Go2 is symmetric about its sagittal plane (x-z plane of the base): the left legs mirror the right legs. Its front
and hind legs differ (thigh ranges, link geometry), so front-back is not a symmetry and is not offered.

Under the left-right reflection (Mittal et al., ICRA 2024):

- legs swap FL <-> FR and RL <-> RR (joint permutation derived from the env's joint names, so any joint order works);
- abduction (``*_hip_joint``) angles, velocities and actions change sign; thigh and calf pitch angles do not;
- polar vectors (linear velocity, gravity, contact forces) negate y; axial vectors (angular velocity) negate x and z;
  the velocity command ``(v_x, v_y, w_z)`` negates ``v_y`` and ``w_z``;
- the height-scan grid flips along its y axis, the depth image along its columns;
- friction and added mass are unchanged.

The contact forces of the critic are in the world frame: negating their y component mirrors them about the world's
x-z plane, which maps a state to its mirror image as a whole (all other terms are base-frame quantities, for which both
reflections agree), so the augmented samples are states of the same task.

Usage::

    agent_cfg["algorithm"]["symmetry_cfg"] = {
        "use_data_augmentation": True,
        "data_augmentation_func": "rsl_sim.tasks.locomotion.velocity.config.go2.mirror:go2_mirror",
    }

:func:`go2_mirror` reads the observation layout (groups, terms and their sizes, joint and foot names, scan grid) from
the env it is given, so the flat, rough and depth tasks all work, and caches the compiled mirror per env. The rules per
term are the velocity task's (:mod:`rsl_sim.tasks.locomotion.velocity.mirror_builder`); this module declares only what
is the Go2's own: its mirror partners and its sign-flipping joints.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

from rsl_sim.extensions import MirrorFunction
from rsl_sim.tasks.locomotion.velocity.mirror_builder import build_velocity_mirror, cached_velocity_mirror

GO2_SIDE_SWAPS: tuple[tuple[str, str], ...] = (("FL", "FR"), ("RL", "RR"))
"""Name tokens of mirror partners (joints ``FL_hip_joint <-> FR_hip_joint``, feet ``FL_foot <-> FR_foot``)."""

GO2_NEGATED_JOINTS: tuple[str, ...] = (".*_hip_joint",)
"""Joints whose sign flips under the left-right reflection: the abduction joints (axis along the base x)."""


def go2_mirror(
    env: Any = None, obs: TensorDict | None = None, actions: torch.Tensor | None = None
) -> tuple[TensorDict | None, torch.Tensor | None]:
    """Symmetry function of the Go2 tasks: originals first, then their left-right mirror images.

    Follows RSL-RL's ``data_augmentation_func`` contract.

    Args:
        env: The environment: a :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`, an Isaac Lab Go2
            velocity env, or any wrapper of one (the rsl_sim wrappers, gymnasium vector wrappers).
        obs: Observations with batch size ``[B]`` (every group of the env, or a subset), or None.
        actions: Actions ``[B, 12]``, or None.

    Returns:
        ``(obs_aug [2 B], actions_aug [2 B, 12])``; None where the input was None.

    Raises:
        ValueError: If ``env`` holds no velocity env, or its observations use a term without a mirror rule.
    """
    return go2_mirror_function(env)(env, obs, actions)


def go2_mirror_function(env: Any) -> MirrorFunction:
    """The compiled left-right :class:`MirrorFunction` of a Go2 env (built once per env, then cached).

    Args:
        env: A velocity env or a wrapper of one.

    Raises:
        ValueError: As :func:`build_go2_mirror`.
    """
    return cached_velocity_mirror(env, side_swaps=GO2_SIDE_SWAPS, negated_joints=GO2_NEGATED_JOINTS, robot="Go2")


def build_go2_mirror(env: Any) -> MirrorFunction:
    """Declare the mirror of every observation group and of the actions from the env's observation layout.

    Args:
        env: A :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv` (or a wrapper of one).

    Returns:
        A :class:`MirrorFunction` with one ``"left_right"`` copy.

    Raises:
        ValueError: As :func:`~rsl_sim.tasks.locomotion.velocity.mirror_builder.build_velocity_mirror`.
    """
    return build_velocity_mirror(env, side_swaps=GO2_SIDE_SWAPS, negated_joints=GO2_NEGATED_JOINTS, robot="Go2")
