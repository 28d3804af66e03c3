"""The depth image beside the robot in rendered frames (``play --video`` of a depth student): the panel's pixels are
the sensor's image scaled up, near bright and far black, and only depth tasks get it."""

from __future__ import annotations

import numpy as np
import pytest

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2RoughDepthEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.tasks.mujoco.envs.viewer import depth_panel


def test_depth_panel_scales_by_whole_pixels_and_maps_near_to_bright():
    image = np.array([[0.0, 1.0, 0.5], [0.25, 2.0, -1.0]], dtype=np.float32)  # out-of-range values are clipped
    panel = depth_panel(image, height=9, multiple=8)
    # scale 9 // 2 = 4: 8 x 12 pixels, centred vertically (top 0), horizontally in a width of 16 (left 2)
    assert panel.shape == (9, 16, 3) and panel.dtype == np.uint8
    expected = np.array([[255, 0, 128], [191, 0, 255]], dtype=np.uint8)
    grey = panel[0:8, 2:14, 0]
    np.testing.assert_array_equal(grey, np.kron(expected, np.ones((4, 4), dtype=np.uint8)))
    assert (panel[..., 0] == panel[..., 1]).all() and (panel[..., 0] == panel[..., 2]).all()
    # the border is black
    assert panel[8].max() == 0 and panel[:, :2].max() == 0 and panel[:, 14:].max() == 0


def test_depth_panel_refuses_images_that_do_not_fit():
    with pytest.raises(ValueError, match=r"\[H, W\]"):
        depth_panel(np.zeros((1, 4, 4)), height=8)
    with pytest.raises(ValueError, match="does not fit"):
        depth_panel(np.zeros((16, 4)), height=8)


@pytest.mark.parametrize("show_depth", [True, False])
def test_depth_task_frames_show_the_sensor_image_beside_the_robot(show_depth):
    cfg = UnitreeGo2RoughDepthEnvCfg()
    cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 2, "border_width": 2.0})
    cfg.viewer.width, cfg.viewer.height, cfg.viewer.env_index = 160, 96, 1
    cfg.viewer.show_depth = show_depth
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.zeros((2, 12)))
    try:
        frame = env.render()
    except RuntimeError as error:
        pytest.skip(f"no OpenGL backend on this machine: {error}")
    finally:
        env.close()
    if not show_depth:
        assert frame.shape == (96, 160, 3)
        return
    # 32 x 32 image, scale 3: a 96 x 96 panel to the right of the 160-pixel robot view, of env 1's image
    assert frame.shape == (96, 160 + 96, 3)
    image = env.sensors["depth_camera"].image[1, 0]
    np.testing.assert_array_equal(frame[:, 160:], depth_panel(image, 96))
    assert not np.array_equal(image, env.sensors["depth_camera"].image[0, 0])
    # the camera looks down at the ground ahead: some of it is near (bright), nothing is black everywhere
    assert frame[:, 160:, 0].max() > 0
