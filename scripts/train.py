"""Train a policy with PPO on a task (any gymnasium id; rsl_sim and Isaac Lab-style tasks bring their own config).

Example:
    python scripts/train.py --task Pendulum-v1 --max_iterations 150
    python scripts/train.py --task Pendulum-v1 --resume --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt

Runs are written to ``logs/<experiment_name>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]/``.
"""

from __future__ import annotations

import argparse
import os
import sys

import cli_args

from rsl_sim.utils.callables import resolve_callable


def main(argv: list[str] | None = None) -> str:
    """Parse the arguments, build the env and the runner, train; returns the run folder."""
    parser = argparse.ArgumentParser(description="Train an RL agent with rsl_sim.")
    cli_args.add_train_args(parser)
    args = parser.parse_args(argv)

    # Config: the task's (or the built-in default) with the command-line overrides
    agent_cfg = cli_args.update_agent_cfg(cli_args.load_agent_cfg(args.task, args.agent), args)
    cli_args.set_seed(agent_cfg["seed"])

    # Find the checkpoint to resume from before the new run folder exists (it would be the newest run)
    resume_path = cli_args.resolve_checkpoint_path(agent_cfg) if agent_cfg.get("resume") else None
    log_dir = cli_args.new_run_dir(agent_cfg)
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
        runner.load(resume_path)

    # Train
    try:
        runner.learn(agent_cfg["max_iterations"], init_at_random_ep_len=agent_cfg.get("init_at_random_ep_len", False))
    finally:
        if hasattr(env, "close"):
            env.close()
    return log_dir


if __name__ == "__main__":
    main(sys.argv[1:])
