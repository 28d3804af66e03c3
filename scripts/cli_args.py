"""Shared command-line handling of scripts/train.py and scripts/play.py: arguments, task registry, run folders.

A task is any gymnasium id. Its agent (train) config is found in this order:

1. the gymnasium registration kwarg ``rsl_sim_agent_cfg_entry_point`` (rsl_sim tasks);
2. the registration kwarg ``rsl_rl_cfg_entry_point`` (Isaac Lab tasks);
3. a built-in default PPO config for plain gymnasium ids (tuned per id for a few classic-control tasks).

An entry point is ``"package.module:NAME"`` (or the object itself): a dict, a function returning a dict, a config
class (instantiated) or a config object (a dataclass or an Isaac Lab configclass, turned into a dict).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib
import os
import random
from datetime import datetime
from typing import Any

import numpy as np
import torch

# Registration kwargs (gymnasium ``kwargs={...}``) that name a task's agent config, in order of preference
AGENT_CFG_ENTRY_POINTS = ("rsl_sim_agent_cfg_entry_point", "rsl_rl_cfg_entry_point")

# Folder (relative to the working directory) under which runs are written: logs/<experiment>/<time>_<run_name>
LOG_ROOT = "logs"

# Environments used when --num_envs is not given and the task's env config names no number (rsl_sim tasks use their
# config's scene.num_envs)
DEFAULT_NUM_ENVS = 16

# Seed used when neither --seed nor the agent config give one (Isaac Lab's default)
DEFAULT_SEED = 42


def add_train_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the arguments of ``scripts/train.py`` (Isaac Lab's RSL-RL script names) to ``parser``."""
    _add_common_args(parser)
    parser.add_argument("--max_iterations", type=int, default=None, help="Learning iterations (overrides the cfg).")
    parser.add_argument("--resume", action="store_true", help="Resume from a checkpoint of an earlier run.")
    parser.add_argument(
        "--logger", choices=["tensorboard", "wandb"], default=None, help="Log writer (overrides the cfg)."
    )
    parser.add_argument("--log_project_name", default=None, help="W&B project name (with --logger wandb).")
    parser.add_argument("--run_name", default=None, help="Suffix of the run folder name (overrides the cfg).")
    return parser


def add_play_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the arguments of ``scripts/play.py`` to ``parser``."""
    _add_common_args(parser)
    parser.add_argument("--num_steps", type=int, default=1000, help="Environment steps to run the policy for.")
    parser.add_argument("--no_export", action="store_true", help="Do not export TorchScript / ONNX files.")
    return parser


def _add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by training and playing."""
    parser.add_argument("--task", required=True, help="Gymnasium id of the task, e.g. Pendulum-v1.")
    parser.add_argument(
        "--agent",
        default=None,
        help="Registration kwarg naming the agent config, e.g. rsl_sim_with_symmetry_cfg_entry_point (default: the"
        " task's rsl_sim_agent_cfg_entry_point, else rsl_rl_cfg_entry_point, else the built-in PPO config).",
    )
    parser.add_argument(
        "--num_envs",
        type=int,
        default=None,
        help=f"Parallel environments (default: the task's env config, else {DEFAULT_NUM_ENVS}).",
    )
    parser.add_argument("--seed", type=int, default=None, help="Random seed (overrides the cfg).")
    parser.add_argument("--device", default=None, help="Learner device, e.g. cpu or cuda:0 (default: cfg, else auto).")
    parser.add_argument("--experiment_name", default=None, help="Folder under logs/ (overrides the cfg).")
    parser.add_argument("--load_run", default=None, help="Run folder (name or regex) to load; default: the newest.")
    parser.add_argument(
        "--checkpoint", default=None, help="Checkpoint file (name, regex or path) to load; default: the newest."
    )


def load_agent_cfg(task: str, agent: str | None = None) -> dict[str, Any]:
    """The agent config of ``task`` as a new plain dict (see the module docstring for the lookup order).

    Args:
        task: A gymnasium id.
        agent: Name of the registration kwarg to read the config from (Isaac Lab's ``--agent``), e.g.
            ``"rsl_sim_with_symmetry_cfg_entry_point"``; ``None`` follows the default lookup order.

    Returns:
        The config.

    Raises:
        gymnasium.error.Error: If the id is not registered (after importing ``rsl_sim.tasks``).
        ValueError: If ``agent`` is given but the task does not register it.
        TypeError: If the entry point gives something that is not a config.
    """
    import gymnasium as gym

    # rsl_sim's tasks register themselves on import
    importlib.import_module("rsl_sim.tasks")
    spec = gym.spec(task)
    if agent is not None:
        if spec.kwargs.get(agent) is None:
            named = sorted(key for key in spec.kwargs if key.endswith("entry_point"))
            raise ValueError(f"Task '{task}' registers no '{agent}'. Its entry points: {named}.")
        return _config_to_dict(_load_entry_point(spec.kwargs[agent]), source=f"{agent} of {task}")
    for key in AGENT_CFG_ENTRY_POINTS:
        entry = spec.kwargs.get(key)
        if entry is not None:
            return _config_to_dict(_load_entry_point(entry), source=f"{key} of {task}")
    return default_agent_cfg(task)


