"""``rsl-sim distill``: distillation as one command: train a teacher with PPO (or take a trained one), then distill it.

Examples::

    # Go2: PPO teacher on rough terrain (height scan), then the depth-camera student
    rsl-sim distill --task RslSim/Go2-Rough-Depth-v0 --teacher_task RslSim/Go2-Rough-v0
    # the same with a teacher trained before
    rsl-sim distill --task RslSim/Go2-Rough-Depth-v0 --teacher_run logs/unitree_go2_rough/2026-01-01_12-00-00
    # the same with the teacher the teacher task ships (its rsl_sim_pretrained_checkpoint)
    rsl-sim distill --task RslSim/Go2-Rough-Depth-v0 --teacher_task RslSim/Go2-Rough-v0 --use_pretrained_teacher
    # any task: the student copies the teacher's network (a config for tasks that register none)
    rsl-sim distill --task Pendulum-v1 --teacher_iterations 150 --max_iterations 50

The student's config is ``--agent`` (a distillation entry point of the task), else the task's default agent config
when it distills, else its ``rsl_sim_distillation_cfg_entry_point``, else one built from the teacher (see
:func:`~rsl_sim.cli.default_agent.default_distillation_cfg`). The teacher's config is ``--teacher_agent``, else the
teacher task's ``rsl_sim_teacher_cfg_entry_point``, else its default agent config (which must be PPO). The teacher
entry of the student's config is set to the teacher run's actor as it was trained (``params/agent.yaml``), so the
checkpoint always fits.

Overrides: ``agent.*`` (student config), ``teacher.*`` (teacher config), ``env.*`` (the task's env; also the teacher's
when it trains on the same task), ``teacher_env.*`` (the teacher's env when ``--teacher_task`` differs).
"""

from __future__ import annotations

import argparse
import copy
import os
from typing import Any

from . import arguments
from .agent_config import is_distillation, prepare_agent_cfg
from .default_agent import default_distillation_cfg
from .errors import CliError
from .overrides import Override, parse_overrides, select
from .pretrained import resolve_package_folder, tasks_with_pretrained
from .progress import info
from .runs import experiment_dir, find_checkpoint, find_run_dir, read_agent_yaml
from .tasks import (
    AGENT_CFG_ENTRY_POINTS,
    DISTILLATION_CFG_ENTRY_POINTS,
    PRETRAINED_CHECKPOINT,
    TEACHER_CFG_ENTRY_POINT,
    agent_entry_points,
    get_spec,
    load_agent_cfg,
    load_config,
)
from .train import TrainJob, print_configs, train

