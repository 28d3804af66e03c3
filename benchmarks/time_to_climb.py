"""Time to climb: train the Go2 rough-terrain teacher and measure the wall time until it climbs.

The run trains ``RslSim/Go2-Rough-v0`` with the task's registered agent config (``rsl_sim_agent_cfg_entry_point``), seed
42, the learner on the CPU (the command line's torch threads, as ``rsl-sim train``) and, by default, 1024 robots (the
flat task's CPU robot count; the rough env config keeps Isaac Lab's 4096, which makes an iteration four times longer
on 2 cores). Every ``--eval_interval`` iterations, in the same process, the script saves a checkpoint and evaluates the
current policy with :func:`rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_rough_policy`: robots placed on
every (terrain type, level) cell of a fixed terrain, forward command 0.5 m/s, curriculum frozen, seeds fixed, noise and
randomization as in training. The teacher **climbs** when

- the training curriculum's mean terrain level (``Curriculum/terrain_levels``, read from the training env at the
  evaluation) is at least ``--min_terrain_level`` (4, of levels 0-9), and
- the rough evaluation's tracking error over the levels up to that level (pooled per terrain type, mean over the five
  types: stairs up, stairs down, slopes, boxes, random rough) is at most ``--max_lin_vel_error`` (0.3 m/s), and
- the no-fall rate over those levels is at least ``--min_no_fall_rate`` (default 0.9, as for a passed level). The
  error is measured only while a robot is up, so without this bound a policy that falls often can meet it (the flat
  policy, warm-started, had 0.28 m/s with 64 % of its robots falling); ``--min_no_fall_rate 0`` gives the issue's
  criterion word for word.

See :mod:`rsl_sim.tasks.locomotion.velocity.rough_scores` for the passed levels, the highest level passed and the
per-type score each evaluation also records.

Starting from a flat policy (``--init_checkpoint``, e.g. the shipped
``tasks/locomotion/velocity/config/go2/policies/flat/model_624.pt``): the flat policy does not observe the height
scan. Its actor and critic are widened to the rough inputs with
:func:`rsl_sim.tasks.locomotion.velocity.warm_start.widen_checkpoint` (the height-scan inputs get zero weights, so the
first rough policy acts exactly as the flat policy, then learns to use the scan), and the rough run takes the
checkpoint's hidden sizes ([128, 128, 128] for the Go2 flat policy instead of the rough config's [512, 256, 128]) and
its action std. The optimizer state and the iteration count start fresh; the reported times do not include the flat
policy's own training (``benchmarks/time_to_walk.py``: about 25 min on these 2 cores).

Reported: the training wall time (collection + updates, evaluations excluded) and the total wall time until the first
climbing evaluation, with the iteration and the samples, next to the machine's CPU count and load average; everything
is also written to ``<run folder>/time_to_climb.json``. ``--resume`` continues a stopped run (pass the same options).

Usage::

    python benchmarks/time_to_climb.py --max_minutes 120          # from scratch, the issue's 2-hour budget
    python benchmarks/time_to_climb.py --init_checkpoint tasks/locomotion/velocity/config/go2/policies/flat/model_624.pt
    python benchmarks/time_to_climb.py --resume logs/unitree_go2_rough/<run>/model_499.pt
    python benchmarks/time_to_climb.py --num_envs 64 --max_iterations 2 --eval_interval 1 --eval_robots_per_cell 1

Timings on a shared machine vary with its load; run one benchmark at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from typing import Any

from rsl_sim.cli.threads import configure_cpu_threads, prefer_passive_openmp_wait

# As rsl-sim train: idle OpenMP threads sleep (set before torch loads), so the learner can use every core
prefer_passive_openmp_wait()

import gymnasium  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from time_to_walk import add_training_args, load_agent_cfg, resume_run, train_stats  # noqa: E402

import rsl_sim.tasks  # noqa: E402, F401  (registers the RslSim/Go2 ids)
from rsl_sim.cli.runs import read_run_info, write_run_info  # noqa: E402
from rsl_sim.tasks.locomotion.velocity.mirror_builder import find_velocity_env  # noqa: E402
from rsl_sim.tasks.locomotion.velocity.rough_evaluation import (  # noqa: E402
    ROBOTS_PER_CELL,
    TERRAIN_TYPES,
    evaluate_rough_policy,
    make_rough_evaluation_env,
)
from rsl_sim.tasks.locomotion.velocity.rough_scores import (  # noqa: E402
    CLIMB_LEVEL,
    MAX_LIN_VEL_ERROR,
    climbing_summary,
    format_markdown,
    meets_climbing_criterion,
)
from rsl_sim.tasks.locomotion.velocity.warm_start import hidden_dims, widen_checkpoint  # noqa: E402
from rsl_sim.utils.callables import resolve_callable  # noqa: E402
from rsl_sim.utils.checkpoint import load_checkpoint  # noqa: E402
from rsl_sim.utils.machine import machine_line  # noqa: E402
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper  # noqa: E402

NAME = "time_to_climb"
"""The benchmark's name: its summary file ``<run>/time_to_climb.json`` and the result's key in it."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wall time until PPO trains the Go2 to climb rough terrain (CPU).")
    parser.add_argument("--task", default="RslSim/Go2-Rough-v0", help="Rough velocity task id.")
    parser.add_argument("--agent", default="rsl_sim_agent_cfg_entry_point", help="Registration kwarg of the agent cfg.")
    parser.add_argument("--num_envs", type=int, default=1024, help="Training robots (default 1024).")
    parser.add_argument("--eval_interval", type=int, default=50, help="Iterations between two evaluations.")
    parser.add_argument(
        "--eval_robots_per_cell",
        type=int,
        default=4,
        help=f"Robots per (type, level) cell (rsl-sim evaluate: {ROBOTS_PER_CELL}).",
    )
    parser.add_argument("--eval_seeds", type=int, nargs="+", default=[0], help="Seeds of each evaluation.")
    parser.add_argument("--eval_episode_length_s", type=float, default=20.0, help="Longest evaluation episode [s].")
    parser.add_argument("--min_terrain_level", type=float, default=CLIMB_LEVEL, help="Climbing: mean training level.")
    parser.add_argument("--max_lin_vel_error", type=float, default=MAX_LIN_VEL_ERROR, help="Climbing: error [m/s].")
    parser.add_argument("--min_no_fall_rate", type=float, default=0.9, help="Climbing: no-fall share (0: unchecked).")
    parser.add_argument(
        "--continue_after_climbing", action="store_true", help="Keep training until --max_iterations (learning curve)."
    )
    parser.add_argument(
        "--init_checkpoint",
        default=None,
        metavar="CHECKPOINT",
        help="Start from a policy of a task without the height scan (e.g. the shipped Go2 flat policy), widened.",
    )
    parser.add_argument(
        "--init_task", default=None, help="Task of --init_checkpoint (default: the one its run folder records)."
    )
    add_training_args(parser, NAME)
    return parser.parse_args(argv)


