"""Velocity-tracking locomotion on CPU MuJoCo (Isaac Lab's velocity task); importing this package registers the ids.

Registered gymnasium ids (vector entry points, so ``gymnasium.make_vec(id, num_envs=N)`` builds one batched env):

- ``RslSim/Go2-Flat-v0``: Unitree Go2 on flat ground (:class:`~rsl_sim.tasks.velocity.env_cfg.UnitreeGo2FlatEnvCfg`).

Keyword arguments of ``make_vec`` go to :class:`~rsl_sim.tasks.velocity.env.VelocityEnv` (``cfg``, ``render_mode``,
``seed``). Registration imports neither MuJoCo nor the env module.
"""

from __future__ import annotations

import gymnasium

_VECTOR_ENTRY_POINT = "rsl_sim.tasks.velocity.env:VelocityEnv"
_TASKS = {"RslSim/Go2-Flat-v0": "rsl_sim.tasks.velocity.env_cfg:UnitreeGo2FlatEnvCfg"}

# Register once per process (re-importing keeps the existing entries)
for _env_id, _cfg_entry_point in _TASKS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(
            id=_env_id,
            vector_entry_point=_VECTOR_ENTRY_POINT,
            kwargs={"cfg_entry_point": _cfg_entry_point},
            disable_env_checker=True,
        )
