"""The agent (train) config of a command: the task's, then the ``agent.*`` overrides, then the flags."""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from rsl_sim.env.contract import VecEnvContractError

from .default_agent import DEFAULT_SEED
from .errors import CliError, require_module
from .overrides import Override, apply_overrides

# Flags that set a top-level agent config key (argparse attribute -> config key), as Isaac Lab's update_rsl_rl_cfg
FLAG_KEYS = {
    "seed": "seed",
    "device": "device",
    "experiment_name": "experiment_name",
    "load_run": "load_run",
    "checkpoint": "load_checkpoint",
    "max_iterations": "max_iterations",
    "run_name": "run_name",
    "logger": "logger",
}


def prepare_agent_cfg(
    agent_cfg: dict[str, Any], args: argparse.Namespace, overrides: Sequence[Override] = ()
) -> dict[str, Any]:
    """Apply the ``agent.*`` overrides, then the command-line flags, to a copy of ``agent_cfg`` and check it.

    Args:
        agent_cfg: The task's agent config (not modified).
        args: Parsed arguments; the flags of :data:`FLAG_KEYS` that are present and not None are applied.
        overrides: ``agent.*`` overrides.

    Returns:
        The new config, with ``seed`` and ``device`` always set.

    Raises:
        CliError: For an override that does not fit, an unusable device, or a config the runner refuses.
    """
    cfg = apply_overrides(agent_cfg, overrides)
    for attr, key in FLAG_KEYS.items():
        value = getattr(args, attr, None)
        if value is not None:
            cfg[key] = value
    if getattr(args, "resume", False):
        cfg["resume"] = True
    if getattr(args, "log_project_name", None):
        cfg["wandb_project"] = cfg["neptune_project"] = args.log_project_name
    if cfg.get("seed") is None:
        cfg["seed"] = DEFAULT_SEED
    cfg["device"] = resolve_device(cfg.get("device"), explicit=getattr(args, "device", None) is not None)
    check_agent_cfg(cfg)
    return cfg


def check_agent_cfg(cfg: dict[str, Any]) -> None:
    """Check the runner-level keys now, before an env is built (nested entries are checked by their classes).

    Raises:
        CliError: With the runner's message.
    """
    from rsl_sim.runners.runner_config import resolve_runner_config

    try:
        resolve_runner_config(cfg)
    except (ValueError, TypeError) as error:
        raise CliError(f"invalid agent config: {error}") from error


def check_logger(cfg: dict[str, Any]) -> None:
    """Check the log writer of a training config (made only when training starts) now.

    Raises:
        CliError: For the 'neptune' logger (not supported) or 'wandb' without its package.
    """
    if cfg.get("logger") == "neptune":
        raise CliError("the 'neptune' logger is not supported by rsl_sim: use --logger tensorboard or --logger wandb.")
    if cfg.get("logger") == "wandb":
        require_module("wandb", "--logger wandb")


def resolve_device(device: str | None, explicit: bool = False) -> str:
    """The device: ``device`` if usable, else ``cuda:0`` when CUDA exists, else ``cpu``.

    Args:
        device: Requested device or None.
        explicit: Whether the user asked for it with ``--device`` (then a missing GPU is an error, not a fallback).

    Raises:
        CliError: If a CUDA device is explicitly requested on a machine without CUDA, or the name is not a device.
    """
    has_cuda = torch.cuda.is_available()
    if device is None:
        return "cuda:0" if has_cuda else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise CliError(f"'{device}' is not a torch device ({error}). Use e.g. cpu or cuda:0.") from None
    if device.startswith("cuda") and not has_cuda:
        if explicit:
            raise CliError(f"--device {device} was requested, but CUDA is not available here. Use --device cpu.")
        print(f"[rsl_sim] The config asks for device '{device}', but CUDA is not available: using 'cpu'.")
        return "cpu"
    return device


def runner_class_of(cfg: dict[str, Any]) -> Any:
    """The runner class named by the config's ``class_name`` (default ``OnPolicyRunner``).

    Raises:
        CliError: If the name does not resolve, or names something other than an ``OnPolicyRunner`` subclass (checked
            before it is called: a run's ``params/agent.yaml`` is code).
    """
    from rsl_sim.runners import OnPolicyRunner
    from rsl_sim.utils.callables import resolve_callable, subclass_of

    name = cfg.get("class_name") or "OnPolicyRunner"
    try:
        return resolve_callable(name, subclass_of(OnPolicyRunner, "a runner"), "class_name")
    except (ImportError, AttributeError, ValueError, TypeError) as error:
        raise CliError(f"invalid agent config: class_name {name!r} does not name a runner ({error}).") from error


def is_distillation(cfg: dict[str, Any]) -> bool:
    """Whether the config trains with distillation (a ``DistillationRunner`` / ``Distillation`` config)."""
    name = cfg.get("class_name") or ""
    algorithm = (cfg.get("algorithm") or {}).get("class_name") or ""
    return "Distillation" in str(name) or "Distillation" in str(algorithm)


def build_runner(env: Any, cfg: dict[str, Any], log_dir: str | None) -> Any:
    """Build the runner of ``cfg`` on ``env``; config errors of the models and algorithm become :class:`CliError`."""
    runner_class = runner_class_of(cfg)
    try:
        return runner_class(env, cfg, log_dir=log_dir, device=cfg["device"])
    except VecEnvContractError as error:
        raise CliError(f"the env breaks the VecEnv contract: {error}") from error
    except (ValueError, TypeError, KeyError) as error:
        raise CliError(f"invalid agent config for this env: {error}") from error


def load_checkpoint(runner: Any, path: str, device: str, trusted: bool = False, inference: bool = False) -> None:
    """Load a checkpoint into a runner; a file that cannot be read or does not fit the config becomes a CliError.

    A PPO checkpoint loaded into a distillation runner fills the teacher (see ``Distillation.load``).

    Args:
        runner: The runner.
        path: The checkpoint file.
        device: Device to map the stored tensors to.
        trusted: ``--trust_checkpoint``: unpickle without the weights-only restriction (the file can run code).
        inference: For play, evaluate and export: a checkpoint without ``optimizer_state_dict`` (a shipped policy
            stripped to its models) loads its models only (every ``<model>_state_dict`` it has); others load whole.

    Raises:
        CliError: For an empty, corrupt, truncated or unsafe file (the message names the path and, for an unsafe one,
            ``--trust_checkpoint``), or a checkpoint that does not fit the agent config.
    """
    from rsl_sim.utils.checkpoint import CheckpointError
    from rsl_sim.utils.checkpoint import load_checkpoint as read_checkpoint

    try:
        load_cfg = None
        if inference:
            data = read_checkpoint(path, map_location=device, trusted=trusted)
            if "optimizer_state_dict" not in data:
                suffix = "_state_dict"
                load_cfg = {key[: -len(suffix)]: True for key in data if key.endswith(suffix)}
        runner.load(path, load_cfg=load_cfg, map_location=device, trusted=trusted)
    except (CheckpointError, FileNotFoundError) as error:
        raise CliError(str(error)) from error
    except (RuntimeError, KeyError, ValueError) as error:
        raise CliError(f"cannot load '{path}' into this agent config: {error}") from error


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
