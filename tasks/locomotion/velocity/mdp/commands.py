"""Base velocity command ``(v_x, v_y, omega_z)`` in the base frame (Isaac Lab's ``UniformVelocityCommand``).

Every ``resampling_time_range`` seconds (per env) the command is drawn uniformly from the ranges. With
``heading_command``, a target heading is drawn too and, for a ``rel_heading_envs`` share of the envs, the yaw rate
follows it: ``omega_z = clip(k * wrap_to_pi(target - heading), ang_vel_z range)``. A ``rel_standing_envs`` share of the
envs gets a zero command. Episode metrics: mean xy and yaw-rate tracking errors and the success rate (both errors
below their thresholds).

For evaluation, :meth:`UniformVelocityCommand.set_fixed_command` pins each env's command to given values: sampling goes
on as usual (the random stream is the same), but the pinned values replace the draws, the heading control and the
standing envs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.term_cfg import CommandTermCfg
from rsl_sim.tasks.mujoco.spatial import wrap_to_pi

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class UniformVelocityCommand:
    """Uniformly sampled SE(2) velocity commands with optional heading control.

    Args:
        cfg: The command config.
        env: The environment (robot state, random generator, number of envs).

    Raises:
        ValueError: If ``heading_command`` is set without ``ranges.heading``, or a range is inverted.
    """

    def __init__(self, cfg: UniformVelocityCommandCfg, env: VelocityEnv) -> None:
        if cfg.heading_command and cfg.ranges.heading is None:
            raise ValueError("commands: heading_command=True needs ranges.heading, e.g. (-pi, pi).")
        for name in ("lin_vel_x", "lin_vel_y", "ang_vel_z"):
            low, high = getattr(cfg.ranges, name)
            if low > high:
                raise ValueError(f"commands.ranges.{name}=({low}, {high}): the lower bound exceeds the upper one.")
        self.cfg = cfg
        self.env = env
        n = env.num_envs

        # Command state
        self.vel_command_b = np.zeros((n, 3))
        self.heading_target = np.zeros(n)
        self.is_heading_env = np.zeros(n, dtype=bool)
        self.is_standing_env = np.zeros(n, dtype=bool)
        self.time_left = np.zeros(n)
        self.command_counter = np.zeros(n, dtype=np.int64)
        self.fixed_command: np.ndarray | None = None

        # Episode metrics: running sums and step counts
        self._error_xy_sum = np.zeros(n)
        self._error_yaw_sum = np.zeros(n)
        self._step_count = np.zeros(n)

    @property
    def command(self) -> np.ndarray:
        """The command ``[num_envs, 3]``: ``v_x`` [m/s], ``v_y`` [m/s], ``omega_z`` [rad/s] in the base frame."""
        return self.vel_command_b

    def set_fixed_command(self, command: np.ndarray | None) -> None:
        """Pin every env's command to ``command`` (evaluation), or release the pin with None.

        While pinned, resampling, heading control and standing envs leave the command at the pinned values; the
        random draws still happen, so the rest of the env's random stream does not change.

        Args:
            command: ``[num_envs, 3]`` (``v_x`` [m/s], ``v_y`` [m/s], ``omega_z`` [rad/s], base frame), or None.

        Raises:
            ValueError: If ``command`` does not have shape ``[num_envs, 3]`` or is not finite.
        """
        if command is None:
            self.fixed_command = None
            return
        command = np.array(command, dtype=np.float64)
        if command.shape != (self.env.num_envs, 3) or not np.all(np.isfinite(command)):
            raise ValueError(
                f"set_fixed_command: command must be a finite array of shape {(self.env.num_envs, 3)} "
                f"(v_x, v_y, omega_z per env), got shape {command.shape}."
            )
        self.fixed_command = command
        self.vel_command_b[:] = command

    def reset(self, env_ids: np.ndarray) -> tuple[dict[str, float], float]:
        """Finish the episode metrics of some envs and draw their new commands.

        Args:
            env_ids: Environment indices ``[k]``.

        Returns:
            ``(metrics, success_rate)``: means over ``env_ids`` of the episode-mean errors (``error_vel_xy`` [m/s],
            ``error_vel_yaw`` [rad/s]) and the share of episodes whose errors stayed below the thresholds.
        """
        steps = np.maximum(self._step_count[env_ids], 1.0)
        mean_xy = self._error_xy_sum[env_ids] / steps
        mean_yaw = self._error_yaw_sum[env_ids] / steps
        success = (mean_xy < self.cfg.vel_xy_success_threshold) & (mean_yaw < self.cfg.vel_yaw_success_threshold)
        metrics = {"error_vel_xy": float(mean_xy.mean()), "error_vel_yaw": float(mean_yaw.mean())}
        self._error_xy_sum[env_ids] = 0.0
        self._error_yaw_sum[env_ids] = 0.0
        self._step_count[env_ids] = 0.0
        self.command_counter[env_ids] = 0
        self._resample(env_ids)
        return metrics, float(success.mean())

    def compute(self, dt: float) -> None:
        """Advance one env step: accumulate metrics, resample expired commands, apply heading control and standing.

        Args:
            dt: Env step [s].
        """
        self._update_metrics()
        self.time_left -= dt
        expired = np.flatnonzero(self.time_left <= 0.0)
        if expired.size > 0:
            self._resample(expired)
        self._update_command()

    def _update_metrics(self) -> None:
        """Add this step's tracking errors to the episode sums."""
        robot = self.env.robot
        self._error_xy_sum += np.linalg.norm(self.vel_command_b[:, :2] - robot.root_lin_vel_b[:, :2], axis=1)
        self._error_yaw_sum += np.abs(self.vel_command_b[:, 2] - robot.root_ang_vel_b[:, 2])
        self._step_count += 1.0

    def _resample(self, env_ids: np.ndarray) -> None:
        """Draw the next resampling time and a new command for some envs."""
        low, high = self.cfg.resampling_time_range
        self.time_left[env_ids] = self.env.rng.uniform(low, high, size=len(env_ids))
        self.command_counter[env_ids] += 1
        self._resample_command(env_ids)

    def _resample_command(self, env_ids: np.ndarray) -> None:
        """Draw velocities, heading targets and the heading/standing flags of some envs."""
        rng, ranges, k = self.env.rng, self.cfg.ranges, len(env_ids)
        self.vel_command_b[env_ids, 0] = rng.uniform(*ranges.lin_vel_x, size=k)
        self.vel_command_b[env_ids, 1] = rng.uniform(*ranges.lin_vel_y, size=k)
        self.vel_command_b[env_ids, 2] = rng.uniform(*ranges.ang_vel_z, size=k)
        if self.cfg.heading_command:
            self.heading_target[env_ids] = rng.uniform(*ranges.heading, size=k)
            self.is_heading_env[env_ids] = rng.uniform(0.0, 1.0, size=k) <= self.cfg.rel_heading_envs
        self.is_standing_env[env_ids] = rng.uniform(0.0, 1.0, size=k) <= self.cfg.rel_standing_envs
        if self.fixed_command is not None:
            self.vel_command_b[env_ids] = self.fixed_command[env_ids]

    def _update_command(self) -> None:
        """Yaw rate from the heading error where heading control is on; zero command for standing envs."""
        if self.cfg.heading_command:
            error = wrap_to_pi(self.heading_target - self.env.robot.heading_w)
            low, high = self.cfg.ranges.ang_vel_z
            heading_rate = np.clip(self.cfg.heading_control_stiffness * error, low, high)
            self.vel_command_b[:, 2] = np.where(self.is_heading_env, heading_rate, self.vel_command_b[:, 2])
        self.vel_command_b[self.is_standing_env] = 0.0
        # pinned commands (evaluation) override all of the above
        if self.fixed_command is not None:
            self.vel_command_b[:] = self.fixed_command


