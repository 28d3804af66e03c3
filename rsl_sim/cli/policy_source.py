"""Finding a trained policy for ``play``, ``export`` and ``evaluate``: run folder, checkpoint, task and configs.

A run is named by a positional ``RUN`` (a run folder or a checkpoint file), by ``--checkpoint`` (a file path), by
``--load_run`` (a folder path, or a name/regex in ``<log_root>/<experiment>``), or, without any of them, is the newest
run of the task's experiment; ``--use_pretrained_checkpoint`` names the run folder the task ships
(:mod:`rsl_sim.cli.pretrained`). Then:

- the task is ``--task``, else the run's (``params/cli.yaml``, or the gymnasium id in ``params/env.yaml``);
- the agent config is the one the run was trained with (``params/agent.yaml``), unless ``--agent`` names another;
  the command's ``agent.*`` overrides and flags are applied on top;
- the env overrides are the ``env.*`` overrides the run was trained with, then the command's own;
- outputs (``evaluation.json``, ``exported/``, ``videos/``) go into the run folder, except for a shipped policy:
  ``<log_root>/pretrained/<task>/`` (:attr:`PolicySource.output_dir`).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

from .agent_config import prepare_agent_cfg
from .errors import CliError
from .overrides import Override, is_override, parse_overrides, select
from .pretrained import pretrained_name, pretrained_output_dir, pretrained_run_dir
from .runs import experiment_dir, find_checkpoint, find_run_dir, read_agent_yaml, read_run_info
from .tasks import load_agent_cfg

STORED_NAMESPACES = ("agent", "env", "teacher", "teacher_env")
"""Override namespaces a run's ``params/cli.yaml`` may hold (train and distill)."""


@dataclass
class PolicySource:
    """A trained policy and what is needed to rebuild it.

    Attributes:
        task: Gymnasium id.
        run_dir: The run folder.
        checkpoint: The checkpoint file.
        agent_cfg: The agent config (prepared: overrides, flags, seed and device applied).
        env_overrides: ``env.*`` overrides (the run's, then the command's).
        run_info: The run's ``params/cli.yaml`` (empty for runs made without the CLI).
        trust_checkpoint: ``--trust_checkpoint``: unpickle the checkpoint without the weights-only restriction.
        output_dir: Where the command writes (``evaluation.json``, ``exported/``, ``videos/``) when its ``--out``
            is not given; None: the run folder (exports: next to the checkpoint). Set for a shipped policy, whose
            package folder is never written to.
    """

    task: str
    run_dir: str
    checkpoint: str
    agent_cfg: dict[str, Any]
    env_overrides: list[Override] = field(default_factory=list)
    run_info: dict[str, Any] = field(default_factory=dict)
    trust_checkpoint: bool = False
    output_dir: str | None = None


def split_positionals(tokens: list[str], max_runs: int = 1) -> tuple[list[str], list[str]]:
    """Split positional tokens into run paths and ``key=value`` overrides.

    Raises:
        CliError: If more than ``max_runs`` run paths are given.
    """
    runs = [token for token in tokens if not is_override(token)]
    if len(runs) > max_runs:
        raise CliError(f"expected at most {max_runs} run folder or checkpoint, got {runs}.")
    return runs, [token for token in tokens if is_override(token)]


def resolve_policy_source(args: argparse.Namespace, run_arg: str | None, override_tokens: list[str]) -> PolicySource:
    """Find the run, checkpoint, task and configs named by the arguments (see the module docstring).

    Args:
        args: Parsed arguments with ``task``, ``agent``, ``log_root``, ``load_run``, ``checkpoint``, optionally
            ``use_pretrained_checkpoint``, and the flags of :func:`~rsl_sim.cli.agent_config.prepare_agent_cfg`.
        run_arg: The positional run folder or checkpoint file, or None.
        override_tokens: The command's ``agent.*`` / ``env.*`` overrides.

    Raises:
        CliError: For a path that does not exist, an unknown task, no matching run or checkpoint, overrides that do
            not fit, or ``--use_pretrained_checkpoint`` for a task that ships no policy or together with a run.
    """
    overrides = parse_overrides(override_tokens, ("agent", "env"))
    pretrained = bool(getattr(args, "use_pretrained_checkpoint", False))
    if pretrained:
        run_arg = pretrained_run_dir(args, run_arg)
    run_dir, checkpoint = _explicit_paths(args, run_arg)

    # Task: the flag, else the run's record
    info = read_run_info(run_dir) if run_dir else {}
    task = args.task or info.get("task")
    if task is None:
        if run_dir is None:
            raise CliError("which policy? Pass --task (newest run of the task), a run folder or --checkpoint <file>.")
        raise CliError(f"the run '{run_dir}' does not record its task: pass --task.")

    # Run folder of the task's experiment, when no path named it
    if run_dir is None:
        cfg = prepare_agent_cfg(load_agent_cfg(task, args.agent), args, select(overrides, "agent"))
        run_dir = find_run_dir(experiment_dir(args.log_root, cfg), args.load_run)
        info = read_run_info(run_dir)

    # Agent config: the run's own unless --agent names one
    stored = read_agent_yaml(run_dir) if args.agent is None else None
    base = stored if stored is not None else load_agent_cfg(task, args.agent)
    stored_overrides = parse_overrides(info.get("overrides") or [], STORED_NAMESPACES)
    agent_overrides = (
        select(overrides, "agent")
        if stored is not None
        else select(stored_overrides, "agent") + select(overrides, "agent")
    )
    agent_cfg = prepare_agent_cfg(base, args, agent_overrides)
    if checkpoint is None:
        checkpoint = find_checkpoint(run_dir, args.checkpoint)
    env_overrides = select(stored_overrides, "env") + select(overrides, "env")
    trust = bool(getattr(args, "trust_checkpoint", False))
    output_dir = pretrained_output_dir(args.log_root, task, pretrained_name(args)) if pretrained else None
    return PolicySource(task, run_dir, checkpoint, agent_cfg, env_overrides, info, trust, output_dir)


def inference_cfg(agent_cfg: dict[str, Any]) -> dict[str, Any]:
    """A copy of the config fit for acting with any number of envs (one mini-batch: the batch checks hold)."""
    import copy

    cfg = copy.deepcopy(agent_cfg)
    if "num_mini_batches" in cfg.get("algorithm", {}):
        cfg["algorithm"]["num_mini_batches"] = 1
    return cfg


def _explicit_paths(args: argparse.Namespace, run_arg: str | None) -> tuple[str | None, str | None]:
    """Run folder and checkpoint given as paths (positional, ``--checkpoint`` file, ``--load_run`` folder)."""
    run_dir = checkpoint = None
    if run_arg is not None:
        if os.path.isfile(run_arg):
            checkpoint = os.path.abspath(run_arg)
        elif os.path.isdir(run_arg):
            run_dir = os.path.abspath(run_arg)
        else:
            raise CliError(f"'{run_arg}' is neither a run folder nor a checkpoint file.")
    if checkpoint is None and args.checkpoint and os.path.isfile(args.checkpoint):
        checkpoint = os.path.abspath(args.checkpoint)
    if run_dir is None and checkpoint is not None:
        run_dir = os.path.dirname(checkpoint)
    if run_dir is None and args.load_run and os.path.isdir(args.load_run):
        run_dir = os.path.abspath(args.load_run)
    return run_dir, checkpoint
