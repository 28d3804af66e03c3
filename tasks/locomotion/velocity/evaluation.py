"""Evaluation of a velocity-tracking policy on a fixed set of commands and seeds (Go2 tasks on CPU MuJoCo).

:func:`evaluate_velocity_policy` runs a policy on :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv` robots
whose commands are pinned to a fixed list (each command gets ``num_envs / len(commands)`` robots) and repeats that for
each seed. Everything else is as in training: the ``policy`` group keeps its observation noise, the startup
randomization (friction, added base mass, base centre of mass) is drawn from the seed, robots start from the randomized
reset pose and velocity, and the interval pushes happen (every 10-15 s, so a 20 s episode sees one per robot). The
policy acts deterministically (the inference policy of the runner, or any callable ``TensorDict -> actions``).

Per robot, one episode of ``episode_length_s`` is run. A robot whose episode terminates (base contact, or a diverged
simulation) counts as a fall; after its first episode ends, a robot is no longer measured. Reported, per command and
overall (mean over the commands):

- ``lin_vel_error`` [m/s]: mean over every measured (robot, step) of ``|v*_xy - v_xy|``, the norm of the xy velocity
  error in the base frame (Isaac Lab's ``error_vel_xy`` metric);
- ``yaw_rate_error`` [rad/s]: mean of ``|w*_z - w_z|`` over the same samples;
- ``no_fall_rate``: share of episodes that reached the end without a fall.

Samples are measured after each env step while the robot is up, from ``warmup_s`` on (the first second after the
reset, the robot lands from its randomized start pose). A command whose robots all fell before ``warmup_s`` has no
samples: its errors are None.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

DEFAULT_COMMANDS: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, 0.0),
    (0.5, 0.0, 0.0),
    (1.0, 0.0, 0.0),
    (-0.5, 0.0, 0.0),
    (0.0, 0.5, 0.0),
    (0.0, -0.5, 0.0),
    (0.0, 0.0, 1.0),
    (0.5, 0.0, -0.5),
)
"""The fixed commands ``(v_x [m/s], v_y [m/s], omega_z [rad/s])``: standing, forward slow and fast, backward, left,
right, turning in place, and a forward right turn (all inside the training ranges)."""

DEFAULT_SEEDS: tuple[int, ...] = (0, 1)
"""Seeds of the evaluation (each one fixes the randomization, the resets, the pushes and the noise)."""

MAX_LIN_VEL_ERROR = 0.25
"""Walking criterion: overall ``lin_vel_error`` at most this [m/s]."""

MIN_NO_FALL_RATE = 0.95
"""Walking criterion: overall ``no_fall_rate`` at least this."""

PolicyFn = Callable[[Any], torch.Tensor]


def evaluate_velocity_policy(
    env: str | VelocityEnv,
    policy: PolicyFn,
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    commands: Sequence[Sequence[float]] = DEFAULT_COMMANDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
    clip_actions: float | None = None,
) -> dict[str, Any]:
    """Evaluate ``policy`` on fixed velocity commands and seeds (see the module docstring for what is measured).

    Args:
        env: A registered task id (e.g. ``"RslSim/Go2-Flat-v0"``; the env is built from its config with
            ``episode_length_s`` as the time limit) or a :class:`VelocityEnv` to use as it is (it is reset with each
            seed and its commands are pinned during the evaluation; its time limit must cover ``episode_length_s``).
        policy: Callable mapping the observations (TensorDict ``[num_envs]`` with the env's groups, on ``device``)
            to actions ``[num_envs, num_actions]``; a ``reset(dones)`` method, if any, is called after each step
            (recurrent policies).
        num_envs: Robots per seed, a multiple of ``len(commands)``; None: 16 per command (a given env: its size).
        seeds: Seeds; each one resets the env (and its startup randomization) with that seed.
        commands: Commands ``(v_x, v_y, omega_z)``; each gets ``num_envs / len(commands)`` robots per seed.
        episode_length_s: Length of each robot's episode [s].
        warmup_s: Time after the reset that is not measured [s].
        device: Device of the observations given to the policy.
        clip_actions: The agent config's ``clip_actions`` (actions clamped to +-this value, as in training), or None.

    Returns:
        A JSON-serializable dict: ``task``, ``num_envs``, ``seeds``, ``episode_length_s``, ``warmup_s``, ``step_dt``,
        ``commands`` (one entry per command: ``command``, ``lin_vel_error`` [m/s], ``yaw_rate_error`` [rad/s],
        ``no_fall_rate``, ``episodes``, ``samples``) and ``overall`` (the means of the per-command values over the
        commands; ``episodes`` and ``samples`` summed).

    Raises:
        ValueError: For an empty or malformed command list, no seeds, a ``num_envs`` that is not a positive multiple
            of the number of commands, an episode longer than the env's time limit, or a bad ``warmup_s``.
        TypeError: If ``env`` is neither a task id nor a :class:`VelocityEnv`.
    """
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv  # MuJoCo: imported here (see isaaclab_evaluation)
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    # Commands and seeds
    command_array = _check_commands(commands)
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ValueError("evaluate_velocity_policy: seeds is empty; give at least one seed, e.g. seeds=(0,).")
    num_commands = len(command_array)

    # The env: built from the task's config, or the given one
    if isinstance(env, str):
        task = env
        num_envs = 16 * num_commands if num_envs is None else int(num_envs)
        _check_num_envs(num_envs, num_commands)
        velocity_env = make_evaluation_env(task, num_envs=num_envs, episode_length_s=episode_length_s)
    elif isinstance(env, VelocityEnv):
        velocity_env = env
        task = env.spec.id if env.spec is not None else type(env.cfg).__name__
        if num_envs is not None and int(num_envs) != env.num_envs:
            raise ValueError(f"num_envs={num_envs} differs from the given env's {env.num_envs}; leave it None.")
        num_envs = env.num_envs
        _check_num_envs(num_envs, num_commands)
    else:
        raise TypeError(f"env must be a task id (str) or a VelocityEnv, got {type(env).__name__}.")

    # Episode and warm-up lengths in env steps
    step_dt = velocity_env.step_dt
    num_steps, warmup_steps = episode_steps(
        episode_length_s, warmup_s, step_dt, velocity_env.max_episode_length, velocity_env.max_episode_length_s
    )

    # Robots in blocks: robot i follows command i // per_command
    per_command = num_envs // num_commands
    command_ids = np.repeat(np.arange(num_commands), per_command)
    pinned = command_array[command_ids]

    # One episode per robot and seed
    episodes = []
    command_term = velocity_env.command_manager["base_velocity"]
    wrapped = GymnasiumVecEnvWrapper(velocity_env, device=device, clip_actions=clip_actions)
    try:
        command_term.set_fixed_command(pinned)
        for seed in seeds:
            episodes.append(_run_episodes(wrapped, velocity_env, policy, pinned, seed, num_steps, warmup_steps, device))
    finally:
        command_term.set_fixed_command(None)
        if isinstance(env, str):
            velocity_env.close()
    return pooled_results(task, command_array, per_command, episodes, seeds, episode_length_s, warmup_s, step_dt)


def pooled_results(
    task: str,
    command_array: np.ndarray,
    per_command: int,
    episodes: Sequence[dict[str, np.ndarray]],
    seeds: Sequence[int],
    episode_length_s: float,
    warmup_s: float,
    step_dt: float,
) -> dict[str, Any]:
    """The results dict of an evaluation from its per-seed episode sums (shared by the MuJoCo and Isaac Lab paths).

    Args:
        task: Task id (or config name) to record.
        command_array: The commands, ``[num_commands, 3]`` (``v_x`` [m/s], ``v_y`` [m/s], ``omega_z`` [rad/s]).
        per_command: Robots per command; robot ``i`` follows command ``i // per_command``.
        episodes: One dict per seed with per-robot arrays ``[num_envs]``: ``lin_sum`` / ``yaw_sum`` (summed
            absolute errors over the measured steps), ``samples`` (measured steps) and ``no_fall`` (0 or 1).
        seeds: The seeds, in the order of ``episodes``.
        episode_length_s: Episode length [s].
        warmup_s: Unmeasured time after the reset [s].
        step_dt: Env step [s].

    Returns:
        ``{"task", "num_envs", "seeds", "episode_length_s", "warmup_s", "step_dt", "commands": [per-command rows],
        "overall"}``; each row holds the command, ``lin_vel_error`` / ``yaw_rate_error`` (means over all measured
        samples of its robots, None without samples), ``no_fall_rate``, ``episodes`` and ``samples``.
    """
    # Sums over seeds, per robot
    num_envs = per_command * len(command_array)
    lin_sum, yaw_sum = np.zeros(num_envs), np.zeros(num_envs)
    samples, no_fall = np.zeros(num_envs, dtype=np.int64), np.zeros(num_envs, dtype=np.int64)
    for episode in episodes:
        lin_sum += episode["lin_sum"]
        yaw_sum += episode["yaw_sum"]
        samples += episode["samples"]
        no_fall += episode["no_fall"]

    # Per-command pooled means, then the overall means over the commands
    command_ids = np.repeat(np.arange(len(command_array)), per_command)
    rows = []
    for index in range(len(command_array)):
        robots = command_ids == index
        count = int(samples[robots].sum())
        rows.append(
            {
                "command": [float(value) for value in command_array[index]],
                "lin_vel_error": float(lin_sum[robots].sum() / count) if count else None,
                "yaw_rate_error": float(yaw_sum[robots].sum() / count) if count else None,
                "no_fall_rate": float(no_fall[robots].sum() / (per_command * len(seeds))),
                "episodes": per_command * len(seeds),
                "samples": count,
            }
        )
    return {
        "task": task,
        "num_envs": int(num_envs),
        "seeds": list(seeds),
        "episode_length_s": float(episode_length_s),
        "warmup_s": float(warmup_s),
        "step_dt": float(step_dt),
        "commands": rows,
        "overall": _overall(rows),
    }


def evaluate_task(
    make_env: Callable[[int], VelocityEnv],
    make_policy: Callable[[VelocityEnv], PolicyFn],
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
    clip_actions: float | None = None,
    commands: Sequence[Sequence[float]] = DEFAULT_COMMANDS,
) -> dict[str, Any]:
    """The velocity task's evaluation as its gymnasium registrations name it (``rsl_sim_evaluation_entry_point``).

    ``rsl-sim evaluate`` looks this function up in the task's registration and supplies the env and the policy: the
    task decides how many robots it needs (16 per command of :data:`DEFAULT_COMMANDS` by default), builds the env with
    ``make_env``, the policy with ``make_policy``, runs :func:`evaluate_velocity_policy` and closes the env.

    Args:
        make_env: ``num_envs -> env``: the task's :class:`VelocityEnv` (its time limit covering ``episode_length_s``).
        make_policy: ``env -> policy``: the policy to evaluate on that env (see :func:`evaluate_velocity_policy`).
        num_envs: Robots per seed, a multiple of ``len(DEFAULT_COMMANDS)``; None: 16 per command.
        seeds: Seeds.
        episode_length_s: Length of each robot's episode [s].
        warmup_s: Time after the reset that is not measured [s].
        device: Device of the observations given to the policy.
        clip_actions: The agent config's ``clip_actions``, or None.
        commands: The fixed commands ``(v_x [m/s], v_y [m/s], omega_z [rad/s])``; a robot whose ranges differ from
            the Go2's passes its own (e.g. the G1's evaluation module).

    Returns:
        The results dict of :func:`evaluate_velocity_policy`.

    Raises:
        ValueError: As :func:`evaluate_velocity_policy` (``num_envs`` is checked before the env is built).
    """
    num_envs = 16 * len(commands) if num_envs is None else num_envs
    _check_num_envs(num_envs, len(commands))
    env = make_env(num_envs)
    try:
        return evaluate_velocity_policy(
            env,
            make_policy(env),
            seeds=seeds,
            commands=commands,
            episode_length_s=episode_length_s,
            warmup_s=warmup_s,
            device=device,
            clip_actions=clip_actions,
        )
    finally:
        env.close()


def make_evaluation_env(task: str, num_envs: int, episode_length_s: float = 20.0, **kwargs: Any) -> VelocityEnv:
    """Build the :class:`VelocityEnv` of a registered task for evaluation (its own config, the given time limit).

    Args:
        task: Registered task id, e.g. ``"RslSim/Go2-Flat-v0"``.
        num_envs: Number of robots.
        episode_length_s: The env's time limit [s].
        **kwargs: Further :class:`VelocityEnv` arguments (e.g. ``render_mode="rgb_array"``).

    Returns:
        The env (not yet reset with an evaluation seed).

    Raises:
        ValueError: If the task is not a registered velocity task.
    """
    import gymnasium

    import rsl_sim.tasks  # noqa: F401  (registers the ids)
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv, load_cfg

    spec = gymnasium.spec(task)
    entry = spec.kwargs.get("cfg_entry_point")
    if entry is None:
        raise ValueError(f"Task {task!r} has no cfg_entry_point: it is not a CPU MuJoCo velocity task.")
    cfg = load_cfg(entry)
    cfg.episode_length_s = float(episode_length_s)
    env = VelocityEnv(num_envs=num_envs, cfg=cfg, **kwargs)
    env.spec = spec  # the task id, as gymnasium.make_vec would record it
    return env


def meets_walking_criterion(
    results: dict[str, Any], max_lin_vel_error: float = MAX_LIN_VEL_ERROR, min_no_fall_rate: float = MIN_NO_FALL_RATE
) -> bool:
    """Whether an evaluation shows a walking policy: overall tracking error and fall rate within the bounds.

    Args:
        results: The dict of :func:`evaluate_velocity_policy`.
        max_lin_vel_error: Largest overall ``lin_vel_error`` [m/s].
        min_no_fall_rate: Smallest overall ``no_fall_rate``.

    Returns:
        True when ``overall.lin_vel_error <= max_lin_vel_error`` and ``overall.no_fall_rate >= min_no_fall_rate``.
    """
    overall = results["overall"]
    error = overall["lin_vel_error"]
    return error is not None and error <= max_lin_vel_error and overall["no_fall_rate"] >= min_no_fall_rate


def format_table(results: dict[str, Any]) -> str:
    """The results as a plain-text table: one row per command and the overall row.

    Args:
        results: The dict of :func:`evaluate_velocity_policy`.

    Returns:
        The table (lines joined by newlines, no trailing newline).
    """
    header = ("command (vx, vy, wz)", "lin. vel. error [m/s]", "yaw rate error [rad/s]", "no fall", "episodes")
    lines = [header]
    for row in results["commands"]:
        lines.append(_table_row("({:+.2f}, {:+.2f}, {:+.2f})".format(*row["command"]), row))
    lines.append(_table_row("overall (mean)", results["overall"]))
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    text = [
        f"{results['task']}: {results['num_envs']} robots x seeds {results['seeds']}, "
        f"{results['episode_length_s']:g} s episodes (first {results['warmup_s']:g} s not measured)"
    ]
    for index, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        text.append(" | ".join(cells))
        if index == 0 or index == len(lines) - 2:
            text.append("-+-".join("-" * width for width in widths))
    return "\n".join(text)


def save_results(results: dict[str, Any], path: str) -> None:
    """Write the results as JSON (``evaluation.json``).

    Args:
        results: The dict of :func:`evaluate_velocity_policy`.
        path: Destination file.
    """
    with open(path, "w", encoding="utf-8") as file:
        json.dump(results, file, indent=2, allow_nan=False)
        file.write("\n")


def load_results(path: str) -> dict[str, Any]:
    """Read results written by :func:`save_results`.

    Args:
        path: The JSON file.

    Returns:
        The results dict.
    """
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _run_episodes(
    wrapped: Any,
    env: VelocityEnv,
    policy: PolicyFn,
    pinned: np.ndarray,
    seed: int,
    num_steps: int,
    warmup_steps: int,
    device: str,
) -> dict[str, np.ndarray]:
    """One episode per robot from a reset with ``seed``; per-robot error sums, sample counts and no-fall flags."""
    obs, _ = wrapped.reset(seed=seed)
    return measure_episodes(wrapped, env, policy, obs, pinned, num_steps, warmup_steps, device)


def measure_episodes(
    wrapped: Any,
    env: VelocityEnv,
    policy: PolicyFn,
    obs: Any,
    pinned: np.ndarray,
    num_steps: int,
    warmup_steps: int,
    device: str,
    leaves: Callable[[], np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Run the policy from freshly reset robots and measure each robot's first episode (see the module docstring).

    Args:
        wrapped: The :class:`~rsl_sim.wrappers.gymnasium.GymnasiumVecEnvWrapper` around ``env``.
        env: The env, just reset (every robot at the start of an episode).
        policy: The policy (see :func:`evaluate_velocity_policy`).
        obs: The observations of that reset (TensorDict ``[num_envs]``).
        pinned: The robots' commands ``[num_envs, 3]`` (``v_x`` [m/s], ``v_y`` [m/s], ``omega_z`` [rad/s]).
        num_steps: Env steps of the episode.
        warmup_steps: Unmeasured steps after the reset.
        device: Device of the observations given to the policy.
        leaves: Optional ``() -> [num_envs] bool``, called after each step: robots for which it is True stop being
            measured from then on without counting as a fall (e.g. a robot that left its sub-terrain).

    Returns:
        Per-robot arrays ``[num_envs]``: ``lin_sum`` / ``yaw_sum`` (summed absolute errors [m/s] / [rad/s] over the
        measured steps), ``samples`` (measured steps), ``no_fall`` (0 or 1) and ``left`` (1 where ``leaves`` ended
        the measurement). The loop stops early once no robot is measured any more.
    """
    num_envs = env.num_envs
    obs = obs.to(device)
    if callable(getattr(policy, "reset", None)):
        policy.reset(torch.ones(num_envs, dtype=torch.bool, device=device))
    up = np.ones(num_envs, dtype=bool)
    fell = np.zeros(num_envs, dtype=bool)
    left = np.zeros(num_envs, dtype=bool)
    lin_sum = np.zeros(num_envs)
    yaw_sum = np.zeros(num_envs)
    samples = np.zeros(num_envs, dtype=np.int64)
    with torch.inference_mode():
        for step in range(1, num_steps + 1):
            actions = policy(obs)
            obs, _, dones, extras = wrapped.step(actions.to(wrapped.device))
            obs = obs.to(device)
            done = dones.cpu().numpy() > 0
            terminated = done & ~extras["time_outs"].cpu().numpy().astype(bool)

            # Measure the robots that are up and were not reset by this step (a reset replaces their state)
            measured = up & ~done & (step > warmup_steps)
            lin_error = np.linalg.norm(pinned[:, :2] - env.robot.root_lin_vel_b[:, :2], axis=1)
            yaw_error = np.abs(pinned[:, 2] - env.robot.root_ang_vel_b[:, 2])
            lin_sum += np.where(measured, lin_error, 0.0)
            yaw_sum += np.where(measured, yaw_error, 0.0)
            samples += measured

            # A robot's evaluation ends with its first episode (or when it leaves the measured region)
            fell |= up & terminated
            up &= ~done
            if leaves is not None:
                out = up & np.asarray(leaves(), dtype=bool)
                left |= out
                up &= ~out
            if callable(getattr(policy, "reset", None)):
                policy.reset(dones.to(device))
            if not up.any():
                break
    return {
        "lin_sum": lin_sum,
        "yaw_sum": yaw_sum,
        "samples": samples,
        "no_fall": (~fell).astype(np.int64),
        "left": left.astype(np.int64),
    }


