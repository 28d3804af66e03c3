"""G1 observations against Isaac Lab's G1 velocity config: the policy group holds the velocity task's terms in Isaac
Lab's order with its noise (29 joints here, 37 in Isaac Lab's G1), the rough task adds the 187-point height scan, the
joint entries follow the PhysX joint order, and the values match constructed states."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.assets.g1 import G1_JOINT_NAMES
from rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg import G1FlatEnvCfg, G1RoughEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

# Isaac Lab's ObservationsCfg.PolicyCfg of the velocity task (term, size) with the G1's 29 joints
POLICY_LAYOUT = {
    "base_lin_vel": 3,
    "base_ang_vel": 3,
    "projected_gravity": 3,
    "velocity_commands": 3,
    "joint_pos": 29,
    "joint_vel": 29,
    "actions": 29,
}
NOISE = {"base_lin_vel": 0.1, "base_ang_vel": 0.2, "projected_gravity": 0.05, "joint_pos": 0.01, "joint_vel": 1.5}
PRIVILEGED_LAYOUT = {"feet_contact_forces": 6, "friction_coefficient": 1, "added_mass": 1}


def small(cfg):
    if cfg.scene.terrain.terrain_generator is not None:
        cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 2, "border_width": 4.0})
    return cfg


@pytest.fixture(scope="module")
def env():
    cfg = G1FlatEnvCfg()
    cfg.events["push_robot"] = None
    env = VelocityEnv(num_envs=4, cfg=cfg, seed=0)
    yield env
    env.close()


def test_flat_layout_noise_and_spaces(env):
    manager = env.observation_manager
    assert manager.group_term_dims["policy"] == POLICY_LAYOUT
    assert manager.group_term_dims["critic"] == {**POLICY_LAYOUT, **PRIVILEGED_LAYOUT}
    assert manager.group_dims == {"policy": 99, "critic": 107}
    assert env.single_action_space.shape == (29,)
    cfg = G1FlatEnvCfg()
    for name, term in cfg.observations["policy"].terms.items():
        if term is None:
            continue
        if name in NOISE:
            assert (term.noise.n_min, term.noise.n_max) == (-NOISE[name], NOISE[name])
        else:
            assert term.noise is None
    assert cfg.observations["policy"].enable_corruption and not cfg.observations["critic"].enable_corruption
    # the critic's contact forces are the feet's
    feet = cfg.observations["critic"].terms["feet_contact_forces"].params["sensor_cfg"].body_names
    assert [name for name in env.contact_sensor.body_names if name.endswith("ankle_roll_link")] == [
        "left_ankle_roll_link",
        "right_ankle_roll_link",
    ] and feet == ".*_ankle_roll_link"


def test_rough_layout_adds_the_height_scan():
    env = gymnasium.make_vec("RslSim/G1-Rough-v0", num_envs=2, cfg=small(G1RoughEnvCfg()), seed=0)
    manager = env.observation_manager
    assert manager.group_term_dims["policy"] == {**POLICY_LAYOUT, "height_scan": 187}
    assert manager.group_dims == {"policy": 286, "critic": 294}
    obs, _ = env.reset(seed=0)
    assert obs["policy"].shape == (2, 286) and np.isfinite(obs["policy"]).all()
    env.close()


def test_joint_terms_follow_the_physx_joint_order(env):
    env.reset(seed=0)
    robot, sim = env.robot, env.sim
    assert robot.joint_names == G1_JOINT_NAMES
    # each joint at default + 0.01 * (its index in the public order), velocity 0.1 * index
    index = np.arange(29)
    for i, name in enumerate(G1_JOINT_NAMES):
        joint = env.model.joint(name)
        sim.qpos[:, joint.qposadr[0]] = robot.default_joint_pos[i] + 0.01 * i
        sim.qvel[:, joint.dofadr[0]] = 0.1 * i
    robot.update()
    actions = np.tile(np.linspace(-1.0, 1.0, 29), (4, 1))
    env.action_term.process(actions)
    critic = env.observation_manager.compute_group("critic").astype(np.float64)
    np.testing.assert_allclose(critic[:, 12:41], np.tile(0.01 * index, (4, 1)), atol=1e-6)
    np.testing.assert_allclose(critic[:, 41:70], np.tile(0.1 * index, (4, 1)), atol=1e-5)
    np.testing.assert_allclose(critic[:, 70:99], actions, atol=1e-6)
    # the actions drive the same joints: target = default + 0.5 * action
    act_ids = np.array([env.model.actuator(name).id for name in G1_JOINT_NAMES])
    env.action_term.apply()
    np.testing.assert_allclose(sim.ctrl[:, act_ids], robot.default_joint_pos + 0.5 * actions)


def test_critic_added_mass_is_what_the_startup_event_added_to_the_torso(env):
    # Isaac Lab's G1 config randomizes the torso_link's mass, not the pelvis's (the base): the critic reads that body
    torso = env.robot.body_names.index("torso_link")
    added = env.sim.model_field("body_mass")[:, torso + 1] - env.model.body_mass[torso + 1]
    assert np.abs(added).min() > 0.01  # log-uniform scale in [0.8, 1.25] of about 7.8 kg
    critic = env.observation_manager.compute_group("critic").astype(np.float64)
    np.testing.assert_allclose(critic[:, -1], added, rtol=1e-6, atol=1e-5)
    pelvis = env.robot.base_body_id
    np.testing.assert_array_equal(env.sim.model_field("body_mass")[:, pelvis], env.model.body_mass[pelvis])
