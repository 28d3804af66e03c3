"""Joint position action: targets ``offset + scale * action`` for the DC-motor PD controllers.

As Isaac Lab's ``JointPositionAction`` with ``use_default_offset``: the offset is the default joint position, the raw
action is what ``last_action`` observes and ``action_rate_l2`` differentiates. The targets are written into the
simulation's ``ctrl`` rows once per env step; the actuators' PD law runs at every physics step inside MuJoCo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.mujoco.managers.term_cfg import ActionTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class JointPositionAction:
    """Raw actions ``[num_envs, action_dim]`` to joint position targets.

    Args:
        cfg: The action config.
        env: The environment (robot, simulation).

    Raises:
        ValueError: If the joint patterns match nothing or ``clip`` is inverted.
    """

    def __init__(self, cfg: JointPositionActionCfg, env: VelocityEnv) -> None:
        if cfg.clip is not None and cfg.clip[0] > cfg.clip[1]:
            raise ValueError(f"actions.clip={cfg.clip}: the lower bound exceeds the upper one.")
        self.cfg = cfg
        self.env = env
        robot = env.robot
        self.joint_ids = np.asarray(resolve_names(cfg.joint_names, robot.joint_names, key="actions.joint_names"))
        self.action_dim = len(self.joint_ids)
        self.offset = robot.default_joint_pos[self.joint_ids] if cfg.use_default_offset else np.zeros(self.action_dim)
        self.actuator_ids = robot.actuator_ids[self.joint_ids]
        self.action = np.zeros((env.num_envs, self.action_dim))
        self.prev_action = np.zeros((env.num_envs, self.action_dim))
        self.processed_action = np.tile(self.offset, (env.num_envs, 1))

    def process(self, actions: np.ndarray) -> None:
        """Store new raw actions (keeping the previous ones) and compute the joint targets.

        Args:
            actions: Raw actions ``[num_envs, action_dim]``.
        """
        self.prev_action = self.action
        self.action = np.asarray(actions, dtype=np.float64).reshape(self.env.num_envs, self.action_dim).copy()
        if self.cfg.clip is not None:
            np.clip(self.action, self.cfg.clip[0], self.cfg.clip[1], out=self.action)
        self.processed_action = self.offset + self.cfg.scale * self.action

    def apply(self) -> None:
        """Write the joint targets into the simulation's controls."""
        self.env.sim.ctrl[:, self.actuator_ids] = self.processed_action

    def reset(self, env_ids: np.ndarray) -> None:
        """Zero the raw and previous actions of some envs.

        Args:
            env_ids: Environment indices ``[k]``.
        """
        self.action[env_ids] = 0.0
        self.prev_action[env_ids] = 0.0


@dataclass
class JointPositionActionCfg(ActionTermCfg):
    """Joint position targets ``offset + scale * action`` (Isaac Lab's ``JointPositionActionCfg``).

    Attributes:
        class_type: :class:`JointPositionAction`.
        joint_names: Regular expression(s) over the robot's joint names (order: the robot's joint order).
        scale: Action scale [rad].
        use_default_offset: Whether the offset is the default joint position (else 0).
        clip: Optional ``(min, max)`` applied to the raw actions.
    """

    joint_names: str | tuple[str, ...] = ".*"
    scale: float = 1.0
    use_default_offset: bool = True
    clip: tuple[float, float] | None = None
    class_type: type = JointPositionAction
