"""G1 left-right mirror: the declared joint permutation and signs, mirror twice = identity on every group of the flat
and rough tasks, the symmetry extension through the wrapper, and the physics itself: a state and its mirror image,
driven by mirrored actions, give mirrored observations for 40 control steps.

Model asymmetry: the G1 model file is not exactly left-right symmetric. One capsule under the left foot has an end
1 mm off the mirror image of its right partner, the shoulders sit 10 um apart from mirror positions, the inertial
frames of a few right bodies are not the mirror images of their left partners (the knees' principal inertias differ in
the fourth digit), and the bodies on the sagittal plane (pelvis, waist, torso) have centres of mass and inertia axes
slightly off the plane. With many foot contacts these small differences grow fast: the mirrored joint velocities
differ by 0.02 rad/s after one step and by more than 1 rad/s after ten. The physics check therefore first makes the
model exactly symmetric (right body frames, collision shapes and inertial frames become the mirror images of their
left partners, the bodies on the plane get a symmetrized inertia); the two worlds then differ only in the order of
their joints and contacts inside MuJoCo, the observations agree bit for bit, and the check allows 1e-5 for float32
rounding.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch
from mirror_helpers import (
    REFLECT,
    largest_mirrored_obs_error,
    start_mirrored_pair,
    symmetrize_inertial_frames,
    to_tensordict,
)

from rsl_sim.extensions import Symmetry, mirror_names
from rsl_sim.tasks.assets.g1 import G1_JOINT_NAMES, G1_MJCF_PATH
from rsl_sim.tasks.locomotion.velocity.config.g1.mirror import (
    G1_SIDE_SWAPS,
    build_g1_mirror,
    g1_mirror,
    g1_mirror_function,
)
from rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg import G1FlatEnvCfg, G1RoughEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

# MuJoCo's depth-first joint order (left leg, right leg, waist, left arm, right arm): another order to handle
_MODEL = mujoco.MjModel.from_xml_path(str(G1_MJCF_PATH))
DEPTH_FIRST_JOINTS = tuple(_MODEL.joint(j).name for j in range(1, _MODEL.njnt))


def small(cfg):
    if cfg.scene.terrain.terrain_generator is not None:
        cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 2, "border_width": 4.0})
    return cfg


def test_declared_joint_permutation_and_signs():
    env = VelocityEnv(num_envs=2, cfg=G1FlatEnvCfg(), seed=0)
    perm, sign = build_g1_mirror(env).layout.joint_mirror("left_right")
    names = list(G1_JOINT_NAMES)
    for i, name in enumerate(names):
        partner = name.replace("left", "@").replace("right", "left").replace("@", "right")
        assert names[perm[i]] == partner
        negated = any(axis in name for axis in ("roll", "yaw"))
        assert sign[i] == (-1.0 if negated else 1.0), name
    # the waist stays in place; pitch joints keep their sign
    assert perm[names.index("waist_yaw_joint")] == names.index("waist_yaw_joint")
    assert sign[names.index("waist_pitch_joint")] == 1.0 and sign[names.index("left_knee_joint")] == 1.0
    env.close()


@pytest.mark.parametrize("cfg_class", [G1FlatEnvCfg, G1RoughEnvCfg], ids=["flat", "rough"])
def test_mirror_twice_is_identity_on_every_group(cfg_class):
    env = VelocityEnv(num_envs=3, cfg=small(cfg_class()), seed=0)
    obs, _ = env.reset(seed=0)
    for _ in range(3):
        obs, *_ = env.step(np.random.default_rng(0).normal(0.0, 0.5, (3, 29)))
    obs = to_tensordict(obs)
    actions = torch.randn(3, 29)
    mirror = g1_mirror_function(env)
    once_obs, once_actions = g1_mirror(env, obs, actions)
    assert once_obs.batch_size[0] == 6 and once_actions.shape == (6, 29)
    # the mirror image differs from the original, its mirror image is the original again
    assert not torch.allclose(once_obs["policy"][3:], obs["policy"])
    twice = mirror.mirror_observations(once_obs[3:])[0]
    for group in obs.keys():
        torch.testing.assert_close(twice[group], obs[group], rtol=0.0, atol=0.0)
        assert not torch.equal(once_obs[group][3:], obs[group])
    torch.testing.assert_close(mirror.mirror_actions(once_actions[3:])[0], actions, rtol=0.0, atol=0.0)
    env.close()


def test_mirror_through_the_wrapper_and_the_symmetry_extension():
    env = GymnasiumVecEnvWrapper.from_id("RslSim/G1-Flat-v0", num_envs=2, seed=0)
    symmetry = Symmetry(env, "rsl_sim.tasks.locomotion.velocity.config.g1.mirror:g1_mirror", use_data_augmentation=True)
    obs = env.get_observations()
    actions = torch.randn(2, 29)
    obs_aug, actions_aug = symmetry.data_augmentation_func(env=env, obs=obs, actions=actions)
    assert obs_aug.batch_size[0] == 4 and actions_aug.shape == (4, 29)
    torch.testing.assert_close(obs_aug["policy"][:2], obs["policy"])
    # the mirrored actions: left and right swapped, roll and yaw negated
    names = list(G1_JOINT_NAMES)
    left, right = names.index("left_hip_roll_joint"), names.index("right_hip_roll_joint")
    knee_left, knee_right = names.index("left_knee_joint"), names.index("right_knee_joint")
    assert actions_aug[2, left] == -actions[0, right] and actions_aug[2, knee_left] == actions[0, knee_right]
    env.close()


def _symmetrize_model(env: VelocityEnv) -> None:
    """Make every world exactly left-right symmetric: right bodies and collision geoms become the mirror images of
    their left partners (frames, inertial frames, shapes), bodies on the sagittal plane get a symmetrized inertia."""
    model = env.model

    def mirror_quat(quat):
        # a frame rotation R mirrors to reflect R reflect: (w, x, y, z) -> (w, -x, y, -z)
        return quat * np.array([1.0, -1.0, 1.0, -1.0])

    # body frames of the right side (the shoulders sit 10 um closer to the plane than the left ones)
    names = [model.body(i).name for i in range(model.nbody)]
    partner = mirror_names(names, G1_SIDE_SWAPS)
    body_pos, body_quat = env.sim.model_field("body_pos"), env.sim.model_field("body_quat")
    for body in range(1, model.nbody):
        if names[body].startswith("left"):
            body_pos[:, partner[body]] = REFLECT @ model.body_pos[body]
            body_quat[:, partner[body]] = mirror_quat(model.body_quat[body])

    # collision geoms of the right side (one capsule under the left foot is 1 mm off its mirror image)
    geoms = [model.geom(i).name for i in range(model.ngeom)]
    geom_partner = mirror_names(geoms, G1_SIDE_SWAPS)
    geom_pos, geom_quat = env.sim.model_field("geom_pos"), env.sim.model_field("geom_quat")
    geom_size = env.sim.model_field("geom_size")
    for geom in range(model.ngeom):
        if geoms[geom].startswith("left"):
            geom_pos[:, geom_partner[geom]] = REFLECT @ model.geom_pos[geom]
            geom_quat[:, geom_partner[geom]] = mirror_quat(model.geom_quat[geom])
            geom_size[:, geom_partner[geom]] = model.geom_size[geom]

    # inertial frames
    symmetrize_inertial_frames(env, partner, lambda name: name.startswith("left"))


def _largest_mirror_error(joint_names: tuple[str, ...], symmetric: bool, steps: int) -> tuple[float, float]:
    """Run a state and its mirror image with mirrored actions: the largest observation mismatch and how far (y) the
    first robot moved."""
    cfg = G1FlatEnvCfg()
    cfg.scene.robot.joint_names = joint_names
    for name in ("add_base_mass", "push_robot"):
        cfg.events[name] = None
    cfg.observations["policy"].enable_corruption = False
    command = cfg.commands["base_velocity"]
    command.heading_command, command.rel_standing_envs, command.resampling_time_range = False, 0.0, (1e9, 1e9)
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0)
    if symmetric:
        _symmetrize_model(env)
    env.reset(seed=0)
    mirror = g1_mirror_function(env)

    # env 1 starts in the mirror image of env 0's reset state: base y, roll and yaw flip; joints swap sides
    perm, sign = (np.asarray(v) for v in mirror.layout.joint_mirror("left_right"))
    start_mirrored_pair(env, perm, sign)

    start_y = env.robot.root_pos_w[0, 1]
    largest = largest_mirrored_obs_error(env, mirror, perm, sign, steps, action_std=0.3)
    moved = abs(env.robot.root_pos_w[0, 1] - start_y)
    env.close()
    return largest, moved


@pytest.mark.parametrize("joint_names", [G1_JOINT_NAMES, DEPTH_FIRST_JOINTS], ids=["physx_order", "depth_first"])
def test_mirrored_states_and_actions_give_mirrored_observations(joint_names):
    # 30 control steps (0.6 s): the robots stumble under the random actions and fall after about 0.8 s
    largest, moved = _largest_mirror_error(joint_names, symmetric=True, steps=30)
    assert largest <= 1e-5
    # the robots really moved (the check is not between two resting robots)
    assert moved > 0.1


def test_the_model_as_shipped_is_not_exactly_symmetric():
    # the asymmetries of the model file (a foot capsule, inertial frames) show within a few steps: they are why the
    # physics check symmetrizes the model first
    largest, _ = _largest_mirror_error(G1_JOINT_NAMES, symmetric=False, steps=5)
    assert largest > 1e-3
