"""``rsl-sim play``: run a trained policy in its task, export it, and optionally record a video.

Examples::

    rsl-sim play --task RslSim/Go2-Flat-v0                    # newest checkpoint of the task's newest run
    rsl-sim play logs/unitree_go2_flat/2026-01-01_12-00-00 --video --video_length 500
    rsl-sim play --task Pendulum-v1 --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt --no_export
    rsl-sim play --task RslSim/Go2-Flat-v0 --evaluate --num_steps 200   # then 'rsl-sim evaluate' on the same run
    rsl-sim play --task RslSim/Go2-Flat-v0 --use_pretrained_checkpoint --video   # the policy shipped with the task

The policy acts deterministically. The exported files go to ``exported/policy.pt`` and ``exported/policy.onnx`` next
to the checkpoint; the video (first environment, real time) to ``<run>/videos/play/<checkpoint name>.mp4`` (Isaac Lab
tasks: the clip their env records, ``<checkpoint name>_<index>.mp4``, see :mod:`rsl_sim.cli.isaaclab_video`). With
``--evaluate`` (tasks that register an evaluation, e.g. the velocity tasks) the rollout is followed by
``rsl-sim evaluate`` of the same checkpoint (table printed, ``<run>/evaluation.json`` written). With
``--use_pretrained_checkpoint`` (the task's shipped policy) all of these go to ``<log_root>/pretrained/<task>/``
instead: the package folder is never written to.
"""

from __future__ import annotations

import argparse
import glob
import os
from typing import Any

import numpy as np
import torch

from . import arguments
from .agent_config import build_runner, load_checkpoint, set_seed
from .envs import EnvRequest, open_env
from .errors import CliError, missing_dependency
from .evaluate import evaluate_source, evaluation_function
from .export import export_policy
from .isaaclab_video import IsaacLabVideo
from .policy_source import inference_cfg, resolve_policy_source, split_positionals
from .pretrained import add_pretrained_arg
from .progress import info, progress_bar
from .tasks import VIDEO_ENTRY_POINT, get_spec, is_isaaclab_task, task_function
from .video import check_video_settings, render_frame

