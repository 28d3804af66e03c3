"""Unitree Go2 on rough terrain on Isaac Lab, with the CPU MuJoCo Go2 task's observation groups and joint order.

:class:`UnitreeGo2RoughEnvCfg` inherits Isaac Lab's ``UnitreeGo2RoughEnvCfg`` (``isaaclab_tasks/core/velocity``: scene,
terrain, rewards, events, terminations, curriculum and Newton physics unchanged) and changes two things so that a
policy moves between Isaac Lab and the CPU task (``RslSim/Go2-Rough-v0``):

- observations: the CPU task's groups (:mod:`rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.observations_cfg`):
  ``policy`` as Isaac Lab's and a privileged ``critic``;
- joint order: the robot's public joint order (``joint_ordering``, Isaac Lab 3.0) is the CPU tasks' order
  :data:`~rsl_sim.tasks.assets.go2.GO2_JOINT_NAMES` (hips, thighs, calves; legs FL, FR, RL, RR), so that actions,
  ``joint_pos`` and ``joint_vel`` are in that order. Newton's own order is depth-first (FL hip, thigh, calf, FR ...).
"""

from __future__ import annotations

from isaaclab.utils import configclass
from isaaclab_tasks.core.velocity.config.go2.rough_env_cfg import UnitreeGo2RoughEnvCfg as IsaacLabGo2RoughEnvCfg

from rsl_sim.tasks.assets.go2 import GO2_JOINT_NAMES
from rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.observations_cfg import ObservationsCfg


def apply_go2_joint_order(cfg: IsaacLabGo2RoughEnvCfg) -> None:
    """Make the robot's public joint order the CPU Go2 tasks' order (actions and joint observations follow it).

    Args:
        cfg: A Go2 velocity env config (changed in place).
    """
    cfg.scene.robot.joint_ordering = tuple(GO2_JOINT_NAMES)


@configclass
class UnitreeGo2RoughEnvCfg(IsaacLabGo2RoughEnvCfg):
    """Isaac Lab's Go2 rough task with rsl_sim's observation groups (``RslSim-Isaac-Velocity-Rough-Go2-v0``).

    Observations: ``policy`` ``[N, 235]`` (48 proprioceptive values and the 187-ray height scan), ``critic``
    ``[N, 249]``. Actions: 12 joint-position targets (scale 0.25 around the default pose) in the CPU tasks' joint order.
    """

    observations: ObservationsCfg = ObservationsCfg()

    def __post_init__(self) -> None:
        super().__post_init__()
        apply_go2_joint_order(self)
