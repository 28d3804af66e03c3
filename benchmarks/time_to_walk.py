"""Time to walk: train a robot on flat ground from scratch and measure the wall time until the policy walks.

The run is the README's main job (``python scripts/train.py --task RslSim/Go2-Flat-v0``, i.e. ``rsl-sim train``): the
task's registered agent config (``rsl_sim_agent_cfg_entry_point``), the env config's number of robots, seed 42, the
learner on the CPU with the command line's torch threads (every CPU, idle OpenMP threads sleeping:
``rsl_sim/cli/threads.py``; OMP_NUM_THREADS or ``--torch_threads`` choose). Every ``--eval_interval`` iterations, in
the same process, the script saves a checkpoint and evaluates the current policy with
:func:`rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy` (fixed commands and seeds, noise and
randomization as in training). The policy walks when the overall tracking error is at most ``--max_lin_vel_error``
with at least ``--min_no_fall_rate`` of the episodes without a fall. The commands and both thresholds are the task's:
the module of the task's registered evaluation function (``rsl_sim_evaluation_entry_point``) states them as
``DEFAULT_COMMANDS``, ``MAX_LIN_VEL_ERROR`` and ``MIN_NO_FALL_RATE`` (Go2: 0.25 m/s, 95 %; G1: 0.3 m/s, 90 %).

Reported: the training wall time (collection + updates, evaluations excluded) and the total wall time (evaluations
included) until the first walking evaluation, with the iteration and the samples, next to the machine's CPU count
and load average. Everything is also written to ``<run folder>/time_to_walk.json``.

Usage::

    python benchmarks/time_to_walk.py                       # stops at the first walking evaluation
    python benchmarks/time_to_walk.py --agent rsl_sim_with_symmetry_cfg_entry_point --seed 1 --eval_interval 25
    python benchmarks/time_to_walk.py --eval_interval 20 --max_iterations 600 --continue_after_walking
    python benchmarks/time_to_walk.py --resume logs/unitree_go2_flat/<run>/model_549.pt --seed 1   # a stopped run
    python benchmarks/time_to_walk.py --agent_override algorithm.learning_rate=5e-4 num_steps_per_env=32
    python benchmarks/time_to_walk.py --task RslSim/G1-Flat-v0 --max_minutes 120   # the G1 humanoid, goal's budget

Timings on a shared machine vary with its load; run one benchmark at a time.
"""

from __future__ import annotations

import argparse
import importlib
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

import rsl_sim.tasks  # noqa: E402, F401  (registers the RslSim/Go2 ids)
from rsl_sim.cli.runs import write_run_info  # noqa: E402
from rsl_sim.tasks.locomotion.velocity.evaluation import (  # noqa: E402
    evaluate_velocity_policy,
    format_table,
    make_evaluation_env,
    meets_walking_criterion,
)
from rsl_sim.utils.callables import resolve_callable  # noqa: E402
from rsl_sim.utils.machine import machine_line  # noqa: E402
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wall time until PPO trains a robot to walk (CPU MuJoCo).")
    parser.add_argument("--task", default="RslSim/Go2-Flat-v0", help="Velocity task id.")
    parser.add_argument("--agent", default="rsl_sim_agent_cfg_entry_point", help="Registration kwarg of the agent cfg.")
    parser.add_argument("--num_envs", type=int, default=None, help="Training robots (default: the env cfg's).")
    parser.add_argument("--eval_interval", type=int, default=25, help="Iterations between two evaluations.")
    parser.add_argument("--eval_num_envs", type=int, default=None, help="Robots per eval seed (8 per command).")
    parser.add_argument("--eval_seeds", type=int, nargs="+", default=[0], help="Seeds of each evaluation.")
    parser.add_argument("--eval_episode_length_s", type=float, default=20.0, help="Evaluation episode length [s].")
    parser.add_argument("--max_lin_vel_error", type=float, default=None, help="Walking: error [m/s] (task's default).")
    parser.add_argument("--min_no_fall_rate", type=float, default=None, help="Walking: no-fall share (task's default).")
    parser.add_argument(
        "--continue_after_walking", action="store_true", help="Keep training until --max_iterations (learning curve)."
    )
    add_training_args(parser, "time_to_walk")
    return parser.parse_args(argv)