@dataclass
class VelocityRangesCfg:
    """Sampling ranges of the velocity command (Isaac Lab's ``UniformVelocityCommandCfg.Ranges``)."""

    lin_vel_x: tuple[float, float] = (-1.0, 1.0)
    lin_vel_y: tuple[float, float] = (-1.0, 1.0)
    ang_vel_z: tuple[float, float] = (-1.0, 1.0)
    heading: tuple[float, float] | None = None


@dataclass
class UniformVelocityCommandCfg(CommandTermCfg):
    """Base velocity command ``(v_x, v_y, omega_z)`` in the base frame (Isaac Lab's ``UniformVelocityCommandCfg``).

    Attributes:
        class_type: :class:`UniformVelocityCommand`.
        resampling_time_range: ``(min, max)`` seconds between two resamplings, per env.
        rel_standing_envs: Probability that a resampled command is zero (standing).
        rel_heading_envs: Probability that ``omega_z`` follows the heading target (with ``heading_command``).
        heading_command: Whether ``omega_z`` is computed from a heading target: ``clip(k * wrap(target - heading))``.
        heading_control_stiffness: The gain ``k`` of the heading controller.
        ranges: Sampling ranges.
        vel_xy_success_threshold: Mean xy tracking error [m/s] below which an episode counts as a success.
        vel_yaw_success_threshold: Mean yaw-rate tracking error [rad/s] below which an episode counts as a success.
    """

    resampling_time_range: tuple[float, float] = (10.0, 10.0)
    rel_standing_envs: float = 0.0
    rel_heading_envs: float = 1.0
    heading_command: bool = False
    heading_control_stiffness: float = 1.0
    ranges: VelocityRangesCfg = field(default_factory=VelocityRangesCfg)
    vel_xy_success_threshold: float = 0.5
    vel_yaw_success_threshold: float = 0.4
    class_type: type = UniformVelocityCommand
