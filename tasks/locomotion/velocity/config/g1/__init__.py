"""Unitree G1 velocity tasks on CPU MuJoCo: env configs, agent configs, mirror; importing registers the ids.

Registration is by name only (neither MuJoCo nor the env configs are imported here). Vector entry points, so
``gymnasium.make_vec(id, num_envs=N)`` builds one batched
:class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv` (keyword arguments ``cfg``, ``render_mode``, ``seed``);
configs in :mod:`~rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg`:

- ``RslSim/G1-Flat-v0``: flat ground (``G1FlatEnvCfg``, Isaac Lab's ``Isaac-Velocity-Flat-G1``);
- ``RslSim/G1-Rough-v0``: rough terrain with the height scan and the terrain curriculum (``G1RoughEnvCfg``, Isaac
  Lab's ``Isaac-Velocity-Rough-G1``).

Each registration names its agent configs (plain RSL-RL 5.x dicts from
:mod:`rsl_sim.tasks.locomotion.velocity.config.g1.agents`): ``rsl_sim_agent_cfg_entry_point`` (PPO, the default) and
``rsl_sim_with_symmetry_cfg_entry_point`` (PPO with the G1 mirror); and what ``rsl-sim evaluate`` / ``play`` run for
them: ``rsl_sim_evaluation_entry_point`` (:func:`~rsl_sim.tasks.locomotion.velocity.config.g1.evaluation.evaluate_task`,
commands inside the G1's ranges) and ``rsl_sim_video_entry_point``
(:func:`~rsl_sim.tasks.locomotion.velocity.video.record_velocity_video`). Both name the G1 mirror
(``rsl_sim_mirror_entry_point``: :func:`~rsl_sim.tasks.locomotion.velocity.config.g1.mirror.g1_mirror`).

``RslSim/G1-Flat-v0`` ships a policy (``rsl_sim_pretrained_checkpoint``: ``policies/flat``, a run folder whose
README gives the training and the evaluation): ``rsl-sim play|evaluate|export --task RslSim/G1-Flat-v0
--use_pretrained_checkpoint``.
"""

from __future__ import annotations

import gymnasium

_HERE = "rsl_sim.tasks.locomotion.velocity.config.g1"
_PPO = f"{_HERE}.agents.rsl_rl_ppo_cfg"
_EVALUATION = {
    "rsl_sim_evaluation_entry_point": f"{_HERE}.evaluation:evaluate_task",
    "rsl_sim_video_entry_point": "rsl_sim.tasks.locomotion.velocity.video:record_velocity_video",
}
_MIRROR = {"rsl_sim_mirror_entry_point": f"{_HERE}.mirror:g1_mirror"}

VECTOR_ENTRY_POINT = "rsl_sim.tasks.mujoco.envs.velocity_env:VelocityEnv"
"""The env class of the CPU MuJoCo tasks (a batched ``gymnasium.vector.VectorEnv``)."""

MUJOCO_TASKS: dict[str, dict[str, str]] = {
    "RslSim/G1-Flat-v0": {
        "cfg_entry_point": f"{_HERE}.mujoco_env_cfg:G1FlatEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_g1_flat_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_g1_flat_ppo_with_symmetry_cfg",
        "rsl_sim_pretrained_checkpoint": f"{_HERE}:policies/flat",
        **_EVALUATION,
        **_MIRROR,
    },
    "RslSim/G1-Rough-v0": {
        "cfg_entry_point": f"{_HERE}.mujoco_env_cfg:G1RoughEnvCfg",
        "rsl_sim_agent_cfg_entry_point": f"{_PPO}:unitree_g1_rough_ppo_cfg",
        "rsl_sim_with_symmetry_cfg_entry_point": f"{_PPO}:unitree_g1_rough_ppo_with_symmetry_cfg",
        **_EVALUATION,
        **_MIRROR,
    },
}
"""Registration kwargs of the CPU MuJoCo G1 tasks (module paths as strings: nothing is imported here)."""

# Register once per process (re-importing keeps the existing entries)
for _env_id, _kwargs in MUJOCO_TASKS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(
            id=_env_id, vector_entry_point=VECTOR_ENTRY_POINT, kwargs=dict(_kwargs), disable_env_checker=True
        )