def add_training_args(parser: argparse.ArgumentParser, name: str) -> None:
    """The options of a training benchmark's run (this one and ``time_to_climb.py``): budget, seed, threads, resume,
    run folder and agent overrides; ``name`` is the run folder's default suffix."""
    parser.add_argument("--max_iterations", type=int, default=None, help="Iteration budget (default: the agent cfg's).")
    parser.add_argument("--seed", type=int, default=42, help="Seed of the training run (the agent cfg's default).")
    parser.add_argument(
        "--max_minutes", type=float, default=None, help="Training-time budget [min]: stop at the first eval past it."
    )
    parser.add_argument(
        "--torch_threads", type=int, default=None, help="torch threads of the learner (default: as rsl-sim train)."
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="CHECKPOINT",
        help="Continue a stopped run of this script from one of its checkpoints (model_<it>.pt with its resume state).",
    )
    parser.add_argument("--log_root", default="logs", help="Folder of the run folders.")
    parser.add_argument("--run_name", default=name, help="Suffix of the run folder.")
    parser.add_argument(
        "--agent_override",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="Agent cfg changes (dotted keys, JSON values), e.g. algorithm.learning_rate=5e-4 (not the main job).",
    )


def load_agent_cfg(task: str, agent: str, overrides: list[str]) -> dict[str, Any]:
    """The task's registered agent config with ``KEY=VALUE`` overrides (dotted keys, JSON values)."""
    entry = gymnasium.spec(task).kwargs.get(agent)
    if entry is None:
        raise ValueError(f"Task {task!r} registers no {agent!r}.")
    cfg = resolve_callable(entry)()
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--agent_override {item!r}: expected KEY=VALUE, e.g. algorithm.learning_rate=5e-4.")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        node = cfg
        *parents, leaf = key.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ValueError(f"--agent_override {item!r}: {part!r} is not a section of the agent cfg.")
            node = node[part]
        if leaf not in node:
            raise ValueError(f"--agent_override {item!r}: unknown key {leaf!r}; known: {sorted(node)}.")
        node[leaf] = value
    return cfg


def train_stats(runner: Any) -> dict[str, float | None]:
    """Mean episode return and length over the runner's recent episodes (its logging window)."""
    episodes = runner.logger.episodes
    if not episodes.returns:
        return {"mean_reward": None, "mean_episode_length": None}
    return {
        "mean_reward": float(sum(episodes.returns) / len(episodes.returns)),
        "mean_episode_length": float(sum(episodes.lengths) / len(episodes.lengths)),
    }


def evaluation_protocol(task: str) -> tuple[tuple[tuple[float, float, float], ...], float, float]:
    """The task's evaluation commands and walking criterion, from the module of its registered evaluation function.

    Returns:
        ``(commands, max_lin_vel_error, min_no_fall_rate)``.

    Raises:
        ValueError: If the task registers no evaluation function, or its module does not state the protocol.
    """
    entry = gymnasium.spec(task).kwargs.get("rsl_sim_evaluation_entry_point")
    if entry is None:
        raise ValueError(f"Task {task!r} registers no rsl_sim_evaluation_entry_point: no evaluation to time against.")
    module = importlib.import_module(entry.partition(":")[0])
    names = ("DEFAULT_COMMANDS", "MAX_LIN_VEL_ERROR", "MIN_NO_FALL_RATE")
    missing = [name for name in names if not hasattr(module, name)]
    if missing:
        raise ValueError(f"{module.__name__} (the evaluation of {task!r}) does not define {missing}.")
    return tuple(tuple(c) for c in module.DEFAULT_COMMANDS), module.MAX_LIN_VEL_ERROR, module.MIN_NO_FALL_RATE


