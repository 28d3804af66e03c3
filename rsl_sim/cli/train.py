"""``rsl-sim train``: train a policy on a task (PPO, or any runner its agent config names).

Examples::

    rsl-sim train --task RslSim/Go2-Flat-v0 --num_envs 1024
    rsl-sim train --task Pendulum-v1 --max_iterations 150 agent.algorithm.learning_rate=3e-4
    rsl-sim train --task RslSim/Go2-Rough-v0 env.scene.num_envs=512 env.rewards.feet_air_time.weight=0.05
    rsl-sim train --task Pendulum-v1 --resume --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt
    torchrun --nproc_per_node 2 -m rsl_sim.cli train --task RslSim/Go2-Flat-v0 --distributed

Runs are written to ``<log_root>/<experiment_name>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]/``. With ``--distributed``
(under torchrun) each process trains on ``cuda:<LOCAL_RANK>`` (or the CPU) with the seed ``seed + RANK``, and only
rank 0 writes the run folder (:mod:`rsl_sim.cli.distributed`).
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rsl_sim.utils.distributed import destroy_process_group

from . import arguments
from .agent_config import (
    build_runner,
    check_logger,
    is_distillation,
    load_checkpoint,
    prepare_agent_cfg,
    set_seed,
)
from .distributed import add_distributed_arg, apply_distributed_settings
from .envs import EnvRequest, build_env_cfg, check_env_request, open_env
from .errors import CliError
from .isaaclab_video import IsaacLabVideo
from .overrides import Override, parse_overrides, select
from .progress import info
from .runs import experiment_dir, find_checkpoint, find_run_dir, new_run_dir, write_run_info
from .tasks import get_spec, is_isaaclab_task, load_agent_cfg
from .video import VideoRecorder, check_video_settings

NAMESPACES = ("agent", "env")
"""Override namespaces of ``train``."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim train``."""
    arguments.add_task_args(parser)
    arguments.add_writer_args(parser)
    arguments.add_log_args(parser)
    parser.add_argument("--resume", action="store_true", help="Resume from a checkpoint of an earlier run.")
    arguments.add_load_args(parser)
    arguments.add_video_args(parser)
    add_distributed_arg(parser)
    parser.add_argument("--dry_run", action="store_true", help="Print the agent and env configs; train nothing.")
    arguments.add_overrides_arg(parser)
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> str | dict[str, Any]:
    """Train as the arguments say; returns the run folder (``--dry_run``: ``{"agent_cfg", "env_cfg"}``)."""
    overrides = parse_overrides(args.overrides, NAMESPACES)
    agent_cfg = prepare_agent_cfg(load_agent_cfg(args.task, args.agent), args, select(overrides, "agent"))
    settings = apply_distributed_settings(agent_cfg, args.distributed)
    if args.dry_run:
        env_cfg = build_env_cfg(args.task, select(overrides, "env"))
        print_configs({"agent": agent_cfg, "env": env_cfg})
        return {"agent_cfg": agent_cfg, "env_cfg": env_cfg}
    job = TrainJob(
        task=args.task,
        agent_cfg=agent_cfg,
        env_overrides=select(overrides, "env"),
        log_root=args.log_root,
        num_envs=args.num_envs,
        resume=args.resume,
        teacher_checkpoint=None,
        trust_checkpoint=args.trust_checkpoint,
        video=args.video,
        video_length=args.video_length,
        video_interval=args.video_interval,
        headless=args.headless,
        distributed=settings.is_distributed,
        is_main_process=settings.is_main_process,
        run_info={
            "command": "train",
            "task": args.task,
            "agent": args.agent,
            "overrides": list(args.overrides),
            "command_line": getattr(args, "command_line", None),
        },
    )
    return train(job)


@dataclass
class TrainJob:
    """One training run.

    Attributes:
        task: Gymnasium id.
        agent_cfg: The prepared agent config (:func:`~rsl_sim.cli.agent_config.prepare_agent_cfg`).
        env_overrides: ``env.*`` overrides.
        log_root: Folder of the experiments.
        num_envs: Number of environments (None: the task's).
        resume: Continue from a checkpoint of an earlier run (``load_run`` / ``load_checkpoint`` of the config).
        teacher_checkpoint: Distillation: the checkpoint that fills the teacher (a PPO run's model file).
        trust_checkpoint: ``--trust_checkpoint``: unpickle the loaded checkpoint without the weights-only restriction.
        video: Record clips into ``<run>/videos/train`` (the first env's; Isaac Lab: its recorders' view, files
            ``clip_<index>.mp4``).
        video_length: Steps per clip.
        video_interval: Steps between clip starts.
        headless: Isaac Lab: no viewer window.
        distributed: A ``--distributed`` process of a torchrun job (the process group is destroyed at the end).
        is_main_process: Whether this process writes the run folder and prints its messages (rank 0).
        run_info: What to record in ``<run>/params/cli.yaml``.
    """

    task: str
    agent_cfg: dict[str, Any]
    env_overrides: list[Override] = field(default_factory=list)
    log_root: str = "logs"
    num_envs: int | None = None
    resume: bool = False
    teacher_checkpoint: str | None = None
    trust_checkpoint: bool = False
    video: bool = False
    video_length: int = 200
    video_interval: int = 2000
    headless: bool = True
    distributed: bool = False
    is_main_process: bool = True
    run_info: dict[str, Any] = field(default_factory=dict)


