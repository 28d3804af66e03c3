"""Evaluation of a velocity-tracking policy on an Isaac Lab velocity task: the MuJoCo evaluation's commands and metrics.

:func:`evaluate_isaaclab_velocity_policy` measures exactly what
:func:`rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy` measures on the CPU MuJoCo tasks (same
fixed commands, robots in blocks per command, one episode per robot and seed, ``lin_vel_error`` [m/s],
``yaw_rate_error`` [rad/s] in the base frame, ``no_fall_rate``, warm-up excluded, the same result dict), on an Isaac
Lab ``ManagerBasedRLEnv`` with a ``base_velocity`` command term (Isaac Lab's ``UniformVelocityCommand``), so that one
policy can be measured on both backends side by side.

Commands are pinned by replacing the term's resampling with the pinned values and switching off its heading control
and standing envs; everything else (observation noise, events, pushes, terminations) stays as the task defines it.
Isaac Lab is not imported here; the env comes wrapped in :class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .evaluation import (
    DEFAULT_COMMANDS,
    DEFAULT_SEEDS,
    _check_commands,
    _check_num_envs,
    episode_steps,
    pooled_results,
)

PolicyFn = Callable[[Any], torch.Tensor]


def evaluate_isaaclab_velocity_policy(
    env: Any,
    policy: PolicyFn,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    commands: Sequence[Sequence[float]] = DEFAULT_COMMANDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
) -> dict[str, Any]:
    """Evaluate ``policy`` on an Isaac Lab velocity task with fixed commands and seeds.

    Args:
        env: An :class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper` around a ``ManagerBasedRLEnv`` that has a
            ``base_velocity`` command term and a ``robot`` articulation; its ``num_envs`` must be a multiple of
            ``len(commands)`` and its time limit must cover ``episode_length_s`` (set ``episode_length_s`` in the env
            config before building it). Its action clipping is the wrapper's ``clip_actions``.
        policy: Callable mapping the observations (TensorDict ``[num_envs]``) to actions ``[num_envs, num_actions]``;
            a ``reset(dones)`` method, if any, is called after each step (recurrent policies).
        seeds: Seeds; each one reseeds Isaac Lab (torch, numpy, warp) and resets every env.
        commands: Commands ``(v_x [m/s], v_y [m/s], omega_z [rad/s])``; robot ``i`` follows command
            ``i // (num_envs / len(commands))``.
        episode_length_s: Length of each robot's episode [s].
        warmup_s: Time after the reset that is not measured [s].
        device: Device of the observations given to the policy.

    Returns:
        The dict of :func:`~rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy` (``task``,
        ``num_envs``, ``seeds``, ``episode_length_s``, ``warmup_s``, ``step_dt``, ``commands``, ``overall``).

    Raises:
        ValueError: For an empty or malformed command list, no seeds, a ``num_envs`` that is not a multiple of the
            number of commands, an episode longer than the env's time limit, a bad ``warmup_s``, or an env without a
            ``base_velocity`` command term.
    """
    command_array = _check_commands(commands)
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ValueError("evaluate_isaaclab_velocity_policy: seeds is empty; give at least one seed, e.g. seeds=(0,).")
    base = env.unwrapped
    num_envs, num_commands = env.num_envs, len(command_array)
    _check_num_envs(num_envs, num_commands)
    if "base_velocity" not in base.command_manager.active_terms:
        raise ValueError(
            f"the env has no 'base_velocity' command term (its terms: {base.command_manager.active_terms})."
        )

    # Episode and warm-up lengths in env steps
    step_dt = float(base.step_dt)
    num_steps, warmup_steps = episode_steps(
        episode_length_s, warmup_s, step_dt, base.max_episode_length, base.max_episode_length_s
    )

    # Robots in blocks: robot i follows command i // per_command
    per_command = num_envs // num_commands
    command_ids = np.repeat(np.arange(num_commands), per_command)
    pinned = torch.as_tensor(command_array[command_ids], dtype=torch.float32, device=base.device)
    restore = _pin_commands(base.command_manager.get_term("base_velocity"), pinned)

    episodes = []
    try:
        for seed in seeds:
            episodes.append(_run_episodes(env, policy, pinned.cpu().numpy(), seed, num_steps, warmup_steps, device))
    finally:
        restore()

    spec = getattr(base, "spec", None)
    task = spec.id if spec is not None else type(base.cfg).__name__
    return pooled_results(task, command_array, per_command, episodes, seeds, episode_length_s, warmup_s, step_dt)


def evaluate_isaaclab_task(
    make_env: Callable[[int], Any],
    make_policy: Callable[[Any], PolicyFn],
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    device: str = "cpu",
    clip_actions: float | None = None,
) -> dict[str, Any]:
    """The ``rsl_sim_evaluation_entry_point`` of the Isaac Lab velocity tasks (``rsl-sim evaluate``).

    Builds the env with ``make_env(num_envs)`` (an ``IsaacLabVecEnvWrapper`` whose ``clip_actions`` is the agent's;
    ``clip_actions`` is accepted for the CPU tasks' signature), the policy with ``make_policy(env)``, and runs
    :func:`evaluate_isaaclab_velocity_policy` with the default commands. ``num_envs`` None: 2 robots per command.
    """
    del clip_actions  # the wrapper clips, as in training
    env = make_env(2 * len(DEFAULT_COMMANDS) if num_envs is None else int(num_envs))
    return evaluate_isaaclab_velocity_policy(
        env, make_policy(env), seeds=seeds, episode_length_s=episode_length_s, warmup_s=warmup_s, device=device
    )


def _pin_commands(term: Any, pinned: torch.Tensor) -> Callable[[], None]:
    """Make a ``UniformVelocityCommand`` resample to ``pinned`` ``[num_envs, 3]``; return the function undoing it."""
    saved = (term._resample_command, term.cfg.heading_command, term.cfg.rel_standing_envs)

    def resample(env_ids: Any) -> None:
        term.vel_command_b[env_ids] = pinned[env_ids]
        term.is_standing_env[env_ids] = False

    term._resample_command = resample
    term.cfg.heading_command = False
    term.cfg.rel_standing_envs = 0.0
    term.is_standing_env[:] = False
    term.vel_command_b[:] = pinned

    def restore() -> None:
        term._resample_command, term.cfg.heading_command, term.cfg.rel_standing_envs = saved

    return restore


def _data(value: Any) -> torch.Tensor:
    """A torch tensor of an Isaac Lab data field (Isaac Lab 3.0 returns arrays with a ``.torch`` view)."""
    return value.torch if hasattr(value, "torch") else torch.as_tensor(value)


def _run_episodes(
    env: Any, policy: PolicyFn, pinned: np.ndarray, seed: int, num_steps: int, warmup_steps: int, device: str
) -> dict[str, np.ndarray]:
    """One episode per robot from a reset with ``seed``; per-robot error sums, sample counts and no-fall flags."""
    num_envs = env.num_envs
    robot = env.unwrapped.scene["robot"]
    env.seed(seed)
    obs, _ = env.reset()
    obs = obs.to(device)
    if callable(getattr(policy, "reset", None)):
        policy.reset(torch.ones(num_envs, dtype=torch.bool, device=device))
    up, fell = np.ones(num_envs, dtype=bool), np.zeros(num_envs, dtype=bool)
    lin_sum, yaw_sum = np.zeros(num_envs), np.zeros(num_envs)
    samples = np.zeros(num_envs, dtype=np.int64)
    with torch.inference_mode():
        for step in range(1, num_steps + 1):
            obs, _, dones, extras = env.step(policy(obs).to(env.device))
            obs = obs.to(device)
            done = dones.cpu().numpy() > 0
            time_outs = extras.get("time_outs", torch.zeros_like(dones, dtype=torch.bool))
            terminated = done & ~time_outs.cpu().numpy().astype(bool)

            # Measure the robots that are up and were not reset by this step (a reset replaces their state)
            measured = up & ~done & (step > warmup_steps)
            lin_vel = _data(robot.data.root_lin_vel_b).cpu().numpy()
            ang_vel = _data(robot.data.root_ang_vel_b).cpu().numpy()
            lin_sum += np.where(measured, np.linalg.norm(pinned[:, :2] - lin_vel[:, :2], axis=1), 0.0)
            yaw_sum += np.where(measured, np.abs(pinned[:, 2] - ang_vel[:, 2]), 0.0)
            samples += measured

            # A robot's evaluation ends with its first episode
            fell |= up & terminated
            up &= ~done
            if callable(getattr(policy, "reset", None)):
                policy.reset(dones.to(device))
    return {"lin_sum": lin_sum, "yaw_sum": yaw_sum, "samples": samples, "no_fall": (~fell).astype(np.int64)}
