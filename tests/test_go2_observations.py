"""Go2 observations: group layout term by term, values on constructed states, joint order, noise ranges."""

from __future__ import annotations

import numpy as np
import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.spatial import quat_from_euler_xyz

POLICY_LAYOUT = {
    "base_lin_vel": 3,
    "base_ang_vel": 3,
    "projected_gravity": 3,
    "velocity_commands": 3,
    "joint_pos": 12,
    "joint_vel": 12,
    "actions": 12,
}
PRIVILEGED_LAYOUT = {"feet_contact_forces": 12, "friction_coefficient": 1, "added_mass": 1}
NOISE = {"base_lin_vel": 0.1, "base_ang_vel": 0.2, "projected_gravity": 0.05, "joint_pos": 0.01, "joint_vel": 1.5}


def slices(layout):
    out, start = {}, 0
    for name, dim in layout.items():
        out[name] = slice(start, start + dim)
        start += dim
    return out


@pytest.fixture(scope="module")
def env():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.events["push_robot"] = None
    return VelocityEnv(num_envs=8, cfg=cfg, seed=0)


def test_group_layouts_and_spaces(env):
    manager = env.observation_manager
    assert manager.group_term_dims["policy"] == POLICY_LAYOUT
    assert manager.group_term_dims["critic"] == {**POLICY_LAYOUT, **PRIVILEGED_LAYOUT}
    assert manager.group_dims == {"policy": 48, "critic": 62}
    assert env.single_observation_space["policy"].shape == (48,)
    assert env.observation_space["critic"].shape == (8, 62)
    assert env.single_action_space.shape == (12,)
    obs, _ = env.reset(seed=0)
    assert obs["policy"].shape == (8, 48) and obs["policy"].dtype == np.float32
    assert obs["critic"].shape == (8, 62) and obs["critic"].dtype == np.float32


def test_terms_on_a_constructed_state(env):
    env.reset(seed=1)
    robot, sim = env.robot, env.sim
    # base rolled by +90 deg: gravity points along -y of the base
    quat = quat_from_euler_xyz(np.full(8, np.pi / 2), np.zeros(8), np.zeros(8))
    sim.qpos[:, 3:7] = quat
    sim.qvel[:, 0:6] = [0.0, 0.0, 0.0, 0.3, -0.2, 0.1]  # no origin velocity; body-frame angular velocity
    # MuJoCo joint k (depth-first order) at 0.01 * k
    sim.qpos[:, 7:19] = 0.01 * np.arange(12)
    sim.qvel[:, 6:18] = 0.1 * np.arange(12)
    robot.update()
    env.action_term.process(np.tile(np.linspace(-1, 1, 12), (8, 1)))
    critic = env.observation_manager.compute_group("critic").astype(np.float64)
    s = slices({**POLICY_LAYOUT, **PRIVILEGED_LAYOUT})

    np.testing.assert_allclose(critic[:, s["projected_gravity"]], np.tile([0.0, -1.0, 0.0], (8, 1)), atol=1e-6)
    np.testing.assert_allclose(critic[:, s["base_ang_vel"]], np.tile([0.3, -0.2, 0.1], (8, 1)), atol=1e-6)
    # the centre of mass sits at r in the base frame: v_com = omega x r
    expected_lin = np.cross([0.3, -0.2, 0.1], robot.base_com_b)
    np.testing.assert_allclose(critic[:, s["base_lin_vel"]], expected_lin, atol=1e-6)
    np.testing.assert_allclose(critic[:, s["velocity_commands"]], env.command_manager["base_velocity"].command)
    # PhysX order (hips, thighs, calves) of MuJoCo's depth-first joints 0..11
    physx_from_mjcf = np.array([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
    default = np.array([0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5])
    np.testing.assert_allclose(critic[:, s["joint_pos"]], np.tile(0.01 * physx_from_mjcf - default, (8, 1)), atol=1e-6)
    np.testing.assert_allclose(critic[:, s["joint_vel"]], np.tile(0.1 * physx_from_mjcf, (8, 1)), atol=1e-5)
    np.testing.assert_allclose(critic[:, s["actions"]], np.tile(np.linspace(-1, 1, 12), (8, 1)), atol=1e-6)
    np.testing.assert_allclose(critic[:, s["friction_coefficient"]][:, 0], robot.friction, atol=1e-6)
    np.testing.assert_allclose(critic[:, s["added_mass"]][:, 0], robot.base_mass - 6.921, atol=1e-5)


def test_feet_contact_forces_are_scaled_world_forces(env):
    env.reset(seed=2)
    for _ in range(30):
        env.step(np.zeros((8, 12)))
    critic = env.observation_manager.compute_group("critic").astype(np.float64)
    s = slices({**POLICY_LAYOUT, **PRIVILEGED_LAYOUT})
    feet = env.contact_sensor.find_bodies(".*_foot")
    expected = 0.01 * env.contact_sensor.net_forces_w[:, feet].reshape(8, 12)
    np.testing.assert_allclose(critic[:, s["feet_contact_forces"]], expected, rtol=1e-5, atol=1e-6)
    assert expected[:, 2::3].sum(axis=1).min() > 0.5  # the feet carry the robot (> 50 N in total)


def test_policy_noise_is_uniform_within_isaac_lab_ranges(env):
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    s = slices(POLICY_LAYOUT)
    diffs = []
    for _ in range(60):
        env.step(rng.uniform(-0.5, 0.5, size=(8, 12)))
        policy = env.observation_manager.compute_group("policy").astype(np.float64)
        clean = env.observation_manager.compute_group("critic").astype(np.float64)[:, :48]
        diffs.append(policy - clean)
    diffs = np.concatenate(diffs)
    for name, sl in s.items():
        d = diffs[:, sl]
        bound = NOISE.get(name, 0.0)
        if bound == 0.0:
            np.testing.assert_array_equal(d, 0.0)
            continue
        assert np.abs(d).max() <= bound * (1 + 1e-5) + 1e-6
        assert np.abs(d).max() > 0.9 * bound  # spans the range
        assert abs(d.mean()) < 0.1 * bound  # centred