DEFAULT_PLAY_ENVS = 16
"""Environments when ``--num_envs`` is not given (playing needs few; Isaac Lab's play configs use 50)."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim play``."""
    arguments.add_task_args(parser, task_required=False)
    arguments.add_log_args(parser)
    arguments.add_load_args(parser)
    add_pretrained_arg(parser)
    parser.add_argument("--num_steps", type=int, default=1000, help="Env steps to run the policy for (default 1000).")
    parser.add_argument("--no_export", action="store_true", help="Do not export TorchScript / ONNX files.")
    arguments.add_video_args(parser)
    parser.add_argument(
        "--video_command",
        type=float,
        nargs=3,
        default=None,
        metavar=("VX", "VY", "WZ"),
        help="Tasks with a video function (velocity tasks): record the video of one robot whose command is pinned to"
        " (v_x [m/s],"
        " v_y [m/s], omega_z [rad/s]) instead of the first env of the rollout (implies --video).",
    )
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help="Tasks with an evaluation (velocity tasks): after playing, evaluate the checkpoint on fixed commands and"
        " seeds as"
        " 'rsl-sim evaluate' does (writes <run>/evaluation.json).",
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="[RUN] KEY=VALUE", help="A run folder or checkpoint file, and overrides."
    )
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Play as the arguments say.

    Returns:
        Statistics: ``episodes``, ``mean_return``, ``video``, ``exported``, ``checkpoint`` and, with ``--evaluate``,
        ``evaluation`` (the results of :func:`rsl_sim.cli.evaluate.evaluate_source`).
    """
    if args.num_steps < 1:
        raise CliError(f"--num_steps must be >= 1, got {args.num_steps}.")
    args.video = args.video or args.video_command is not None
    if args.video:
        check_video_settings(args.video_length, args.video_length)
    runs, override_tokens = split_positionals(args.overrides)
    source = resolve_policy_source(args, runs[0] if runs else None, override_tokens)
    if args.video_command is not None:
        _check_pinned_video(source)
    if args.evaluate:
        evaluation_function(source.task)  # refuse tasks without an evaluation before playing
    cfg = inference_cfg(source.agent_cfg)
    set_seed(cfg["seed"])
    info(f"checkpoint: {source.checkpoint}")
    device = cfg["device"]

    request = EnvRequest(
        task=source.task,
        num_envs=args.num_envs or DEFAULT_PLAY_ENVS,
        seed=cfg["seed"],
        device=device,
        clip_actions=cfg.get("clip_actions"),
        env_overrides=source.env_overrides,
        headless=args.headless,
    )
    name = os.path.splitext(os.path.basename(source.checkpoint))[0]
    video_dir = os.path.join(source.output_dir or source.run_dir, "videos", "play")
    isaaclab = is_isaaclab_task(get_spec(source.task))
    # The first env's frames from render(); an Isaac Lab env records one clip itself (the recorders' view)
    record = args.video and args.video_command is None and not isaaclab
    request.render = record
    if args.video and isaaclab:
        request.isaaclab_video = IsaacLabVideo(video_dir, args.video_length, video_interval=0, prefix=name)
        clips_before = set(glob.glob(os.path.join(video_dir, f"{name}_*.mp4")))
    stats: dict[str, Any] = {"checkpoint": source.checkpoint, "exported": None, "video": None}
    with open_env(request) as env:
        runner = build_runner(env, cfg, log_dir=None)
        load_checkpoint(runner, source.checkpoint, device, trusted=source.trust_checkpoint, inference=True)
        policy = runner.get_inference_policy(device=device)

        # Export next to the checkpoint
        if not args.no_export:
            export_dir = os.path.join(source.output_dir or os.path.dirname(source.checkpoint), "exported")
            stats["exported"] = export_policy(policy, export_dir)
            info(f"exported TorchScript and ONNX policies to: {export_dir}")

        # Run the policy (and collect frames for the video of the first env)
        frames: list[np.ndarray] = []
        stats.update(_rollout(env, policy, args.num_steps, device, frames if record else None, args.video_length))
        step_dt = getattr(env, "step_dt", None)

        # Video in real time: the first env of the rollout, or one robot with a pinned command
        path = os.path.join(video_dir, f"{name}.mp4")
        if record:
            stats["video"] = _write(frames, path, step_dt)
        elif args.video_command is not None:
            stats["video"] = _record_pinned(source.task, policy, path, args, cfg)
    # Isaac Lab writes its clip when the clip is full or the env closes
    if request.isaaclab_video is not None:
        clips = sorted(set(glob.glob(os.path.join(video_dir, f"{name}_*.mp4"))) - clips_before)
        if not clips:
            raise CliError(f"Isaac Lab recorded no clip into {video_dir}: see its log above for the recorder's error.")
        stats["video"] = clips[0]
    if stats["video"] is not None:
        info(f"video: {stats['video']}")
    if stats["episodes"]:
        info(f"{stats['episodes']} episodes finished, mean return {stats['mean_return']:.2f}")
    else:
        info("no episode finished within --num_steps.")
    if args.evaluate:
        stats["evaluation"] = evaluate_source(source)
    return stats


def _rollout(
    env: Any, policy: Any, num_steps: int, device: str, frames: list[np.ndarray] | None, video_length: int
) -> dict[str, Any]:
    """Step the policy; recurrent state is reset for finished envs. Returns episode count and mean return."""
    returns = torch.zeros(env.num_envs, device=device)
    finished: list[float] = []
    obs = env.get_observations().to(device)
    if frames is not None:
        frames.append(render_frame(env))
    with torch.inference_mode(), progress_bar(num_steps, "playing") as advance:
        for step in range(num_steps):
            actions = policy(obs)
            obs, rewards, dones, _ = env.step(actions.to(env.device))
            obs, rewards, dones = obs.to(device), rewards.to(device), dones.to(device)
            policy.reset(dones)
            returns += rewards
            done_ids = (dones > 0).nonzero().flatten()
            finished += returns[done_ids].tolist()
            returns[done_ids] = 0.0
            if frames is not None and step + 1 < video_length:
                frames.append(render_frame(env))
            advance(1)
    mean_return = sum(finished) / len(finished) if finished else None
    return {"episodes": len(finished), "mean_return": mean_return}


def _check_pinned_video(source: Any) -> None:
    """``--video_command`` works for tasks that register a video function, with the task's own env config.

    Raises:
        CliError: For a task without a video function (``rsl_sim_video_entry_point``), or env overrides (the
            pinned-command video builds the task's registered config).
    """
    task_function(source.task, VIDEO_ENTRY_POINT, "--video_command")
    if source.env_overrides:
        keys = [override.key for override in source.env_overrides]
        raise CliError(
            f"--video_command records with the task's own env config, so the env overrides {keys} (of the command or"
            " the run) would not apply: use --video (first env of the rollout) instead."
        )


def _record_pinned(task: str, policy: Any, path: str, args: argparse.Namespace, cfg: dict[str, Any]) -> str:
    """One robot of the task, its command pinned to ``--video_command`` (the task's video function)."""
    record_video = task_function(task, VIDEO_ENTRY_POINT, "--video_command")
    policy.reset()  # one robot now: start the recurrent state afresh
    try:
        record_video(
            task,
            policy,
            path,
            num_steps=args.video_length,
            command=args.video_command,
            seed=cfg["seed"],
            device=cfg["device"],
            clip_actions=cfg.get("clip_actions"),  # as in training
        )
    except ValueError as error:
        raise CliError(f"cannot record the video: {error}") from error
    return path


def _write(frames: list[np.ndarray], path: str, step_dt: float | None) -> str:
    """Write the frames as mp4 at real-time speed."""
    from rsl_sim.utils.video import write_video

    try:
        write_video(frames, path, fps=1.0 / step_dt if step_dt else 50.0)
    except ModuleNotFoundError as error:
        raise missing_dependency(error.name or "imageio", "--video") from error
    return path
