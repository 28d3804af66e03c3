"""Velocity-tracking locomotion on CPU MuJoCo (Isaac Lab's velocity task); importing this package registers the ids.

Registered gymnasium ids (vector entry points, so ``gymnasium.make_vec(id, num_envs=N)`` builds one batched env):

- ``RslSim/Go2-Flat-v0``: Unitree Go2 on flat ground (:class:`~rsl_sim.tasks.velocity.env_cfg.UnitreeGo2FlatEnvCfg`).
- ``RslSim/Go2-Rough-v0``: Unitree Go2 on rough terrain with the height scan and the terrain curriculum
  (:class:`~rsl_sim.tasks.velocity.env_cfg.UnitreeGo2RoughEnvCfg`).
- ``RslSim/Go2-Rough-Depth-v0``: the rough task with a depth camera and a student's observation groups
  (:class:`~rsl_sim.tasks.velocity.env_cfg.UnitreeGo2RoughDepthEnvCfg`).

Keyword arguments of ``make_vec`` go to :class:`~rsl_sim.tasks.velocity.env.VelocityEnv` (``cfg``, ``render_mode``,
``seed``). Each registration also names its agent configs (plain RSL-RL 5.x dicts from :mod:`rsl_sim.tasks.go2.agents`):
``rsl_sim_agent_cfg_entry_point`` (the default one), ``rsl_sim_with_symmetry_cfg_entry_point`` (PPO with the Go2
mirror), ``rsl_sim_distillation_cfg_entry_point`` and ``rsl_sim_distillation_recurrent_cfg_entry_point`` (depth
students). Registration imports neither MuJoCo nor the env module.
"""

from __future__ import annotations

import gymnasium

_VECTOR_ENTRY_POINT = "rsl_sim.tasks.velocity.env:VelocityEnv"
_CFGS = "rsl_sim.tasks.velocity.env_cfg"
_PPO = "rsl_sim.tasks.go2.agents.rsl_rl_ppo_cfg"
_DISTILLATION = "rsl_sim.tasks.go2.agents.rsl_rl_distillation_cfg"
_TASKS = {
    "RslSim/Go2-Flat-v0": {
        "cfg_entry_point": f"{_CFGS}:UnitreeGo2FlatEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_go2_flat_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_go2_flat_ppo_with_symmetry_cfg",
    },
    "RslSim/Go2-Rough-v0": {
        "cfg_entry_point": f"{_CFGS}:UnitreeGo2RoughEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_with_symmetry_cfg",
    },
    "RslSim/Go2-Rough-Depth-v0": {
        "cfg_entry_point": f"{_CFGS}:UnitreeGo2RoughDepthEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
        "rsl_sim_distillation_cfg_entry_point": f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
        "rsl_sim_distillation_recurrent_cfg_entry_point": (
            f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_recurrent_cfg"
        ),
    },
}

# Register once per process (re-importing keeps the existing entries)
for _env_id, _kwargs in _TASKS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(
            id=_env_id,
            vector_entry_point=_VECTOR_ENTRY_POINT,
            kwargs=dict(_kwargs),
            disable_env_checker=True,
        )
