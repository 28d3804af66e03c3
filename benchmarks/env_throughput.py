"""Throughput of the CPU MuJoCo velocity envs next to the raw physics of the same robots and a gymnasium yardstick.

For each task and robot count the script builds the env (``RslSim/Go2-Flat-v0``, ``RslSim/Go2-Rough-v0`` with its
height scan, ``RslSim/Go2-Rough-Depth-v0`` with height scan and depth camera; the G1 humanoid's ``RslSim/G1-Flat-v0``
and ``RslSim/G1-Rough-v0``), steps it with random actions and reports
env steps per second (all envs counted, one env step = 4 physics steps + the MDP + the sensors). In the same run it
steps the env's own batched simulation alone (same model, same robots, same threads, no MDP, no recording) and reports
that rate in env-step equivalents, and the ratio env / physics. Last, gymnasium's ``Ant-v5`` in a ``SyncVectorEnv``
gives a yardstick for a standard MuJoCo vector env.

The rough task with the depth camera (``rough_depth``: 32 x 32 every 2 env steps; ``rough_depth64``: the same camera
at 64 x 64) is also reported as a fraction of the rough task's rate at the same robot count, measured in the same
run, and each ray sensor's own time per env step is printed (the tasks' random-action trajectories differ, and with
them the physics cost, so the sensor times are the steadier measure of the camera's cost).

Usage::

    python benchmarks/env_throughput.py                      # flat: 64, 512, 2048; rough: 512, 2048; depth: 512
    python benchmarks/env_throughput.py --tasks g1_flat g1_rough  # the G1 at 512 robots
    python benchmarks/env_throughput.py --tasks rough rough_depth --num-envs 512 --steps 100 --threads 2
    python benchmarks/env_throughput.py --tasks flat rough rough_depth rough_depth64 --num-envs 512 --ant-envs

Timings on a shared machine vary; the CPU model and the load average are printed with the results.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium
import numpy as np

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg import G1FlatEnvCfg, G1RoughEnvCfg
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.utils.machine import machine_line

# Task name -> (config class, default robot counts)
TASKS = {
    "flat": (UnitreeGo2FlatEnvCfg, [64, 512, 2048]),
    "rough": (UnitreeGo2RoughEnvCfg, [512, 2048]),
    "rough_depth": (UnitreeGo2RoughDepthEnvCfg, [512]),
    "rough_depth64": (lambda: _depth_64(UnitreeGo2RoughDepthEnvCfg()), [512]),
    "g1_flat": (G1FlatEnvCfg, [512]),
    "g1_rough": (G1RoughEnvCfg, [512]),
}


def _depth_64(cfg: UnitreeGo2RoughDepthEnvCfg) -> UnitreeGo2RoughDepthEnvCfg:
    """The depth task with a 64 x 64 camera (same field of view and update period)."""
    cfg.scene.depth_camera.width = cfg.scene.depth_camera.height = 64
    return cfg


def time_env(task: str, num_envs: int, steps: int, threads: int, repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` rates (env steps/s) of the env and of its bare physics."""
    cfg = TASKS[task][0]()
    cfg.physics.num_threads = threads
    env = VelocityEnv(num_envs=num_envs, cfg=cfg, seed=0)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1.0, 1.0, size=(steps, num_envs, env.single_action_space.shape[0])).astype(np.float32)
    env.reset(seed=0)
    for k in range(20):
        env.step(actions[k % steps])

    env_rates, physics_rates = [], []
    for _ in range(repeats):
        # The env: MDP + physics
        start = time.perf_counter()
        for k in range(steps):
            env.step(actions[k])
        env_rates.append(num_envs * steps / (time.perf_counter() - start))

        # The same batched simulation alone, controls held
        start = time.perf_counter()
        for _ in range(steps):
            env.sim.step_plain(env.cfg.decimation)
        physics_rates.append(num_envs * steps / (time.perf_counter() - start))
        env.reset()
    sensors = time_sensors(env)
    env.close()
    return max(env_rates), max(physics_rates), sensors


def time_sensors(env: VelocityEnv, repeats: int = 5) -> dict[str, float]:
    """Wall milliseconds per env step of each ray sensor of ``env`` (all robots; a camera divided by its period).

    The sensors' own cost, independent of how the robots' trajectories (and so the physics cost) differ between tasks.
    """
    costs = {}
    for name, sensor in env.sensors.items():
        camera = getattr(sensor, "camera", None)
        if camera is not None:
            pos, quat = env.robot.root_pos_w, env.robot.root_quat_w
            start = time.perf_counter()
            for _ in range(repeats):
                camera.compute(pos, quat)
            costs[name] = 1e3 * (time.perf_counter() - start) / repeats / sensor.period_steps
        else:
            start = time.perf_counter()
            for _ in range(repeats):
                sensor.update()
            costs[name] = 1e3 * (time.perf_counter() - start) / repeats
    return costs


def time_ant(num_envs: int, steps: int) -> float | None:
    """Env steps/s of gymnasium's Ant-v5 in a SyncVectorEnv (None if it cannot be built)."""
    try:
        envs = gymnasium.make_vec("Ant-v5", num_envs=num_envs, vectorization_mode="sync")
    except Exception as error:  # gymnasium raises various errors when its MuJoCo envs are unavailable
        print(f"  Ant-v5 unavailable: {error}")
        return None
    envs.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1.0, 1.0, size=(steps, *envs.action_space.shape))
    for k in range(10):
        envs.step(actions[k])
    start = time.perf_counter()
    for k in range(steps):
        envs.step(actions[k])
    rate = num_envs * steps / (time.perf_counter() - start)
    envs.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=list(TASKS))
    parser.add_argument("--num-envs", type=int, nargs="+", default=None, help="robot counts (default: per task)")
    parser.add_argument("--steps", type=int, default=200, help="env steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per size (the best is reported)")
    parser.add_argument("--threads", type=int, default=0, help="physics threads (0: one per CPU)")
    parser.add_argument("--ant-envs", type=int, nargs="*", default=[16, 64])
    args = parser.parse_args()

    print(f"machine (before): {machine_line()}")
    print(
        f"{'task':>13} | {'robots':>7} | {'env steps/s':>12} | {'physics (env-step eq.)/s':>24} | {'env / physics':>13}"
    )
    rates = {}
    for task in args.tasks:
        for num_envs in args.num_envs or TASKS[task][1]:
            steps = max(20, min(args.steps, (args.steps * 512) // num_envs))
            env_rate, physics_rate, sensors = time_env(task, num_envs, steps, args.threads, args.repeats)
            rates[task, num_envs] = env_rate
            print(
                f"{task:>13} | {num_envs:>7} | {env_rate:>12,.0f} | {physics_rate:>24,.0f} | "
                f"{env_rate / physics_rate:>12.0%}"
            )
            if sensors:
                costs = ", ".join(f"{name} {cost:.1f} ms" for name, cost in sensors.items())
                print(f"{'':>13}   sensors per env step: {costs} (env step: {1e3 * num_envs / env_rate:.1f} ms)")
    # the camera's cost: the depth tasks as a fraction of the rough task at the same robot count
    for (task, num_envs), rate in rates.items():
        if task.startswith("rough_depth") and ("rough", num_envs) in rates:
            print(f"{task} / rough at {num_envs} robots: {rate / rates['rough', num_envs]:.0%}")
    for num_envs in args.ant_envs:
        rate = time_ant(num_envs, 200)
        if rate is not None:
            print(f"Ant-v5 SyncVectorEnv, {num_envs} envs: {rate:,.0f} env steps/s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
