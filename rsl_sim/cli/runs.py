"""Run folders: where runs are written, how a run and its checkpoint are found, what the CLI records in a run.

Layout (as ``scripts/train.py`` and Isaac Lab's RSL-RL scripts): ``<log_root>/<experiment_name>/<run>/`` with
``<run> = <YYYY-MM-DD_HH-MM-SS>[_<run_name>]``, holding ``model_<it>.pt`` checkpoints, TensorBoard event files and
``params/agent.yaml`` (written by the runner). The CLI adds ``params/cli.yaml``: the task, the ``--agent`` entry point
and the overrides of the command that made the run, so that ``play``, ``export`` and ``evaluate`` rebuild the same
policy and env from the run folder alone.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

from rsl_sim.utils.checkpoint import checkpoint_iteration

from .errors import CliError

DEFAULT_LOG_ROOT = "logs"
"""Folder (relative to the working directory) under which runs are written."""

CHECKPOINT_PATTERN = r"model_.*\.pt"
"""Checkpoint file names of the runners."""

RUN_INFO_FILE = os.path.join("params", "cli.yaml")
"""Path (in a run folder) of the command that made the run."""


def experiment_dir(log_root: str, agent_cfg: dict[str, Any]) -> str:
    """``<log_root>/<experiment_name>`` (absolute) for the config's experiment."""
    return os.path.abspath(os.path.join(log_root, agent_cfg.get("experiment_name") or "default"))


def new_run_dir(log_root: str, agent_cfg: dict[str, Any]) -> str:
    """A new run folder ``<log_root>/<experiment>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]`` (not created here).

    A folder of that name that exists already (two runs in the same second) gets a ``-1``, ``-2``, ... suffix.
    """
    name = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if agent_cfg.get("run_name"):
        name += f"_{agent_cfg['run_name']}"
    path = os.path.join(experiment_dir(log_root, agent_cfg), name)
    candidate, index = path, 1
    while os.path.exists(candidate):
        candidate, index = f"{path}-{index}", index + 1
    return candidate


def find_run_dir(experiment: str, load_run: str | None) -> str:
    """A run folder of an experiment: the newest one whose name fully matches ``load_run`` (None: the newest run).

    Args:
        experiment: The experiment folder ``<log_root>/<experiment_name>``.
        load_run: Run folder name or regular expression; an existing folder path is returned as it is.

    Raises:
        CliError: If the experiment folder does not exist or no run matches.
    """
    if load_run is not None and os.path.isdir(load_run):
        return os.path.abspath(load_run)
    if not os.path.isdir(experiment):
        raise CliError(
            f"no runs in '{experiment}' (the folder does not exist). Train first, or pass --log_root/--experiment_name,"
            " or a run folder path."
        )
    runs = sorted(name for name in os.listdir(experiment) if os.path.isdir(os.path.join(experiment, name)))
    pattern = load_run or ".*"
    matching = [name for name in runs if name == pattern] or [name for name in runs if _fullmatch(pattern, name)]
    if not matching:
        raise CliError(f"no run in '{experiment}' matches '{pattern}'. Runs there: {runs or 'none'}.")
    return os.path.join(experiment, matching[-1])


def find_checkpoint(run_dir: str, checkpoint: str | None = None) -> str:
    """A checkpoint of a run: ``checkpoint`` as a file path, name or regex; None: the highest iteration.

    Raises:
        CliError: If the run holds no matching checkpoint.
    """
    if checkpoint is not None and os.path.isfile(checkpoint):
        return os.path.abspath(checkpoint)
    pattern = checkpoint or CHECKPOINT_PATTERN
    files = sorted(name for name in os.listdir(run_dir) if os.path.isfile(os.path.join(run_dir, name)))
    matching = [name for name in files if name == pattern] or [name for name in files if _fullmatch(pattern, name)]
    if not matching:
        found = [name for name in files if name.endswith(".pt")]
        raise CliError(f"no checkpoint in '{run_dir}' matches '{pattern}'. Checkpoints there: {found or 'none'}.")
    return os.path.join(run_dir, max(matching, key=lambda name: (checkpoint_iteration(name), name)))


def write_run_info(run_dir: str, info: dict[str, Any]) -> str:
    """Write the command that made a run to ``<run_dir>/params/cli.yaml``; returns the path."""
    from rsl_sim.utils.log_writers import write_yaml

    path = os.path.join(run_dir, RUN_INFO_FILE)
    write_yaml(info, path)
    return path


def read_run_info(run_dir: str) -> dict[str, Any]:
    """The command that made a run (``params/cli.yaml``), plus the task id from ``params/env.yaml`` when it has one.

    Returns:
        ``{"task", "agent", "overrides", ...}``; empty for runs made without the CLI (then only ``task`` may be known).
    """
    info = _read_yaml(os.path.join(run_dir, RUN_INFO_FILE))
    if not info.get("task"):
        env = _read_yaml(os.path.join(run_dir, "params", "env.yaml"))
        if isinstance(env.get("id"), str):
            info["task"] = env["id"]
    return info


def read_agent_yaml(run_dir: str) -> dict[str, Any] | None:
    """The agent config a run was trained with (``params/agent.yaml``), or None when the run has none."""
    path = os.path.join(run_dir, "params", "agent.yaml")
    return _read_yaml(path) if os.path.isfile(path) else None


def _read_yaml(path: str) -> dict[str, Any]:
    """A YAML mapping from ``path`` ({} when the file does not exist)."""
    if not os.path.isfile(path):
        return {}
    import yaml

    with open(path, encoding="utf-8") as file:
        data = yaml.safe_load(file)
    return data if isinstance(data, dict) else {}


def _fullmatch(pattern: str, name: str) -> bool:
    """``re.fullmatch`` that treats an invalid regular expression as no match."""
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return False
