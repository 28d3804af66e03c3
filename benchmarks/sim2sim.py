"""Sim to sim: one velocity policy evaluated on the CPU MuJoCo task and on the Isaac Lab task, side by side.

Both evaluations are ``rsl-sim evaluate`` with the same protocol (the velocity evaluation: eight fixed commands, robots
in blocks per command, one episode per robot and seed, tracking errors in the base frame after the warm-up, share of
episodes without a fall), each in its own process, on the same checkpoint and the same agent config. The Go2 tasks of
both backends share observation groups, joint order and action scaling, so a checkpoint trained on either runs on the
other. The script prints one markdown table with both backends' columns and the machine it ran on, and writes both
``evaluation.json`` files and the table to ``--out_dir``.

Run it from the repository root with any interpreter that has rsl_sim; the MuJoCo evaluation runs in ``.venv``
(``--mujoco_python``), the Isaac Lab one in ``.venv-isaaclab`` (``--isaaclab_python``, with the asset root and warp
kernel cache of ``scripts/isaaclab_env.sh``)::

    python benchmarks/sim2sim.py POLICY                      # a run folder or a checkpoint file
    python benchmarks/sim2sim.py POLICY --num_envs 64 --seeds 0 --episode_length_s 10 --out_dir sim2sim/go2_flat
    python benchmarks/sim2sim.py --compare mujoco.json isaaclab.json   # only the table, from two evaluation files

See docs/sim2sim.md for the measured tables and what differs between the backends.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rsl_sim.utils.machine import machine_line

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The repository root (the venvs and the Isaac Lab asset root live there)."""

BACKENDS = {"MuJoCo": "RslSim/Go2-Flat-v0", "Isaac Lab": "RslSim-Isaac-Velocity-Flat-Go2-v0"}
"""Backend name -> task id of the Go2 flat velocity task on that backend."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="One velocity policy on the MuJoCo and the Isaac Lab task.")
    parser.add_argument("policy", nargs="?", help="Run folder or checkpoint file.")
    parser.add_argument("--mujoco_task", default=BACKENDS["MuJoCo"], help="Task id on CPU MuJoCo.")
    parser.add_argument("--isaaclab_task", default=BACKENDS["Isaac Lab"], help="Task id on Isaac Lab.")
    parser.add_argument("--mujoco_python", default=str(REPO_ROOT / ".venv" / "bin" / "python"), help="MuJoCo venv.")
    parser.add_argument(
        "--isaaclab_python", default=str(REPO_ROOT / ".venv-isaaclab" / "bin" / "python"), help="Isaac Lab venv."
    )
    parser.add_argument("--num_envs", type=int, default=64, help="Robots per seed (8 per command).")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="Evaluation seeds.")
    parser.add_argument("--episode_length_s", type=float, default=10.0, help="Episode length [s].")
    parser.add_argument("--out_dir", default="sim2sim", help="Folder of the two evaluation files and the table.")
    parser.add_argument("--compare", nargs=2, metavar=("MUJOCO_JSON", "ISAACLAB_JSON"), help="Only print the table.")
    args = parser.parse_args(argv)
    if args.compare is None and args.policy is None:
        parser.error("give a POLICY (run folder or checkpoint) or --compare MUJOCO_JSON ISAACLAB_JSON.")
    return args


def evaluate(python: str, policy: str, task: str, args: argparse.Namespace, out: str) -> dict[str, Any]:
    """Run ``rsl-sim evaluate`` on ``task`` in a fresh process of the interpreter ``python``; return its results.

    Raises:
        RuntimeError: If the evaluation fails (its output is shown above).
    """
    command = [python, "-m", "rsl_sim.cli", "evaluate", policy, "--task", task, "--headless"]
    command += ["--num_envs", str(args.num_envs), "--seeds", *map(str, args.seeds)]
    command += ["--episode_length_s", str(args.episode_length_s), "--out", out]
    print("[sim2sim] " + " ".join(command), flush=True)
    # Isaac Lab loads its assets offline from the asset root and keeps compiled warp kernels (scripts/isaaclab_env.sh)
    env = dict(os.environ)
    env.setdefault(
        "ISAACSIM_ASSET_ROOT", os.environ.get("RSL_SIM_ISAACLAB_ASSETS", str(REPO_ROOT / ".isaaclab-assets"))
    )
    env.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))
    if subprocess.run(command, check=False, env=env).returncode != 0:
        raise RuntimeError(f"the evaluation on {task} failed (see its output above).")
    with open(out, encoding="utf-8") as file:
        return json.load(file)


def side_by_side(results: dict[str, dict[str, Any]]) -> str:
    """Markdown table: per command (and overall) each backend's linear and yaw-rate error and no-fall share.

    Raises:
        ValueError: If the evaluations used different commands.
    """
    names = list(results)
    commands = [tuple(row["command"]) for row in results[names[0]]["commands"]]
    for name in names[1:]:
        if [tuple(row["command"]) for row in results[name]["commands"]] != commands:
            raise ValueError(f"the evaluations of {names[0]} and {name} used different commands.")
    header = ["command (vx, vy, wz)"]
    for metric in ("lin. vel. error [m/s]", "yaw rate error [rad/s]", "no fall"):
        header += [f"{metric} {name}" for name in names]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    labels = ["({:+.2f}, {:+.2f}, {:+.2f})".format(*command) for command in commands] + ["overall (mean)"]
    for index, label in enumerate(labels):
        rows = [
            results[name]["commands"][index] if index < len(commands) else results[name]["overall"] for name in names
        ]
        cells = [label]
        cells += [_number(row["lin_vel_error"]) for row in rows]
        cells += [_number(row["yaw_rate_error"]) for row in rows]
        cells += [f"{100 * row['no_fall_rate']:.1f} %" for row in rows]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    """Three decimals, or a dash for a command where no robot was measured (all fell during the warm-up)."""
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    if args.compare is not None:
        results = {}
        for name, path in zip(BACKENDS, args.compare):
            with open(path, encoding="utf-8") as file:
                results[name] = json.load(file)
        table = side_by_side(results)
        print(table)
        return table

    for python in (args.mujoco_python, args.isaaclab_python):
        if not os.path.isfile(python):
            raise SystemExit(
                f"no interpreter {python}: build the venvs (README, scripts/install_isaaclab.sh) or pass it."
            )
    os.makedirs(args.out_dir, exist_ok=True)
    print(f"[sim2sim] machine: {machine_line()}", flush=True)
    runs = {"MuJoCo": (args.mujoco_python, args.mujoco_task), "Isaac Lab": (args.isaaclab_python, args.isaaclab_task)}
    results = {
        name: evaluate(
            python, args.policy, task, args, os.path.join(args.out_dir, f"{name.lower().replace(' ', '')}.json")
        )
        for name, (python, task) in runs.items()
    }
    caption = (
        f"{os.path.abspath(args.policy)}: {args.num_envs} robots x seeds {args.seeds}, "
        f"{args.episode_length_s:g} s episodes; machine after: {machine_line()}"
    )
    table = caption + "\n\n" + side_by_side(results)
    with open(os.path.join(args.out_dir, "sim2sim.md"), "w", encoding="utf-8") as file:
        file.write(table)
    print(table)
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