def default_agent_cfg(task: str) -> dict[str, Any]:
    """Built-in PPO config for a plain gymnasium id (MLP actor/critic with observation normalization).

    Args:
        task: The gymnasium id; a few ids get tuned settings (see :data:`TUNED_OVERRIDES`).

    Returns:
        A new config dict.
    """
    cfg: dict[str, Any] = {
        "class_name": "OnPolicyRunner",
        "seed": DEFAULT_SEED,
        "device": None,
        "num_steps_per_env": 64,
        "max_iterations": 300,
        "save_interval": 50,
        "experiment_name": task.replace("/", "_").replace(":", "_"),
        "run_name": "",
        "logger": "tensorboard",
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [64, 64],
            "activation": "tanh",
            "obs_normalization": True,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [64, 64], "activation": "tanh", "obs_normalization": True},
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": 10,
            "num_mini_batches": 4,
            "learning_rate": 1.0e-3,
            "schedule": "adaptive",
            "desired_kl": 0.01,
            "gamma": 0.99,
            "lam": 0.95,
            "clip_param": 0.2,
            "entropy_coef": 0.0,
            "value_loss_coef": 1.0,
            "use_clipped_value_loss": True,
            "max_grad_norm": 1.0,
        },
    }
    return _merge(cfg, TUNED_OVERRIDES.get(task, {}))


# Settings for plain gymnasium ids that differ from the generic default
TUNED_OVERRIDES: dict[str, dict[str, Any]] = {
    # Swing-up in ~150k steps (150 iterations of 16 x 64 steps; deterministic return -210 to -280 over 7 seeds): a
    # short horizon (gamma 0.9, lam 0.9), a narrower initial action noise (the torque range is +-2), and an unclipped
    # value loss (returns reach -160, which the clipped value loss would let the critic approach only slowly)
    "Pendulum-v1": {
        "num_steps_per_env": 64,
        "max_iterations": 150,
        "actor": {"distribution_cfg": {"init_std": 0.5}},
        "algorithm": {"gamma": 0.9, "lam": 0.9, "use_clipped_value_loss": False},
    },
}


