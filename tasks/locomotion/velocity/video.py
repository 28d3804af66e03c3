"""Video of a velocity-tracking policy walking (Go2 tasks on CPU MuJoCo), written with :mod:`rsl_sim.utils.video`.

One robot (``cfg.viewer.env_index`` = 0, the camera follows its base) is rendered offscreen with MuJoCo at the env
step rate (50 frames per second, real time). Its command is pinned to ``command`` for the whole video (or left to the
task's random commands with ``command=None``); everything else is as in training. MuJoCo renders without a display
through EGL by default (``MUJOCO_GL=egl``; set ``MUJOCO_GL=osmesa`` for software rendering before MuJoCo is imported).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from rsl_sim.tasks.locomotion.velocity.evaluation import make_evaluation_env
from rsl_sim.utils.video import record_policy_video


def record_velocity_video(
    task: str,
    policy: Callable[[Any], torch.Tensor],
    path: str,
    num_steps: int = 500,
    command: Sequence[float] | None = (1.0, 0.0, 0.0),
    seed: int = 0,
    device: str = "cpu",
    clip_actions: float | None = None,
) -> int:
    """Render one robot of ``task`` driven by ``policy`` into an mp4 file.

    Args:
        task: Registered velocity task id, e.g. ``"RslSim/Go2-Flat-v0"``.
        policy: Callable mapping the observations (TensorDict ``[1]``) to actions ``[1, num_actions]``.
        path: Destination mp4 file.
        num_steps: Env steps (0.02 s each for the Go2 tasks); the video has ``num_steps + 1`` frames.
        command: ``(v_x [m/s], v_y [m/s], omega_z [rad/s])`` held for the whole video; None: the task's commands.
        seed: Seed of the env (randomization, reset pose, noise).
        device: Device of the observations given to the policy.
        clip_actions: The agent config's ``clip_actions`` (actions clamped to +-this value, as in training), or None.

    Returns:
        Number of frames written.

    Raises:
        ValueError: If ``command`` is not three finite numbers, or for the errors of
            :func:`~rsl_sim.utils.video.record_policy_video`.
    """
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    # One robot; the time limit covers the whole video so that it is never reset by a time-out
    step_dt = _task_step_dt(task)
    env = make_evaluation_env(
        task, num_envs=1, episode_length_s=(num_steps + 1) * step_dt, render_mode="rgb_array", seed=seed
    )
    try:
        if command is not None:
            values = np.asarray(command, dtype=np.float64).reshape(-1)
            if values.shape != (3,) or not np.all(np.isfinite(values)):
                raise ValueError(f"command must be three finite numbers (v_x, v_y, omega_z), got {command!r}.")
            env.command_manager["base_velocity"].set_fixed_command(values[None, :])
        wrapped = GymnasiumVecEnvWrapper(env, device=device, clip_actions=clip_actions, seed=seed)
        return record_policy_video(wrapped, policy, path, num_steps=num_steps, fps=1.0 / step_dt)
    finally:
        env.close()


def _task_step_dt(task: str) -> float:
    """The env step [s] of a registered velocity task (``decimation * physics.dt`` of its config)."""
    import gymnasium

    from rsl_sim.tasks.mujoco.envs.velocity_env import load_cfg

    cfg = load_cfg(gymnasium.spec(task).kwargs["cfg_entry_point"])
    return cfg.decimation * cfg.physics.dt
