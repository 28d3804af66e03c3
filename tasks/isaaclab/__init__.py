"""Unitree Go2 velocity tasks on Isaac Lab (manager-based, Newton physics), with the CPU MuJoCo Go2 tasks' layout.

Importing this package registers these gymnasium ids (env config in ``env_cfg_entry_point``) by name only: it
imports neither Isaac Lab nor the env configs (those import Isaac Lab when ``gymnasium.make`` or Isaac Lab's
``parse_env_cfg`` load them).

- ``RslSim-Isaac-Velocity-Flat-Go2-v0``: :class:`~rsl_sim.tasks.isaaclab.flat_env_cfg.UnitreeGo2FlatEnvCfg`;
- ``RslSim-Isaac-Velocity-Rough-Go2-v0``: :class:`~rsl_sim.tasks.isaaclab.rough_env_cfg.UnitreeGo2RoughEnvCfg`;
- ``RslSim-Isaac-Velocity-Rough-Depth-Go2-v0``:
  :class:`~rsl_sim.tasks.isaaclab.depth_env_cfg.UnitreeGo2RoughDepthEnvCfg`.

The env configs inherit Isaac Lab's Go2 velocity configs and give them the CPU tasks' observation groups (``policy``,
privileged ``critic``; ``student`` and ``depth`` on the depth task) and joint order, so a policy trained on one backend
reads and writes the same vectors on the other. The registrations follow Isaac Lab's convention (entry point
``isaaclab.envs:ManagerBasedRLEnv``) and name the agent configs with the CPU tasks' kwargs:
``rsl_sim_agent_cfg_entry_point`` (the default one), ``rsl_sim_with_symmetry_cfg_entry_point`` (PPO with the Go2
mirror :func:`~rsl_sim.tasks.go2.mirror.go2_mirror`), ``rsl_sim_distillation_cfg_entry_point`` and
``rsl_sim_distillation_recurrent_cfg_entry_point`` (depth students).

Building an env (Isaac Lab 3.0 kit-less, CPU; see ``scripts/install_isaaclab.sh``)::

    import gymnasium as gym
    import rsl_sim.tasks.isaaclab  # registers the ids
    from isaaclab.app.sim_launcher import launch_simulation
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg
    from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

    env_cfg = parse_env_cfg("RslSim-Isaac-Velocity-Flat-Go2-v0", device="cpu", num_envs=64)
    with launch_simulation(env_cfg, {}):
        env = IsaacLabVecEnvWrapper(gym.make("RslSim-Isaac-Velocity-Flat-Go2-v0", cfg=env_cfg))
"""

from __future__ import annotations

import gymnasium

ISAACLAB_ENTRY_POINT = "isaaclab.envs:ManagerBasedRLEnv"
"""The env class of every task here (Isaac Lab's manager-based RL env)."""

_HERE = "rsl_sim.tasks.isaaclab"
_GO2_PPO = "rsl_sim.tasks.go2.agents.rsl_rl_ppo_cfg"
_GO2_DISTILLATION = "rsl_sim.tasks.go2.agents.rsl_rl_distillation_cfg"
_ISAACLAB_PPO = f"{_HERE}.agents.rsl_rl_ppo_cfg"

TASKS: dict[str, dict[str, str]] = {
    "RslSim-Isaac-Velocity-Flat-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.flat_env_cfg:UnitreeGo2FlatEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_ISAACLAB_PPO}:unitree_go2_flat_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_ISAACLAB_PPO}:unitree_go2_flat_ppo_with_symmetry_cfg",
    },
    "RslSim-Isaac-Velocity-Rough-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.rough_env_cfg:UnitreeGo2RoughEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_GO2_PPO}:unitree_go2_rough_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_GO2_PPO}:unitree_go2_rough_ppo_with_symmetry_cfg",
    },
    "RslSim-Isaac-Velocity-Rough-Depth-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.depth_env_cfg:UnitreeGo2RoughDepthEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_GO2_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
        "rsl_sim_distillation_cfg_entry_point": f"{_GO2_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
        "rsl_sim_distillation_recurrent_cfg_entry_point": (
            f"{_GO2_DISTILLATION}:unitree_go2_rough_depth_distillation_recurrent_cfg"
        ),
    },
}
"""Registration kwargs of each task (module paths as strings: nothing is imported here)."""

# Register once per process (re-importing keeps the existing entries)
for _task_id, _kwargs in TASKS.items():
    if _task_id not in gymnasium.registry:
        gymnasium.register(
            id=_task_id, entry_point=ISAACLAB_ENTRY_POINT, disable_env_checker=True, kwargs=dict(_kwargs)
        )