def update_agent_cfg(agent_cfg: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Apply the command-line overrides to a copy of ``agent_cfg`` (the input stays unchanged).

    Args:
        agent_cfg: The task's agent config.
        args: Parsed arguments of :func:`add_train_args` or :func:`add_play_args`.

    Returns:
        The updated copy, with ``seed`` and ``device`` always set.
    """
    cfg = copy.deepcopy(agent_cfg)
    overrides = {
        "seed": args.seed,
        "device": args.device,
        "experiment_name": args.experiment_name,
        "load_run": args.load_run,
        "load_checkpoint": args.checkpoint,
        "max_iterations": getattr(args, "max_iterations", None),
        "run_name": getattr(args, "run_name", None),
        "logger": getattr(args, "logger", None),
    }
    cfg.update({key: value for key, value in overrides.items() if value is not None})
    if getattr(args, "resume", False):
        cfg["resume"] = True
    if getattr(args, "log_project_name", None):
        cfg["wandb_project"] = cfg["neptune_project"] = args.log_project_name
    if cfg.get("seed") is None:
        cfg["seed"] = DEFAULT_SEED
    cfg["device"] = resolve_device(cfg.get("device"), explicit=args.device is not None)
    return cfg


def resolve_device(device: str | None, explicit: bool = False) -> str:
    """The learner device: ``device`` if usable, else ``"cuda:0"`` when CUDA exists, else ``"cpu"``.

    Args:
        device: Requested device or ``None``.
        explicit: Whether the user asked for it on the command line (then a missing GPU is an error).

    Raises:
        ValueError: If a CUDA device is explicitly requested on a machine without CUDA.
    """
    has_cuda = torch.cuda.is_available()
    if device is None:
        return "cuda:0" if has_cuda else "cpu"
    if device.startswith("cuda") and not has_cuda:
        if explicit:
            raise ValueError(f"--device {device} was requested, but CUDA is not available here. Use --device cpu.")
        print(f"[rsl_sim] The config asks for device '{device}', but CUDA is not available: using 'cpu'.")
        return "cpu"
    return device


def make_env(task: str, num_envs: int | None, seed: int, device: str, clip_actions: float | None = None) -> Any:
    """Build the vectorized environment of ``task`` (wrapped with ``GymnasiumVecEnvWrapper.from_id``).

    A learner on the CPU also gets its torch threads set here (:func:`configure_cpu_threads`).

    Args:
        task: The gymnasium id.
        num_envs: Number of environments (``None``: the env config's ``scene.num_envs`` for rsl_sim tasks, else
            :data:`DEFAULT_NUM_ENVS`).
        seed: Seed of the environments.
        device: Device of the returned tensors.
        clip_actions: The agent config's ``clip_actions`` (actions are clipped to +-this value), or ``None``.

    Returns:
        The :class:`~rsl_sim.env.VecEnv`.
    """
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    configure_cpu_threads(device)
    num_envs = default_num_envs(task) if num_envs is None else num_envs
    kwargs = {} if clip_actions is None else {"clip_actions": clip_actions}
    return GymnasiumVecEnvWrapper.from_id(task, num_envs=num_envs, seed=seed, device=device, **kwargs)


def default_num_envs(task: str) -> int:
    """``scene.num_envs`` of the task's env config (registration kwarg ``cfg_entry_point``), else the default."""
    import gymnasium as gym

    importlib.import_module("rsl_sim.tasks")
    entry = gym.spec(task).kwargs.get("cfg_entry_point")
    if entry is None:
        return DEFAULT_NUM_ENVS
    env_cfg = _load_entry_point(entry)
    env_cfg = env_cfg() if isinstance(env_cfg, type) or callable(env_cfg) else env_cfg
    scene = getattr(env_cfg, "scene", None)
    return int(getattr(scene, "num_envs", DEFAULT_NUM_ENVS))


def configure_cpu_threads(device: str) -> None:
    """Use half of the CPUs (at least one) for torch when the learner runs on the CPU and OMP_NUM_THREADS is unset.

    The CPU simulators step on their own threads between the policy's forward passes and updates; torch's intra-op
    threads busy-wait, so on a small or shared machine every torch thread beyond the free cores slows the learner
    several times over (measured on 2 shared cores: a Go2 PPO update of 24k samples takes 0.7 s with one thread and
    6.5 s with two). Setting OMP_NUM_THREADS chooses the number explicitly.
    """
    if str(device).startswith("cpu") and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // 2))


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def experiment_dir(agent_cfg: dict[str, Any]) -> str:
    """``logs/<experiment_name>`` (absolute) for the config's experiment."""
    return os.path.abspath(os.path.join(LOG_ROOT, agent_cfg.get("experiment_name") or "default"))


def new_run_dir(agent_cfg: dict[str, Any]) -> str:
    """A new run folder ``logs/<experiment>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]`` (not created here).

    Two runs started within the same second get distinct folders (``..._2``, ``..._3``, ...).
    """
    name = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if agent_cfg.get("run_name"):
        name += f"_{agent_cfg['run_name']}"
    path = os.path.join(experiment_dir(agent_cfg), name)
    candidate, count = path, 1
    while os.path.exists(candidate):
        count += 1
        candidate = f"{path}_{count}"
    return candidate


def resolve_checkpoint_path(agent_cfg: dict[str, Any]) -> str:
    """The checkpoint named by ``load_run`` / ``load_checkpoint`` (regexes or names; a file path is used as given).

    Raises:
        FileNotFoundError: If no run or checkpoint matches.
    """
    from rsl_sim.utils.checkpoint import find_checkpoint

    checkpoint = agent_cfg.get("load_checkpoint") or r"model_.*\.pt"
    if os.path.isfile(checkpoint):
        return os.path.abspath(checkpoint)
    return find_checkpoint(experiment_dir(agent_cfg), agent_cfg.get("load_run") or ".*", checkpoint)


def _load_entry_point(entry: Any) -> Any:
    """Import ``"package.module:NAME"`` (other values are returned as they are)."""
    if not isinstance(entry, str):
        return entry
    module_name, _, attr = entry.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def _config_to_dict(obj: Any, source: str) -> dict[str, Any]:
    """A dict from a dict, a config class or object, or a function returning one of those."""
    if isinstance(obj, type) or (callable(obj) and not dataclasses.is_dataclass(obj) and not isinstance(obj, dict)):
        obj = obj()
    if isinstance(obj, dict):
        return copy.deepcopy(obj)
    if callable(getattr(obj, "to_dict", None)):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    raise TypeError(f"The agent config from {source} is a {type(obj).__name__}, not a dict or config object.")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge ``overrides`` into a copy of ``base``."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
