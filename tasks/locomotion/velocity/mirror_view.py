"""The observation layout of an Isaac Lab Go2 env, presented as the CPU velocity env presents it to the Go2 mirror.

:func:`rsl_sim.tasks.locomotion.velocity.config.go2.mirror.go2_mirror` builds its mirror from what the CPU env
(:class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`) exposes: ``robot.joint_names``,
``action_term.joint_ids``, ``observation_manager`` (``group_names``, ``group_shapes``, ``group_terms(group)``),
``contact_sensor.body_names`` and ``sensors[name]`` (scan grid pattern and offset, camera offset).
:class:`IsaacLabMirrorView` reads the same facts from an Isaac Lab manager-based env once, so that the same mirror
function (no copy of its rules) serves the Isaac Lab Go2 tasks: ``build_go2_mirror(IsaacLabMirrorView(env))``.
:func:`isaaclab_velocity_view` finds the Isaac Lab env inside wrappers (rsl_sim's
:class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper`, gymnasium wrappers) and keeps one view per env.

The view holds plain data only (names, indices, numpy grids), never the env, and describes the observations as
rsl_sim's Isaac Lab wrapper delivers them: image groups channels-first ``(C, H, W)``. Importing this module does not
import Isaac Lab: the env is inspected through its attributes.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

JOINT_TERM_FUNCTIONS = ("joint_pos_rel", "joint_vel_rel")
"""Observation term functions whose entries follow the robot's joint order (the mirror permutes them with it)."""

# One view per Isaac Lab env (the views keep no reference to their env)
_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def isaaclab_velocity_view(env: Any) -> IsaacLabMirrorView | None:
    """The :class:`IsaacLabMirrorView` of the Isaac Lab manager-based env inside ``env``, or None if there is none.

    Args:
        env: An Isaac Lab ``ManagerBasedRLEnv``, or a wrapper of one (``env.unwrapped`` is searched).

    Returns:
        The view (built on the first call for an env, then reused), or None when ``env`` holds no manager-based
        Isaac Lab env (an object with ``observation_manager`` (Isaac Lab's, with ``group_obs_dim``),
        ``action_manager`` and ``scene``).

    Raises:
        ValueError: As :class:`IsaacLabMirrorView`, for an Isaac Lab env whose layout cannot be mirrored.
    """
    base = getattr(env, "unwrapped", env)
    if not all(hasattr(base, name) for name in ("observation_manager", "action_manager", "scene")):
        return None
    if not hasattr(base.observation_manager, "group_obs_dim"):
        return None  # not Isaac Lab's observation manager
    if base not in _VIEWS:
        _VIEWS[base] = IsaacLabMirrorView(base)
    return _VIEWS[base]


class _ObservationLayout:
    """Groups, shapes and terms of an Isaac Lab observation manager, in the CPU observation manager's interface."""

    def __init__(self, groups: dict[str, tuple[tuple[int, ...], list[tuple[str, Any, dict[str, Any], int]]]]) -> None:
        self.group_names = list(groups)
        self.group_shapes = {name: shape for name, (shape, _) in groups.items()}
        self._terms = {name: terms for name, (_, terms) in groups.items()}

    def group_terms(self, group_name: str) -> list[tuple[str, Any, dict[str, Any], int]]:
        """The terms of a group in order: ``(term name, function, resolved params, width)``.

        Raises:
            ValueError: If the group does not exist.
        """
        if group_name not in self._terms:
            raise ValueError(f"Unknown observation group {group_name!r}; groups: {self.group_names}.")
        return list(self._terms[group_name])


