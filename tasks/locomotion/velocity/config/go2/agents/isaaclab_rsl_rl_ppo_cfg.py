"""PPO configs of the Isaac Lab Go2 flat task: the CPU flat configs with Isaac Lab's 300 iterations.

The CPU flat configs (:func:`rsl_sim.tasks.locomotion.velocity.config.go2.agents.unitree_go2_flat_ppo_cfg`) train for
1200 iterations because the CPU env runs 1024 robots; the Isaac Lab task keeps Isaac Lab's 4096 robots, so it keeps
Isaac Lab's 300 iterations (``UnitreeGo2FlatPPORunnerCfg``). Everything else (networks, privileged critic group, PPO
values, the symmetry variant's mirror function :func:`~rsl_sim.tasks.locomotion.velocity.config.go2.mirror.go2_mirror`)
is the CPU config's.
"""

from __future__ import annotations

from typing import Any

from rsl_sim.tasks.locomotion.velocity.config.go2.agents import rsl_rl_ppo_cfg as go2

ISAACLAB_FLAT_MAX_ITERATIONS = 300
"""Isaac Lab's iteration count for the Go2 flat task (``UnitreeGo2FlatPPORunnerCfg.max_iterations``)."""


def unitree_go2_flat_ppo_cfg() -> dict[str, Any]:
    """PPO for ``RslSim-Isaac-Velocity-Flat-Go2-v0`` (Isaac Lab's ``UnitreeGo2FlatPPORunnerCfg`` + critic group)."""
    cfg = go2.unitree_go2_flat_ppo_cfg()
    cfg["max_iterations"] = ISAACLAB_FLAT_MAX_ITERATIONS
    return cfg


def unitree_go2_flat_ppo_with_symmetry_cfg() -> dict[str, Any]:
    """PPO with left-right symmetry augmentation for ``RslSim-Isaac-Velocity-Flat-Go2-v0``."""
    cfg = go2.unitree_go2_flat_ppo_with_symmetry_cfg()
    cfg["max_iterations"] = ISAACLAB_FLAT_MAX_ITERATIONS
    return cfg