NAMESPACES = ("agent", "env", "teacher", "teacher_env")
"""Override namespaces of ``distill``."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim distill``."""
    arguments.add_task_args(parser)
    arguments.add_writer_args(parser)
    arguments.add_log_args(parser)
    teacher = parser.add_argument_group("teacher")
    teacher.add_argument("--teacher_run", default=None, help="Use this trained teacher run (folder path or name).")
    teacher.add_argument("--teacher_checkpoint", default=None, help="Teacher checkpoint name/regex (default: newest).")
    teacher.add_argument(
        "--use_pretrained_teacher",
        action="store_true",
        help=f"Distill from the policy the teacher task ships (its {PRETRAINED_CHECKPOINT} registration); excludes"
        " --teacher_run.",
    )
    arguments.add_trust_arg(teacher)
    teacher.add_argument("--teacher_task", default=None, help="Task the teacher trains on (default: --task).")
    teacher.add_argument("--teacher_agent", default=None, help="Teacher PPO config (entry point kwarg or module:NAME).")
    teacher.add_argument("--teacher_iterations", type=int, default=None, help="Teacher PPO iterations (default: cfg).")
    parser.add_argument("--dry_run", action="store_true", help="Print the teacher and student configs; train nothing.")
    arguments.add_overrides_arg(parser, "agent.* / env.* / teacher.* / teacher_env.*")
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train or find the teacher, then distill; returns ``teacher_run``, ``teacher_checkpoint``, ``student_run``.

    With ``--dry_run``: returns ``teacher_cfg`` (None when ``--teacher_run`` is given) and ``student_cfg`` instead.
    """
    overrides = parse_overrides(args.overrides, NAMESPACES)
    teacher_task = args.teacher_task or args.task
    get_spec(args.task)
    student_cfg = _student_cfg(args.task, args.agent)

    # The teacher: a given run, or a PPO run trained now
    teacher_cfg = None
    teacher_run = teacher_checkpoint = None
    if args.use_pretrained_teacher:
        teacher_run = _pretrained_teacher_run(args, teacher_task)
        teacher_checkpoint = find_checkpoint(teacher_run, args.teacher_checkpoint)
    elif args.teacher_run is not None:
        teacher_run = _find_teacher_run(args, teacher_task, student_cfg)
        teacher_checkpoint = find_checkpoint(teacher_run, args.teacher_checkpoint)
    else:
        teacher_overrides = select(overrides, "teacher")
        teacher_cfg = prepare_agent_cfg(
            _teacher_cfg(teacher_task, args.teacher_agent), _teacher_flags(args), teacher_overrides
        )
    if args.dry_run:
        trained = teacher_cfg if teacher_run is None else read_agent_yaml(teacher_run)
        final = _final_student_cfg(args, student_cfg, trained, overrides)
        print_configs({"teacher (PPO)": teacher_cfg, "student (distillation)": final})
        return {"teacher_cfg": teacher_cfg, "student_cfg": final, "teacher_run": teacher_run}

    if teacher_run is None:
        env_overrides = select(overrides, "teacher_env")
        if teacher_task == args.task:
            env_overrides = select(overrides, "env") + env_overrides
        info(f"teacher: PPO on {teacher_task} for {teacher_cfg['max_iterations']} iterations")
        job = TrainJob(
            task=teacher_task,
            agent_cfg=teacher_cfg,
            env_overrides=env_overrides,
            log_root=args.log_root,
            num_envs=args.num_envs,
            headless=args.headless,
            run_info={
                **_run_info(
                    "distill-teacher", teacher_task, args.teacher_agent, env_overrides, select(overrides, "teacher")
                ),
                "command_line": getattr(args, "command_line", None),
            },
        )
        teacher_run = train(job)
        teacher_checkpoint = find_checkpoint(teacher_run)
    info(f"teacher: {teacher_checkpoint}")

    # The student: distill from the teacher's checkpoint
    final = _final_student_cfg(args, student_cfg, read_agent_yaml(teacher_run), overrides)
    job = TrainJob(
        task=args.task,
        agent_cfg=final,
        env_overrides=select(overrides, "env"),
        log_root=args.log_root,
        num_envs=args.num_envs,
        teacher_checkpoint=teacher_checkpoint,
        trust_checkpoint=args.trust_checkpoint,
        headless=args.headless,
        run_info={
            **_run_info("distill", args.task, args.agent, select(overrides, "env"), select(overrides, "agent")),
            "teacher_run": teacher_run,
            "command_line": getattr(args, "command_line", None),
        },
    )
    student_run = train(job)
    return {"teacher_run": teacher_run, "teacher_checkpoint": teacher_checkpoint, "student_run": student_run}


def _student_cfg(task: str, agent: str | None) -> dict[str, Any] | None:
    """The task's distillation config (see the module docstring), or None when it registers none."""
    if agent is not None:
        cfg = load_agent_cfg(task, agent)
        if not is_distillation(cfg):
            name = cfg.get("class_name")
            raise CliError(f"--agent {agent} of '{task}' is not a distillation config (class_name {name!r}).")
        return cfg
    entries = agent_entry_points(get_spec(task))
    for key in AGENT_CFG_ENTRY_POINTS + DISTILLATION_CFG_ENTRY_POINTS:
        if entries.get(key) is not None:
            cfg = load_config(entries[key], source=f"{key} of {task}")
            if is_distillation(cfg):
                return cfg
    return None


def _teacher_cfg(task: str, agent: str | None) -> dict[str, Any]:
    """The teacher's PPO config (see the module docstring)."""
    entries = agent_entry_points(get_spec(task))
    if agent is None and entries.get(TEACHER_CFG_ENTRY_POINT) is not None:
        agent = TEACHER_CFG_ENTRY_POINT
    cfg = load_agent_cfg(task, agent)
    if is_distillation(cfg):
        raise CliError(
            f"'{task}' has no PPO config for the teacher (its agent config distills). Pass --teacher_task <a PPO task"
            " with the teacher's observations> (for RslSim/Go2-Rough-Depth-v0: RslSim/Go2-Rough-v0), --teacher_agent"
            " <entry point>, or --teacher_run <a trained teacher run>."
        )
    return cfg


