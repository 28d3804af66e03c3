"""Unitree Go2 velocity tasks: env configs for CPU MuJoCo and Isaac Lab, agent configs, mirror; registers the ids.

Importing this package registers the gymnasium ids below by name only: it imports neither MuJoCo, Isaac Lab nor the
env configs (``gymnasium.make_vec`` / ``gymnasium.make`` or Isaac Lab's ``parse_env_cfg`` load them).

CPU MuJoCo (vector entry points, so ``gymnasium.make_vec(id, num_envs=N)`` builds one batched
:class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`; its keyword arguments are ``cfg``, ``render_mode``,
``seed``), configs in :mod:`~rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg`:

- ``RslSim/Go2-Flat-v0``: flat ground (``UnitreeGo2FlatEnvCfg``);
- ``RslSim/Go2-Rough-v0``: rough terrain with the height scan and the terrain curriculum (``UnitreeGo2RoughEnvCfg``);
- ``RslSim/Go2-Rough-Depth-v0``: the rough task with a depth camera and a student's observation groups
  (``UnitreeGo2RoughDepthEnvCfg``).

Isaac Lab (entry point ``isaaclab.envs:ManagerBasedRLEnv``, env config in ``env_cfg_entry_point``), configs in
:mod:`rsl_sim.tasks.locomotion.velocity.config.go2.isaaclab`: ``RslSim-Isaac-Velocity-Flat-Go2-v0``,
``RslSim-Isaac-Velocity-Rough-Go2-v0``, ``RslSim-Isaac-Velocity-Rough-Depth-Go2-v0``.

Every registration names the task's agent configs (plain RSL-RL 5.x dicts from
:mod:`rsl_sim.tasks.locomotion.velocity.config.go2.agents`): ``rsl_sim_agent_cfg_entry_point`` (the default one),
``rsl_sim_with_symmetry_cfg_entry_point`` (PPO with the Go2 mirror), ``rsl_sim_distillation_cfg_entry_point`` and
``rsl_sim_distillation_recurrent_cfg_entry_point`` (depth students). The CPU MuJoCo registrations also name what
``rsl-sim evaluate`` / ``play`` run for them: ``rsl_sim_evaluation_entry_point``
(:func:`~rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_task`; the rough tasks:
:func:`~rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_task`, per terrain type and level) and
``rsl_sim_video_entry_point``
(:func:`~rsl_sim.tasks.locomotion.velocity.video.record_velocity_video`). Every registration names the Go2 mirror
(``rsl_sim_mirror_entry_point``: :func:`~rsl_sim.tasks.locomotion.velocity.config.go2.mirror.go2_mirror`).

Shipped policies (``rsl_sim_pretrained_checkpoint``, run folders of this package whose READMEs give the training and
the evaluation), run with ``rsl-sim play|evaluate|export --task <id> --use_pretrained_checkpoint [NAME]``: the flat
tasks of both backends ``policies/flat`` (trained on ``RslSim/Go2-Flat-v0``), ``RslSim/Go2-Rough-v0``
``policies/rough`` (the teacher), ``RslSim/Go2-Rough-Depth-v0`` ``policies/depth_recurrent`` (recurrent depth
student; the CNN student as ``rsl_sim_pretrained_checkpoint_cnn``, ``policies/depth_cnn``).
"""

from __future__ import annotations

import gymnasium

_HERE = "rsl_sim.tasks.locomotion.velocity.config.go2"
_PPO = f"{_HERE}.agents.rsl_rl_ppo_cfg"
_ISAACLAB_PPO = f"{_HERE}.agents.isaaclab_rsl_rl_ppo_cfg"
_DISTILLATION = f"{_HERE}.agents.rsl_rl_distillation_cfg"
_EVALUATION = {
    "rsl_sim_evaluation_entry_point": "rsl_sim.tasks.locomotion.velocity.evaluation:evaluate_task",
    "rsl_sim_video_entry_point": "rsl_sim.tasks.locomotion.velocity.video:record_velocity_video",
}
_ROUGH_EVALUATION = {
    "rsl_sim_evaluation_entry_point": "rsl_sim.tasks.locomotion.velocity.rough_evaluation:evaluate_task",
    "rsl_sim_video_entry_point": "rsl_sim.tasks.locomotion.velocity.video:record_velocity_video",
}
_ISAACLAB_EVALUATION = {
    "rsl_sim_evaluation_entry_point": "rsl_sim.tasks.locomotion.velocity.isaaclab_evaluation:evaluate_isaaclab_task",
}
_MIRROR = {"rsl_sim_mirror_entry_point": f"{_HERE}.mirror:go2_mirror"}
_FLAT_POLICY = {"rsl_sim_pretrained_checkpoint": f"{_HERE}:policies/flat"}
_ROUGH_POLICY = {"rsl_sim_pretrained_checkpoint": f"{_HERE}:policies/rough"}
_DEPTH_POLICIES = {
    "rsl_sim_pretrained_checkpoint": f"{_HERE}:policies/depth_recurrent",
    "rsl_sim_pretrained_checkpoint_cnn": f"{_HERE}:policies/depth_cnn",
}
_DEPTH_AGENTS = {
    "rsl_sim_agent_cfg_entry_point": f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
    "rsl_sim_distillation_cfg_entry_point": f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_cfg",
    "rsl_sim_distillation_recurrent_cfg_entry_point": (
        f"{_DISTILLATION}:unitree_go2_rough_depth_distillation_recurrent_cfg"
    ),
}

