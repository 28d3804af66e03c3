"""``rsl-sim evaluate``: measure a trained velocity-tracking policy on fixed commands and seeds.

Examples::

    rsl-sim evaluate --task RslSim/Go2-Flat-v0                      # newest run of the task
    rsl-sim evaluate logs/unitree_go2_flat/2026-01-01_12-00-00 --seeds 0 1 2 --num_envs 256

Runs :func:`rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy` (per command: linear-velocity and
yaw-rate tracking errors, share of episodes without a fall), prints the table and writes ``evaluation.json`` into the
run folder (``--out`` elsewhere); ``rsl-sim plot`` draws it. Available for rsl_sim's velocity tasks (``RslSim/Go2-*``).
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Sequence
from typing import Any

from . import arguments
from .agent_config import build_runner, load_checkpoint, set_seed
from .envs import build_env_cfg
from .errors import CliError
from .policy_source import inference_cfg, resolve_policy_source, split_positionals
from .progress import info, status
from .tasks import get_spec

EVALUATION_MODULE = "rsl_sim.tasks.locomotion.velocity.evaluation"
"""Module of the velocity-task evaluation (imported only when ``evaluate`` runs)."""

VELOCITY_ENV_ENTRY_POINT = "rsl_sim.tasks.mujoco.envs.velocity_env:VelocityEnv"
"""Vector entry point of the tasks ``evaluate`` knows how to measure."""

DEFAULT_SEEDS = (0, 1)
"""Evaluation seeds when ``--seeds`` is not given."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim evaluate``."""
    arguments.add_task_args(parser, task_required=False)
    arguments.add_log_args(parser)
    arguments.add_load_args(parser)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="Evaluation seeds (default: 0 1)."
    )
    parser.add_argument("--episode_length_s", type=float, default=20.0, help="Episode length [s] (default 20).")
    parser.add_argument("--warmup_s", type=float, default=1.0, help="Unmeasured time after each reset [s] (default 1).")
    parser.add_argument("--out", default=None, help="Results file (default: <run>/evaluation.json).")
    parser.add_argument(
        "overrides", nargs="*", metavar="[RUN] KEY=VALUE", help="A run folder or checkpoint file, and overrides."
    )
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate as the arguments say; returns the results dict (also written as JSON)."""
    runs, override_tokens = split_positionals(args.overrides)
    source = resolve_policy_source(args, runs[0] if runs else None, override_tokens)
    return evaluate_source(
        source,
        num_envs=args.num_envs,
        seeds=args.seeds,
        episode_length_s=args.episode_length_s,
        warmup_s=args.warmup_s,
        out=args.out,
    )


def evaluate_source(
    source: Any,
    num_envs: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    episode_length_s: float = 20.0,
    warmup_s: float = 1.0,
    out: str | None = None,
) -> dict[str, Any]:
    """Evaluate the policy of a run (also used by ``rsl-sim play --evaluate``); prints the table, writes the JSON.

    Args:
        source: The run, checkpoint, configs and env overrides
            (:class:`~rsl_sim.cli.policy_source.PolicySource`).
        num_envs: Robots evaluated at once (None: 16 per evaluation command).
        seeds: Evaluation seeds.
        episode_length_s: Episode length [s].
        warmup_s: Unmeasured time after each reset [s].
        out: Results file (None: ``<run>/evaluation.json``).

    Returns:
        The results dict of :func:`rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_velocity_policy`, plus
        ``checkpoint``.

    Raises:
        CliError: For a task the evaluation cannot measure, or a policy or env it refuses.
    """
    evaluation = evaluation_module(source.task)
    cfg = inference_cfg(source.agent_cfg)
    set_seed(cfg["seed"])
    info(f"checkpoint: {source.checkpoint}")

    # The env: the run's config (with its and this command's env overrides), evaluation episode length
    env_cfg = build_env_cfg(source.task, source.env_overrides)
    env_cfg.episode_length_s = float(episode_length_s)
    num_commands = len(evaluation.DEFAULT_COMMANDS)
    num_envs = num_envs or 16 * num_commands
    results = _evaluate(evaluation, source, cfg, env_cfg, num_envs, list(seeds), episode_length_s, warmup_s)
    results["checkpoint"] = source.checkpoint

    # Table and file
    print(evaluation.format_table(results))
    out = os.path.abspath(out or os.path.join(source.run_dir, "evaluation.json"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    evaluation.save_results(results, out)
    info(f"results: {out}  (draw them with: rsl-sim plot {source.run_dir})")
    return results


def evaluation_module(task: str) -> Any:
    """The evaluation module, for tasks it can measure.

    Raises:
        CliError: If the task is not an rsl_sim velocity task, or the evaluation module is not installed.
    """
    spec = get_spec(task)
    if spec.vector_entry_point != VELOCITY_ENV_ENTRY_POINT:
        raise CliError(
            f"evaluate is not available for task '{task}': it measures velocity tracking of rsl_sim's velocity tasks"
            " (RslSim/Go2-*). Use 'rsl-sim play' to run this policy."
        )
    try:
        return importlib.import_module(EVALUATION_MODULE)
    except ModuleNotFoundError as error:
        if error.name is not None and EVALUATION_MODULE.startswith(error.name):
            raise CliError(f"evaluate is not available for task '{task}': {EVALUATION_MODULE} is missing.") from error
        raise CliError(f"evaluate needs the package '{error.name}': pip install 'rsl-sim[mujoco]'.") from error


def _evaluate(
    evaluation: Any,
    source: Any,
    cfg: dict[str, Any],
    env_cfg: Any,
    num_envs: int,
    seeds: list[int],
    episode_length_s: float,
    warmup_s: float,
) -> dict[str, Any]:
    """Build the env and the policy, then run the evaluation."""
    import gymnasium

    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    device = cfg["device"]
    try:
        velocity_env = gymnasium.make_vec(source.task, num_envs=num_envs, cfg=env_cfg)
    except ValueError as error:
        raise CliError(f"cannot build the evaluation env of '{source.task}': {error}") from error
    try:
        runner = build_runner(GymnasiumVecEnvWrapper(velocity_env, device=device), cfg, log_dir=None)
        load_checkpoint(runner, source.checkpoint, device, trusted=source.trust_checkpoint)
        policy = runner.get_inference_policy(device=device)
        with status(f"evaluating {num_envs} robots x seeds {seeds}, {episode_length_s:g} s episodes"):
            return evaluation.evaluate_velocity_policy(
                velocity_env,
                policy,
                seeds=seeds,
                episode_length_s=episode_length_s,
                warmup_s=warmup_s,
                device=device,
                clip_actions=cfg.get("clip_actions"),  # as in training
            )
    except ValueError as error:
        raise CliError(f"cannot evaluate: {error}") from error
    finally:
        velocity_env.close()
