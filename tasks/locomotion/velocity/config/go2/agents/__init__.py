"""Agent (train) configs of the Go2 tasks as plain RSL-RL 5.x dicts, one function per config.

The functions return new dicts (safe to edit). The gymnasium registration of each task names them:

======================================================  =============================================================
registration kwarg                                      config
======================================================  =============================================================
``rsl_sim_agent_cfg_entry_point``                       PPO (Go2-Flat, Go2-Rough); CNN-student distillation (Depth)
``rsl_sim_with_symmetry_cfg_entry_point``               PPO with left-right data augmentation (Go2-Flat, Go2-Rough)
``rsl_sim_distillation_cfg_entry_point``                distillation into a CNN depth student (Go2-Rough-Depth)
``rsl_sim_distillation_recurrent_cfg_entry_point``      distillation into a recurrent CNN depth student (Depth)
======================================================  =============================================================
"""

from rsl_sim.tasks.locomotion.velocity.config.go2.agents.rsl_rl_distillation_cfg import (
    unitree_go2_rough_depth_distillation_cfg,
    unitree_go2_rough_depth_distillation_recurrent_cfg,
)
from rsl_sim.tasks.locomotion.velocity.config.go2.agents.rsl_rl_ppo_cfg import (
    unitree_go2_flat_ppo_cfg,
    unitree_go2_flat_ppo_with_symmetry_cfg,
    unitree_go2_rough_ppo_cfg,
    unitree_go2_rough_ppo_with_symmetry_cfg,
)

__all__ = [
    "unitree_go2_flat_ppo_cfg",
    "unitree_go2_flat_ppo_with_symmetry_cfg",
    "unitree_go2_rough_depth_distillation_cfg",
    "unitree_go2_rough_depth_distillation_recurrent_cfg",
    "unitree_go2_rough_ppo_cfg",
    "unitree_go2_rough_ppo_with_symmetry_cfg",
]
