"""Robot asset configurations as data: where the model lives, how it starts and how its joints are driven.

The fields follow Isaac Lab's ``ArticulationCfg`` / ``DCMotorCfg`` / ``ImplicitActuatorCfg`` (names, units, meaning)
so that a robot set up for Isaac Lab reads the same here. Joint-valued fields are dicts from regular expressions (full
match) over joint names to values, resolved with :func:`resolve_joint_values`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class DCMotorCfg:
    """A group of joints driven by PD-controlled DC motors (Isaac Lab's ``DCMotorCfg`` semantics).

    The commanded torque ``stiffness * (q_target - q) - damping * qd`` is clipped to the four-quadrant torque-speed
    curve ``saturation_effort * (+-1 - qd / velocity_limit)`` and then to ``+-effort_limit``. Units: N m, rad, rad/s.

    Attributes:
        joint_names_expr: Regular expressions selecting the joints of this group.
        stiffness: Proportional gain [N m / rad], a number or a joint-regex dict.
        damping: Derivative gain [N m s / rad], a number or a joint-regex dict.
        effort_limit: Continuous torque limit [N m] (Isaac Lab's ``actuator_effort_limit``).
        saturation_effort: Stall torque [N m] of the torque-speed curve.
        velocity_limit: No-load speed [rad/s] of the torque-speed curve (Isaac Lab's ``actuator_velocity_limit``).
        friction: Joint Coulomb friction [N m] (MuJoCo ``frictionloss``).
        armature: Reflected rotor inertia [kg m^2]; None keeps the model file's value.
    """

    joint_names_expr: tuple[str, ...] = (".*",)
    stiffness: float | dict[str, float] = 0.0
    damping: float | dict[str, float] = 0.0
    effort_limit: float | dict[str, float] = 0.0
    saturation_effort: float | dict[str, float] = 0.0
    velocity_limit: float | dict[str, float] = 0.0
    friction: float | dict[str, float] = 0.0
    armature: float | dict[str, float] | None = None


@dataclass
class ImplicitActuatorCfg:
    """A group of joints driven by a PD controller inside the physics solver (Isaac Lab's ``ImplicitActuatorCfg``).

    The torque ``stiffness * (q_target - q) - damping * qd``, clipped to ``+-effort_limit``, is computed by the
    physics engine at every physics step with the damping term integrated implicitly (MuJoCo's ``position``
    actuator with ``kv`` under the ``implicitfast`` integrator), which keeps stiff drives on light links stable at the
    task's time step. Units: N m, rad, rad/s.

    Attributes:
        joint_names_expr: Regular expressions selecting the joints of this group.
        stiffness: Proportional gain [N m / rad], a number or a joint-regex dict.
        damping: Derivative gain [N m s / rad], a number or a joint-regex dict.
        effort_limit: Torque limit [N m] (Isaac Lab's ``joint_effort_limit``).
        velocity_limit: Joint speed limit [rad/s] used to clip reset velocities (Isaac Lab's ``joint_velocity_limit``;
            infinite by default: the drive itself has no torque-speed curve).
        friction: Joint Coulomb friction [N m] (MuJoCo ``frictionloss``).
        armature: Reflected rotor inertia [kg m^2]; None keeps the model file's value.
    """

    joint_names_expr: tuple[str, ...] = (".*",)
    stiffness: float | dict[str, float] = 0.0
    damping: float | dict[str, float] = 0.0
    effort_limit: float | dict[str, float] = 0.0
    velocity_limit: float | dict[str, float] = float("inf")
    friction: float | dict[str, float] = 0.0
    armature: float | dict[str, float] | None = None


@dataclass
class RobotAssetCfg:
    """A floating-base robot read from an MJCF file.

    Attributes:
        mjcf_path: Path of the MJCF file (required to build a scene).
        joint_names: The robot's actuated joints in the order used by observations and actions (the public order).
        base_body_name: Name of the floating base body.
        foot_body_names: Names of the foot bodies.
        init_pos: Default root position [m] relative to the env origin.
        init_rot: Default root orientation, quaternion (w, x, y, z).
        init_joint_pos: Default joint positions [rad], joint-regex dict (every joint must match one key).
        init_joint_vel: Default joint velocities [rad/s], joint-regex dict.
        soft_joint_pos_limit_factor: Fraction of the joint range, around its middle, used as soft limits.
        actuators: Actuator groups by name; together they must cover every joint exactly once.
        joint_damping: Passive joint damping [N m s / rad] written into the model (Isaac Lab zeroes the physics
            engine's drive damping for explicit actuators, so 0 by default).
    """

    mjcf_path: str | None = None
    joint_names: tuple[str, ...] = ()
    base_body_name: str = "base"
    foot_body_names: tuple[str, ...] = ()
    init_pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    init_rot: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    init_joint_pos: dict[str, float] = field(default_factory=lambda: {".*": 0.0})
    init_joint_vel: dict[str, float] = field(default_factory=lambda: {".*": 0.0})
    soft_joint_pos_limit_factor: float = 1.0
    actuators: dict[str, DCMotorCfg | ImplicitActuatorCfg] = field(default_factory=dict)
    joint_damping: float = 0.0


def resolve_joint_values(
    values: float | Mapping[str, float], joint_names: Sequence[str], *, key: str, required: bool = True
) -> np.ndarray:
    """Resolve a number or a regex -> value dict into one value per joint.

    Args:
        values: A number for every joint, or a dict mapping regular expressions (full match) to values.
        joint_names: The joints, ``[num_joints]``.
        key: Name of the config field, used in error messages.
        required: Whether every joint must be matched.

    Returns:
        Values ``[num_joints]`` (float64); NaN for unmatched joints when ``required`` is False.

    Raises:
        ValueError: If a joint matches two keys, a key matches no joint, or (when required) a joint matches none.
    """
    # A single number applies to every joint
    if not isinstance(values, Mapping):
        return np.full(len(joint_names), float(values))

    # Each joint takes the value of the one key that matches it
    out = np.full(len(joint_names), np.nan)
    owner: list[str | None] = [None] * len(joint_names)
    for pattern, value in values.items():
        matched = [i for i, name in enumerate(joint_names) if re.fullmatch(pattern, name)]
        if not matched:
            raise ValueError(f"{key}: the pattern {pattern!r} matches no joint; joints are {list(joint_names)}.")
        for i in matched:
            if owner[i] is not None:
                raise ValueError(
                    f"{key}: joint {joint_names[i]!r} matches both {owner[i]!r} and {pattern!r}; use disjoint patterns."
                )
            owner[i] = pattern
            out[i] = float(value)
    if required and np.isnan(out).any():
        missing = [joint_names[i] for i in np.flatnonzero(np.isnan(out))]
        raise ValueError(f"{key}: no value for joints {missing}; add a pattern that matches them.")
    return out


def resolve_names(patterns: str | Sequence[str], names: Sequence[str], *, key: str) -> list[int]:
    """Indices of the names matched (full match) by one or more regular expressions, in the order of ``names``.

    Args:
        patterns: A regular expression or a sequence of them.
        names: The candidate names.
        key: Name of the config field, used in error messages.

    Returns:
        Sorted indices into ``names``.

    Raises:
        ValueError: If a pattern matches nothing.
    """
    if isinstance(patterns, str):
        patterns = (patterns,)
    selected: set[int] = set()
    for pattern in patterns:
        matched = {i for i, name in enumerate(names) if re.fullmatch(pattern, name)}
        if not matched:
            raise ValueError(f"{key}: the pattern {pattern!r} matches none of {list(names)}.")
        selected |= matched
    return sorted(selected)
