"""Env config dataclasses keep what the caller passes; their defaults are the velocity task's (Isaac Lab's) values."""

from __future__ import annotations

import dataclasses

import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.tasks.locomotion.velocity.mdp.actions import JointPositionActionCfg
from rsl_sim.tasks.locomotion.velocity.velocity_env_cfg import SceneCfg, VelocityEnvCfg
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


def test_robot_configs_keep_what_the_caller_passes():
    # __post_init__ of the Go2 configs sets num_envs 1024, the Go2 robot, a plane...: not over the caller's scene
    scene = SceneCfg(num_envs=8)
    cfg = UnitreeGo2FlatEnvCfg(scene=scene, actions=JointPositionActionCfg(scale=0.1))
    assert cfg.scene.num_envs == 8 and cfg.scene.terrain.terrain_type == "generator" and cfg.actions.scale == 0.1
    assert cfg.scene.robot == SceneCfg().robot  # the caller's robot, not the Go2 the config would put there
    # the caller's objects are not changed, and the other fields still get the Go2 flat values
    assert scene == SceneCfg(num_envs=8) and scene is not cfg.scene
    assert cfg.rewards["flat_orientation_l2"].weight == -2.5 and cfg.curriculum["terrain_levels"] is None
    # dataclasses.replace keeps every value of the config it copies
    copied = dataclasses.replace(UnitreeGo2FlatEnvCfg(decimation=2), episode_length_s=5.0)
    assert (copied.decimation, copied.episode_length_s, copied.scene.num_envs) == (2, 5.0, 1024)
    assert copied.scene.terrain.terrain_type == "plane" and copied.rewards["feet_air_time"].weight == 0.25