def _teacher_flags(args: argparse.Namespace) -> argparse.Namespace:
    """The flags that apply to the teacher's config (its own iterations; run name ``<run_name>_teacher``)."""
    run_name = f"{args.run_name}_teacher" if args.run_name else "teacher"
    return argparse.Namespace(
        seed=args.seed,
        device=args.device,
        experiment_name=args.experiment_name,
        max_iterations=args.teacher_iterations,
        run_name=run_name,
        logger=args.logger,
        log_project_name=args.log_project_name,
    )


def _find_teacher_run(args: argparse.Namespace, teacher_task: str, student_cfg: dict[str, Any] | None) -> str:
    """The ``--teacher_run`` folder: a path, or a name in the teacher's experiment folder."""
    if os.path.isdir(args.teacher_run):
        return os.path.abspath(args.teacher_run)
    if student_cfg is not None:
        experiment = args.experiment_name or student_cfg.get("experiment_name")
    else:
        experiment = args.experiment_name or load_agent_cfg(teacher_task, args.teacher_agent).get("experiment_name")
    return find_run_dir(experiment_dir(args.log_root, {"experiment_name": experiment}), args.teacher_run)


def _pretrained_teacher_run(args: argparse.Namespace, teacher_task: str) -> str:
    """The run folder the teacher task ships (``--use_pretrained_teacher``)."""
    if args.teacher_run is not None:
        raise CliError(
            f"--use_pretrained_teacher takes the policy {teacher_task} ships, so it cannot be combined with"
            f" --teacher_run {args.teacher_run}: pass one or the other."
        )
    entry = get_spec(teacher_task).kwargs.get(PRETRAINED_CHECKPOINT)
    if not entry:
        hint = "" if args.teacher_task else " (the teacher task is --task unless --teacher_task names another)"
        raise CliError(
            f"--use_pretrained_teacher: task '{teacher_task}'{hint} ships no pretrained policy (its registration names"
            f" no {PRETRAINED_CHECKPOINT}). Tasks that ship one: {', '.join(tasks_with_pretrained()) or 'none'}."
        )
    return resolve_package_folder(entry, source=f"the {PRETRAINED_CHECKPOINT} of {teacher_task}")


def _final_student_cfg(
    args: argparse.Namespace,
    student_cfg: dict[str, Any] | None,
    teacher_trained: dict[str, Any] | None,
    overrides: list[Override],
) -> dict[str, Any]:
    """The student's config: the teacher entry from the teacher as trained, then overrides and flags."""
    if student_cfg is None:
        if teacher_trained is None:
            raise CliError(
                f"'{args.task}' registers no distillation config and the teacher run records no agent config"
                " (params/agent.yaml): pass --agent <distillation entry point>."
            )
        cfg = default_distillation_cfg(teacher_trained)
    else:
        cfg = copy.deepcopy(student_cfg)
        if teacher_trained is not None and teacher_trained.get("actor") is not None:
            cfg["teacher"] = copy.deepcopy(teacher_trained["actor"])
            actor_groups = (teacher_trained.get("obs_groups") or {}).get("actor")
            if actor_groups:
                cfg.setdefault("obs_groups", {})["teacher"] = list(actor_groups)
    return prepare_agent_cfg(cfg, args, select(overrides, "agent"))


def _run_info(
    command: str, task: str, agent: str | None, env_overrides: list[Override], agent_overrides: list[Override]
) -> dict[str, Any]:
    """What ``params/cli.yaml`` records: the command, task, agent, and the overrides as ``env.*`` / ``agent.*``."""
    tokens = [f"env.{'.'.join(o.path)}={o.raw}" for o in env_overrides]
    tokens += [f"agent.{'.'.join(o.path)}={o.raw}" for o in agent_overrides]
    return {"command": command, "task": task, "agent": agent, "overrides": tokens}