def train(job: TrainJob) -> str:
    """Build env and runner, load what is to be loaded, learn; returns the run folder.

    Raises:
        CliError: For anything the user can fix (see :mod:`rsl_sim.cli.errors`).
    """
    cfg = job.agent_cfg
    check_logger(cfg)
    set_seed(cfg["seed"])
    iterations = cfg.get("max_iterations")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise CliError(f"max_iterations must be an integer >= 1, got {iterations!r}; pass --max_iterations.")

    # What to load, found before the new run folder exists (it would be the newest run)
    load_path = _resume_checkpoint(job) if job.resume else None
    if is_distillation(cfg):
        load_path = load_path or job.teacher_checkpoint or _explicit_checkpoint(job)
        if load_path is None:
            raise CliError(
                f"the agent config of '{job.task}' distills a teacher, which needs a trained teacher checkpoint: run"
                f" 'rsl-sim distill --task {job.task}', or pass --checkpoint <teacher model_<it>.pt>."
            )

    request = EnvRequest(
        task=job.task,
        num_envs=job.num_envs,
        seed=cfg["seed"],
        device=cfg["device"],
        clip_actions=cfg.get("clip_actions"),
        env_overrides=job.env_overrides,
        headless=job.headless,
        distributed=job.distributed,
    )
    isaaclab = is_isaaclab_task(get_spec(job.task))
    # Frames from render() for the video (Isaac Lab envs record themselves, see below)
    request.render = job.video and job.is_main_process and not isaaclab
    check_env_request(request)
    if job.video:
        check_video_settings(job.video_length, job.video_interval)
    # Only the main process writes the run folder (the runner writes no files on the other ranks either). A failure
    # before learning starts (env, runner or checkpoint refused) removes it again: an empty run would otherwise be
    # "the newest run" that play, export and --resume pick.
    log_dir = new_run_dir(job.log_root, cfg)
    learning = False

    def on_learn_start() -> None:
        nonlocal learning
        learning = True

    try:
        if job.is_main_process:
            write_run_info(log_dir, {**job.run_info, "loaded_checkpoint": load_path})
            info(f"run: {log_dir}")
            if job.video and isaaclab:
                folder = os.path.join(log_dir, "videos", "train")
                request.isaaclab_video = IsaacLabVideo(folder, job.video_length, job.video_interval)
        _learn(job, request, log_dir, load_path, on_learn_start)
    except BaseException:
        if job.is_main_process and not learning:
            shutil.rmtree(log_dir, ignore_errors=True)
        raise
    finally:
        if job.distributed:
            destroy_process_group()
    if job.is_main_process:
        info(f"done: {log_dir}  (plot it with: rsl-sim plot {log_dir})")
    return log_dir


def _learn(
    job: TrainJob, request: EnvRequest, log_dir: str, load_path: str | None, on_learn_start: Callable[[], None]
) -> None:
    """Open the env, build the runner, load ``load_path`` (on the learner device), call ``on_learn_start``, learn."""
    cfg = job.agent_cfg
    iterations = cfg["max_iterations"]
    video = request.render  # one video, rank 0's (an Isaac Lab env records its own clips)
    with open_env(request) as env:
        if video:
            env = VideoRecorder(env, os.path.join(log_dir, "videos", "train"), job.video_length, job.video_interval)
        runner = build_runner(env, cfg, log_dir)
        if load_path is not None:
            info(f"loading: {load_path}")
            load_checkpoint(runner, load_path, cfg["device"], trusted=job.trust_checkpoint)
        on_learn_start()
        try:
            runner.learn(iterations, init_at_random_ep_len=bool(cfg.get("init_at_random_ep_len", False)))
        except KeyboardInterrupt:
            # The runner saved the last finished iteration (see OnPolicyRunner.learn)
            if runner.last_checkpoint is not None:
                info(f"interrupted; iteration {runner.last_checkpoint_iteration} is saved in {runner.last_checkpoint}")
            else:
                info(f"interrupted before the first iteration finished; nothing saved in {log_dir}")
            raise
        finally:
            if video:
                env.flush()


def _resume_checkpoint(job: TrainJob) -> str:
    """The checkpoint ``--resume`` continues from (``load_run`` / ``load_checkpoint`` in the experiment folder)."""
    cfg = job.agent_cfg
    checkpoint = cfg.get("load_checkpoint")
    if checkpoint and os.path.isfile(checkpoint):
        return os.path.abspath(checkpoint)
    run_dir = find_run_dir(experiment_dir(job.log_root, cfg), cfg.get("load_run"))
    return find_checkpoint(run_dir, checkpoint)


def _explicit_checkpoint(job: TrainJob) -> str | None:
    """A checkpoint named with ``--checkpoint`` / ``--load_run`` without ``--resume`` (a distillation teacher)."""
    cfg = job.agent_cfg
    if not cfg.get("load_checkpoint") and not cfg.get("load_run"):
        return None
    return _resume_checkpoint(job)


def print_configs(configs: dict[str, Any]) -> None:
    """Print configs (dicts or config objects) as YAML documents, one per name."""
    import yaml

    from rsl_sim.utils.log_writers import to_plain_data

    for name, config in configs.items():
        if config is not None:
            print(f"# {name}\n" + yaml.safe_dump(to_plain_data(config), sort_keys=False))
