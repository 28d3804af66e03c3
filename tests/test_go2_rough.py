"""Go2 rough task: Isaac Lab's rough config, observation layout, height scan against the terrain, the terrain-level
curriculum driven through the env, the terrain-relative base-height reward and the registration."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg, UnitreeGo2RoughEnvCfg
from rsl_sim.tasks.locomotion.velocity.mdp import rewards
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection
from rsl_sim.tasks.mujoco.spatial import quat_from_euler_xyz

PROPRIO = {
    "base_lin_vel": 3,
    "base_ang_vel": 3,
    "projected_gravity": 3,
    "velocity_commands": 3,
    "joint_pos": 12,
    "joint_vel": 12,
    "actions": 12,
}


def small_rough_cfg(num_rows: int = 4, num_cols: int = 4) -> UnitreeGo2RoughEnvCfg:
    """The Go2 rough task on a smaller terrain grid (same sub-terrains and sizes)."""
    cfg = UnitreeGo2RoughEnvCfg()
    generator = cfg.scene.terrain.terrain_generator
    generator.update({"num_rows": num_rows, "num_cols": num_cols, "border_width": 4.0})
    return cfg


@pytest.fixture(scope="module")
def rough_env():
    env = VelocityEnv(num_envs=8, cfg=small_rough_cfg(), seed=3)
    yield env
    env.close()


def test_rough_cfg_matches_isaac_lab_go2_rough():
    cfg = UnitreeGo2RoughEnvCfg()
    terrain = cfg.scene.terrain
    assert terrain.terrain_type == "generator" and terrain.max_init_terrain_level == 5
    generator = terrain.terrain_generator
    assert (generator["num_rows"], generator["num_cols"], generator["size"]) == (10, 20, (8.0, 8.0))
    assert generator["curriculum"] is True
    sub = generator["sub_terrains"]
    assert sub["boxes"]["grid_height_range"] == (0.025, 0.1)
    assert sub["random_rough"]["noise_range"] == (0.01, 0.06) and sub["random_rough"]["noise_step"] == 0.01
    assert sub["pyramid_stairs"]["step_height_range"] == (0.025, 0.12)
    assert sub["pyramid_stairs_inv"]["step_height_range"] == (0.025, 0.12)
    # the base config's terrain is untouched by the Go2 scaling (no shared dicts)
    assert UnitreeGo2FlatEnvCfg().scene.terrain.terrain_generator is None
    scanner = cfg.scene.height_scanner
    assert (scanner.offset, scanner.resolution, scanner.size, scanner.ray_alignment) == (
        (0.0, 0.0, 20.0),
        0.1,
        (1.6, 1.0),
        "yaw",
    )
    height_scan = cfg.observations["policy"].terms["height_scan"]
    assert (height_scan.noise.n_min, height_scan.noise.n_max, height_scan.clip) == (-0.1, 0.1, (-1.0, 1.0))
    assert cfg.observations["critic"].terms["height_scan"].noise is None
    weights = {name: term.weight for name, term in cfg.rewards.items() if term is not None}
    assert weights == {
        "track_lin_vel_xy_exp": 1.5,
        "track_ang_vel_z_exp": 0.75,
        "lin_vel_z_l2": -2.0,
        "ang_vel_xy_l2": -0.05,
        "dof_torques_l2": -0.0002,
        "dof_acc_l2": -2.5e-7,
        "action_rate_l2": -0.005,
        "feet_air_time": 0.01,
        "flat_orientation_l2": 0.0,
        "dof_pos_limits": 0.0,
        "base_height_l2": -30.0,
    }
    assert cfg.rewards["base_height_l2"].params["sensor_cfg"].name == "height_scanner"
    assert cfg.curriculum["terrain_levels"].func == "terrain_levels_vel"
    assert cfg.scene.depth_camera is None


def test_rough_observation_layout(rough_env):
    obs, _ = rough_env.reset(seed=0)
    assert obs["policy"].shape == (8, 235) and obs["critic"].shape == (8, 249)
    assert obs["policy"].dtype == np.float32
    manager = rough_env.observation_manager
    assert manager.group_term_dims["policy"] == {**PROPRIO, "height_scan": 187}
    assert list(manager.group_term_dims["critic"]) == [
        *PROPRIO,
        "height_scan",
        "feet_contact_forces",
        "friction_coefficient",
        "added_mass",
    ]
    assert rough_env.single_observation_space["policy"].shape == (235,)
    assert set(rough_env.sensors) == {"height_scanner"}


def test_height_scan_matches_the_terrain_under_the_robot(rough_env):
    env = rough_env
    env.reset(seed=1)
    for _ in range(5):
        obs, *_ = env.step(np.zeros((env.num_envs, 12)))
    # give the robots arbitrary yaws and heights (the scan is taken right after a reset of the sensors)
    rng = np.random.default_rng(0)
    ids = np.arange(env.num_envs)
    yaw = rng.uniform(-np.pi, np.pi, env.num_envs)
    pos = env.robot.root_pos_w.copy()
    pos[:, 2] = env.terrain_generator.height_at(pos[:, 0], pos[:, 1]) + rng.uniform(0.2, 0.6, env.num_envs)
    quat = quat_from_euler_xyz(np.zeros(env.num_envs), np.zeros(env.num_envs), yaw)
    env.robot.write_root_state(ids, pos, quat, np.zeros((env.num_envs, 3)), np.zeros((env.num_envs, 3)))
    env.robot.update()
    env._reset_sensors(ids)
    scan = env.observation_manager.compute_group("critic")[:, 48:235]

    # Isaac Lab's grid: x in [-0.8, 0.8], y in [-0.5, 0.5] every 0.1 m, x fastest, turned by the yaw
    gx, gy = np.meshgrid(np.linspace(-0.8, 0.8, 17), np.linspace(-0.5, 0.5, 11), indexing="xy")
    local = np.stack([gx.ravel(), gy.ravel()], axis=1)
    cos, sin = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = pos[:, 0:1] + cos * local[:, 0] - sin * local[:, 1]
    y = pos[:, 1:2] + sin * local[:, 0] + cos * local[:, 1]
    expected = np.clip(pos[:, 2:3] - env.terrain_generator.height_at(x, y) - 0.5, -1.0, 1.0)
    np.testing.assert_allclose(scan, expected, atol=2e-6)
    # the scan sees the terrain: on rough ground not all rays of a robot read the same height
    assert np.ptp(expected, axis=1).max() > 0.02


def test_policy_height_scan_is_noisy_and_clipped(rough_env):
    obs, _ = rough_env.reset(seed=2)
    policy, critic = obs["policy"][:, 48:], obs["critic"][:, 48:235]
    difference = policy - critic
    assert np.abs(difference).max() <= 0.1 + 1e-6 and np.abs(difference).max() > 0.05
    assert policy.min() >= -1.0 and policy.max() <= 1.0


def test_curriculum_moves_terrain_levels_through_the_env():
    env = VelocityEnv(num_envs=8, cfg=small_rough_cfg(num_rows=6, num_cols=2), seed=5)
    env.reset(seed=5)
    curriculum = env.terrain_curriculum
    assert curriculum.terrain_levels.max() <= 5 and env.env_origins is curriculum.env_origins
    # the robots start on their terrain origins (reset pose range +-0.5 m)
    offset = env.robot.root_pos_w[:, :2] - env.env_origins[:, :2]
    assert np.abs(offset).max() <= 0.5 + 1e-9
    curriculum.terrain_levels[:] = [2, 2, 2, 2, 0, 0, 3, 3]
    curriculum.env_origins[:] = curriculum.terrain_origins[curriculum.terrain_levels, curriculum.terrain_types]

    # env 0: walked 5 m (> 4 m, half a sub-terrain) -> up; env 1: walked 1 m under a 1 m/s command (needs 10 m) ->
    # down; env 2: walked 6 m under a strong command -> up; env 3: 3 m under a 0.2 m/s command -> stays;
    # env 4: on level 0 and stuck -> stays at 0
    ids = np.arange(5)
    pos = env.env_origins[ids].copy()
    pos[:, 0] += [5.0, 1.0, 6.0, 3.0, 0.0]
    pos[:, 2] += 0.4
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (5, 1))
    env.robot.write_root_state(ids, pos, quat, np.zeros((5, 3)), np.zeros((5, 3)))
    command = env.command_manager["base_velocity"]
    command.vel_command_b[ids] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.2, 0.0, 0.0], [1.0, 0.0, 0.0]]
    env.robot.update()
    _, infos = env.reset(options={"reset_mask": np.arange(8) < 5})
    levels = curriculum.terrain_levels
    np.testing.assert_array_equal(levels, [3, 1, 3, 2, 0, 0, 3, 3])
    np.testing.assert_allclose(env.env_origins, curriculum.terrain_origins[levels, curriculum.terrain_types])
    assert infos["log"]["Curriculum/terrain_levels"] == pytest.approx(levels.mean())
    # the reset placed the moved robots at their new origins
    offset = env.robot.root_pos_w[ids, :2] - env.env_origins[ids, :2]
    assert np.abs(offset).max() <= 0.5 + 1e-9
    env.close()


def test_curriculum_is_logged_on_time_outs_during_steps():
    env = VelocityEnv(num_envs=4, cfg=small_rough_cfg(), seed=0)
    env.reset(seed=0)
    env.episode_length_buf = np.array([env.max_episode_length - 1, 0, 0, 0])
    _, _, _, truncated, infos = env.step(np.zeros((4, 12)))
    assert truncated[0] and "Curriculum/terrain_levels" in infos["log"]
    assert infos["log"]["Curriculum/terrain_levels"] == pytest.approx(env.terrain_curriculum.mean_level)
    env.close()


def test_base_height_reward_follows_the_scanned_terrain(rough_env):
    env = rough_env
    env.reset(seed=4)
    env.step(np.zeros((env.num_envs, 12)))
    hits = env.sensors["height_scanner"].ray_hits_z
    selection = EntitySelection(name="height_scanner", joint_ids=slice(None), body_ids=slice(None))
    value = rewards.base_height_l2(env, target_height=0.4, sensor_cfg=selection)
    expected = (env.robot.root_pos_w[:, 2] - 0.4 - hits.mean(axis=1)) ** 2
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    # a ray that misses is left out of the mean
    hits[0, :10] = np.inf
    value = rewards.base_height_l2(env, target_height=0.4, sensor_cfg=selection)
    assert value[0] == pytest.approx((env.robot.root_pos_w[0, 2] - 0.4 - hits[0, 10:].mean()) ** 2)


def test_seed_fixes_terrain_and_levels():
    a = VelocityEnv(num_envs=6, cfg=small_rough_cfg(), seed=11)
    b = VelocityEnv(num_envs=6, cfg=small_rough_cfg(), seed=11)
    np.testing.assert_array_equal(a.terrain_generator.height_field, b.terrain_generator.height_field)
    np.testing.assert_array_equal(a.terrain_curriculum.terrain_levels, b.terrain_curriculum.terrain_levels)
    obs_a, _ = a.reset(seed=2)
    obs_b, _ = b.reset(seed=2)
    np.testing.assert_array_equal(obs_a["policy"], obs_b["policy"])
    a.close()
    b.close()


def test_rough_is_registered_with_make_vec():
    env = gymnasium.make_vec("RslSim/Go2-Rough-v0", num_envs=2, seed=0, cfg=small_rough_cfg())
    obs, _ = env.reset(seed=0)
    assert obs["policy"].shape == (2, 235)
    spec = gymnasium.spec("RslSim/Go2-Rough-v0")
    assert spec.kwargs["rsl_sim_agent_cfg_entry_point"].endswith(":unitree_go2_rough_ppo_cfg")
    env.close()


def test_render_follows_the_robot_on_its_terrain_tile():
    cfg = small_rough_cfg()
    cfg.viewer.width, cfg.viewer.height = 160, 120
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.zeros((2, 12)))
    # the robot stands far from the world origin on rough terrain; the tracking camera keeps it in the middle,
    # where its white shell is the brightest thing below the horizon
    assert np.linalg.norm(env.robot.root_pos_w[0, :2]) > 2.0
    try:
        frame = env.render()
    except RuntimeError as error:
        pytest.skip(f"no OpenGL backend on this machine: {error}")
    assert frame.shape == (120, 160, 3)
    centre = frame[40:100, 50:110].astype(np.float64).mean(axis=2)
    assert centre.max() > 200.0
    env.close()
