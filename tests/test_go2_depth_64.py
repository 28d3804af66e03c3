"""The rough-depth task with the 64 x 64 camera option: observation shape, images equal to the numpy reference."""

from __future__ import annotations

import numpy as np
from raycast_reference import ReferenceHeightField

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2RoughDepthEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.managers.term_cfg import DepthCameraCfg


def test_rough_depth_task_with_a_64_x_64_camera():
    cfg = UnitreeGo2RoughDepthEnvCfg()
    cfg.scene.terrain.terrain_generator.update({"num_rows": 3, "num_cols": 3, "border_width": 4.0})
    cfg.scene.depth_camera = DepthCameraCfg(width=64, height=64)
    env = VelocityEnv(num_envs=6, cfg=cfg, seed=0)
    obs, _ = env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1.0, 1.0, (6, 12)).astype(np.float32)
    for _ in range(3):
        obs, *_ = env.step(actions)
    depth = np.asarray(obs["depth"])
    assert depth.shape == (6, 1, 64, 64) and depth.dtype == np.float32
    # the camera's images from the robots' current poses against the numpy reference
    camera = env.sensors["depth_camera"].camera
    pos, quat = env.robot.root_pos_w, env.robot.root_quat_w
    images = camera.compute(pos, quat)
    position, directions = camera.camera_pose(pos, quat)
    length = ReferenceHeightField.of(camera.terrain.ground).raycast(
        np.repeat(position, camera.num_pixels, axis=0), directions.reshape(-1, 3),
        np.tile(camera.max_ray_length, 6), camera.near,
    ).reshape(6, 64, 64)  # fmt: skip
    expected = np.clip(length * camera.cos_to_axis.reshape(64, 64), camera.near, camera.far)
    expected = ((expected - camera.near) / (camera.far - camera.near)).astype(np.float32)
    np.testing.assert_allclose(images[:, 0], expected, atol=1e-6)
    # the robots stand on the ground looking down at it: most pixels see ground closer than far
    assert (images < 1.0).mean() > 0.5 and (depth < 1.0).mean() > 0.5
    env.close()
