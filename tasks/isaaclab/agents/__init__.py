"""Agent (train) configs of the Isaac Lab Go2 tasks that differ from the CPU tasks' (plain RSL-RL 5.x dicts).

The rough PPO configs and the depth distillation configs are the CPU tasks' own
(:mod:`rsl_sim.tasks.go2.agents`): same networks, groups and values. Only the flat PPO configs differ, in their
iteration count (see :mod:`rsl_sim.tasks.isaaclab.agents.rsl_rl_ppo_cfg`). Importing this package imports no simulator.
"""

from rsl_sim.tasks.isaaclab.agents.rsl_rl_ppo_cfg import (
    unitree_go2_flat_ppo_cfg,
    unitree_go2_flat_ppo_with_symmetry_cfg,
)

__all__ = ["unitree_go2_flat_ppo_cfg", "unitree_go2_flat_ppo_with_symmetry_cfg"]