def init_policy(args: argparse.Namespace, agent_cfg: dict[str, Any]) -> dict[str, Any] | None:
    """Read ``--init_checkpoint`` and give the agent config its hidden sizes; None without the option.

    Raises:
        ValueError: If the checkpoint's task is unknown (no run info and no ``--init_task``).
    """
    if args.init_checkpoint is None:
        return None
    checkpoint = load_checkpoint(args.init_checkpoint)
    task = args.init_task or read_run_info(os.path.dirname(os.path.abspath(args.init_checkpoint))).get("task")
    if task is None:
        raise ValueError(f"--init_checkpoint {args.init_checkpoint}: its run folder records no task; pass --init_task.")
    for model in ("actor", "critic"):
        state = checkpoint[f"{model}_state_dict"]
        agent_cfg[model]["hidden_dims"] = hidden_dims(state)
        agent_cfg[model]["obs_normalization"] = any(key.startswith("obs_normalizer.") for key in state)
    return {"checkpoint": checkpoint, "task": task}


def load_init_policy(runner: Any, env: Any, init: dict[str, Any], agent_cfg: dict[str, Any]) -> None:
    """Load the widened actor and critic of ``--init_checkpoint`` into the runner (a 1-robot env of its task)."""
    source = gymnasium.make_vec(init["task"], num_envs=1)
    try:
        widened = widen_checkpoint(init["checkpoint"], source, env, agent_cfg["obs_groups"])
    finally:
        source.close()
    runner.alg.load(widened, {"actor": True, "critic": True})


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.torch_threads is None:
        configure_cpu_threads("cpu")
    else:
        torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    load_start = os.getloadavg()

    # The task's agent config (hidden sizes of the initial policy, if any)
    agent_cfg = load_agent_cfg(args.task, args.agent, args.agent_override)
    agent_cfg["seed"] = args.seed
    agent_cfg["device"] = "cpu"
    init = init_policy(args, agent_cfg)
    max_iterations = args.max_iterations or agent_cfg["max_iterations"]
    if args.resume is None:
        stamp = f"{datetime.now().strftime('%Y-%m-%d_%H-%M-%S')}_{args.run_name}"
        run_dir = os.path.abspath(os.path.join(args.log_root, agent_cfg["experiment_name"], stamp))
    else:
        run_dir = os.path.dirname(os.path.abspath(args.resume))

    # Training env, runner, initial policy and the evaluation env (built once, fixed terrain)
    env = GymnasiumVecEnvWrapper.from_id(
        args.task, num_envs=args.num_envs, seed=args.seed, device="cpu", clip_actions=agent_cfg.get("clip_actions")
    )
    runner = resolve_callable(agent_cfg.get("class_name") or "OnPolicyRunner")(
        env, agent_cfg, log_dir=run_dir, device="cpu"
    )
    if init is not None and args.resume is None:
        load_init_policy(runner, env, init, agent_cfg)
    write_run_info(run_dir, {"command": "benchmarks/time_to_climb.py", "task": args.task, "agent": args.agent})
    curriculum = find_velocity_env(env).terrain_curriculum
    eval_env = make_rough_evaluation_env(
        args.task,
        num_envs=args.eval_robots_per_cell * len(TERRAIN_TYPES) * curriculum.num_levels,
        episode_length_s=args.eval_episode_length_s,
    )
    start_text = "from scratch" if init is None else f"from {args.init_checkpoint} ({init['task']}, widened)"
    print(f"[{NAME}] {args.task}: {args.num_envs} robots, {agent_cfg['num_steps_per_env']} steps/env, {start_text}")
    machine = machine_line()
    print(f"[{NAME}] run {run_dir}; machine at start: {machine}")

    # Train in chunks of eval_interval iterations; evaluate in between
    summary: dict[str, Any] = {
        "task": args.task,
        "num_envs": args.num_envs,
        "agent_cfg": agent_cfg,
        "agent_override": args.agent_override,
        "init_checkpoint": None if init is None else os.path.abspath(args.init_checkpoint),
        "init_task": None if init is None else init["task"],
        "machine": machine,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "criterion": {
            "min_terrain_level": args.min_terrain_level,
            "max_lin_vel_error": args.max_lin_vel_error,
            "min_no_fall_rate": args.min_no_fall_rate,
        },
        "evaluations": [],
        NAME: None,
    }
    train_time = wall_before = 0.0
    done_iterations = 0
    if args.resume is not None:
        done_iterations, train_time, wall_before = resume_run(runner, args.resume, summary, NAME, "climbing")
        print(f"[{NAME}] resumed after {done_iterations} iterations ({train_time / 60:.2f} min of training)")
    wall_start = time.perf_counter() - wall_before
    while done_iterations < max_iterations:
        chunk = min(args.eval_interval, max_iterations - done_iterations)
        start = time.perf_counter()
        runner.learn(chunk, init_at_random_ep_len=done_iterations == 0 and bool(agent_cfg.get("init_at_random_ep_len")))
        train_time += time.perf_counter() - start
        done_iterations += chunk  # the runner saved model_<last iteration>.pt

        # Evaluate the deterministic policy on every (type, level) cell of the fixed terrain
        mean_level = find_velocity_env(env).terrain_curriculum.mean_level
        start = time.perf_counter()
        results = evaluate_rough_policy(
            eval_env,
            runner.get_inference_policy(device="cpu"),
            seeds=args.eval_seeds,
            episode_length_s=args.eval_episode_length_s,
            clip_actions=agent_cfg.get("clip_actions"),
        )
        eval_time = time.perf_counter() - start
        runner.train_mode()
        climb = climbing_summary(results, int(args.min_terrain_level))
        climbing = meets_climbing_criterion(
            results, mean_level, args.min_terrain_level, args.max_lin_vel_error, args.min_no_fall_rate
        )
        record = {
            "iteration": done_iterations,
            "samples": done_iterations * agent_cfg["num_steps_per_env"] * args.num_envs,
            "train_time_s": train_time,
            "wall_time_s": time.perf_counter() - wall_start,
            "eval_time_s": eval_time,
            "load_average": os.getloadavg()[0],
            **train_stats(runner),
            "mean_terrain_level": mean_level,
            "lin_vel_error": climb["lin_vel_error"],
            "no_fall_rate": climb["no_fall_rate"],
            "score": results["overall"]["score"],
            "highest_level_passed": {kind["name"]: kind["highest_level_passed"] for kind in results["terrain_types"]},
            "climbing": climbing,
            "results": results,
        }
        summary["evaluations"].append(record)
        error = record["lin_vel_error"]
        print(
            f"[{NAME}] it {done_iterations:5d} | train {train_time / 60:6.2f} min | "
            f"reward {record['mean_reward'] or float('nan'):7.2f} | level {mean_level:4.2f} | "
            f"lin err (levels <= {int(args.min_terrain_level)}) {error if error is not None else float('nan'):.3f} m/s"
            f" | no fall {100 * record['no_fall_rate']:5.1f} % | score {record['score']:.2f} | "
            f"eval {eval_time:5.1f} s | load {record['load_average']:.2f}" + (" | CLIMBING" if climbing else ""),
            flush=True,
        )
        if climbing and summary[NAME] is None:
            summary[NAME] = {
                key: record[key] for key in ("iteration", "samples", "train_time_s", "wall_time_s", "load_average")
            }
            print(format_markdown(results))
            if not args.continue_after_climbing:
                break
        write_summary(run_dir, summary)
        if args.max_minutes is not None and train_time >= 60 * args.max_minutes:
            print(f"[{NAME}] training budget of {args.max_minutes:g} min spent")
            break

    # Summary
    summary["load_average_start"] = load_start[0]
    summary["load_average_end"] = os.getloadavg()[0]
    write_summary(run_dir, summary)
    env.close()
    eval_env.close()
    result = summary[NAME]
    if result is None:
        last = summary["evaluations"][-1]["results"] if summary["evaluations"] else None
        if last is not None:
            print(format_markdown(last))
        print(f"[{NAME}] not climbing after {done_iterations} iterations ({train_time / 60:.1f} min of training)")
    else:
        print(
            f"[{NAME}] CLIMBING after {result['iteration']} iterations ({result['samples'] / 1e6:.1f} M samples): "
            f"{result['train_time_s'] / 60:.1f} min of training, {result['wall_time_s'] / 60:.1f} min with the "
            f"evaluations; {os.cpu_count()} CPUs, load average {load_start[0]:.2f} at start, "
            f"{summary['load_average_end']:.2f} at the end"
        )
    return summary


def write_summary(run_dir: str, summary: dict[str, Any]) -> None:
    """Write ``<run>/time_to_climb.json``."""
    with open(os.path.join(run_dir, f"{NAME}.json"), "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
