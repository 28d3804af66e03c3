"""Go2 depth task: the student and depth groups, the depth image against the analytic depth of a flat floor, the
camera's own update rate, fresh images after resets, and that no camera exists unless a config asks for one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.term_cfg import (
    DepthCameraCfg,
    ObservationGroupCfg,
    ObservationTermCfg,
    SceneEntityCfg,
)
from rsl_sim.tasks.mujoco.spatial import quat_from_euler_xyz, quat_rotate
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper


def small_depth_cfg() -> UnitreeGo2RoughDepthEnvCfg:
    cfg = UnitreeGo2RoughDepthEnvCfg()
    cfg.scene.terrain.terrain_generator.update({"num_rows": 3, "num_cols": 3, "border_width": 4.0})
    return cfg


def flat_depth_cfg(camera: DepthCameraCfg) -> UnitreeGo2FlatEnvCfg:
    """The flat task with a depth camera and a depth group (no pushes, so poses change only by the physics)."""
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.events["push_robot"] = None
    cfg.scene.depth_camera = camera
    cfg.observations["depth"] = ObservationGroupCfg(
        terms={
            "depth_image": ObservationTermCfg(func="depth_image", params={"sensor_cfg": SceneEntityCfg("depth_camera")})
        }
    )
    return cfg


def plane_depth(camera: DepthCameraCfg, base_pos: np.ndarray, base_quat: np.ndarray) -> np.ndarray:
    """Normalized distance-to-image-plane images of the floor z = 0, ``[N, 1, H, W]``, written out from the pinhole
    model: pixel (v, u) looks along (1, -r_u, -d_v) in the camera's (forward, left, up) frame with r_u = (u + 0.5 - W/2)
    / f_x, d_v = (v + 0.5 - H/2) / f_y; the camera is pitched down about the base y axis and sits at ``offset``."""
    fx = (camera.width / 2) / np.tan(np.deg2rad(camera.horizontal_fov_deg) / 2)
    fy = (camera.height / 2) / np.tan(np.deg2rad(camera.vertical_fov_deg) / 2)
    right = (np.arange(camera.width) + 0.5 - camera.width / 2) / fx
    down = (np.arange(camera.height) + 0.5 - camera.height / 2) / fy
    r, d = np.meshgrid(right, down, indexing="xy")
    rays = np.stack([np.ones_like(r), -r, -d], axis=-1).reshape(-1, 3)
    pitch = np.deg2rad(camera.pitch_deg)
    tilt = np.array([[np.cos(pitch), 0.0, np.sin(pitch)], [0.0, 1.0, 0.0], [-np.sin(pitch), 0.0, np.cos(pitch)]])
    rays = rays @ tilt.T
    images = []
    for pos, quat in zip(base_pos, base_quat):
        origin = pos + quat_rotate(quat[None], np.asarray(camera.offset)[None])[0]
        world = quat_rotate(np.repeat(quat[None], len(rays), axis=0), rays)
        # the optical component of each ray is 1: the ray parameter at the floor is the depth along the axis
        with np.errstate(divide="ignore"):
            depth = np.where(world[:, 2] < 0.0, -origin[2] / world[:, 2], np.inf)
        depth = np.clip(depth, camera.near, camera.far)
        images.append(((depth - camera.near) / (camera.far - camera.near)).reshape(camera.height, camera.width))
    return np.stack(images)[:, None]


def test_depth_groups_shapes_and_range():
    env = VelocityEnv(num_envs=4, cfg=small_depth_cfg(), seed=0)
    obs, _ = env.reset(seed=0)
    assert obs["policy"].shape == (4, 235) and obs["critic"].shape == (4, 249)
    assert obs["student"].shape == (4, 48) and obs["depth"].shape == (4, 1, 32, 32)
    assert obs["depth"].dtype == np.float32 and obs["student"].dtype == np.float32
    assert env.single_observation_space["depth"].shape == (1, 32, 32)
    for _ in range(3):
        obs, *_ = env.step(np.zeros((4, 12)))
    depth = obs["depth"]
    assert depth.min() >= 0.0 and depth.max() <= 1.0
    # a camera pitched 30 deg down sees the ground in its lower rows and more distant ground above
    assert depth[:, 0, -1].mean() < depth[:, 0, 0].mean()
    # the student group is the proprioceptive part of the policy group, without the height scan
    assert (
        list(env.observation_manager.group_term_dims["student"])
        == list(env.observation_manager.group_term_dims["policy"])[:-1]
    )
    env.close()


def test_depth_image_matches_the_analytic_floor_depth():
    camera = DepthCameraCfg(width=16, height=12, update_period=0.0)
    env = VelocityEnv(num_envs=3, cfg=flat_depth_cfg(camera), seed=0)
    env.reset(seed=0)
    ids = np.arange(3)
    pos = np.array([[0.3, -1.0, 0.42], [5.0, 2.0, 0.30], [-2.0, 0.5, 0.55]])
    quat = quat_from_euler_xyz(np.array([0.0, 0.15, -0.2]), np.array([0.0, -0.1, 0.25]), np.array([0.0, 1.2, -2.5]))
    env.robot.write_root_state(ids, pos, quat, np.zeros((3, 3)), np.zeros((3, 3)))
    env.robot.update()
    env._reset_sensors(ids)
    image = env.observation_manager.compute_group("depth")
    expected = plane_depth(camera, pos, quat)
    np.testing.assert_allclose(image, expected, atol=2e-6)
    # the tilted robots see the floor at other depths than the level one
    assert np.abs(expected[1] - expected[0]).max() > 0.05
    env.close()


def test_camera_refreshes_at_its_own_rate_and_after_resets():
    camera = DepthCameraCfg(update_period=0.04)
    env = VelocityEnv(num_envs=3, cfg=flat_depth_cfg(camera), seed=1)
    sensor = env.sensors["depth_camera"]
    assert sensor.period_steps == 2
    obs, _ = env.reset(seed=1)
    rng = np.random.default_rng(0)
    images = [obs["depth"]]
    for _ in range(4):
        obs, *_ = env.step(rng.uniform(-1.0, 1.0, (3, 12)))
        images.append(obs["depth"])
        current = sensor.camera.compute(env.robot.root_pos_w, env.robot.root_quat_w)
        if len(images) % 2 == 1:
            # steps 2 and 4: recomputed from the current pose
            np.testing.assert_array_equal(images[-1], current)
        else:
            # steps 1 and 3: the previous image is kept, though the robots moved
            np.testing.assert_array_equal(images[-1], images[-2])
            assert not np.array_equal(images[-1], current)

    # an env that resets on a step without an update gets a fresh image at once
    env.episode_length_buf = np.array([env.max_episode_length - 1, 0, 0])
    obs, *_ = env.step(np.zeros((3, 12)))
    current = sensor.camera.compute(env.robot.root_pos_w, env.robot.root_quat_w)
    np.testing.assert_array_equal(obs["depth"][0], current[0])
    np.testing.assert_array_equal(obs["depth"][1:], images[-1][1:])
    env.close()


@pytest.mark.parametrize("cfg_class", [UnitreeGo2FlatEnvCfg, UnitreeGo2RoughEnvCfg])
def test_no_camera_unless_configured(cfg_class):
    cfg = cfg_class()
    if cfg.scene.terrain.terrain_generator is not None:
        cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 2, "border_width": 2.0})
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0)
    assert "depth_camera" not in env.sensors and cfg.scene.depth_camera is None
    assert "depth" not in env.reset(seed=0)[0]
    env.close()


def test_depth_task_through_the_rsl_sim_wrapper():
    env = GymnasiumVecEnvWrapper.from_id("RslSim/Go2-Rough-Depth-v0", num_envs=2, seed=0, cfg=small_depth_cfg())
    obs = env.get_observations()
    assert obs["depth"].dtype == torch.float32 and tuple(obs["depth"].shape) == (2, 1, 32, 32)
    obs, rewards, dones, extras = env.step(torch.zeros(2, 12))
    assert tuple(obs["student"].shape) == (2, 48) and rewards.shape == (2,)
    env.close()
