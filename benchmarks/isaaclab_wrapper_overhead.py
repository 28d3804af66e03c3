"""Cost of rsl_sim's Isaac Lab wrapper next to the raw Isaac Lab env, and a PPO iteration split into its parts.

In one process and on one env (Isaac Lab 3.0, kit-less, Newton physics on the CPU) the script measures:

1. Env steps per second (all envs counted) stepping the raw env (``env.step`` of the env ``gymnasium.make`` returns)
   and stepping it through :class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper`, in alternating blocks with the
   same actions, best block of each; the overhead is ``raw rate / wrapped rate - 1`` (goal: at most 3 %).
2. The wrapper's own time per step, measured inside the wrapped steps: a timing layer between the wrapper and the env
   records the env's share, the rest of ``wrapper.step`` is the wrapper's (observation TensorDict, dones, extras).
   Unlike 1. this does not depend on how steady the machine is.
3. PPO iterations with the task's registered agent config (``rsl_sim_agent_cfg_entry_point``) through
   :class:`~rsl_sim.runners.OnPolicyRunner`: per iteration the collection time (policy + env + storage), its env part,
   and the learning time (the PPO update).

Usage (Isaac Lab venv, see ``scripts/install_isaaclab.sh``)::

    source scripts/isaaclab_env.sh
    .venv-isaaclab/bin/python benchmarks/isaaclab_wrapper_overhead.py
    .venv-isaaclab/bin/python benchmarks/isaaclab_wrapper_overhead.py --task RslSim-Isaac-Velocity-Rough-Go2-v0 \
        --num-envs 128 --torch-threads 1

The results end with one JSON line. Timings on a shared machine vary: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import gymnasium as gym
import torch

# Local asset root and kept warp kernel cache (as scripts/isaaclab_env.sh), before Isaac Lab is imported
REPO_ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("ISAACSIM_ASSET_ROOT", str(REPO_ROOT / ".isaaclab-assets"))
os.environ.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))


class StepTimer(gym.Wrapper):
    """A gymnasium layer that adds up the seconds spent in the env's ``step`` below it."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.seconds = 0.0

    def step(self, action):
        start = time.perf_counter()
        result = self.env.step(action)
        self.seconds += time.perf_counter() - start
        return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="RslSim-Isaac-Velocity-Flat-Go2-v0", help="gymnasium id of the task")
    parser.add_argument("--num-envs", type=int, default=64, help="parallel envs")
    parser.add_argument("--block-steps", type=int, default=25, help="env steps per timed block")
    parser.add_argument("--blocks", type=int, default=4, help="timed blocks each of raw and wrapped stepping")
    parser.add_argument("--iterations", type=int, default=3, help="PPO iterations to time (0: none)")
    parser.add_argument("--torch-threads", type=int, default=None, help="torch threads (default: torch's choice)")
    return parser.parse_args()


def parse_task_cfg(task: str, num_envs: int):
    """The task's env config on the CPU (Isaac Lab's parser), seed 0."""
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    import rsl_sim.tasks  # noqa: F401  (registers the RslSim-Isaac-* ids)

    env_cfg = parse_env_cfg(task, device="cpu", num_envs=num_envs)
    env_cfg.seed = 0
    return env_cfg


def time_stepping(env, wrapper, timer: StepTimer, actions: torch.Tensor, blocks: int, block_steps: int) -> dict:
    """Alternate raw and wrapped blocks; best rates, and the wrapper's own share of the wrapped steps."""
    num_envs = actions.shape[0]
    raw_rates, wrapped_rates = [], []
    wrapper_seconds = env_seconds = 0.0
    for _ in range(blocks):
        # Raw: the env gymnasium.make returned (what the wrapper steps), with the same actions
        start = time.perf_counter()
        for _ in range(block_steps):
            env.step(actions)
        raw_rates.append(num_envs * block_steps / (time.perf_counter() - start))

        # Wrapped: the timing layer records the env's share of each wrapper.step
        timer.seconds = 0.0
        start = time.perf_counter()
        for _ in range(block_steps):
            wrapper.step(actions)
        elapsed = time.perf_counter() - start
        wrapped_rates.append(num_envs * block_steps / elapsed)
        wrapper_seconds += elapsed - timer.seconds
        env_seconds += timer.seconds
    steps = blocks * block_steps
    return {
        "raw_steps_per_s": max(raw_rates),
        "wrapped_steps_per_s": max(wrapped_rates),
        "raw_steps_per_s_median": statistics.median(raw_rates),
        "wrapped_steps_per_s_median": statistics.median(wrapped_rates),
        "overhead_ab": max(raw_rates) / max(wrapped_rates) - 1.0,
        "wrapper_ms_per_step": 1e3 * wrapper_seconds / steps,
        "env_ms_per_step": 1e3 * env_seconds / steps,
        "overhead_in_call": wrapper_seconds / env_seconds,
    }


