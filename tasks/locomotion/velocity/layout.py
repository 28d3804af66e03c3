"""The input/output layout of a velocity env as plain data, the same for CPU MuJoCo and Isaac Lab envs.

A policy moves between the two backends when both give the same observation groups (term names, order, widths,
noise, clip, scale), the same joint order for actions and joint terms, the same feet, scan grid and camera, and the
same left-right mirror. :func:`describe_layout` reads all of that from either kind of env, through the interface the
velocity mirror reads (the CPU :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`, or
:class:`~rsl_sim.tasks.locomotion.velocity.mirror_view.IsaacLabMirrorView` for Isaac Lab), into a JSON-ready dict; two
envs are interchangeable for a policy when their descriptions are equal (grids up to float tolerance).

Command line (CPU tasks; Isaac Lab envs are described in-process, inside a running simulation)::

    python -m rsl_sim.tasks.locomotion.velocity.layout RslSim/Go2-Flat-v0 RslSim/Go2-Rough-v0

Importing this module imports neither MuJoCo nor Isaac Lab.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from tensordict import TensorDict

from rsl_sim.tasks.locomotion.velocity.mirror_builder import find_velocity_env
from rsl_sim.tasks.locomotion.velocity.mirror_view import isaaclab_velocity_view
from rsl_sim.utils.callables import function_with_parameters, resolve_callable, resolve_object

MIRROR_ENTRY_POINT = "rsl_sim_mirror_entry_point"
"""Registration kwarg naming the task's symmetry function (``"package.module:function"``)."""

SYMMETRY_CFG_ENTRY_POINT = "rsl_sim_with_symmetry_cfg_entry_point"
"""Registration kwarg whose agent config names the task's mirror (``algorithm.symmetry_cfg.data_augmentation_func``);
used when the task registers no :data:`MIRROR_ENTRY_POINT`."""

__all__ = ["describe_layout", "main", "registered_mirror"]


def describe_layout(env: Any, mirror: bool = True, mirror_function: Callable | None = None) -> dict[str, Any]:
    """Describe the observation and action layout of a velocity env.

    Args:
        env: A CPU velocity env or an Isaac Lab manager-based env, or a wrapper of either (rsl_sim's wrappers,
            gymnasium wrappers).
        mirror: Also describe the task's left-right mirror.
        mirror_function: The symmetry function (RSL-RL's ``data_augmentation_func`` contract); None: the one the
            task's registration names (:func:`registered_mirror`).

    Returns:
        A dict of lists, numbers and strings:

        - ``"joint_names"``: the joint order of the joint terms; ``"action_joint_names"``: the joints of the action
          entries, in order;
        - ``"groups"``: per observation group, ``"shape"`` (without the env axis; images ``[C, H, W]``) and
          ``"terms"``: per term in order ``"name"``, ``"function"`` (term function name), ``"width"`` (channels for
          images), ``"noise"`` (``[n_min, n_max]`` of the additive uniform noise the group applies, or None), ``"clip"``
          and ``"scale"``;
        - ``"foot_names"``: per contact-force term (``"group/term"``), the selected bodies in order;
        - ``"scan_grids"``: per height-scan term, the ray grid ``[[x, y], ...]`` [m] (base yaw frame), in ray order;
        - ``"camera_offsets"``: per depth-image term, the camera position in the base frame [m];
        - ``"mirror"`` (when asked): ``"observations"`` per group and ``"actions"``: for each output entry of the
          mirrored copy, ``s * (j + 1)``: it is ``s`` times input entry ``j`` (images flattened ``C, H, W``).

    Raises:
        ValueError: If ``env`` holds neither kind of env, or (with ``mirror``) the task has no mirror or the mirror
            refuses its layout.
    """
    source = isaaclab_velocity_view(env) or find_velocity_env(env)
    joint_names = [str(name) for name in source.robot.joint_names]
    manager = source.observation_manager
    description: dict[str, Any] = {
        "joint_names": joint_names,
        "action_joint_names": [joint_names[int(i)] for i in source.action_term.joint_ids],
        "groups": {},
        "foot_names": {},
        "scan_grids": {},
        "camera_offsets": {},
    }

    # Groups and their terms in order
    for group in manager.group_names:
        terms = []
        for name, func, params, width in manager.group_terms(group):
            function = getattr(func, "__name__", str(func))
            terms.append({"name": name, "function": function, "width": int(width), **_settings(source, group, name)})
            key = f"{group}/{name}"
            if function == "contact_forces":
                description["foot_names"][key] = _selected(source.contact_sensor.body_names, params["sensor_cfg"])
            elif function == "height_scan":
                sensor = source.sensors[params["sensor_cfg"].name]
                grid = np.asarray(sensor.pattern, dtype=np.float64) + np.asarray(sensor.cfg.offset[:2])
                description["scan_grids"][key] = grid.tolist()
            elif function == "depth_image":
                offset = source.sensors[params["sensor_cfg"].name].cfg.offset
                description["camera_offsets"][key] = [float(v) for v in offset]
        shape = [int(v) for v in manager.group_shapes[group]]
        description["groups"][group] = {"shape": shape, "terms": terms}

    # The mirror as signed source indices: mirror one sample whose entries are 1, 2, 3, ...
    if mirror:
        description["mirror"] = _describe_mirror(source, description, mirror_function or registered_mirror(env))
    return description


