"""Run a trained policy: load a checkpoint, export it (TorchScript + ONNX), and step the env with it.

Example:
    python scripts/play.py --task Pendulum-v1                       # newest checkpoint of the newest run
    python scripts/play.py --task Pendulum-v1 --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt

The exported files go to ``exported/policy.pt`` and ``exported/policy.onnx`` next to the checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys

import cli_args
import torch

from rsl_sim.utils.callables import resolve_callable


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Parse the arguments, load the policy, export it and run it; returns play statistics."""
    parser = argparse.ArgumentParser(description="Play a policy trained with rsl_sim.")
    cli_args.add_play_args(parser)
    args = parser.parse_args(argv)

    # Config and checkpoint
    agent_cfg = cli_args.update_agent_cfg(cli_args.load_agent_cfg(args.task, args.agent), args)
    cli_args.set_seed(agent_cfg["seed"])
    checkpoint = cli_args.resolve_checkpoint_path(agent_cfg)
    print(f"[rsl_sim] Loading checkpoint: {checkpoint}")

    # Playing never updates: one mini-batch keeps PPO's batch checks valid for any number of play environments
    # (recurrent models split mini-batches by environment)
    if "num_mini_batches" in agent_cfg["algorithm"]:
        agent_cfg["algorithm"]["num_mini_batches"] = 1

    # Environment and policy (no log folder: playing writes nothing but the exported files)
    device = agent_cfg["device"]
    env = cli_args.make_env(
        args.task, args.num_envs, agent_cfg["seed"], device, clip_actions=agent_cfg.get("clip_actions")
    )
    runner_class = resolve_callable(agent_cfg.get("class_name") or "OnPolicyRunner")
    runner = runner_class(env, agent_cfg, log_dir=None, device=device)
    runner.load(checkpoint, map_location=device)
    policy = runner.get_inference_policy(device=device)

    # Export next to the checkpoint
    if not args.no_export:
        export_dir = os.path.join(os.path.dirname(checkpoint), "exported")
        runner.export_policy_to_jit(export_dir, filename="policy.pt")
        runner.export_policy_to_onnx(export_dir, filename="policy.onnx")
        print(f"[rsl_sim] Exported TorchScript and ONNX policies to: {export_dir}")

    # Run the policy; recurrent state is reset for environments whose episode ended
    returns = torch.zeros(env.num_envs, device=device)
    finished: list[float] = []
    obs = env.get_observations().to(device)
    try:
        with torch.inference_mode():
            for _ in range(args.num_steps):
                actions = policy(obs)
                obs, rewards, dones, _ = env.step(actions.to(env.device))
                obs, rewards, dones = obs.to(device), rewards.to(device), dones.to(device)
                policy.reset(dones)
                returns += rewards
                done_ids = (dones > 0).nonzero().flatten()
                finished += returns[done_ids].tolist()
                returns[done_ids] = 0.0
    finally:
        if hasattr(env, "close"):
            env.close()

    # Summary
    stats = {"episodes": float(len(finished))}
    if finished:
        stats["mean_return"] = sum(finished) / len(finished)
        print(f"[rsl_sim] {len(finished)} episodes finished, mean return {stats['mean_return']:.2f}")
    else:
        print("[rsl_sim] No episode finished within --num_steps.")
    return stats


if __name__ == "__main__":
    main(sys.argv[1:])
