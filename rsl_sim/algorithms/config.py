"""Validation of PPO's settings and of the ``algorithm`` entry of a train config."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from rsl_sim.utils import resolve_optimizer
from rsl_sim.utils.compile import COMPILE_MODES

__all__ = [
    "ALGORITHM_CFG_KEYS",
    "LOAD_CFG_KEYS",
    "COMPILE_MODES",
    "SCHEDULES",
    "check_multi_gpu_cfg",
    "check_extensions",
    "check_mini_batch_count",
    "check_ppo_settings",
    "check_unknown_keys",
    "checkpoint_entry",
    "resolve_load_cfg",
]

SCHEDULES = ("adaptive", "fixed")
"""Learning-rate schedules: ``"adaptive"`` (KL-driven, see ``PPO.update``) or ``"fixed"``."""

LOAD_CFG_KEYS = ("actor", "critic", "optimizer", "iteration", "rnd")
"""Parts of a checkpoint that ``PPO.load`` can load (keys of its ``load_cfg``)."""

ALGORITHM_CFG_KEYS = ("share_cnn_encoders",)
"""Keys of the ``algorithm`` config entry consumed by ``PPO.construct_algorithm`` itself (besides ``class_name`` and
the keyword arguments of ``PPO.__init__``)."""

_MULTI_GPU_KEYS = ("global_rank", "local_rank", "world_size")


def check_unknown_keys(given: Iterable[str], valid: Iterable[str], where: str) -> None:
    """Refuse keys that are not valid names.

    Args:
        given: Keys (e.g. keyword-argument or config names) to check.
        valid: The valid names.
        where: What the keys belong to, used in the message (e.g. ``"PPO"`` or ``"the 'algorithm' config"``).

    Raises:
        ValueError: If any key is unknown; the message lists the unknown keys and the valid names.
    """
    valid = list(valid)
    unknown = [str(key) for key in given if key not in valid]
    if unknown:
        raise ValueError(f"Unknown key(s) {unknown} for {where}. Valid keys are: {sorted(valid)}.")


def check_ppo_settings(settings: Mapping[str, Any]) -> None:
    """Check the types and ranges of PPO's hyperparameters.

    Only the names present in ``settings`` are checked, so the function serves both ``PPO.__init__`` (all names) and
    partial configs.

    Args:
        settings: Mapping from ``PPO.__init__`` argument names to values.

    Raises:
        TypeError: If a value has the wrong type (e.g. a float number of epochs, a string flag).
        ValueError: If a value is out of range (e.g. ``gamma`` outside ``[0, 1]``), or a choice is unknown
            (``schedule``, ``optimizer``, ``torch_compile_mode``); the message names the argument and the valid values.
    """
    # Counts
    for name in ("num_learning_epochs", "num_mini_batches"):
        if name in settings:
            _check_int(name, settings[name], minimum=1)

    # Real numbers with their ranges
    ranges = {
        "clip_param": (0.0, math.inf, False),
        "gamma": (0.0, 1.0, True),
        "lam": (0.0, 1.0, True),
        "value_loss_coef": (0.0, math.inf, True),
        "entropy_coef": (-math.inf, math.inf, True),
        "learning_rate": (0.0, math.inf, False),
        "max_grad_norm": (0.0, math.inf, False),
        "grad_reduce_bucket_mb": (0.0, math.inf, False),
    }
    for name, (low, high, low_inclusive) in ranges.items():
        if name in settings:
            _check_real(name, settings[name], low, high, low_inclusive)

    # Flags
    for name in (
        "use_clipped_value_loss",
        "normalize_advantage_per_mini_batch",
        "use_mixed_precision",
        "bootstrap_time_outs_from_final_obs",
    ):
        if name in settings and not isinstance(settings[name], bool):
            raise TypeError(f"PPO argument '{name}' must be True or False, got {settings[name]!r}.")

    # Choices
    if "schedule" in settings and settings["schedule"] not in SCHEDULES:
        raise ValueError(f"Unknown PPO schedule {settings['schedule']!r}. Valid schedules are: {list(SCHEDULES)}.")
    if "optimizer" in settings:
        resolve_optimizer(settings["optimizer"])
    mode = settings.get("torch_compile_mode")
    if mode is not None and mode not in COMPILE_MODES:
        raise ValueError(
            f"Unsupported torch_compile_mode {mode!r}. Valid modes are: {list(COMPILE_MODES)}, or None to not compile"
            " (the CUDA-graph modes 'reduce-overhead' and 'max-autotune' are not supported: graph replay overwrites the"
            " outputs of earlier calls of the same model)."
        )

    # The adaptive schedule needs a KL target; without one the learning rate stays fixed (as in RSL-RL 5.x)
    if "desired_kl" in settings and settings["desired_kl"] is not None:
        _check_real("desired_kl", settings["desired_kl"], 0.0, math.inf, False)
    if settings.get("schedule") == "adaptive" and "desired_kl" in settings and settings["desired_kl"] is None:
        warnings.warn(
            "PPO schedule='adaptive' with desired_kl=None keeps the learning rate fixed. Set desired_kl (e.g. 0.01)"
            " or schedule='fixed'.",
            stacklevel=3,
        )


def check_multi_gpu_cfg(multi_gpu_cfg: Mapping[str, Any] | None) -> None:
    """Check the multi-GPU settings handed over by the runner.

    Args:
        multi_gpu_cfg: None for single-device training, or ``{"global_rank": int, "local_rank": int,
            "world_size": int}`` (``local_rank`` optional).

    Raises:
        TypeError: If it is neither None nor a mapping, or a rank is not an integer.
        ValueError: If a key is unknown or missing, or the ranks are out of range.
    """
    if multi_gpu_cfg is None:
        return
    if not isinstance(multi_gpu_cfg, Mapping):
        raise TypeError(f"multi_gpu_cfg must be None or a dict, got {type(multi_gpu_cfg).__name__}.")
    check_unknown_keys(multi_gpu_cfg, _MULTI_GPU_KEYS, "multi_gpu_cfg")
    for name in ("global_rank", "world_size"):
        if name not in multi_gpu_cfg:
            raise ValueError(f"multi_gpu_cfg lacks '{name}'; it needs 'global_rank' and 'world_size'.")
    _check_int("multi_gpu_cfg['world_size']", multi_gpu_cfg["world_size"], minimum=1)
    _check_int("multi_gpu_cfg['global_rank']", multi_gpu_cfg["global_rank"], minimum=0)
    if multi_gpu_cfg["global_rank"] >= multi_gpu_cfg["world_size"]:
        raise ValueError(
            f"multi_gpu_cfg['global_rank'] ({multi_gpu_cfg['global_rank']}) must be below the world size"
            f" ({multi_gpu_cfg['world_size']})."
        )


def check_mini_batch_count(num_mini_batches: int, storage: Any, recurrent: bool) -> int:
    """Return the number of mini-batches the storage can fill: ``num_mini_batches``, or fewer with a warning.

    With more mini-batches than samples (a tiny storage: few envs, few steps), RSL-RL 5.5.1 accepts the config and
    cuts ``T * N // num_mini_batches = 0``-sample mini-batches, so the update silently changes nothing. rsl_sim accepts
    the config too, warns, and uses one mini-batch per sample (per environment for recurrent models), so the update
    still learns.

    Args:
        num_mini_batches: Mini-batches per epoch, as configured.
        storage: The rollout storage (``num_envs``, ``num_transitions_per_env``).
        recurrent: Whether a model is recurrent (mini-batches are then slices of environments, not of samples).

    Returns:
        ``min(num_mini_batches, available)``, the number of mini-batches per epoch used.
    """
    available = storage.num_envs if recurrent else storage.num_envs * storage.num_transitions_per_env
    if num_mini_batches > available:
        what = "environments (recurrent models are split by environment)" if recurrent else "samples (T * N)"
        warnings.warn(
            f"num_mini_batches ({num_mini_batches}) exceeds the {available} {what} of the storage; using"
            f" {available} mini-batches of one {'environment' if recurrent else 'sample'} each (RSL-RL 5.5.1 would cut"
            " empty mini-batches and not update at all).",
            stacklevel=3,
        )
        return available
    return num_mini_batches


def check_extensions(rnd_cfg: Any, symmetry_cfg: Any, recurrent: bool) -> None:
    """Check the extension configs of PPO.

    Args:
        rnd_cfg: Curiosity (RND) config or None.
        symmetry_cfg: Symmetry config or None.
        recurrent: Whether the actor or the critic is recurrent.

    Raises:
        ValueError: If symmetry is requested with recurrent models (mirrored trajectories are not supported).
    """
    if symmetry_cfg is not None and recurrent:
        raise ValueError(
            "Symmetry augmentation / mirror loss (symmetry_cfg) is not supported for recurrent actor or critic models:"
            " mirrored samples would need mirrored hidden states. Use feed-forward models or remove symmetry_cfg."
        )


def resolve_load_cfg(load_cfg: Mapping[str, bool] | None) -> dict[str, bool]:
    """Complete the ``load_cfg`` of ``PPO.load``: None selects every part, missing keys count as False.

    Args:
        load_cfg: Mapping from parts (:data:`LOAD_CFG_KEYS`) to whether to load them, or None.

    Returns:
        A new dict with every key of :data:`LOAD_CFG_KEYS`.

    Raises:
        ValueError: For unknown keys; the message lists the valid ones.
    """
    if load_cfg is None:
        return dict.fromkeys(LOAD_CFG_KEYS, True)
    check_unknown_keys(load_cfg, LOAD_CFG_KEYS, "the load_cfg of PPO.load")
    return {key: bool(load_cfg.get(key, False)) for key in LOAD_CFG_KEYS}


def checkpoint_entry(loaded_dict: Mapping[str, Any], key: str) -> Any:
    """Return ``loaded_dict[key]``.

    Raises:
        ValueError: If the checkpoint has no such entry; the message lists the entries it has.
    """
    if key not in loaded_dict:
        raise ValueError(f"The checkpoint has no '{key}' (it has {sorted(loaded_dict)}); deselect it in load_cfg.")
    return loaded_dict[key]


def _check_int(name: str, value: Any, minimum: int) -> None:
    """Raise unless ``value`` is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"PPO argument '{name}' must be an integer, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"PPO argument '{name}' must be at least {minimum}, got {value}.")


def _check_real(name: str, value: Any, low: float, high: float, low_inclusive: bool) -> None:
    """Raise unless ``value`` is a finite number in ``[low, high]`` (``(low, high]`` if ``low_inclusive`` is False)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"PPO argument '{name}' must be a number, got {value!r} of type {type(value).__name__}.")
    above_low = value >= low if low_inclusive else value > low
    if not (above_low and value <= high) or not math.isfinite(value):
        interval = f"{'[' if low_inclusive else '('}{low}, {high}]"
        raise ValueError(f"PPO argument '{name}' must be in {interval}, got {value}.")