VECTOR_ENTRY_POINT = "rsl_sim.tasks.mujoco.envs.velocity_env:VelocityEnv"
"""The env class of the CPU MuJoCo tasks (a batched ``gymnasium.vector.VectorEnv``)."""

ISAACLAB_ENTRY_POINT = "isaaclab.envs:ManagerBasedRLEnv"
"""The env class of the Isaac Lab tasks (Isaac Lab's manager-based RL env)."""

MUJOCO_TASKS: dict[str, dict[str, str]] = {
    "RslSim/Go2-Flat-v0": {
        "cfg_entry_point": f"{_HERE}.mujoco_env_cfg:UnitreeGo2FlatEnvCfg",
        **_MIRROR,
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_go2_flat_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_go2_flat_ppo_with_symmetry_cfg",
        **_EVALUATION,
        **_FLAT_POLICY,
    },
    "RslSim/Go2-Rough-v0": {
        "cfg_entry_point": f"{_HERE}.mujoco_env_cfg:UnitreeGo2RoughEnvCfg",
        **_MIRROR,
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_with_symmetry_cfg",
        **_ROUGH_EVALUATION,
        **_ROUGH_POLICY,
    },
    "RslSim/Go2-Rough-Depth-v0": {
        "cfg_entry_point": f"{_HERE}.mujoco_env_cfg:UnitreeGo2RoughDepthEnvCfg",
        **_MIRROR,
        **_DEPTH_AGENTS,
        **_ROUGH_EVALUATION,
        **_DEPTH_POLICIES,
    },
}
"""Registration kwargs of the CPU MuJoCo tasks (module paths as strings: nothing is imported here)."""

ISAACLAB_TASKS: dict[str, dict[str, str]] = {
    "RslSim-Isaac-Velocity-Flat-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.isaaclab.flat_env_cfg:UnitreeGo2FlatEnvCfg",
        **_MIRROR,
        "rsl_sim_agent_cfg_entry_point": f"{_ISAACLAB_PPO}:unitree_go2_flat_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_ISAACLAB_PPO}:unitree_go2_flat_ppo_with_symmetry_cfg",
        **_ISAACLAB_EVALUATION,
        **_FLAT_POLICY,
    },
    "RslSim-Isaac-Velocity-Rough-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.isaaclab.rough_env_cfg:UnitreeGo2RoughEnvCfg",
        **_MIRROR,
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_go2_rough_ppo_with_symmetry_cfg",
        **_ISAACLAB_EVALUATION,
    },
    "RslSim-Isaac-Velocity-Rough-Depth-Go2-v0": {
        "env_cfg_entry_point": f"{_HERE}.isaaclab.depth_env_cfg:UnitreeGo2RoughDepthEnvCfg",
        **_MIRROR,
        **_DEPTH_AGENTS,
        **_ISAACLAB_EVALUATION,
    },
}
"""Registration kwargs of the Isaac Lab tasks (module paths as strings: nothing is imported here)."""

# Register once per process (re-importing keeps the existing entries)
for _env_id, _kwargs in MUJOCO_TASKS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(
            id=_env_id, vector_entry_point=VECTOR_ENTRY_POINT, kwargs=dict(_kwargs), disable_env_checker=True
        )
for _env_id, _kwargs in ISAACLAB_TASKS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(id=_env_id, entry_point=ISAACLAB_ENTRY_POINT, kwargs=dict(_kwargs), disable_env_checker=True)