def time_ppo(wrapper, timer: StepTimer, task: str, iterations: int) -> list[dict]:
    """Run PPO iterations with the task's agent config; per iteration its collection, env and learning seconds."""
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners import OnPolicyRunner

    train_cfg = load_cfg_from_registry(task, "rsl_sim_agent_cfg_entry_point")
    runner = OnPolicyRunner(wrapper, train_cfg, log_dir=None, device="cpu")
    records: list[dict] = []
    log = runner.logger.log

    # Record the runner's own collection / learning times, and the env's share of the collection
    def recording_log(**kwargs):
        records.append(
            {
                "collection_s": kwargs["collect_time"],
                "collection_env_s": timer.seconds,
                "learning_s": kwargs["learn_time"],
                "samples": train_cfg["num_steps_per_env"] * wrapper.num_envs,
            }
        )
        timer.seconds = 0.0
        return log(**kwargs)

    runner.logger.log = recording_log
    timer.seconds = 0.0
    runner.learn(num_learning_iterations=iterations)
    return records


def main() -> None:
    args = parse_args()
    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    import isaaclab.sim as sim_utils
    from isaaclab.app.sim_launcher import launch_simulation

    from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

    env_cfg = parse_task_cfg(args.task, args.num_envs)
    with launch_simulation(env_cfg, {}):
        sim_utils.create_new_stage()
        env = gym.make(args.task, cfg=env_cfg)
        try:
            timer = StepTimer(env)
            wrapper = IsaacLabVecEnvWrapper(timer)
            generator = torch.Generator().manual_seed(0)
            actions = 0.5 * torch.randn(args.num_envs, wrapper.num_actions, generator=generator)

            # Warm up (first steps compile and allocate), then time the stepping and PPO
            for _ in range(10):
                wrapper.step(actions)
            stepping = time_stepping(env, wrapper, timer, actions, args.blocks, args.block_steps)
            ppo = time_ppo(wrapper, timer, args.task, args.iterations) if args.iterations > 0 else []
        finally:
            env.close()

    # Report
    load = os.getloadavg()
    print(f"\ntask {args.task}, {args.num_envs} envs, torch threads {torch.get_num_threads()}, cores {os.cpu_count()},")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a shared machine: timings vary)")
    print(
        f"env steps/s  raw {stepping['raw_steps_per_s']:.0f}  wrapped {stepping['wrapped_steps_per_s']:.0f}"
        f"  (medians {stepping['raw_steps_per_s_median']:.0f} / {stepping['wrapped_steps_per_s_median']:.0f})"
        f"  overhead A/B {100 * stepping['overhead_ab']:+.2f} %"
    )
    print(
        f"inside wrapper.step: env {stepping['env_ms_per_step']:.3f} ms, wrapper {stepping['wrapper_ms_per_step']:.3f}"
        f" ms per step -> overhead {100 * stepping['overhead_in_call']:.2f} %"
    )
    for index, record in enumerate(ppo):
        print(
            f"PPO iteration {index}: {record['samples']} samples, collection {record['collection_s']:.2f} s"
            f" (env {record['collection_env_s']:.2f} s), learning {record['learning_s']:.2f} s"
        )
    result = {
        "task": args.task,
        "num_envs": args.num_envs,
        "torch_threads": torch.get_num_threads(),
        "load_average": load[0],
        **stepping,
        "ppo_iterations": ppo,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
