"""``--video`` for Isaac Lab tasks: the env config's video recorders, set up as Isaac Lab's own RL entry points do.

Isaac Lab 3.0 envs record clips themselves: each ``VideoRecorderCfg`` of ``env_cfg.video_recorders`` captures frames
from a visualizer or a scene sensor and writes ``<output_dir>/<prefix>_<index>.mp4`` (moviepy); ``env.render()``
returns no frames. Following ``isaaclab_rl.entrypoints.common.apply_video_recording``:

- recorders the env config declares are kept; only the fields the command line controls are set on them
  (``output_dir`` when unset, ``video_length``, ``video_interval``, the file prefix);
- without declared recorders, one records from the first visualizer the simulation config names; without one, a
  headless visualizer is added: Isaac Sim's Kit viewport when Isaac Sim is installed (Isaac Lab's default), else
  Newton's OpenGL viewer (kit-less; renders off-screen through EGL, so it works on a machine without a display or
  GPU).

Isaac Lab's ``video_interval`` 0 means a single clip; rsl_sim's ``--video_interval`` is the number of env steps
between clip starts, as for the other tasks.

Once the env is built, :func:`aim_video_camera` points the visualizers' camera at the robot of env 0 (the first
articulation of the scene; the env origin when there is none) from :data:`CAMERA_OFFSET`: the visualizer's own default
view looks at the world origin, which with a grid of envs can be empty ground far from any robot.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from .errors import CliError, missing_dependency

CAMERA_OFFSET = (2.5, -2.5, 1.5)
"""Camera eye relative to the aimed point [m] (world frame): 3.8 m away, 23 degrees above the horizon."""


@dataclass
class IsaacLabVideo:
    """Where and how an Isaac Lab env records its clips.

    Attributes:
        output_dir: Folder of the mp4 files (created by Isaac Lab's recorder).
        video_length: Env steps per clip (>= 1).
        video_interval: Env steps between clip starts; 0: one clip, at the first step.
        prefix: File name prefix: clips are ``<output_dir>/<prefix>_<index>.mp4`` (index from 0000).
    """

    output_dir: str
    video_length: int = 200
    video_interval: int = 2000
    prefix: str = "clip"


def configure_isaaclab_video(env_cfg: Any, video: IsaacLabVideo) -> list[Any]:
    """Set up ``env_cfg.video_recorders`` (and a visualizer to record from, if needed) before the launch.

    Args:
        env_cfg: The parsed Isaac Lab env config (changed in place).
        video: Where and how to record.

    Returns:
        The recorder configs (``VideoRecorderCfg``) of the env config.

    Raises:
        CliError: If the env config has no ``video_recorders`` field (an Isaac Lab before 3.0), a setting is out of
            range, or moviepy (Isaac Lab's video writer) or the visualizer's package is missing.
    """
    if not hasattr(env_cfg, "video_recorders"):
        raise CliError(
            f"the env config {type(env_cfg).__name__} has no 'video_recorders' field: --video for Isaac Lab tasks needs"
            " Isaac Lab >= 3.0."
        )
    if video.video_length < 1 or video.video_interval < 0:
        raise CliError(
            f"--video_length must be >= 1 and --video_interval >= 0, got {video.video_length} and"
            f" {video.video_interval}."
        )
    if importlib.util.find_spec("moviepy") is None:
        raise missing_dependency("moviepy", "--video for Isaac Lab tasks (Isaac Lab writes its clips with moviepy)")
    from isaaclab.envs.utils.video_recorder_cfg import VideoRecorderCfg

    # Declared recorders are kept; otherwise one records from a (possibly added) visualizer
    if not env_cfg.video_recorders:
        env_cfg.video_recorders = [VideoRecorderCfg(source=_visualizer_source(env_cfg))]
    for recorder in env_cfg.video_recorders:
        if recorder.output_dir is None:
            recorder.output_dir = video.output_dir
        recorder.video_length = video.video_length
        recorder.video_interval = video.video_interval
        recorder.output_filename_prefix = video.prefix
        try:
            recorder.validate_config()
        except ValueError as error:
            raise CliError(str(error)) from error
    return list(env_cfg.video_recorders)


def _visualizer_source(env_cfg: Any) -> str:
    """``visualizer:<type>`` of the first visualizer the simulation config names; adds a headless one if none."""
    sim_cfg = env_cfg.sim
    configured = list(getattr(sim_cfg, "visualizer_cfgs", None) or [])
    default_cfg = getattr(sim_cfg, "default_visualizer_cfg", None)
    if default_cfg is not None:
        configured.append(default_cfg)
    # A base VisualizerCfg without a type is a hint that creates no visualizer
    configured = [cfg for cfg in configured if getattr(cfg, "visualizer_type", None) is not None]
    if configured:
        return f"visualizer:{configured[0].visualizer_type}"
    visualizer = _headless_visualizer()
    if not isinstance(getattr(sim_cfg, "visualizer_cfgs", None), list):
        sim_cfg.visualizer_cfgs = []
    sim_cfg.visualizer_cfgs.append(visualizer)
    return f"visualizer:{visualizer.visualizer_type}"


def _headless_visualizer() -> Any:
    """Kit's viewport with Isaac Sim installed, else Newton's OpenGL viewer (both headless)."""
    if importlib.util.find_spec("isaacsim") is not None:
        from isaaclab_visualizers.kit import KitVisualizerCfg

        return KitVisualizerCfg(headless=True)
    if importlib.util.find_spec("pyglet") is None:
        raise missing_dependency("pyglet", "--video for kit-less Isaac Lab tasks (Newton's OpenGL viewer)")
    from isaaclab_visualizers.newton import NewtonGLVisualizerCfg

    return NewtonGLVisualizerCfg(headless=True)


def aim_video_camera(env: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Point the simulation's visualizer camera at env 0's robot (its root position) from :data:`CAMERA_OFFSET`.

    Args:
        env: The Isaac Lab env (``ManagerBasedRLEnv`` / ``DirectRLEnv``, unwrapped), after it was built.

    Returns:
        ``(eye, target)`` in world coordinates [m]. The target is the root position of the scene's first articulation
        in env 0, or env 0's origin raised by 0.5 m when the scene has no articulation.
    """
    articulations = list(env.scene.articulations.values())
    if articulations:
        position = articulations[0].data.root_pos_w
        position = position.torch if hasattr(position, "torch") else position
        target = tuple(float(value) for value in position[0])
    else:
        origin = [float(value) for value in env.scene.env_origins[0]]
        target = (origin[0], origin[1], origin[2] + 0.5)
    eye = tuple(t + o for t, o in zip(target, CAMERA_OFFSET))
    env.sim.set_camera_view(eye, target)
    return eye, target