def _check_commands(commands: Sequence[Sequence[float]]) -> np.ndarray:
    """The commands as ``[num_commands, 3]`` float64; raises ValueError for anything else."""
    try:
        array = np.array([[float(value) for value in command] for command in commands], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"commands must be a list of (v_x, v_y, omega_z) triples of numbers: {error}.") from error
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] != 3 or not np.all(np.isfinite(array)):
        raise ValueError(
            f"commands must be a non-empty list of finite (v_x, v_y, omega_z) triples, got shape {array.shape}."
        )
    return array


def episode_steps(
    episode_length_s: float, warmup_s: float, step_dt: float, max_episode_length: int, max_episode_length_s: float
) -> tuple[int, int]:
    """The evaluation episode and its unmeasured warm-up in env steps.

    Args:
        episode_length_s: Episode length [s].
        warmup_s: Unmeasured time after the reset [s].
        step_dt: Env step [s].
        max_episode_length: The env's time limit in steps.
        max_episode_length_s: The env's time limit [s] (for the message).

    Returns:
        ``(num_steps, warmup_steps)``.

    Raises:
        ValueError: If the episode is shorter than one step or longer than the env's time limit (set
            ``episode_length_s`` in the env's config), or the warm-up is negative or not shorter than the episode.
    """
    num_steps = int(round(episode_length_s / step_dt))
    if num_steps < 1 or num_steps > int(max_episode_length):
        raise ValueError(
            f"episode_length_s={episode_length_s} gives {num_steps} steps; it must be at least one step ({step_dt} s)"
            f" and at most the env's time limit ({max_episode_length_s} s: set episode_length_s in its config)."
        )
    warmup_steps = int(round(warmup_s / step_dt))
    if warmup_s < 0.0 or warmup_steps >= num_steps:
        raise ValueError(f"warmup_s={warmup_s} must be >= 0 and shorter than episode_length_s={episode_length_s}.")
    return num_steps, warmup_steps


