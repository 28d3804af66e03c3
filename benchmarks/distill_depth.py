"""Depth students distilled from the rough-terrain teacher, measured on the teacher's rough evaluation.

The script runs the commands a user runs, each in its own process, and compares what they measure:

1. ``rsl-sim evaluate`` of the teacher on its task (``RslSim/Go2-Rough-v0``: proprioception + height scan);
2. for each student (``cnn``: ``CNNModel``, ``rnn``: ``CNNRNNModel``, the depth task's two distillation configs),
   ``rsl-sim distill --task RslSim/Go2-Rough-Depth-v0 --teacher_run <teacher>`` (the student sees proprioception and
   the 32 x 32 depth image, no height scan and no privileged terms), timed from the command's start to its end
   (building the envs included);
3. ``rsl-sim evaluate`` of each student on the depth task.

Every evaluation is the rough tasks' registered one
(:func:`~rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_task`): robots on every (terrain type, level)
cell of the same fixed terrain, forward command 0.5 m/s, curriculum frozen. Per terrain type (stairs up, stairs down,
slopes, boxes, random rough) the script prints the tracking error, the fall rate, the highest level passed and the
**score** ``(highest level passed + 1) / 10`` of teacher and students
(:mod:`~rsl_sim.tasks.locomotion.velocity.rough_scores`), and each student's score as a share of the teacher's. A
student **keeps** the teacher's skill on a type when its score is at least 90 % of the teacher's there
(:func:`~rsl_sim.tasks.locomotion.velocity.rough_scores.compare_to_teacher`); the goal is that the recurrent student
keeps it on every type. Everything is also written to ``<log_root>/distill_depth/<stamp>/distill_depth.json``.

The teacher defaults to the one ``RslSim/Go2-Rough-v0`` ships (``rsl-sim distill --use_pretrained_teacher``).

Usage::

    python benchmarks/distill_depth.py                                     # both students, the configs' lengths
    python benchmarks/distill_depth.py --students rnn --max_iterations 100 --num_envs 512
    python benchmarks/distill_depth.py --teacher_run logs/unitree_go2_rough/<run> --students cnn
    python benchmarks/distill_depth.py --student_run rnn=logs/unitree_go2_rough/<run>   # evaluate a trained one
    python benchmarks/distill_depth.py --num_envs 16 --max_iterations 1 --override agent.num_steps_per_env=8 \\
        --eval_num_envs 50 --eval_episode_length_s 2                       # a smoke run of the pipeline

Timings on a shared machine vary with its load; run one benchmark at a time.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rsl_sim.tasks.locomotion.velocity.rough_scores import (  # noqa: E402
    MIN_SCORE_RATIO,
    compare_to_teacher,
    format_markdown,
)
from rsl_sim.utils.machine import machine_line  # noqa: E402

STUDENTS: dict[str, str] = {
    "cnn": "rsl_sim_distillation_cfg_entry_point",
    "rnn": "rsl_sim_distillation_recurrent_cfg_entry_point",
}
"""Student name -> the depth task's registration kwarg of its distillation config."""

