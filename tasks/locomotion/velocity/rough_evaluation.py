"""Evaluation of a velocity-tracking policy on rough terrain, per terrain type and level (Go2 rough tasks, CPU MuJoCo).

:func:`evaluate_rough_policy` places robots on chosen cells of the terrain grid (row = level, the difficulty; column =
sub-terrain type, see :mod:`~rsl_sim.tasks.mujoco.curriculum`), gives every robot the same forward command
:data:`DEFAULT_COMMAND` and measures each robot's first episode on its cell. The terrain types are grouped as the
sub-terrain configs of Isaac Lab's ``ROUGH_TERRAINS_CFG`` name them (:data:`TERRAIN_TYPES`). Every robot starts at the
centre of its sub-terrain (the spawn origin, plus the task's random reset offset and yaw) and walks outwards, so on
``pyramid_stairs`` (steps rising to a central platform) it walks *down* the stairs and on ``pyramid_stairs_inv`` (a pit)
it climbs *up*: the groups are named by what the robot does.

As in training: observation noise, the startup randomization drawn from the seed, the random reset pose and the
interval pushes. Not as in training: the terrain-level curriculum is frozen (robots stay on their cells, the levels do
not move; :func:`frozen_curriculum`), the command is pinned, and a terrain whose config has no seed is generated from
:data:`EVALUATION_TERRAIN_SEED` so that every evaluation sees the same terrain.

A robot is measured from ``warmup_s`` after its reset until the first of: its episode ends (a terminated episode is a
fall), it leaves its sub-terrain (its base more than half a sub-terrain from the cell's centre along x or y; it crossed
the cell, not a fall), or ``episode_length_s``. Reported per terrain type and level (and pooled per type and overall):

- ``lin_vel_error`` [m/s]: mean over the measured (robot, step) samples of ``|v*_xy - v_xy|`` in the base frame (the
  flat evaluation's metric, :mod:`~rsl_sim.tasks.locomotion.velocity.evaluation`); ``yaw_rate_error`` [rad/s] likewise;
- ``fall_rate`` (and ``no_fall_rate = 1 - fall_rate``): share of the robots that fell while on their cell;
- ``crossed_rate``: share of the robots that left their cell before their episode ended.

From these, :func:`~rsl_sim.tasks.locomotion.velocity.rough_scores.score_results` marks the **passed** levels (no fall
>= 90 % and ``lin_vel_error`` <= 0.3 m/s), the **highest level passed** per type (passed together with every easier
level) and the per-type **score** ``(highest level passed + 1) / number of levels`` in [0, 1] (definitions in
:mod:`~rsl_sim.tasks.locomotion.velocity.rough_scores`).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.locomotion.velocity.evaluation import (
    PolicyFn,
    _check_commands,
    episode_steps,
    measure_episodes,
    pooled_results,
)
from rsl_sim.tasks.locomotion.velocity.rough_scores import (
    MAX_LIN_VEL_ERROR,
    MIN_NO_FALL_RATE,
    score_results,
)

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

DEFAULT_COMMAND: tuple[float, float, float] = (0.5, 0.0, 0.0)
"""The fixed command ``(v_x [m/s], v_y [m/s], omega_z [rad/s])``: forward at 0.5 m/s (about 9 s to cross the 4 m from
a sub-terrain's centre to its edge)."""

DEFAULT_COMMANDS: tuple[tuple[float, float, float], ...] = (DEFAULT_COMMAND,)
"""The command list, in the form the flat evaluation modules state it (read by ``benchmarks/time_to_walk.py``)."""

DEFAULT_SEEDS: tuple[int, ...] = (0, 1)
"""Seeds of the evaluation (each one fixes the randomization, the resets, the pushes and the noise)."""

ROBOTS_PER_CELL = 8
"""Robots per (terrain type, level) cell and seed when the evaluation builds its env."""

EVALUATION_TERRAIN_SEED = 0
"""Seed of the terrain generator when the env config gives none (the evaluation terrain is then always the same)."""

TERRAIN_TYPES: dict[str, tuple[str, ...]] = {
    "stairs_up": ("pyramid_stairs_inv",),
    "stairs_down": ("pyramid_stairs",),
    "slopes": ("hf_pyramid_slope", "hf_pyramid_slope_inv"),
    "boxes": ("boxes",),
    "random_rough": ("random_rough",),
}
"""Reported terrain types -> the sub-terrain config names (``ROUGH_TERRAINS_CFG``) whose columns they cover."""


def evaluate_rough_policy(
    env: str | VelocityEnv,
    policy: PolicyFn,
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    command: Sequence[float] = DEFAULT_COMMAND,
    levels: Sequence[int] | None = None,
    terrain_types: Mapping[str, Sequence[str]] = TERRAIN_TYPES,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
    clip_actions: float | None = None,
    max_lin_vel_error: float = MAX_LIN_VEL_ERROR,
    min_no_fall_rate: float = MIN_NO_FALL_RATE,
) -> dict[str, Any]:
    """Evaluate ``policy`` per terrain type and level (see the module docstring for the protocol).

    Args:
        env: A registered task id with a height-field terrain (e.g. ``"RslSim/Go2-Rough-v0"``; built by
            :func:`make_rough_evaluation_env`) or a :class:`VelocityEnv` with such a terrain, used as it is.
        policy: Callable mapping the observations (TensorDict ``[num_envs]``, on ``device``) to actions
            ``[num_envs, num_actions]``; a ``reset(dones)`` method, if any, is called after each step.
        num_envs: Robots per seed, a multiple of ``len(terrain_types) * len(levels)`` (robots per cell); None:
            :data:`ROBOTS_PER_CELL` per cell (a given env: its size).
        seeds: Seeds; each one resets the env (and its startup randomization) with that seed.
        command: The command ``(v_x [m/s], v_y [m/s], omega_z [rad/s])`` of every robot.
        levels: Evaluated levels (terrain rows), ascending; None: every row.
        terrain_types: Reported type -> sub-terrain config names; every type needs at least one column.
        episode_length_s: Longest measured episode [s].
        warmup_s: Time after the reset that is not measured [s].
        device: Device of the observations given to the policy.
        clip_actions: The agent config's ``clip_actions`` (as in training), or None.
        max_lin_vel_error: Largest ``lin_vel_error`` [m/s] of a passed level.
        min_no_fall_rate: Smallest no-fall rate of a passed level.

    Returns:
        A JSON-serializable dict: ``task``, ``num_envs``, ``seeds``, ``episode_length_s``, ``warmup_s``,
        ``step_dt``, ``command``, ``robots_per_cell``, ``num_levels`` (terrain rows), ``criterion``,
        ``terrain_types`` (per type: ``name``, ``sub_terrains``, ``columns``, ``levels`` (per level: ``level``,
        ``lin_vel_error``, ``yaw_rate_error``, ``no_fall_rate``, ``fall_rate``, ``crossed_rate``, ``episodes``,
        ``samples``, ``passed``), the same metrics pooled over its levels, ``highest_level_passed``, ``score``),
        ``overall`` (means over the types, ``score``), ``commands`` (one row: the command with the overall metrics,
        the shape of the flat evaluation that ``rsl-sim plot`` draws) and ``tables`` (the per-type tables as text
        cells: ``title``, ``header``, ``rows``).

    Raises:
        ValueError: For a flat env, unknown or empty terrain types or levels, a bad command, no seeds, a
            ``num_envs`` that is not a positive multiple of the number of cells, or bad episode or warm-up lengths.
        TypeError: If ``env`` is neither a task id nor a :class:`VelocityEnv`.
    """
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv  # MuJoCo: imported here, as the flat evaluation
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    command_array = _check_commands([command])[0]
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ValueError("evaluate_rough_policy: seeds is empty; give at least one seed, e.g. seeds=(0,).")

    # The env: built from the task's config (fixed terrain), or the given one
    if isinstance(env, str):
        task = env
        num_cells = len(terrain_types) * len(_check_levels(levels, _num_levels(rough_evaluation_cfg(task))))
        num_envs = ROBOTS_PER_CELL * num_cells if num_envs is None else int(num_envs)
        _check_cells(num_envs, num_cells)
        velocity_env = make_rough_evaluation_env(task, num_envs=int(num_envs), episode_length_s=episode_length_s)
        num_envs = velocity_env.num_envs
    elif isinstance(env, VelocityEnv):
        velocity_env = env
        task = env.spec.id if env.spec is not None else type(env.cfg).__name__
        if num_envs is not None and int(num_envs) != env.num_envs:
            raise ValueError(f"num_envs={num_envs} differs from the given env's {env.num_envs}; leave it None.")
        num_envs = env.num_envs
    else:
        raise TypeError(f"env must be a task id (str) or a VelocityEnv, got {type(env).__name__}.")

    try:
        # The cells: robots in blocks of robots_per_cell, type-major, then level
        if velocity_env.terrain_curriculum is None:
            raise ValueError(
                f"{task}: the rough-terrain evaluation needs a height-field terrain (scene.terrain.terrain_type="
                "'generator'); evaluate flat tasks with evaluation.evaluate_velocity_policy."
            )
        levels = _check_levels(levels, velocity_env.terrain_curriculum.num_levels)
        columns = type_columns(velocity_env.terrain_generator, terrain_types)
        num_cells = len(columns) * len(levels)
        _check_cells(num_envs, num_cells)
        per_cell = num_envs // num_cells
        robot_levels, robot_columns = cell_layout(columns, levels, per_cell)
        num_steps, warmup_steps = episode_steps(
            episode_length_s,
            warmup_s,
            velocity_env.step_dt,
            velocity_env.max_episode_length,
            velocity_env.max_episode_length_s,
        )

        # One episode per robot and seed, on its cell, with the curriculum frozen and the command pinned
        pinned = np.repeat(command_array[None, :], num_envs, axis=0)
        half_size = np.asarray(velocity_env.terrain_generator.cfg["size"], dtype=np.float64) / 2
        command_term = velocity_env.command_manager["base_velocity"]
        episodes = []
        with frozen_curriculum(velocity_env):
            wrapped = GymnasiumVecEnvWrapper(velocity_env, device=device, clip_actions=clip_actions)  # resets the env
            command_term.set_fixed_command(pinned)
            try:
                for seed in seeds:
                    wrapped.reset(seed=seed)  # the seed's randomization; it also redraws the (random) cells
                    origins = place_on_cells(velocity_env, robot_levels, robot_columns)
                    obs, _ = wrapped.reset()  # the robots on their cells (the frozen curriculum leaves them there)

                    def leaves(origins: np.ndarray = origins) -> np.ndarray:
                        offset = np.abs(velocity_env.robot.root_pos_w[:, :2] - origins[:, :2])
                        return np.any(offset > half_size, axis=1)

                    episodes.append(
                        measure_episodes(
                            wrapped, velocity_env, policy, obs, pinned, num_steps, warmup_steps, device, leaves
                        )
                    )
            finally:
                command_term.set_fixed_command(None)
        cells = pooled_results(
            task,
            np.repeat(command_array[None, :], num_cells, axis=0),
            per_cell,
            episodes,
            seeds,
            episode_length_s,
            warmup_s,
            velocity_env.step_dt,
        )
        num_levels = int(velocity_env.terrain_curriculum.num_levels)
    finally:
        if isinstance(env, str):
            velocity_env.close()

    # Per type and level, per type, overall
    crossed = np.sum([episode["left"] for episode in episodes], axis=0)
    types = []
    for index, (name, type_cols) in enumerate(columns.items()):
        rows = []
        for offset, level in enumerate(levels):
            cell = index * len(levels) + offset
            row = cells["commands"][cell]
            robots = slice(cell * per_cell, (cell + 1) * per_cell)
            rows.append(
                {
                    "level": int(level),
                    "lin_vel_error": row["lin_vel_error"],
                    "yaw_rate_error": row["yaw_rate_error"],
                    "no_fall_rate": row["no_fall_rate"],
                    "fall_rate": 1.0 - row["no_fall_rate"],
                    "crossed_rate": float(crossed[robots].sum() / row["episodes"]),
                    "episodes": row["episodes"],
                    "samples": row["samples"],
                }
            )
        types.append({"name": name, "sub_terrains": list(terrain_types[name]), "columns": type_cols, "levels": rows})
    results = {
        "task": task,
        "num_envs": int(num_envs),
        "seeds": seeds,
        "episode_length_s": float(episode_length_s),
        "warmup_s": float(warmup_s),
        "step_dt": float(velocity_env.step_dt),
        "command": [float(value) for value in command_array],
        "robots_per_cell": int(per_cell),
        "num_levels": num_levels,
        "terrain_types": types,
    }
    return score_results(results, max_lin_vel_error, min_no_fall_rate)


def evaluate_task(
    make_env: Callable[[int], VelocityEnv],
    make_policy: Callable[[VelocityEnv], PolicyFn],
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
    clip_actions: float | None = None,
) -> dict[str, Any]:
    """The rough tasks' evaluation as their gymnasium registrations name it (``rsl_sim_evaluation_entry_point``).

    ``rsl-sim evaluate`` supplies the env and the policy. The env is built with ``make_env`` (the run's config and
    overrides); if its config gives the terrain no seed, it is rebuilt once from the same config with
    :data:`EVALUATION_TERRAIN_SEED` (the evaluation terrain is then fixed), and :func:`evaluate_rough_policy` runs
    on every level and type with ``num_envs`` robots (None: :data:`ROBOTS_PER_CELL` per cell).

    Returns:
        The results dict of :func:`evaluate_rough_policy`.

    Raises:
        ValueError: As :func:`evaluate_rough_policy`.
    """
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

    probe = make_env(1 if num_envs is None else num_envs)
    cfg = fixed_terrain_cfg(probe.cfg)
    if num_envs is None:
        num_envs = ROBOTS_PER_CELL * len(TERRAIN_TYPES) * _num_levels(cfg)
    if cfg is probe.cfg and probe.num_envs == num_envs:
        env = probe
    else:
        spec = probe.spec
        probe.close()
        env = VelocityEnv(num_envs=num_envs, cfg=cfg)
        env.spec = spec
    try:
        return evaluate_rough_policy(
            env,
            make_policy(env),
            seeds=seeds,
            episode_length_s=episode_length_s,
            warmup_s=warmup_s,
            device=device,
            clip_actions=clip_actions,
        )
    finally:
        env.close()


def make_rough_evaluation_env(task: str, num_envs: int, episode_length_s: float = 20.0, **kwargs: Any) -> VelocityEnv:
    """Build a rough task's :class:`VelocityEnv` for evaluation (:func:`rough_evaluation_cfg`: fixed terrain).

    Args:
        task: Registered task id with a height-field terrain, e.g. ``"RslSim/Go2-Rough-v0"``.
        num_envs: Number of robots.
        episode_length_s: The env's time limit [s].
        **kwargs: Further :class:`VelocityEnv` arguments.

    Returns:
        The env (not yet reset with an evaluation seed).

    Raises:
        ValueError: If the task is not a registered CPU MuJoCo velocity task.
    """
    import gymnasium

    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

    env = VelocityEnv(num_envs=num_envs, cfg=rough_evaluation_cfg(task, episode_length_s), **kwargs)
    env.spec = gymnasium.spec(task)
    return env


def rough_evaluation_cfg(task: str, episode_length_s: float = 20.0) -> Any:
    """A registered task's env config with the given time limit and a fixed terrain (:func:`fixed_terrain_cfg`).

    Raises:
        ValueError: If the task is not a registered CPU MuJoCo velocity task.
    """
    import gymnasium

    import rsl_sim.tasks  # noqa: F401  (registers the ids)
    from rsl_sim.tasks.mujoco.envs.velocity_env import load_cfg

    entry = gymnasium.spec(task).kwargs.get("cfg_entry_point")
    if entry is None:
        raise ValueError(f"Task {task!r} has no cfg_entry_point: it is not a CPU MuJoCo velocity task.")
    cfg = fixed_terrain_cfg(load_cfg(entry))
    cfg.episode_length_s = float(episode_length_s)
    return cfg


def fixed_terrain_cfg(cfg: Any) -> Any:
    """The env config with :data:`EVALUATION_TERRAIN_SEED` as terrain seed if it has none (a copy), else ``cfg``."""
    generator = cfg.scene.terrain.terrain_generator
    if cfg.scene.terrain.terrain_type != "generator" or generator is None or generator.get("seed") is not None:
        return cfg
    cfg = copy.deepcopy(cfg)
    cfg.scene.terrain.terrain_generator["seed"] = EVALUATION_TERRAIN_SEED
    return cfg


@contextlib.contextmanager
def frozen_curriculum(env: VelocityEnv) -> Iterator[None]:
    """Inside the block, resets run no curriculum term: robots keep their terrain levels and types."""
    from rsl_sim.tasks.mujoco.managers.curriculum_manager import CurriculumManager

    manager = env.curriculum_manager
    env.curriculum_manager = CurriculumManager({}, env)
    try:
        yield
    finally:
        env.curriculum_manager = manager


def type_columns(terrain_generator: Any, terrain_types: Mapping[str, Sequence[str]]) -> dict[str, list[int]]:
    """The terrain columns of each reported type (columns whose sub-terrain config is one of the type's names).

    Raises:
        ValueError: For no types, a name that is no sub-terrain config of the terrain, or a type without columns.
    """
    if not terrain_types:
        raise ValueError("terrain_types is empty; give at least one type, e.g. TERRAIN_TYPES.")
    names = list(terrain_generator.sub_terrain_names)
    kinds = terrain_generator.sub_terrain_index[0]  # curriculum layout: one sub-terrain type per column
    columns = {}
    for name, sub_terrains in terrain_types.items():
        unknown = [sub for sub in sub_terrains if sub not in names]
        if unknown or not sub_terrains:
            raise ValueError(f"Terrain type {name!r}: sub-terrains {list(sub_terrains)}; the terrain has {names}.")
        ids = [names.index(sub) for sub in sub_terrains]
        columns[name] = [int(col) for col in np.flatnonzero(np.isin(kinds, ids))]
        if not columns[name]:
            raise ValueError(f"Terrain type {name!r} ({list(sub_terrains)}) has no column in this terrain grid.")
    return columns


def cell_layout(
    columns: Mapping[str, Sequence[int]], levels: Sequence[int], per_cell: int
) -> tuple[np.ndarray, np.ndarray]:
    """Level and column of every robot: blocks of ``per_cell`` robots, type-major then level.

    A cell's robots go round-robin over its type's columns.

    Returns:
        ``(levels, columns)``, ``[len(columns) * len(levels) * per_cell]`` int64 each.
    """
    robot_levels, robot_columns = [], []
    for type_cols in columns.values():
        for level in levels:
            robot_levels += [level] * per_cell
            robot_columns += [type_cols[index % len(type_cols)] for index in range(per_cell)]
    return np.asarray(robot_levels, dtype=np.int64), np.asarray(robot_columns, dtype=np.int64)


def place_on_cells(env: VelocityEnv, levels: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Put every env on its (level, column) cell: its curriculum entries and its spawn origin; returns the origins."""
    curriculum = env.terrain_curriculum
    curriculum.terrain_levels[:] = levels
    curriculum.terrain_types[:] = columns
    curriculum.env_origins[:] = curriculum.terrain_origins[levels, columns]
    env.env_origins = curriculum.env_origins
    return curriculum.env_origins.copy()


def _num_levels(cfg: Any) -> int:
    """Terrain rows of an env config (1 for a plane)."""
    generator = cfg.scene.terrain.terrain_generator
    return int(generator.get("num_rows", 10)) if cfg.scene.terrain.terrain_type == "generator" and generator else 1


def _check_levels(levels: Sequence[int] | None, num_levels: int) -> list[int]:
    """The evaluated levels: every terrain row for None; raises ValueError for anything but ascending valid rows."""
    if levels is None:
        return list(range(num_levels))
    checked = [int(level) for level in levels]
    if not checked or checked != sorted(set(checked)) or checked[0] < 0 or checked[-1] >= num_levels:
        raise ValueError(f"levels={list(levels)} must be distinct ascending terrain rows in [0, {num_levels - 1}].")
    return checked


def _check_cells(num_envs: int, num_cells: int) -> None:
    """Raise ValueError unless ``num_envs`` is a positive multiple of the number of cells."""
    if num_envs < num_cells or num_envs % num_cells != 0:
        raise ValueError(
            f"num_envs={num_envs} must be a positive multiple of the number of (terrain type, level) cells "
            f"({num_cells}), e.g. {ROBOTS_PER_CELL * num_cells}."
        )
