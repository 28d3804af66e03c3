"""Time per iteration on a real Isaac Lab task: Isaac Lab's RSL-RL path vs rsl_sim's, same task, seed and config.

Isaac Lab's path is what its ``train`` entry point builds (``isaaclab_rl.rsl_rl.RslRlVecEnvWrapper`` + rsl-rl-lib
5.5.1's ``OnPolicyRunner`` from the registered agent config); rsl_sim's path is ``IsaacLabVecEnvWrapper`` +
``rsl_sim.runners.OnPolicyRunner`` from ``agent_cfg_to_dict`` of the same config. Each learner gets a freshly built env
(seed 0, kit-less Newton physics on the CPU), runs one warm-up iteration, then ``--iterations`` timed ones. Both draw
the same random numbers, so their losses must agree (printed, and checked to 1e-4): a speed-up cannot come from
different work. The env's stepping is the same code in both, so the difference is the wrapper plus the learner.

Usage (in the Isaac Lab venv, after ``source scripts/isaaclab_env.sh``)::

    python benchmarks/isaaclab_learners.py [--task Isaac-Cartpole] [--num_envs 64] [--iterations 5] [--presets P]

Prints seconds per iteration of each path (collection and update split) and the ratio Isaac Lab's / rsl_sim's.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time

import torch


def run(task: str, num_envs: int, iterations: int, library: str, overrides: list[str]) -> dict:
    """Build the env, wrap it and build ``library``'s runner; time ``iterations`` after one warm-up iteration."""
    import gymnasium as gym
    import isaaclab.sim as sim_utils
    import isaaclab_tasks  # noqa: F401  (registers the tasks)
    from isaaclab.app.sim_launcher import launch_simulation
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry, parse_env_cfg

    agent_cfg = load_cfg_from_registry(task, "rsl_rl_cfg_entry_point")
    agent_cfg.device = "cpu"
    env_cfg = parse_env_cfg(task, device="cpu", num_envs=num_envs, overrides=overrides)
    env_cfg.seed = 0
    with launch_simulation(env_cfg, {}):
        sim_utils.create_new_stage()
        env = gym.make(task, cfg=env_cfg)
        try:
            if library == "rsl_rl":
                from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper
                from isaaclab_rl.rsl_rl.utils import create_rsl_rl_runner, handle_deprecated_rsl_rl_cfg

                agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, importlib.metadata.version("rsl-rl-lib"))
                runner = create_rsl_rl_runner(RslRlVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions), agent_cfg)
            else:
                from rsl_sim.runners import OnPolicyRunner
                from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper
                from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

                wrapped = IsaacLabVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions)
                runner = OnPolicyRunner(wrapped, agent_cfg_to_dict(agent_cfg), log_dir=None, device="cpu")

            # Time the update inside each iteration; the rest of the iteration is collection (env + acting + storing)
            losses, update_seconds = [], []
            update = runner.alg.update

            def timed_update(*args, **kwargs):
                start = time.perf_counter()
                result = update(*args, **kwargs)
                update_seconds.append(time.perf_counter() - start)
                losses.append({name: float(value) for name, value in result.items()})
                return result

            runner.alg.update = timed_update
            runner.learn(num_learning_iterations=1, init_at_random_ep_len=agent_cfg.init_at_random_ep_len)
            start = time.perf_counter()
            runner.learn(num_learning_iterations=iterations)
            total = time.perf_counter() - start
        finally:
            env.close()
    update_time = sum(update_seconds[1:]) / iterations
    return {"iteration": total / iterations, "update": update_time, "losses": losses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="Isaac-Cartpole")
    parser.add_argument("--num_envs", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--presets", default="", help="Isaac Lab presets, e.g. newton_mjwarp (Spot)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = [f"presets={args.presets}"] if args.presets else []

    results = {}
    for library in ("rsl_rl", "rsl_sim"):
        results[library] = run(args.task, args.num_envs, args.iterations, library, overrides)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{args.task}, {args.num_envs} envs, {args.iterations} timed iterations, {args.threads} torch thread(s),"
        f" {os.cpu_count()} CPUs, load average {load}; rsl-rl-lib {importlib.metadata.version('rsl-rl-lib')}"
    )
    print(f"{'path':<36} {'s/iteration':>12} {'collection':>11} {'update':>8}")
    names = {"rsl_rl": "Isaac Lab (isaaclab_rl + rsl-rl-lib)", "rsl_sim": "rsl_sim (IsaacLabVecEnvWrapper)"}
    for library, result in results.items():
        collection = result["iteration"] - result["update"]
        print(f"{names[library]:<36} {result['iteration']:>12.3f} {collection:>11.3f} {result['update']:>8.3f}")
    theirs, ours = results["rsl_rl"], results["rsl_sim"]
    print(f"ratio Isaac Lab / rsl_sim: {theirs['iteration'] / ours['iteration']:.2f}x per iteration,")
    print(f"  {theirs['update'] / ours['update']:.2f}x per update")
    # Same work: the first update's losses agree
    first_theirs, first_ours = theirs["losses"][0], ours["losses"][0]
    worst = max(abs(first_ours[k] - v) / max(abs(v), 1e-8) for k, v in first_theirs.items())
    print(f"first update's losses: {first_theirs} vs {first_ours} (largest relative difference {worst:.1e})")
    if worst > 1e-4:
        raise SystemExit("the two learners did different work: the losses of the first update differ")


if __name__ == "__main__":
    main()
