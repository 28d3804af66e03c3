"""Go2 left-right mirror: the declared layout (partners from joint names, abduction signs), mirror twice = identity on
every group of the flat, rough and depth tasks, and the physics itself: a state and its mirror image, driven by
mirrored actions, give mirrored observations for 50 control steps.

Tolerance of the physics check: the simulated Go2 is first made exactly symmetric (the Menagerie model's per-joint
rotor armature and its body inertial frames differ between left and right legs; with them, the mirrored trajectories
drift apart by up to 3 rad/s in joint velocity within 50 steps). The test sets one armature, mirrors the inertias of
the right bodies from the left ones and symmetrizes the base's. Then the two worlds differ only in the order of their
joints and contacts inside MuJoCo; the observations come out identical bit for bit, and the check allows 1e-5 for
float32 rounding should MuJoCo's solver ever sum in another order (float32 spacing is 1.2e-7 at 1 and 4.8e-7 at
a joint velocity of 4 rad/s).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mirror_helpers import largest_mirrored_obs_error, start_mirrored_pair, symmetrize_inertial_frames, to_tensordict
from tensordict import TensorDict

from rsl_sim.extensions import Symmetry, mirror_names
from rsl_sim.tasks.assets.go2 import GO2_JOINT_NAMES
from rsl_sim.tasks.locomotion.velocity.config.go2.mirror import (
    GO2_SIDE_SWAPS,
    build_go2_mirror,
    go2_mirror,
    go2_mirror_function,
)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.term_cfg import (
    DepthCameraCfg,
    HeightScannerCfg,
    ObservationGroupCfg,
    ObservationTermCfg,
    SceneEntityCfg,
)
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

# MuJoCo's depth-first joint order (leg by leg): another order the mirror must handle
DEPTH_FIRST_JOINTS = tuple(
    f"{leg}_{part}_joint" for leg in ("FL", "FR", "RL", "RR") for part in ("hip", "thigh", "calf")
)


def shrink_terrain(cfg):
    if cfg.scene.terrain.terrain_generator is not None:
        cfg.scene.terrain.terrain_generator.update({"num_rows": 3, "num_cols": 3, "border_width": 4.0})
    return cfg


@pytest.mark.parametrize("cfg_class", [UnitreeGo2FlatEnvCfg, UnitreeGo2RoughEnvCfg, UnitreeGo2RoughDepthEnvCfg])
def test_mirror_twice_is_identity_on_every_group(cfg_class):
    env = VelocityEnv(num_envs=4, cfg=shrink_terrain(cfg_class()), seed=0)
    env.reset(seed=0)
    for _ in range(3):
        obs, *_ = env.step(np.random.default_rng(0).uniform(-1.0, 1.0, (4, 12)))
    obs = to_tensordict(obs)
    actions = torch.randn(4, 12)
    once_obs, once_actions = go2_mirror(env, obs, actions)
    assert once_obs.batch_size[0] == 8 and once_actions.shape == (8, 12)
    twice_obs, twice_actions = go2_mirror(env, once_obs[4:], once_actions[4:])
    for group in obs.keys():
        torch.testing.assert_close(twice_obs[group][4:], obs[group], rtol=0.0, atol=0.0)
        # the mirror changes every group except invariant ones
        assert not torch.equal(once_obs[group][4:], obs[group])
    torch.testing.assert_close(twice_actions[4:], actions, rtol=0.0, atol=0.0)
    env.close()


def test_declared_mirror_of_the_policy_terms():
    env = VelocityEnv(num_envs=2, cfg=UnitreeGo2FlatEnvCfg(), seed=0)
    mirror = build_go2_mirror(env)
    x = torch.arange(1, 49, dtype=torch.float32)[None]
    y = mirror.mirror_observations(TensorDict({"policy": x, "critic": torch.zeros(1, 62)}, batch_size=[1]))[0]
    y = y["policy"][0]
    # base_lin_vel (polar): y flips; base_ang_vel (axial): x and z flip; gravity (polar); command: vy and wz flip
    assert y[0:12].tolist() == [1, -2, 3, -4, 5, -6, 7, -8, 9, 10, -11, -12]
    # joints in Isaac Lab's order: FL, FR, RL, RR hips (negated, swapped), then thighs and calves (swapped)
    assert y[12:24].tolist() == [-14, -13, -16, -15, 18, 17, 20, 19, 22, 21, 24, 23]
    assert y[36:48].tolist() == [-38, -37, -40, -39, 42, 41, 44, 43, 46, 45, 48, 47]
    # critic: the world-frame foot forces swap feet and flip y; friction and mass are invariant
    c = torch.arange(1, 63, dtype=torch.float32)[None]
    y = mirror.mirror_observations(TensorDict({"policy": torch.zeros(1, 48), "critic": c}, batch_size=[1]))[0]
    assert y["critic"][0, 48:62].tolist() == [52, -53, 54, 49, -50, 51, 58, -59, 60, 55, -56, 57, 61, 62]
    env.close()


def test_joint_permutation_follows_the_configured_joint_order():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.scene.robot.joint_names = DEPTH_FIRST_JOINTS
    env = VelocityEnv(num_envs=1, cfg=cfg, seed=0)
    mirror = build_go2_mirror(env)
    _, actions = mirror(env, None, torch.arange(1, 13, dtype=torch.float32)[None])
    # FL(hip, thigh, calf) <-> FR(...), RL <-> RR; hips negated
    assert actions[1].tolist() == [-4, 5, 6, -1, 2, 3, -10, 11, 12, -7, 8, 9]
    env.close()


def test_front_back_is_not_offered_and_unknown_terms_are_refused():
    env = VelocityEnv(num_envs=1, cfg=UnitreeGo2FlatEnvCfg(), seed=0)
    assert go2_mirror_function(env).copies == [("left_right",)]
    assert go2_mirror_function(env) is go2_mirror_function(env)
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.observations["policy"].terms["base_height"] = ObservationTermCfg(func=lambda env: env.robot.root_pos_w[:, 2:])
    with pytest.raises(ValueError, match="no mirror rule"):
        build_go2_mirror(VelocityEnv(num_envs=1, cfg=cfg, seed=0))
    with pytest.raises(ValueError, match="velocity env"):
        go2_mirror(object(), None, torch.zeros(1, 12))


def test_mirror_through_the_wrapper_and_the_symmetry_extension():
    env = GymnasiumVecEnvWrapper.from_id("RslSim/Go2-Flat-v0", num_envs=3, seed=0)
    symmetry = Symmetry(
        env, "rsl_sim.tasks.locomotion.velocity.config.go2.mirror:go2_mirror", use_data_augmentation=True
    )
    obs = env.get_observations()
    obs_aug, actions_aug = symmetry.data_augmentation_func(env=env, obs=obs, actions=torch.zeros(3, 12))
    assert obs_aug.batch_size[0] == 6 and actions_aug.shape == (6, 12)
    torch.testing.assert_close(obs_aug["policy"][:3], obs["policy"])
    env.close()


def _symmetrize_model(env: VelocityEnv) -> None:
    """Make every world of the batch exactly left-right symmetric: right bodies get the mirrored inertial frames of
    their left partners, bodies on the sagittal plane a symmetrized one (the armature is set by the config)."""
    names = [env.model.body(i).name for i in range(env.model.nbody)]
    symmetrize_inertial_frames(env, mirror_names(names, GO2_SIDE_SWAPS), lambda name: name[1] == "L")


@pytest.mark.parametrize("joint_names", [GO2_JOINT_NAMES, DEPTH_FIRST_JOINTS], ids=["isaac_lab_order", "depth_first"])
def test_mirrored_states_and_actions_give_mirrored_observations(joint_names):
    # flat Go2 with a height scanner and a depth camera; randomization, noise, pushes and heading control off
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.scene.robot.joint_names = joint_names
    cfg.scene.robot.actuators["base_legs"].armature = 0.01
    for name in ("add_base_mass", "base_com", "push_robot"):
        cfg.events[name] = None
    cfg.observations["policy"].enable_corruption = False
    command = cfg.commands["base_velocity"]
    command.heading_command, command.rel_standing_envs, command.resampling_time_range = False, 0.0, (1e9, 1e9)
    cfg.scene.height_scanner = HeightScannerCfg()
    cfg.observations["policy"].terms["height_scan"] = ObservationTermCfg(
        func="height_scan", params={"sensor_cfg": SceneEntityCfg("height_scanner")}, clip=(-1.0, 1.0)
    )
    cfg.scene.depth_camera = DepthCameraCfg(width=16, height=16, update_period=0.0)
    cfg.observations["depth"] = ObservationGroupCfg(
        terms={
            "depth_image": ObservationTermCfg(func="depth_image", params={"sensor_cfg": SceneEntityCfg("depth_camera")})
        }
    )
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0)
    _symmetrize_model(env)
    env.reset(seed=0)
    mirror = go2_mirror_function(env)

    # env 1 starts in the mirror image of env 0's reset state: base y, roll and yaw flip; joints swap sides
    perm, sign = (np.asarray(v) for v in mirror.layout.joint_mirror("left_right"))
    start_mirrored_pair(env, perm, sign)
    largest = largest_mirrored_obs_error(env, mirror, perm, sign, steps=50, action_std=0.5)
    assert largest <= 1e-5
    # the two robots really moved apart sideways (the check is not between two resting robots)
    assert abs(env.robot.root_pos_w[0, 1] - env.robot.root_pos_w[1, 1]) > 0.05
    env.close()
