"""Video clips of a VecEnv while it is stepped (``--video``): ``env.render()`` frames written as mp4 files.

Clips follow Isaac Lab's ``--video`` convention: a clip of ``video_length`` steps starts every ``video_interval`` env
steps (the first one at step 0) and is written to ``<folder>/rl-video-step-<start step>.mp4``. The runner's logger
uploads the mp4 files it finds in the run folder to writers that take videos (W&B).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.utils.video import write_video

from .errors import CliError, require_module


class VideoRecorder(VecEnv):
    """Wrap a VecEnv: steps go through unchanged, frames of the recorded steps are written as mp4 clips.

    Attributes other than the ones below are read from the wrapped env.

    Args:
        env: The env, built with ``render_mode="rgb_array"`` (its ``render()`` returns ``[H, W, 3]`` uint8 frames,
            or a tuple of them, one per sub-environment, of which the first is used).
        folder: Folder of the clips (created when the first clip is written).
        video_length: Steps per clip (>= 1).
        video_interval: Steps between clip starts (>= ``video_length``: clips do not overlap).
        fps: Frames per second of the files; None: ``1 / env.step_dt`` if known, else 50.

    Raises:
        CliError: For a non-positive length or an interval shorter than the length, or when imageio is missing.
    """

    def __init__(
        self, env: VecEnv, folder: str, video_length: int = 200, video_interval: int = 2000, fps: float | None = None
    ) -> None:
        check_video_settings(video_length, video_interval)
        self.env = env
        self.folder = folder
        self.video_length = video_length
        self.video_interval = video_interval
        step_dt = getattr(env, "step_dt", None)
        self.fps = fps if fps is not None else (round(1.0 / step_dt) if step_dt else 50)
        self.step_id = 0
        self.written: list[str] = []
        self._frames: list[np.ndarray] = []
        self._clip_start = 0

    # VecEnv attributes, read from (and written to) the wrapped env
    @property
    def num_envs(self) -> int:  # type: ignore[override]
        """Number of environments."""
        return self.env.num_envs

    @property
    def num_actions(self) -> int:  # type: ignore[override]
        """Size of the action vector."""
        return self.env.num_actions

    @property
    def max_episode_length(self) -> int | torch.Tensor:  # type: ignore[override]
        """Episode time limit in steps."""
        return self.env.max_episode_length

    @property
    def episode_length_buf(self) -> torch.Tensor:  # type: ignore[override]
        """Steps since each env's reset (settable, forwarded)."""
        return self.env.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.env.episode_length_buf = value

    @property
    def device(self) -> Any:  # type: ignore[override]
        """Device of the env's tensors."""
        return self.env.device

    @property
    def cfg(self) -> Any:  # type: ignore[override]
        """The env's config."""
        return self.env.cfg

    @property
    def step_dt(self) -> float | None:  # type: ignore[override]
        """Seconds per env step."""
        return getattr(self.env, "step_dt", None)

    @property
    def unwrapped(self) -> Any:
        """The innermost env."""
        return self.env.unwrapped

    def __getattr__(self, name: str) -> Any:
        """Anything else comes from the wrapped env."""
        if name == "env":
            raise AttributeError(name)
        return getattr(self.env, name)

    def get_observations(self) -> TensorDict:
        """The wrapped env's observations."""
        return self.env.get_observations()

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Step the env; record the frame when a clip is running, write the clip when it is complete."""
        result = self.env.step(actions)
        if self.step_id % self.video_interval == 0 and not self._frames:
            self._clip_start = self.step_id
        if self.step_id - self._clip_start < self.video_length:
            self._frames.append(render_frame(self.env))
            if len(self._frames) == self.video_length:
                self._write()
        self.step_id += 1
        return result

    def close(self) -> None:
        """Write a started clip, then close the wrapped env."""
        self.flush()
        if hasattr(self.env, "close"):
            self.env.close()

    def flush(self) -> None:
        """Write the frames of an unfinished clip (if any)."""
        if self._frames:
            self._write()

    def _write(self) -> None:
        """Write the collected frames to ``rl-video-step-<start>.mp4``."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"rl-video-step-{self._clip_start}.mp4")
        write_video(self._frames, path, fps=self.fps)
        self.written.append(path)
        self._frames = []
        # the next clip starts at the next multiple of the interval
        self._clip_start = -self.video_interval


def check_video_settings(video_length: int, video_interval: int) -> None:
    """Check the clip settings and that the video writer's packages are installed.

    Raises:
        CliError: For a non-positive length, an interval shorter than the length, or a missing imageio / ffmpeg.
    """
    if video_length < 1 or video_interval < video_length:
        raise CliError(
            f"--video_length must be >= 1 and --video_interval >= --video_length, got {video_length} and"
            f" {video_interval}."
        )
    require_module("imageio", "--video")
    require_module("imageio_ffmpeg", "--video")


def render_frame(env: Any) -> np.ndarray:
    """The env's current frame ``[H, W, 3]`` uint8 (the first sub-environment's when it renders one per env).

    Raises:
        CliError: If the env renders nothing (it was not made with ``render_mode="rgb_array"`` or cannot render).
    """
    frame = env.render()
    if isinstance(frame, (tuple, list)):
        frame = frame[0] if frame else None
    if frame is None:
        raise CliError("the env renders no frames (render() gave None): this task cannot record --video.")
    return np.asarray(frame, dtype=np.uint8)
