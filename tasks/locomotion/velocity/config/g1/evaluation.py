"""Evaluation of a G1 velocity policy: the velocity task's fixed-command evaluation with commands the G1 trains on.

The G1 tasks command forward speeds only (``v_x`` in [0, 1] m/s; ``v_y`` in [-0.5, 0.5] m/s on flat ground, 0 on
rough terrain) and yaw rates in [-1, 1] rad/s, so the Go2's backward and sideways commands are replaced by commands
inside both tasks' ranges. Everything else is
:func:`~rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy` (noise, randomization and pushes as in
training, 20 s episodes, a fall = a terminated episode).

The module states the G1's evaluation protocol as the velocity evaluation module does for the Go2:
:data:`DEFAULT_COMMANDS`, and the walking criterion :data:`MAX_LIN_VEL_ERROR` / :data:`MIN_NO_FALL_RATE` that
``benchmarks/time_to_walk.py`` reads from the module of a task's registered evaluation function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rsl_sim.tasks.locomotion.velocity import evaluation as velocity_evaluation
from rsl_sim.tasks.locomotion.velocity.evaluation import PolicyFn

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

DEFAULT_COMMANDS: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, 0.0),
    (0.25, 0.0, 0.0),
    (0.5, 0.0, 0.0),
    (1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0),
    (0.0, 0.0, -1.0),
    (0.5, 0.0, 0.5),
    (0.5, 0.0, -0.5),
)
"""The fixed commands ``(v_x [m/s], v_y [m/s], omega_z [rad/s])``: standing, forward slow to fast, turning in place
both ways, forward turns both ways (inside the ranges of the flat and the rough G1 task)."""

DEFAULT_SEEDS: tuple[int, ...] = (0, 1)
"""Seeds of the evaluation (each one fixes the randomization, the resets, the pushes and the noise)."""

MAX_LIN_VEL_ERROR = 0.3
"""Walking criterion of the G1: overall ``lin_vel_error`` at most this [m/s]."""

MIN_NO_FALL_RATE = 0.9
"""Walking criterion of the G1: overall ``no_fall_rate`` at least this."""


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
    """The G1 tasks' evaluation as their gymnasium registrations name it (``rsl_sim_evaluation_entry_point``).

    ``rsl-sim evaluate`` supplies the env and the policy: 16 robots per command of :data:`DEFAULT_COMMANDS` by
    default, each seed one 20 s episode per robot.

    Args:
        make_env: ``num_envs -> env``: the task's :class:`VelocityEnv` (its time limit covering ``episode_length_s``).
        make_policy: ``env -> policy``: the policy to evaluate on that env.
        num_envs: Robots per seed, a multiple of ``len(DEFAULT_COMMANDS)``; None: 16 per command.
        seeds: Seeds.
        episode_length_s: Length of each robot's episode [s].
        warmup_s: Time after the reset that is not measured [s].
        device: Device of the observations given to the policy.
        clip_actions: The agent config's ``clip_actions``, or None.

    Returns:
        The results dict of :func:`~rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_task` with
        :data:`DEFAULT_COMMANDS`.

    Raises:
        ValueError: If ``num_envs`` is not a positive multiple of the number of commands, or as
            :func:`~rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy`.
    """
    return velocity_evaluation.evaluate_task(
        make_env,
        make_policy,
        num_envs=num_envs,
        seeds=seeds,
        episode_length_s=episode_length_s,
        warmup_s=warmup_s,
        device=device,
        clip_actions=clip_actions,
        commands=DEFAULT_COMMANDS,
    )
