"""Validation and defaults of the train config's top level (RSL-RL 5.x keys plus Isaac Lab's runner-cfg keys)."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

from rsl_sim.utils.log_writers import LOGGER_NAMES

# Keys the runner reads, with the default used when the key is missing (RSL-RL 5.x and Isaac Lab semantics)
RUNNER_DEFAULTS: dict[str, Any] = {
    "class_name": "OnPolicyRunner",
    "obs_groups": {},
    "save_interval": 50,
    "check_for_nan": True,
    "logger": "tensorboard",
    "run_name": "",
    "torch_compile_mode": None,
    "init_at_random_ep_len": False,
}

# Keys that must be present
REQUIRED_KEYS = ("num_steps_per_env", "algorithm")

# Model entries: PPO uses actor + critic, distillation student + teacher
MODEL_KEYS = ("actor", "critic", "student", "teacher")

# Keys accepted as they are: read by the train/play scripts, by Isaac Lab's entry points, or set by the runner itself
PASSTHROUGH_KEYS = (
    "seed",
    "device",
    "max_iterations",
    "empirical_normalization",
    "clip_actions",
    "experiment_name",
    "neptune_project",
    "wandb_project",
    "resume",
    "load_run",
    "load_checkpoint",
    "policy",
    "multi_gpu",
    # set by Isaac Lab's Spot agent config (SpotFlatPPORunnerCfg); RSL-RL 5.5.1 reads it nowhere and runs such a config
    "store_code_state",
)

VALID_KEYS = tuple(sorted({*RUNNER_DEFAULTS, *REQUIRED_KEYS, *MODEL_KEYS, *PASSTHROUGH_KEYS}))


def resolve_runner_config(train_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check the top level of a train config and return a completed deep copy of it.

    The caller's config is never modified. Every key of RSL-RL 5.x's runner config and of Isaac Lab's
    ``RslRlOnPolicyRunnerCfg`` / ``RslRlDistillationRunnerCfg`` (turned into a dict) is accepted as it is; missing
    optional keys get their defaults (:data:`RUNNER_DEFAULTS`). Nested entries (``actor``, ``algorithm``, ...) are
    checked by the classes that consume them.

    Args:
        train_cfg: The train config (a dict; a dataclass-like config with ``to_dict()`` is converted first).

    Returns:
        The resolved config: a new dict.

    Raises:
        TypeError: If the config is not a mapping, or an entry has the wrong type (e.g. ``algorithm`` not a dict).
        ValueError: For unknown top-level keys (the message lists them and the valid keys), missing required keys,
            a non-positive ``num_steps_per_env`` / ``save_interval``, a ``check_for_nan`` / ``init_at_random_ep_len``
            that is not a bool, an unknown ``logger``, or the pre-4.0 ``policy``
            entry used instead of ``actor`` / ``critic``.
    """
    # Accept configclass/dataclass objects at the boundary by turning them into dicts
    if not isinstance(train_cfg, Mapping):
        if callable(getattr(train_cfg, "to_dict", None)):
            train_cfg = train_cfg.to_dict()
        elif dataclasses.is_dataclass(train_cfg) and not isinstance(train_cfg, type):
            train_cfg = dataclasses.asdict(train_cfg)
        else:
            raise TypeError(f"The train config must be a dict, got {type(train_cfg).__name__}.")
    cfg = copy.deepcopy(dict(train_cfg))

    # Unknown keys are errors, not silently ignored
    unknown = sorted(str(key) for key in cfg if key not in VALID_KEYS)
    if unknown:
        raise ValueError(f"Unknown key(s) in the train config: {unknown}. Valid top-level keys: {list(VALID_KEYS)}.")
    missing = [key for key in REQUIRED_KEYS if key not in cfg]
    if missing:
        raise ValueError(f"The train config lacks the required key(s) {missing}.")

    # Defaults for the optional keys
    for key, default in RUNNER_DEFAULTS.items():
        if key not in cfg:
            cfg[key] = copy.deepcopy(default)
    if cfg["obs_groups"] is None:
        cfg["obs_groups"] = {}
    if not cfg["run_name"]:
        cfg["run_name"] = ""

    # Types and ranges of the entries the runner itself uses
    _check_positive_int(cfg, "num_steps_per_env")
    _check_positive_int(cfg, "save_interval")
    for key in ("check_for_nan", "init_at_random_ep_len"):
        if not isinstance(cfg[key], bool):
            raise ValueError(f"'{key}' must be True or False, got {cfg[key]!r} ({type(cfg[key]).__name__}).")
    if not isinstance(cfg["algorithm"], Mapping):
        raise TypeError(f"'algorithm' must be a dict with a 'class_name', got {type(cfg['algorithm']).__name__}.")
    if "class_name" not in cfg["algorithm"]:
        raise ValueError("'algorithm' has no 'class_name' (e.g. 'PPO' or 'Distillation').")
    if not isinstance(cfg["obs_groups"], Mapping):
        raise TypeError(f"'obs_groups' must be a dict of set name -> list of groups, got {cfg['obs_groups']!r}.")
    logger = cfg["logger"]
    if not (logger in LOGGER_NAMES or isinstance(logger, Mapping) and "class_name" in logger):
        raise ValueError(
            f"Unknown logger {logger!r}. Valid names: {list(LOGGER_NAMES)}, or a dict {{'class_name': <LogWriter"
            " subclass or its name>, **kwargs}."
        )
    for key in MODEL_KEYS:
        if key in cfg and cfg[key] is not None and not isinstance(cfg[key], Mapping):
            raise TypeError(f"'{key}' must be a model config dict with a 'class_name', got {type(cfg[key]).__name__}.")

    # Deprecated entries: tell the user what replaces them
    if _is_set(cfg.get("policy")) and not any(_is_set(cfg.get(key)) for key in MODEL_KEYS):
        raise ValueError(
            "The train config uses the pre-4.0 'policy' entry. RSL-RL 5.x configs describe the networks with 'actor'"
            " and 'critic' (or 'student' and 'teacher') model entries, e.g. {'class_name': 'MLPModel', 'hidden_dims':"
            " [256, 128], 'activation': 'elu', 'obs_normalization': True, 'distribution_cfg': {'class_name':"
            " 'GaussianDistribution', 'init_std': 1.0}}."
        )
    if cfg.get("empirical_normalization"):
        warnings.warn(
            "'empirical_normalization' is deprecated and has no effect: set 'obs_normalization': True in the 'actor'"
            " and 'critic' model configs instead.",
            DeprecationWarning,
            stacklevel=3,
        )
    return cfg


def _check_positive_int(cfg: dict[str, Any], key: str) -> None:
    """Raise unless ``cfg[key]`` is an integer >= 1."""
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"'{key}' must be a positive integer, got {value!r}.")


def _is_set(value: Any) -> bool:
    """Whether a config entry holds something (not None, not an empty dict, not dataclasses.MISSING)."""
    return value is not None and value is not dataclasses.MISSING and value != {} and value != "MISSING"