def _settings(source: Any, group: str, name: str) -> dict[str, Any]:
    """Noise (only where the group applies it), clip and scale of a term, from the view or the CPU env's config."""
    settings = getattr(source, "term_settings", None)
    if settings is not None:
        found = settings[group][name]
        noise, clip, scale = found["noise"], found["clip"], found["scale"]
    else:
        group_cfg = source.cfg.observations[group]
        term = group_cfg.terms[name]
        noise = None
        if group_cfg.enable_corruption and term.noise is not None:
            noise = (float(term.noise.n_min), float(term.noise.n_max))
        clip = None if term.clip is None else (float(term.clip[0]), float(term.clip[1]))
        scale = None if term.scale is None else float(term.scale)
    return {
        "noise": list(noise) if isinstance(noise, tuple) else noise,
        "clip": None if clip is None else list(clip),
        "scale": scale,
    }


def _selected(body_names: Any, selection: Any) -> list[str]:
    """The body names picked by a resolved entity selection (``body_ids``: a slice or indices)."""
    names = [str(name) for name in body_names]
    ids = selection.body_ids
    if isinstance(ids, slice):
        return names[ids]
    return [names[int(i)] for i in np.asarray(ids).reshape(-1)]


def registered_mirror(env: Any) -> Callable:
    """The symmetry function of the task ``env`` was made for, as its gymnasium registration names it.

    The task's ``rsl_sim_mirror_entry_point`` names it (the Go2 tasks:
    :func:`~rsl_sim.tasks.locomotion.velocity.config.go2.mirror.go2_mirror`), else its
    ``rsl_sim_with_symmetry_cfg_entry_point`` agent config in ``algorithm.symmetry_cfg.data_augmentation_func``.

    Args:
        env: An env made by ``gymnasium.make`` / ``make_vec`` (its ``spec``), or a wrapper of one.

    Raises:
        ValueError: If the env has no registration, the task names no symmetry config, or the name is not a symmetry
            function.
    """
    spec, candidate = None, env
    for _ in range(8):
        spec = getattr(candidate, "spec", None) or getattr(getattr(candidate, "unwrapped", None), "spec", None)
        if spec is not None or getattr(candidate, "env", None) is None:
            break
        candidate = candidate.env
    if spec is None:
        raise ValueError(f"{type(env).__name__} has no gymnasium spec: pass mirror_function= to describe its mirror.")
    name = spec.kwargs.get(MIRROR_ENTRY_POINT)
    if name is None:
        entry = spec.kwargs.get(SYMMETRY_CFG_ENTRY_POINT)
        if entry is None:
            raise ValueError(
                f"task {spec.id!r} registers neither {MIRROR_ENTRY_POINT} nor {SYMMETRY_CFG_ENTRY_POINT}: no mirror."
            )
        agent_cfg = resolve_object(entry)
        agent_cfg = agent_cfg() if callable(agent_cfg) else agent_cfg
        name = agent_cfg["algorithm"]["symmetry_cfg"]["data_augmentation_func"]
    return resolve_callable(name, function_with_parameters(("env", "obs", "actions"), "a symmetry function"))


def _describe_mirror(source: Any, description: dict[str, Any], mirror_function: Callable) -> dict[str, Any]:
    """Signed 1-based source indices of the mirrored copy, per observation group and for the actions."""
    groups = description["groups"]
    obs = TensorDict(
        {
            group: torch.arange(1, int(np.prod(layout["shape"])) + 1, dtype=torch.float32).reshape(1, *layout["shape"])
            for group, layout in groups.items()
        },
        batch_size=[1],
    )
    actions = torch.arange(1, len(description["action_joint_names"]) + 1, dtype=torch.float32).reshape(1, -1)
    obs_aug, actions_aug = mirror_function(source, obs, actions)
    return {
        "observations": {group: _as_indices(obs_aug[group][1]) for group in groups},
        "actions": _as_indices(actions_aug[1]),
    }


def _as_indices(values: torch.Tensor) -> list[int]:
    """Flattened mirrored values (exact signed integers) as a list of ints."""
    return [int(v) for v in torch.round(values.reshape(-1)).tolist()]


def main(argv: list[str] | None = None) -> None:
    """Print the layouts of CPU tasks as one JSON object ``{task id: description}`` (built with 2 envs each)."""
    parser = argparse.ArgumentParser(description="Print the observation and action layout of CPU tasks as JSON.")
    parser.add_argument("tasks", nargs="+", help="gymnasium ids of CPU tasks, e.g. RslSim/Go2-Flat-v0")
    parser.add_argument("--no-mirror", action="store_true", help="leave out the mirror description")
    args = parser.parse_args(argv)

    import gymnasium

    import rsl_sim.tasks  # noqa: F401  (registers the CPU tasks)

    layouts = {}
    for task in args.tasks:
        env = gymnasium.make_vec(task, num_envs=2)
        try:
            layouts[task] = describe_layout(env, mirror=not args.no_mirror)
        finally:
            env.close()
    json.dump(layouts, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