class IsaacLabMirrorView:
    """What the Go2 mirror reads from a velocity env, taken from an Isaac Lab manager-based env.

    Attributes (the CPU env's names):
        robot: ``joint_names``: the robot's public joint order (the order of the actions and joint terms).
        action_term: ``joint_ids``: the joints the action term drives, in action order.
        observation_manager: ``group_names``, ``group_shapes`` (``(dim,)``, or ``(C, H, W)`` for images) and
            ``group_terms(group)``; class terms are given as their class, whose name is the term's name.
        term_settings: Per group and term: ``noise`` (``(n_min, n_max)`` of additive uniform noise, None when the term
            or its group adds none), ``clip`` (``(min, max)`` or None) and ``scale`` (float or None).
        contact_sensor: ``body_names`` of the contact sensor read by contact-force terms (None without such terms).
        sensors: Per ray-cast sensor name: ``pattern`` (grid scanners: ray start points ``[R, 2]`` in the sensor frame)
            and ``cfg`` (``offset`` (x, y, z) [m]; ``ordering`` of grid scanners).

    Args:
        env: The Isaac Lab ``ManagerBasedRLEnv`` (not wrapped).

    Raises:
        ValueError: If the env has other than one action term, its action term does not drive every joint of the robot
            in the robot's joint order, a joint term selects other joints or another order, a group keeps its terms
            apart (``concatenate_terms=False``), or contact-force terms read different sensors.
    """

    def __init__(self, env: Any) -> None:
        scene, manager = env.scene, env.observation_manager

        # Actions: one joint term over the whole robot, in the robot's public joint order
        action_names = list(env.action_manager.active_terms)
        if len(action_names) != 1:
            raise ValueError(f"The Go2 mirror needs exactly one action term (joint targets), got {action_names}.")
        action_cfg = env.action_manager.get_term(action_names[0]).cfg
        robot = scene[action_cfg.asset_name]
        joint_names = list(robot.joint_names)
        action_ids, action_joints = robot.find_joints(
            action_cfg.joint_names, preserve_order=getattr(action_cfg, "preserve_order", False)
        )
        if list(action_joints) != joint_names:
            raise ValueError(
                f"actions.{action_names[0]} drives {list(action_joints)}; the Go2 mirror needs every joint in the"
                f" robot's joint order {joint_names} (set the articulation's joint_ordering instead of reordering"
                " the action term)."
            )
        self.robot = SimpleNamespace(joint_names=joint_names)
        action_ids = getattr(action_ids, "torch", action_ids)  # Isaac Lab 3.0 returns indices as a ProxyArray
        self.action_term = SimpleNamespace(joint_ids=[int(i) for i in action_ids])

        # Observation groups, as rsl_sim's Isaac Lab wrapper delivers them
        groups = {}
        self.term_settings: dict[str, dict[str, dict[str, Any]]] = {}
        contact_sensors: set[str] = set()
        for group, term_names in manager.active_terms.items():
            group_cfg = manager.cfg[group] if isinstance(manager.cfg, dict) else getattr(manager.cfg, group)
            corrupted = bool(getattr(group_cfg, "enable_corruption", False))
            self.term_settings[group] = {}
            if not manager.group_obs_concatenate[group]:
                raise ValueError(
                    f"observations.{group} keeps its terms apart (concatenate_terms=False); the Go2 mirror needs"
                    " concatenated groups."
                )
            shape = tuple(manager.group_obs_dim[group])
            image = len(shape) == 3
            terms = []
            for name, term_cfg, term_shape in zip(
                term_names, manager._group_obs_term_cfgs[group], manager.group_obs_term_dim[group]
            ):
                # Class terms are instances here: their class carries the term's name
                func = term_cfg.func if hasattr(term_cfg.func, "__name__") else type(term_cfg.func)
                width = int(term_shape[-1]) if image else math.prod(term_shape)
                _check_joint_term(group, name, func, term_cfg.params, joint_names)
                if func.__name__ == "contact_forces":
                    contact_sensors.add(term_cfg.params["sensor_cfg"].name)
                terms.append((name, func, term_cfg.params, width))
                self.term_settings[group][name] = _term_settings(term_cfg, corrupted)
            groups[group] = ((shape[2], shape[0], shape[1]) if image else shape, terms)
        self.observation_manager = _ObservationLayout(groups)

        # The contact sensor of the contact-force terms, and the ray-cast sensors' geometry
        if len(contact_sensors) > 1:
            raise ValueError(f"Contact-force terms read sensors {sorted(contact_sensors)}; the mirror reads one.")
        self.contact_sensor = None
        if contact_sensors:
            sensor = scene.sensors[contact_sensors.pop()]
            names = getattr(sensor, "sensor_names", None) or sensor.body_names
            self.contact_sensor = SimpleNamespace(body_names=list(names))
        self.sensors = {
            name: _ray_caster_geometry(sensor.cfg)
            for name, sensor in scene.sensors.items()
            if hasattr(sensor.cfg, "pattern_cfg")
        }


def _check_joint_term(group: str, name: str, func: Callable, params: dict[str, Any], joint_names: list[str]) -> None:
    """Raise a ValueError unless a joint observation term reads every joint in the robot's joint order."""
    if func.__name__ not in JOINT_TERM_FUNCTIONS or "asset_cfg" not in params:
        return
    ids = params["asset_cfg"].joint_ids
    selected = joint_names[ids] if isinstance(ids, slice) else [joint_names[i] for i in ids]
    if selected != joint_names:
        raise ValueError(
            f"observations.{group}.{name} reads the joints {selected}; the Go2 mirror needs every joint of"
            f" '{params['asset_cfg'].name}' in the robot's joint order {joint_names}."
        )


def _term_settings(term_cfg: Any, corrupted: bool) -> dict[str, Any]:
    """Noise bounds (additive uniform noise only, else the noise config's class name), clip and scale of a term."""
    noise = term_cfg.noise if corrupted else None
    if noise is not None:
        uniform = getattr(noise, "operation", "add") == "add" and hasattr(noise, "n_min") and hasattr(noise, "n_max")
        noise = (float(noise.n_min), float(noise.n_max)) if uniform else type(noise).__name__
    clip = None if term_cfg.clip is None else (float(term_cfg.clip[0]), float(term_cfg.clip[1]))
    scale = term_cfg.scale
    if scale is not None:
        scale = np.asarray(scale.cpu() if hasattr(scale, "cpu") else scale, dtype=np.float64)
        scale = float(scale) if scale.size == 1 else scale.tolist()
    return {"noise": noise, "clip": clip, "scale": scale}


def _ray_caster_geometry(cfg: Any) -> SimpleNamespace:
    """Offset, and for grid scanners the ray start pattern ``[R, 2]`` and its ordering, of a ray-caster config."""
    geometry = SimpleNamespace(cfg=SimpleNamespace(offset=tuple(float(v) for v in cfg.offset.pos)))
    pattern_cfg = cfg.pattern_cfg
    if hasattr(pattern_cfg, "resolution") and hasattr(pattern_cfg, "ordering"):
        starts, _ = pattern_cfg.func(pattern_cfg, "cpu")
        geometry.pattern = np.asarray(starts[:, :2].cpu(), dtype=np.float64)
        geometry.cfg.ordering = pattern_cfg.ordering
    return geometry
