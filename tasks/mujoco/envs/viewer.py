"""Offscreen RGB rendering of one environment with MuJoCo's renderer.

The visual model (meshes, textured ground) is posed with the physics state of the chosen environment and drawn from a
camera that tracks the robot's base. The OpenGL backend is chosen when MuJoCo is first imported, through
``MUJOCO_GL``: ``egl`` by default (headless, GPU or Mesa's EGL), ``osmesa`` as the software fallback (set
``MUJOCO_GL=osmesa``, needs ``libosmesa6``); see :mod:`rsl_sim.tasks.mujoco.batched_sim`.
"""

from __future__ import annotations

import os

import mujoco
import numpy as np

from rsl_sim.tasks.mujoco.managers.term_cfg import ViewerCfg


def depth_panel(image: np.ndarray, height: int, multiple: int = 16) -> np.ndarray:
    """A depth image drawn as a grey picture to put beside a rendered frame.

    Args:
        image: Normalized depth ``[H, W]`` in [0, 1] (0 at the camera, 1 at its far distance).
        height: Height of the panel [px] (the frame's); the image is scaled up by the largest whole factor that fits
            (pixels repeated, not blurred) and centred vertically on black.
        multiple: The panel's width is rounded up to a multiple of this (video encoders want sizes divisible by 16).

    Returns:
        RGB panel ``[height, width, 3]`` uint8: ``255 * (1 - depth)`` (near bright, far black).

    Raises:
        ValueError: If ``image`` is not 2-D or is taller than ``height``.
    """
    if image.ndim != 2:
        raise ValueError(f"depth image must be [H, W], got shape {image.shape}.")
    if image.shape[0] > height:
        raise ValueError(f"depth image of height {image.shape[0]} does not fit a frame of height {height}.")
    scale = height // image.shape[0]
    grey = np.round(255.0 * (1.0 - np.clip(image, 0.0, 1.0))).astype(np.uint8)
    grey = np.repeat(np.repeat(grey, scale, axis=0), scale, axis=1)
    width = -(-grey.shape[1] // multiple) * multiple
    panel = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - grey.shape[0]) // 2, (width - grey.shape[1]) // 2
    panel[top : top + grey.shape[0], left : left + grey.shape[1]] = grey[..., None]
    return panel


class OffscreenViewer:
    """Renders ``[height, width, 3]`` uint8 frames of one environment.

    Args:
        cfg: Image size and camera placement.
        model: The visual model (same ``qpos`` layout as the physics model).
        track_body: Name of the body the camera follows.

    Raises:
        RuntimeError: If no OpenGL context can be created (the message names the backend and the fallback).
    """

    def __init__(self, cfg: ViewerCfg, model: mujoco.MjModel, track_body: str) -> None:
        self.cfg = cfg
        self.model = model
        self.data = mujoco.MjData(model)
        try:
            self.renderer = mujoco.Renderer(model, height=cfg.height, width=cfg.width)
        except Exception as error:  # the GL backends raise several unrelated exception types
            backend = os.environ.get("MUJOCO_GL", "")
            raise RuntimeError(
                f"Offscreen rendering failed with MUJOCO_GL={backend!r}: {error}. Headless machines need EGL "
                "(libEGL) or, as a software fallback, MUJOCO_GL=osmesa with libosmesa6 installed; set the variable "
                "before anything imports mujoco."
            ) from error
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_TRACKING
        self.camera.trackbodyid = model.body(track_body).id
        self.camera.distance = cfg.distance
        self.camera.elevation = cfg.elevation
        self.camera.azimuth = cfg.azimuth

    def render(self, qpos: np.ndarray) -> np.ndarray:
        """Draw the robot in configuration ``qpos``.

        Args:
            qpos: Generalized positions ``[nq]`` of the environment to draw.

        Returns:
            RGB image ``[height, width, 3]`` (uint8).
        """
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        # the tracking camera follows the base's subtree centre of mass
        mujoco.mj_comPos(self.model, self.data)
        mujoco.mj_camlight(self.model, self.data)
        self.renderer.update_scene(self.data, camera=self.camera)
        return self.renderer.render().copy()

    def close(self) -> None:
        """Release the OpenGL context."""
        self.renderer.close()
