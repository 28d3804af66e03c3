"""Agent (train) configs of the G1 tasks as plain RSL-RL 5.x dicts, one function per config (new dicts, safe to edit).

The gymnasium registration of each task names them: ``rsl_sim_agent_cfg_entry_point`` (PPO) and
``rsl_sim_with_symmetry_cfg_entry_point`` (PPO with left-right data augmentation).
"""

from rsl_sim.tasks.locomotion.velocity.config.g1.agents.rsl_rl_ppo_cfg import (
    unitree_g1_flat_ppo_cfg,
    unitree_g1_flat_ppo_with_symmetry_cfg,
    unitree_g1_rough_ppo_cfg,
    unitree_g1_rough_ppo_with_symmetry_cfg,
)

__all__ = [
    "unitree_g1_flat_ppo_cfg",
    "unitree_g1_flat_ppo_with_symmetry_cfg",
    "unitree_g1_rough_ppo_cfg",
    "unitree_g1_rough_ppo_with_symmetry_cfg",
]
