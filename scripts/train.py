"""Train a policy with PPO on a task (any gymnasium id; rsl_sim and Isaac Lab-style tasks bring their own config).

Example:
    python scripts/train.py --task Pendulum-v1 --max_iterations 150
    python scripts/train.py --task Pendulum-v1 --resume --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt

Runs are written to ``logs/<experiment_name>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]/``.

Multi-process training (several GPUs or nodes; CPU processes with gloo): start one process per GPU with torchrun and
pass ``--distributed``; each process uses ``cuda:<LOCAL_RANK>`` (or the CPU with ``--device cpu``) and the seed
``seed + RANK``, and only rank 0 writes the run folder::

    torchrun --nproc_per_node 2 scripts/train.py --task Pendulum-v1 --distributed
"""

from __future__ import annotations

import argparse
import os
import sys

import cli_args

from rsl_sim.utils.callables import resolve_callable
from rsl_sim.utils.distributed import DistributedSettings, destroy_process_group, rank_seed, read_launcher_env


def main(argv: list[str] | None = None) -> str:
    """Parse the arguments, build the env and the runner, train; returns the run folder."""
    parser = argparse.ArgumentParser(description="Train an RL agent with rsl_sim.")
    cli_args.add_train_args(parser)
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="Multi-process training under torchrun: one process per GPU (cuda:<LOCAL_RANK>) or CPU worker, seed"
        " + RANK per process; only rank 0 writes files.",
    )
    args = parser.parse_args(argv)

    # Config: the task's (or the built-in default) with the command-line overrides, then per-process device and seed
    agent_cfg = cli_args.update_agent_cfg(cli_args.load_agent_cfg(args.task, args.agent), args)
    settings = apply_distributed_settings(parser, agent_cfg, args.distributed)
    cli_args.set_seed(agent_cfg["seed"])

    # Find the checkpoint to resume from before the new run folder exists (it would be the newest run)
    resume_path = cli_args.resolve_checkpoint_path(agent_cfg) if agent_cfg.get("resume") else None
    log_dir = cli_args.new_run_dir(agent_cfg)
    if settings.is_main_process:
        print(f"[rsl_sim] Logging to: {log_dir}")

    # Environment and runner
    env = cli_args.make_env(
        args.task, args.num_envs, agent_cfg["seed"], agent_cfg["device"], clip_actions=agent_cfg.get("clip_actions")
    )
    runner_class = resolve_callable(agent_cfg.get("class_name") or "OnPolicyRunner")
    runner = runner_class(env, agent_cfg, log_dir=log_dir, device=agent_cfg["device"])
    runner.add_git_repo_to_log(os.path.abspath(__file__))
    if resume_path is not None:
        print(f"[rsl_sim] Resuming from: {resume_path}")
        runner.load(resume_path, map_location=agent_cfg["device"])

    # Train
    try:
        runner.learn(agent_cfg["max_iterations"], init_at_random_ep_len=agent_cfg.get("init_at_random_ep_len", False))
    finally:
        if hasattr(env, "close"):
            env.close()
        destroy_process_group()
    return log_dir


def apply_distributed_settings(
    parser: argparse.ArgumentParser, agent_cfg: dict, distributed: bool
) -> DistributedSettings:
    """Set the device and seed of this process in ``agent_cfg`` for a ``--distributed`` run (Isaac Lab's rules).

    Each process trains on ``cuda:<LOCAL_RANK>`` (when the config's device is a GPU; ``cpu`` stays ``cpu``, gloo) with
    the seed ``seed + RANK``. The runner starts the process group.

    Args:
        parser: The argument parser (for usage errors).
        agent_cfg: The agent config with ``device`` and ``seed`` resolved; changed in place.
        distributed: Whether ``--distributed`` was given.

    Returns:
        This process' ranks (world size 1 without ``--distributed``).

    Raises:
        SystemExit: (usage error) for ``--distributed`` outside torchrun, or a torchrun job without ``--distributed``.
    """
    try:
        settings = read_launcher_env()
    except ValueError as error:
        parser.error(str(error))
    if not distributed:
        if settings.is_distributed:
            parser.error(
                f"this process is one of WORLD_SIZE={settings.world_size} started by torchrun: add --distributed."
            )
        return settings
    if "WORLD_SIZE" not in os.environ:
        parser.error(
            "--distributed needs torchrun: torchrun --nproc_per_node <processes> scripts/train.py ... --distributed"
        )

    # One GPU per process, a different seed per process
    if str(agent_cfg["device"]).startswith("cuda"):
        agent_cfg["device"] = f"cuda:{settings.local_rank}"
    agent_cfg["seed"] = rank_seed(agent_cfg["seed"], settings.global_rank)
    print(
        f"[rsl_sim] Process {settings.global_rank} of {settings.world_size} (local rank {settings.local_rank}):"
        f" device {agent_cfg['device']}, seed {agent_cfg['seed']}"
    )
    return settings


if __name__ == "__main__":
    main(sys.argv[1:])