NAME = "distill_depth"
"""The benchmark's name: its output folder under ``--log_root`` and its summary file."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Distill depth students from the rough teacher and compare them.")
    parser.add_argument("--task", default="RslSim/Go2-Rough-Depth-v0", help="Student task id.")
    parser.add_argument("--teacher_task", default="RslSim/Go2-Rough-v0", help="Teacher task id.")
    parser.add_argument(
        "--teacher_run", default=None, help="Teacher run folder (default: the teacher task's shipped policy)."
    )
    parser.add_argument(
        "--students", nargs="+", default=list(STUDENTS), choices=list(STUDENTS), help="Students to distill."
    )
    parser.add_argument(
        "--student_run",
        nargs="+",
        default=[],
        metavar="NAME=RUN",
        help="Evaluate this trained student run instead of distilling it (e.g. rnn=logs/unitree_go2_rough/<run>).",
    )
    parser.add_argument("--num_envs", type=int, default=None, help="Distillation robots (default: the env cfg's).")
    parser.add_argument("--max_iterations", type=int, default=None, help="Distillation iterations (default: cfg's).")
    parser.add_argument("--seed", type=int, default=42, help="Seed of the distillation runs.")
    parser.add_argument("--override", nargs="*", default=[], help="rsl-sim distill overrides (agent.* / env.*).")
    parser.add_argument("--eval_num_envs", type=int, default=None, help="Evaluation robots (default: evaluate's).")
    parser.add_argument("--eval_seeds", type=int, nargs="+", default=[0], help="Seeds of each evaluation.")
    parser.add_argument("--eval_episode_length_s", type=float, default=20.0, help="Longest evaluation episode [s].")
    parser.add_argument("--min_ratio", type=float, default=MIN_SCORE_RATIO, help="Share of the teacher's score kept.")
    parser.add_argument("--log_root", default="logs", help="Folder of the run folders.")
    parser.add_argument("--run_name", default=NAME, help="Suffix of the student run folders.")
    args = parser.parse_args(argv)
    runs = {}
    for item in args.student_run:
        name, sep, run = item.partition("=")
        if not sep or name not in STUDENTS or not os.path.isdir(run):
            raise SystemExit(
                f"--student_run {item!r}: expected NAME=RUN with NAME in {list(STUDENTS)} and RUN an existing folder."
            )
        runs[name] = os.path.abspath(run)
    args.student_runs = runs
    return args


def rsl_sim(command: list[str]) -> float:
    """Run ``rsl-sim <command>`` in a fresh process (output shown); returns its wall time [s].

    Raises:
        SystemExit: If the command fails.
    """
    print(f"[{NAME}] rsl-sim {' '.join(command)}", flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rsl_sim.cli", *command], check=False)
    if done.returncode != 0:
        raise SystemExit(f"[{NAME}] rsl-sim {command[0]} failed with exit code {done.returncode}.")
    return time.perf_counter() - start


def evaluate(args: argparse.Namespace, run: list[str], task: str, out: str) -> dict[str, Any]:
    """``rsl-sim evaluate`` of a run (``run``: the run's arguments) on ``task``; returns the results."""
    command = ["evaluate", *run, "--task", task, "--out", out, "--seeds", *map(str, args.eval_seeds)]
    command += ["--episode_length_s", str(args.eval_episode_length_s)]
    if args.eval_num_envs is not None:
        command += ["--num_envs", str(args.eval_num_envs)]
    rsl_sim(command)
    with open(out, encoding="utf-8") as file:
        return json.load(file)


def distill(args: argparse.Namespace, student: str, teacher: list[str]) -> tuple[str, float]:
    """``rsl-sim distill`` of one student from the teacher; returns its run folder and the wall time [s]."""
    run_name = f"{args.run_name}_{student}"
    command = ["distill", "--task", args.task, "--teacher_task", args.teacher_task, *teacher]
    command += ["--agent", STUDENTS[student], "--seed", str(args.seed), "--log_root", args.log_root]
    command += ["--run_name", run_name]
    if args.num_envs is not None:
        command += ["--num_envs", str(args.num_envs)]
    if args.max_iterations is not None:
        command += ["--max_iterations", str(args.max_iterations)]
    before = set(glob.glob(os.path.join(args.log_root, "*", f"*_{run_name}")))
    wall_time = rsl_sim(command + list(args.override))
    new = sorted(set(glob.glob(os.path.join(args.log_root, "*", f"*_{run_name}"))) - before)
    if len(new) != 1:
        raise SystemExit(f"[{NAME}] cannot tell the run folder of the {student} student: {new}.")
    return os.path.abspath(new[0]), wall_time


def comparison_markdown(teacher: dict[str, Any], students: dict[str, dict[str, Any]]) -> str:
    """One table: per terrain type, teacher and students side by side (error, falls, highest passed, score)."""
    names = ["teacher", *students]
    header = ["terrain type"] + [f"{name} err / falls / highest / score" for name in names]
    header += [f"{name} / teacher" for name in students]
    lines = ["| " + " | ".join(header) + " |", "| --- | " + " | ".join("---:" for _ in header[1:]) + " |"]
    results = {"teacher": teacher, **{name: entry["results"] for name, entry in students.items()}}
    for index, kind in enumerate(teacher["terrain_types"]):
        cells = [kind["name"]]
        for name in names:
            row = results[name]["terrain_types"][index]
            highest = "-" if row["highest_level_passed"] is None else str(row["highest_level_passed"])
            error = "-" if row["lin_vel_error"] is None else f"{row['lin_vel_error']:.3f}"
            cells.append(f"{error} / {100 * row['fall_rate']:.1f} % / {highest} / {row['score']:.2f}")
        for entry in students.values():
            ratio = entry["comparison"]["types"][index]["ratio"]
            kept = entry["comparison"]["types"][index]["kept"]
            cells.append(("-" if ratio is None else f"{100 * ratio:.0f} %") + (" (kept)" if kept else ""))
        lines.append("| " + " | ".join(cells) + " |")
    overall = ["overall", *[f"score {results[name]['overall']['score']:.2f}" for name in names]]
    for entry in students.values():
        ratio = entry["comparison"]["overall_ratio"]
        overall.append("-" if ratio is None else f"{100 * ratio:.0f} %")
    lines.append("| " + " | ".join(overall) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    out_dir = os.path.abspath(os.path.join(args.log_root, NAME, datetime.now().strftime("%Y-%m-%d_%H-%M-%S")))
    os.makedirs(out_dir, exist_ok=True)
    machine = machine_line()
    print(f"[{NAME}] {machine}")
    teacher = ["--teacher_run", args.teacher_run] if args.teacher_run else ["--use_pretrained_teacher"]
    teacher_eval = [args.teacher_run] if args.teacher_run else ["--use_pretrained_checkpoint"]
    summary: dict[str, Any] = {"machine": machine, "args": dict(vars(args)), "students": {}}

    # The teacher on its own task
    summary["teacher"] = evaluate(args, teacher_eval, args.teacher_task, os.path.join(out_dir, "teacher.json"))
    print(format_markdown(summary["teacher"]))

    # Each student: distill (or take the given run), then evaluate on the depth task
    for student in args.students:
        if student in args.student_runs:
            run_dir, wall_time = args.student_runs[student], None
        else:
            run_dir, wall_time = distill(args, student, teacher)
        results = evaluate(args, [run_dir], args.task, os.path.join(out_dir, f"{student}.json"))
        print(format_markdown(results))
        summary["students"][student] = {
            "run": run_dir,
            "distill_wall_time_s": wall_time,
            "results": results,
            "comparison": compare_to_teacher(results, summary["teacher"], args.min_ratio),
        }
        with open(os.path.join(out_dir, f"{NAME}.json"), "w", encoding="utf-8") as file:
            json.dump(summary, file, indent=2)

    # Side by side
    summary["load_average_end"] = os.getloadavg()[0]
    with open(os.path.join(out_dir, f"{NAME}.json"), "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)
    print(f"[{NAME}] {machine_line()} (at the end)")
    print(comparison_markdown(summary["teacher"], summary["students"]))
    for student, entry in summary["students"].items():
        wall = entry["distill_wall_time_s"]
        kept = "keeps" if entry["comparison"]["all_kept"] else "does not keep"
        print(
            f"[{NAME}] {student}: {kept} {100 * args.min_ratio:g} % of the teacher's score on every terrain type"
            + ("" if wall is None else f"; distillation {wall / 60:.1f} min")
            + f" ({entry['run']})"
        )
    print(f"[{NAME}] results: {os.path.join(out_dir, NAME + '.json')}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