def resume_run(
    runner: Any, checkpoint: str, summary: dict[str, Any], name: str = "time_to_walk", reached: str = "walking"
) -> tuple[int, float, float]:
    """Load a checkpoint of a stopped run of this script and take over its evaluations up to that iteration.

    The checkpoint's resume state (RNG, env and episode state) makes the continued run the run that was stopped.
    ``name`` is the benchmark (its summary ``<name>.json`` and result ``summary[name]``) and ``reached`` the key of
    an evaluation record that says the goal was met (``benchmarks/time_to_climb.py``: ``time_to_climb``, ``climbing``).

    Returns:
        ``(done_iterations, train_time_s, wall_time_s)`` at the checkpoint.

    Raises:
        ValueError: If the run folder has no ``<name>.json`` or it has no evaluation at the checkpoint's
            iteration (resume from a checkpoint written right before an evaluation: ``model_<k * eval_interval - 1>``).
    """
    path = os.path.join(os.path.dirname(os.path.abspath(checkpoint)), f"{name}.json")
    if not os.path.isfile(path):
        raise ValueError(f"--resume {checkpoint}: no {path}; only runs of this script can be resumed.")
    with open(path, encoding="utf-8") as file:
        previous = json.load(file)
    for key in ("task", "num_envs"):
        if previous[key] != summary[key]:
            raise ValueError(f"--resume {checkpoint}: the run had {key} {previous[key]!r}, this one {summary[key]!r}.")
    if previous["agent_cfg"] != json.loads(json.dumps(summary["agent_cfg"])):
        raise ValueError(f"--resume {checkpoint}: the run's agent cfg or seed differs from this one's; pass the same.")
    runner.load(checkpoint)
    done = runner.current_learning_iteration + 1
    records = [record for record in previous["evaluations"] if record["iteration"] <= done]
    if not records or records[-1]["iteration"] != done:
        known = [record["iteration"] - 1 for record in previous["evaluations"]]
        raise ValueError(f"--resume {checkpoint}: no evaluation after iteration {done - 1}; use one of model_{known}.")
    summary["evaluations"] = records
    summary[name] = next(
        (
            {key: record[key] for key in ("iteration", "samples", "train_time_s", "wall_time_s", "load_average")}
            for record in records
            if record[reached]
        ),
        None,
    )
    summary["resumed_from"] = os.path.abspath(checkpoint)
    # A resumed run's figures may mix machines: keep the stopped run's machine beside this one's
    summary["machine_before_resume"] = previous.get("machine", "not recorded")
    return done, records[-1]["train_time_s"], records[-1]["wall_time_s"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    commands, max_lin_vel_error, min_no_fall_rate = evaluation_protocol(args.task)
    args.max_lin_vel_error = max_lin_vel_error if args.max_lin_vel_error is None else args.max_lin_vel_error
    args.min_no_fall_rate = min_no_fall_rate if args.min_no_fall_rate is None else args.min_no_fall_rate
    args.eval_num_envs = 8 * len(commands) if args.eval_num_envs is None else args.eval_num_envs
    if args.torch_threads is None:
        configure_cpu_threads("cpu")
    else:
        torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    load_start = os.getloadavg()

    # The main job's config
    agent_cfg = load_agent_cfg(args.task, args.agent, args.agent_override)
    agent_cfg["seed"] = args.seed
    agent_cfg["device"] = "cpu"
    max_iterations = args.max_iterations or agent_cfg["max_iterations"]
    if args.resume is None:
        run_dir = os.path.abspath(
            os.path.join(
                args.log_root,
                agent_cfg["experiment_name"],
                f"{datetime.now().strftime('%Y-%m-%d_%H-%M-%S')}_{args.run_name}",
            )
        )
    else:
        run_dir = os.path.dirname(os.path.abspath(args.resume))

    # Training env (the env cfg's robot count unless given), runner and the evaluation env (built once)
    spec = gymnasium.spec(args.task)
    num_envs = args.num_envs or resolve_callable(spec.kwargs["cfg_entry_point"])().scene.num_envs
    env = GymnasiumVecEnvWrapper.from_id(
        args.task, num_envs=num_envs, seed=args.seed, device="cpu", clip_actions=agent_cfg.get("clip_actions")
    )
    runner = resolve_callable(agent_cfg.get("class_name") or "OnPolicyRunner")(
        env, agent_cfg, log_dir=run_dir, device="cpu"
    )
    # The task of the run, as the CLI records it: `rsl-sim play|evaluate|export <run>` then work on the run folder
    write_run_info(run_dir, {"command": "benchmarks/time_to_walk.py", "task": args.task, "agent": args.agent})
    eval_env = make_evaluation_env(args.task, num_envs=args.eval_num_envs, episode_length_s=args.eval_episode_length_s)
    print(f"[time_to_walk] {args.task}: {num_envs} robots, {agent_cfg['num_steps_per_env']} steps/env, run {run_dir}")
    machine = machine_line()
    print(f"[time_to_walk] machine at start: {machine}")

    # Train in chunks of eval_interval iterations; evaluate in between
    summary: dict[str, Any] = {
        "task": args.task,
        "num_envs": num_envs,
        "agent_cfg": agent_cfg,
        "agent_override": args.agent_override,
        "machine": machine,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "criterion": {"max_lin_vel_error": args.max_lin_vel_error, "min_no_fall_rate": args.min_no_fall_rate},
        "evaluations": [],
        "time_to_walk": None,
    }
    train_time = wall_before = 0.0
    done_iterations = 0
    if args.resume is not None:
        done_iterations, train_time, wall_before = resume_run(runner, args.resume, summary)
        print(f"[time_to_walk] resumed after {done_iterations} iterations ({train_time / 60:.2f} min of training)")
    wall_start = time.perf_counter() - wall_before
    while done_iterations < max_iterations:
        chunk = min(args.eval_interval, max_iterations - done_iterations)
        start = time.perf_counter()
        runner.learn(chunk, init_at_random_ep_len=done_iterations == 0 and bool(agent_cfg.get("init_at_random_ep_len")))
        train_time += time.perf_counter() - start
        done_iterations += chunk  # the runner saved model_<last iteration>.pt

        # Evaluate the deterministic policy on the fixed commands
        start = time.perf_counter()
        results = evaluate_velocity_policy(
            eval_env,
            runner.get_inference_policy(device="cpu"),
            seeds=args.eval_seeds,
            commands=commands,
            episode_length_s=args.eval_episode_length_s,
            clip_actions=agent_cfg.get("clip_actions"),
        )
        eval_time = time.perf_counter() - start
        runner.train_mode()
        walking = meets_walking_criterion(results, args.max_lin_vel_error, args.min_no_fall_rate)
        record = {
            "iteration": done_iterations,
            "samples": done_iterations * agent_cfg["num_steps_per_env"] * num_envs,
            "train_time_s": train_time,
            "wall_time_s": time.perf_counter() - wall_start,
            "eval_time_s": eval_time,
            "load_average": os.getloadavg()[0],
            **train_stats(runner),
            **{key: results["overall"][key] for key in ("lin_vel_error", "yaw_rate_error", "no_fall_rate")},
            "walking": walking,
            "results": results,
        }
        summary["evaluations"].append(record)
        error = record["lin_vel_error"]
        print(
            f"[time_to_walk] it {done_iterations:5d} | train {train_time / 60:6.2f} min | "
            f"reward {record['mean_reward'] or float('nan'):7.2f} | ep_len {record['mean_episode_length'] or 0:6.1f} | "
            f"lin err {error if error is not None else float('nan'):.3f} m/s | "
            f"yaw err {record['yaw_rate_error'] or float('nan'):.3f} rad/s | "
            f"no fall {100 * record['no_fall_rate']:5.1f} % | load {record['load_average']:.2f}"
            + (" | WALKING" if walking else ""),
            flush=True,
        )
        if walking and summary["time_to_walk"] is None:
            summary["time_to_walk"] = {
                key: record[key] for key in ("iteration", "samples", "train_time_s", "wall_time_s", "load_average")
            }
            print(format_table(results))
            if not args.continue_after_walking:
                break
        with open(os.path.join(run_dir, "time_to_walk.json"), "w", encoding="utf-8") as file:
            json.dump(summary, file, indent=2)
        if args.max_minutes is not None and train_time >= 60 * args.max_minutes:
            print(f"[time_to_walk] training budget of {args.max_minutes:g} min spent")
            break

    # Summary
    summary["load_average_start"] = load_start[0]
    summary["load_average_end"] = os.getloadavg()[0]
    with open(os.path.join(run_dir, "time_to_walk.json"), "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)
    env.close()
    eval_env.close()
    result = summary["time_to_walk"]
    if result is None:
        print(f"[time_to_walk] not walking after {done_iterations} iterations ({train_time / 60:.1f} min of training)")
    else:
        print(
            f"[time_to_walk] WALKING after {result['iteration']} iterations ({result['samples'] / 1e6:.1f} M samples): "
            f"{result['train_time_s'] / 60:.1f} min of training, {result['wall_time_s'] / 60:.1f} min with the "
            f"evaluations; {os.cpu_count()} CPUs, load average {load_start[0]:.2f} at start, "
            f"{summary['load_average_end']:.2f} at the end"
        )
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
