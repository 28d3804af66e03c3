"""Env config dataclasses keep what the caller passes; their defaults are the velocity task's (Isaac Lab's) values."""

from __future__ import annotations

import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.tasks.locomotion.velocity.velocity_env_cfg import VelocityEnvCfg
from rsl_sim.tasks.mujoco.envs.manager_based_rl_env_cfg import ManagerBasedRLEnvCfg
from rsl_sim.tasks.mujoco.managers.term_cfg import PhysicsCfg

CFG_CLASSES = [
    ManagerBasedRLEnvCfg,
    VelocityEnvCfg,
    UnitreeGo2RoughEnvCfg,
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
]


@pytest.mark.parametrize("cfg_class", CFG_CLASSES)
def test_defaults_are_the_velocity_task_values(cfg_class):
    cfg = cfg_class()
    assert (cfg.decimation, cfg.episode_length_s, cfg.physics.dt) == (4, 20.0, 0.005)


@pytest.mark.parametrize("cfg_class", CFG_CLASSES)
def test_caller_values_are_kept(cfg_class):
    # Before: __post_init__ set decimation 4, episode length 20 s and physics dt 0.005 s over the caller's values
    cfg = cfg_class(decimation=2, episode_length_s=7.5, physics=PhysicsCfg(dt=0.002), seed=3)
    assert (cfg.decimation, cfg.episode_length_s, cfg.physics.dt, cfg.seed) == (2, 7.5, 0.002, 3)


def test_robot_configs_still_apply_their_changes():
    # The Go2 configs change terms and the scene in __post_init__, as Isaac Lab's configclasses do
    flat, rough = UnitreeGo2FlatEnvCfg(), UnitreeGo2RoughEnvCfg()
    assert flat.actions.scale == rough.actions.scale == 0.25 and VelocityEnvCfg().actions.scale == 0.5
    assert flat.scene.terrain.terrain_type == "plane" and rough.scene.terrain.terrain_type == "generator"
    assert rough.scene.terrain.terrain_generator["curriculum"] is True
    assert flat.rewards["flat_orientation_l2"].weight == -2.5