def _check_num_envs(num_envs: int, num_commands: int) -> None:
    """Raise ValueError unless ``num_envs`` is a positive multiple of ``num_commands``."""
    if num_envs < num_commands or num_envs % num_commands != 0:
        raise ValueError(
            f"num_envs={num_envs} must be a positive multiple of the number of commands ({num_commands}), e.g. "
            f"{16 * num_commands}."
        )


def _overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over the commands (errors over the commands that have samples), sums of the counts."""

    def mean(key: str) -> float | None:
        values = [row[key] for row in rows if row[key] is not None]
        return float(sum(values) / len(values)) if values else None

    return {
        "lin_vel_error": mean("lin_vel_error"),
        "yaw_rate_error": mean("yaw_rate_error"),
        "no_fall_rate": mean("no_fall_rate"),
        "episodes": sum(row["episodes"] for row in rows),
        "samples": sum(row["samples"] for row in rows),
    }


def _table_row(label: str, row: dict[str, Any]) -> tuple[str, ...]:
    """Cells of one table row."""

    def number(value: float | None, digits: int) -> str:
        return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"

    return (
        label,
        number(row["lin_vel_error"], 3),
        number(row["yaw_rate_error"], 3),
        f"{100.0 * row['no_fall_rate']:.1f} %",
        str(row["episodes"]),
    )
