"""Build a robot's left-right mirror of the velocity task from the env's observation layout, term by term.

A robot folder declares only what is its own: the name tokens of mirror partners (``("left", "right")`` for a
humanoid, ``("FL", "FR"), ("RL", "RR")`` for a quadruped) and the joints whose sign flips (roll and yaw joints,
whose axes lie along the base x and z). Everything else follows from the velocity task's terms (Mittal et al., ICRA
2024): polar vectors (linear velocity, gravity, contact forces) negate y, axial vectors (angular velocity) negate x and
z, the velocity command ``(v_x, v_y, w_z)`` negates ``v_y`` and ``w_z``, joint terms and actions permute and negate,
the height-scan grid flips along y, a forward depth image along its columns, scalars stay.

:func:`build_velocity_mirror` compiles a :class:`~rsl_sim.extensions.MirrorFunction` for one env;
:func:`cached_velocity_mirror` keeps one per env object (the symmetry function is called every PPO update).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from rsl_sim.extensions import (
    AxialVector,
    GridTerm,
    ImageAxes,
    Invariant,
    JointTerm,
    MirrorFunction,
    MirrorLayout,
    MirrorTerm,
    PerFootTerm,
    PolarVector,
    VelocityCommand,
)

VECTOR_TERM_MIRRORS: dict[str, str] = {
    "base_lin_vel": "polar",
    "base_ang_vel": "axial",
    "projected_gravity": "polar",
    "generated_commands": "velocity_command",
    "joint_pos_rel": "joint",
    "joint_vel_rel": "joint",
    "last_action": "joint",
    "height_scan": "grid",
    "contact_forces": "per_foot_force",
    "friction_coefficient": "invariant",
    "added_base_mass": "invariant",
}
"""How each observation term (by the name of its function) changes under the left-right reflection."""

IMAGE_TERM_AXES: dict[str, ImageAxes] = {"depth_image": ImageAxes(("z", "y"))}
"""Base-frame meaning of the image rows and columns of each image term (a forward camera: rows up, columns left)."""

# Compiled mirror functions, per builder and env object
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def find_velocity_env(env: Any) -> Any:
    """The velocity env inside ``env`` (itself, ``env.unwrapped`` or ``env.env``, searched a few levels deep).

    Raises:
        ValueError: If no object with an ``observation_manager`` and a ``robot`` is found, and ``env`` is no Isaac Lab
            velocity env either.
    """
    candidate = env
    for _ in range(8):
        if hasattr(candidate, "observation_manager") and hasattr(candidate, "robot"):
            return candidate
        unwrapped = getattr(candidate, "unwrapped", None)
        if unwrapped is not None and unwrapped is not candidate:
            candidate = unwrapped
            continue
        inner = getattr(candidate, "env", None)
        if inner is None:
            break
        candidate = inner
    # An Isaac Lab velocity env (through rsl_sim's wrapper): a view with the same layout interface
    from rsl_sim.tasks.locomotion.velocity.mirror_view import isaaclab_velocity_view

    view = isaaclab_velocity_view(env)
    if view is not None:
        return view
    raise ValueError(
        f"The velocity mirror needs the velocity env (or a wrapper of it) to read the observation layout; got "
        f"{type(env).__name__}."
    )


def cached_velocity_mirror(
    env: Any, *, side_swaps: Sequence[tuple[str, str]], negated_joints: Sequence[str], robot: str
) -> MirrorFunction:
    """:func:`build_velocity_mirror` once per env object (and robot), then from a cache.

    Args:
        env: A velocity env or a wrapper of one.
        side_swaps: Name-token pairs of mirror partners.
        negated_joints: Regular expressions of the joints whose sign flips.
        robot: The robot's name, for error messages and the cache key.

    Raises:
        ValueError: As :func:`build_velocity_mirror`.
    """
    velocity_env = find_velocity_env(env)
    per_env = _CACHE.setdefault(velocity_env, {})
    if robot not in per_env:
        per_env[robot] = build_velocity_mirror(
            velocity_env, side_swaps=side_swaps, negated_joints=negated_joints, robot=robot
        )
    return per_env[robot]


def build_velocity_mirror(
    env: Any, *, side_swaps: Sequence[tuple[str, str]], negated_joints: Sequence[str], robot: str
) -> MirrorFunction:
    """Declare the left-right mirror of every observation group and of the actions from the env's layout.

    Args:
        env: A :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv` (or a wrapper of one).
        side_swaps: Name-token pairs of mirror partners (joints and feet).
        negated_joints: Regular expressions of the joints whose sign flips under the reflection.
        robot: The robot's name, for error messages.

    Returns:
        A :class:`MirrorFunction` with one ``"left_right"`` copy.

    Raises:
        ValueError: If a term has no mirror rule, the actions do not drive all joints, contact-force terms select
            different bodies, a joint or foot has no partner, or a scan grid or camera is not centred on the sagittal
            plane.
    """
    env = find_velocity_env(env)
    manager = env.observation_manager
    joint_names = list(env.robot.joint_names)
    if len(env.action_term.joint_ids) != len(joint_names):
        raise ValueError(
            f"The {robot} mirror needs actions on all joints (the joint terms and the actions share one joint order);"
            f" the action term drives {len(env.action_term.joint_ids)} of {len(joint_names)}."
        )

    # Per group: image axes, or the mirror terms in order
    obs_terms: dict[str, list[MirrorTerm]] = {}
    image_terms: dict[str, ImageAxes] = {}
    foot_names: list[str] | None = None
    for group in manager.group_names:
        terms = manager.group_terms(group)
        if len(manager.group_shapes[group]) == 3:
            image_terms[group] = _image_axes(env, group, terms)
            continue
        obs_terms[group] = []
        for name, func, params, size in terms:
            term, feet = _vector_term(env, group, name, func, params, size)
            if feet is not None:
                if foot_names is not None and feet != foot_names:
                    raise ValueError(
                        f"observations.{group}.{name}: contact-force terms select different bodies ({feet} vs "
                        f"{foot_names}); the mirror layout has one foot order."
                    )
                foot_names = feet
            obs_terms[group].append(term)

    layout = MirrorLayout(
        joint_names=joint_names,
        foot_names=foot_names or [],
        negated_joints={"left_right": list(negated_joints)},
        side_swaps={"left_right": list(side_swaps)},
    )
    return MirrorFunction(
        layout, obs_terms=obs_terms, image_terms=image_terms, action_terms=[JointTerm("actions")], copies=["left_right"]
    )


def _vector_term(
    env: Any, group: str, name: str, func: Any, params: dict[str, Any], size: int
) -> tuple[MirrorTerm, list[str] | None]:
    """The mirror term of one vector observation term, and the foot names for a contact-force term."""
    key = f"observations.{group}.{name}"
    kind = _mirror_rule(VECTOR_TERM_MIRRORS, "VECTOR_TERM_MIRRORS", key, func, "term function")
    if kind == "polar":
        return PolarVector(name), None
    if kind == "axial":
        return AxialVector(name), None
    if kind == "velocity_command":
        return VelocityCommand(name), None
    if kind == "joint":
        return JointTerm(name, size=size), None
    if kind == "invariant":
        return Invariant(name, size), None
    if kind == "grid":
        shape, axes = _scan_grid(env, key, params["sensor_cfg"].name)
        return GridTerm(name, shape=shape, axes=axes, size=size), None
    # contact forces: one 3D world-frame force per selected body
    sensor = env.contact_sensor
    ids = params["sensor_cfg"].body_ids
    feet = list(np.asarray(sensor.body_names)[ids]) if not isinstance(ids, slice) else list(sensor.body_names)
    return PerFootTerm(name, per_foot=PolarVector("force"), size=size), [str(f) for f in feet]


def _mirror_rule(table: dict[str, Any], table_name: str, key: str, func: Any, what: str) -> Any:
    """The entry of ``table`` (``VECTOR_TERM_MIRRORS`` or ``IMAGE_TERM_AXES``) for the term function ``func``.

    Raises:
        ValueError: If ``table`` has no entry for the function's name: names the term ``key``, the known functions
            and the table to add an entry to.
    """
    rule = table.get(getattr(func, "__name__", ""))
    if rule is None:
        raise ValueError(
            f"{key}: no mirror rule for the {what} {getattr(func, '__name__', func)!r}; known: {sorted(table)} "
            f"(add an entry to {__name__}.{table_name})."
        )
    return rule


def _scan_grid(env: Any, key: str, sensor_name: str) -> tuple[tuple[int, int], tuple[str, str]]:
    """Grid shape and axes of a height scanner, after checking that the grid is symmetric about the base's x axis."""
    sensor = env.sensors[sensor_name]
    pattern = sensor.pattern + np.asarray(sensor.cfg.offset[:2])
    x, y = np.unique(np.round(pattern[:, 0], 9)), np.unique(np.round(pattern[:, 1], 9))
    if not np.allclose(np.sort(y), np.sort(-y), atol=1e-9):
        raise ValueError(f"{key}: the scan grid is not symmetric about the base x axis (offset y or size), no mirror.")
    if sensor.cfg.ordering == "xy":
        return (len(y), len(x)), ("y", "x")
    return (len(x), len(y)), ("x", "y")


def _image_axes(env: Any, group: str, terms: list[tuple[str, Any, dict[str, Any], int]]) -> ImageAxes:
    """The image axes of an image group (all its terms must agree), after checking the camera is centred."""
    axes = None
    for name, func, params, _ in terms:
        key = f"observations.{group}.{name}"
        term_axes = _mirror_rule(IMAGE_TERM_AXES, "IMAGE_TERM_AXES", key, func, "image term")
        camera = env.sensors[params["sensor_cfg"].name]
        if abs(camera.cfg.offset[1]) > 1e-12:
            raise ValueError(f"{key}: the camera is off the sagittal plane (offset y = {camera.cfg.offset[1]}).")
        if axes is not None and term_axes != axes:
            raise ValueError(f"observations.{group}: image terms with different axes cannot share a group.")
        axes = term_axes
    return axes
