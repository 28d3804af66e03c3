"""``rsl-sim evaluate``: measure a trained velocity-tracking policy on fixed commands and seeds.

Examples::

    rsl-sim evaluate --task RslSim/Go2-Flat-v0                      # newest run of the task
    rsl-sim evaluate logs/unitree_go2_flat/2026-01-01_12-00-00 --seeds 0 1 2 --num_envs 256
    rsl-sim evaluate --task RslSim/Go2-Flat-v0 --use_pretrained_checkpoint  # the policy shipped with the task

Runs the evaluation function the task registers as ``rsl_sim_evaluation_entry_point`` (rsl_sim's velocity tasks:
:func:`rsl_sim.tasks.locomotion.velocity.evaluation.evaluate_task`, per command: linear-velocity and yaw-rate tracking
errors, share of episodes without a fall; the rough tasks:
:func:`rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_task`, the same per terrain type and level, with the
highest level passed and a score), prints the tables and writes ``evaluation.json`` into the run folder
(``--out`` elsewhere; for ``--use_pretrained_checkpoint``: ``<log_root>/pretrained/<task>/evaluation.json``, never the
package); ``rsl-sim plot`` draws it. Tasks that register no evaluation function are refused. Isaac Lab
velocity tasks (``RslSim-Isaac-Velocity-*-Go2-v0``) register
:func:`rsl_sim.tasks.locomotion.velocity.isaaclab_evaluation.evaluate_isaaclab_task`: same commands and metrics.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Sequence
from typing import Any

from . import arguments
from .agent_config import build_runner, load_checkpoint, set_seed
from .envs import EnvRequest, build_env_cfg, open_env
from .errors import CliError
from .overrides import Override
from .plot_table import to_markdown
from .policy_source import inference_cfg, resolve_policy_source, split_positionals
from .pretrained import add_pretrained_arg
from .progress import info, status
from .tasks import EVALUATION_ENTRY_POINT, get_spec, is_isaaclab_task, task_function

DEFAULT_SEEDS = (0, 1)
"""Evaluation seeds when ``--seeds`` is not given."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim evaluate``."""
    arguments.add_task_args(parser, task_required=False)
    arguments.add_log_args(parser)
    arguments.add_load_args(parser)
    add_pretrained_arg(parser)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="Evaluation seeds (default: 0 1)."
    )
    parser.add_argument("--episode_length_s", type=float, default=20.0, help="Episode length [s] (default 20).")
    parser.add_argument("--warmup_s", type=float, default=1.0, help="Unmeasured time after each reset [s] (default 1).")
    parser.add_argument(
        "--out",
        default=None,
        help="Results file (default: <run>/evaluation.json; with --use_pretrained_checkpoint:"
        " <log_root>/pretrained/<task>/evaluation.json).",
    )
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
        num_envs: Robots evaluated at once (None: the task's evaluation chooses).
        seeds: Evaluation seeds.
        episode_length_s: Episode length [s].
        warmup_s: Unmeasured time after each reset [s].
        out: Results file (None: ``evaluation.json`` in the source's output folder: the run folder, or
            ``<log_root>/pretrained/<task>`` for a shipped policy).

    Returns:
        The results dict of the task's evaluation function, plus ``checkpoint``.

    Raises:
        CliError: For a task without an evaluation function, or a policy or env it refuses.
    """
    evaluate = evaluation_function(source.task)
    cfg = inference_cfg(source.agent_cfg)
    set_seed(cfg["seed"])
    info(f"checkpoint: {source.checkpoint}")

    # The env: the run's config (with its and this command's env overrides), evaluation episode length (Isaac Lab
    # tasks: parsed when the env is built, with the episode length as one more override)
    env_cfg = None
    if not is_isaaclab_task(get_spec(source.task)):
        env_cfg = build_env_cfg(source.task, source.env_overrides)
        env_cfg.episode_length_s = float(episode_length_s)
    results = _evaluate(evaluate, source, cfg, env_cfg, num_envs, list(seeds), episode_length_s, warmup_s)
    results["checkpoint"] = source.checkpoint

    # Table and file
    print(to_markdown(results), end="")
    out = os.path.abspath(out or os.path.join(source.output_dir or source.run_dir, "evaluation.json"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as file:
        json.dump(results, file, indent=2, allow_nan=False)
        file.write("\n")
    plot_arg = source.run_dir if out == os.path.join(source.run_dir, "evaluation.json") else out
    info(f"results: {out}  (draw them with: rsl-sim plot {plot_arg})")
    return results


def evaluation_function(task: str) -> Any:
    """The evaluation function ``task`` registers as ``rsl_sim_evaluation_entry_point``.

    Raises:
        CliError: If the task registers none (use ``rsl-sim play``), or it cannot be imported.
    """
    return task_function(task, EVALUATION_ENTRY_POINT, "evaluate")


def _evaluate(
    evaluate: Any,
    source: Any,
    cfg: dict[str, Any],
    env_cfg: Any,
    num_envs: int | None,
    seeds: list[int],
    episode_length_s: float,
    warmup_s: float,
) -> dict[str, Any]:
    """Run the task's evaluation with this run's env (config and overrides) and policy (checkpoint)."""
    import gymnasium

    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    device = cfg["device"]
    isaaclab = is_isaaclab_task(get_spec(source.task))
    opened = contextlib.ExitStack()

    def make_env(count: int) -> Any:
        # Isaac Lab: launched and built by the CLI's Isaac Lab path (closed when the evaluation ends), already wrapped
        if isaaclab:
            length = Override("env", ("episode_length_s",), float(episode_length_s), str(episode_length_s), False, "")
            request = EnvRequest(
                task=source.task,
                num_envs=count,
                seed=cfg["seed"],
                device=device,
                clip_actions=cfg.get("clip_actions"),
                env_overrides=[*source.env_overrides, length],
            )
            return opened.enter_context(open_env(request))
        try:
            return gymnasium.make_vec(source.task, num_envs=count, cfg=env_cfg)
        except ValueError as error:
            raise CliError(f"cannot build the evaluation env of '{source.task}': {error}") from error

    def make_policy(env: Any) -> Any:
        vec_env = env if isaaclab else GymnasiumVecEnvWrapper(env, device=device)
        runner = build_runner(vec_env, cfg, log_dir=None)
        load_checkpoint(runner, source.checkpoint, device, trusted=source.trust_checkpoint, inference=True)
        return runner.get_inference_policy(device=device)

    robots = f"{num_envs} robots" if num_envs else "the task's robots"
    try:
        with opened, status(f"evaluating {robots} x seeds {seeds}, {episode_length_s:g} s episodes"):
            return evaluate(
                make_env,
                make_policy,
                num_envs=num_envs,
                seeds=seeds,
                episode_length_s=episode_length_s,
                warmup_s=warmup_s,
                device=device,
                clip_actions=cfg.get("clip_actions"),  # as in training
            )
    except ValueError as error:
        raise CliError(f"cannot evaluate: {error}") from error
