"""Video recording of a policy in an environment: ``env.render()`` frames written as an mp4 file.

Writing needs ``imageio`` with its ffmpeg plugin (``pip install imageio imageio-ffmpeg``); both are imported only
when a video is written. The env must render RGB frames (``render_mode="rgb_array"`` when it was made); for MuJoCo
without a display set ``MUJOCO_GL=egl`` (or ``osmesa``) before MuJoCo is imported.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch


def write_video(frames: Iterable[np.ndarray], path: str, fps: float) -> int:
    """Write RGB frames to an mp4 file (H.264, yuv420p, readable by common players).

    Args:
        frames: Images ``[height, width, 3]`` of dtype uint8, all of the same size.
        path: Destination file (``.mp4``); its folder is created if needed.
        fps: Frames per second.

    Returns:
        Number of frames written.

    Raises:
        ModuleNotFoundError: If ``imageio`` or ``imageio-ffmpeg`` is missing (the message names the pip packages).
        ValueError: If ``fps`` is not positive, a frame is not ``[height, width, 3]`` uint8, the frame size changes,
            or there is no frame.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the ffmpeg plugin's binary)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"Writing videos needs imageio and its ffmpeg plugin ({error}): `pip install imageio imageio-ffmpeg`."
        ) from error
    # The first frame fixes the size; no file is created without one
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ValueError(f"No frame was given: nothing written to {path}.")
    shape = np.shape(first)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    count = 0
    # macro_block_size=1 keeps any frame size (no resizing to multiples of 16)
    with imageio.get_writer(path, fps=fps, codec="libx264", pixelformat="yuv420p", macro_block_size=1) as writer:
        for frame in itertools.chain([first], iterator):
            frame = np.asarray(frame)
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"Frame {count} must be [height, width, 3] uint8, got {frame.shape} {frame.dtype}.")
            if frame.shape != shape:
                raise ValueError(f"Frame {count} has shape {frame.shape}, the first frame {shape}.")
            writer.append_data(frame)
            count += 1
    return count


def record_policy_video(
    env: Any, policy: Callable[[Any], torch.Tensor], path: str, num_steps: int, fps: float | None = None
) -> int:
    """Run ``policy`` in ``env`` for ``num_steps`` steps and write one rendered frame per step (and the first one).

    Args:
        env: A :class:`~rsl_sim.env.VecEnv` whose ``render()`` returns an RGB image ``[height, width, 3]`` uint8
            (e.g. a :class:`~rsl_sim.wrappers.gymnasium.GymnasiumVecEnvWrapper` of an env made with
            ``render_mode="rgb_array"``); when it returns one image per sub-env (a tuple or list, as gymnasium's
            ``SyncVectorEnv``), the first one is used.
        policy: Callable mapping the observations (TensorDict) to actions ``[num_envs, num_actions]``; a
            ``reset(dones)`` method, if any, is called after each step.
        path: Destination mp4 file.
        num_steps: Env steps to run; the video has ``num_steps + 1`` frames.
        fps: Frames per second; None: real time, ``1 / env.step_dt`` (the env must then have ``step_dt``).

    Returns:
        Number of frames written.

    Raises:
        ValueError: If ``num_steps`` < 1, the env renders nothing (no render mode), or ``fps`` cannot be found.
    """
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}.")
    if fps is None:
        step_dt = getattr(env, "step_dt", None)
        if not step_dt:
            raise ValueError("The env has no step_dt: pass fps explicitly.")
        fps = 1.0 / float(step_dt)

    def render() -> np.ndarray:
        frame = env.render()
        if isinstance(frame, (tuple, list)):
            frame = frame[0] if frame else None
        if frame is None:
            raise ValueError("env.render() returned no image: make the env with render_mode='rgb_array'.")
        return frame

    def frames() -> Iterable[np.ndarray]:
        # the state before the first step, then one frame after each step
        yield render()
        obs = env.get_observations()
        with torch.inference_mode():
            for _ in range(num_steps):
                actions = policy(obs)
                obs, _, dones, _ = env.step(actions.to(env.device))
                if callable(getattr(policy, "reset", None)):
                    policy.reset(dones)
                yield render()

    return write_video(frames(), path, fps)
