"""Unitree Go2 on flat ground on Isaac Lab, with the CPU MuJoCo Go2 task's observation groups and joint order.

:class:`UnitreeGo2FlatEnvCfg` inherits Isaac Lab's ``UnitreeGo2FlatEnvCfg`` (flat plane, no height scan, flat reward
weights, Newton physics) with the changes of :mod:`rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.rough_env_cfg`:
the CPU task's observation groups (without the height scan) and its joint order.
"""

from __future__ import annotations

from isaaclab.utils import configclass
from isaaclab_tasks.core.velocity.config.go2.flat_env_cfg import UnitreeGo2FlatEnvCfg as IsaacLabGo2FlatEnvCfg

from rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.observations_cfg import ObservationsCfg
from rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab.rough_env_cfg import apply_go2_joint_order


@configclass
class UnitreeGo2FlatEnvCfg(IsaacLabGo2FlatEnvCfg):
    """Isaac Lab's Go2 flat task with rsl_sim's observation groups (``RslSim-Isaac-Velocity-Flat-Go2-v0``).

    Observations: ``policy`` ``[N, 48]``, ``critic`` ``[N, 62]``. Actions: 12 joint-position targets in the CPU tasks'
    joint order.
    """

    observations: ObservationsCfg = ObservationsCfg()

    def __post_init__(self) -> None:
        # Isaac Lab's flat changes remove the policy's height scan; the critic's goes too
        super().__post_init__()
        self.observations.critic.height_scan = None
        apply_go2_joint_order(self)
