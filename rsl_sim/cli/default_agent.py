"""Agent configs for tasks that register none: PPO for plain gymnasium ids, and distillation built from a teacher."""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_SEED = 42
"""Seed used when neither ``--seed`` nor the agent config give one (Isaac Lab's default)."""

# Settings for plain gymnasium ids that differ from the generic default
TUNED_OVERRIDES: dict[str, dict[str, Any]] = {
    # Swing-up in ~150k steps: a short horizon (gamma 0.9, lam 0.9), a narrower initial action noise (the torque
    # range is +-2) and an unclipped value loss (returns reach -160, which a clipped value loss approaches slowly)
    "Pendulum-v1": {
        "num_steps_per_env": 64,
        "max_iterations": 150,
        "actor": {"distribution_cfg": {"init_std": 0.5}},
        "algorithm": {"gamma": 0.9, "lam": 0.9, "use_clipped_value_loss": False},
    },
}


def default_ppo_cfg(task: str) -> dict[str, Any]:
    """Built-in PPO config for a gymnasium id without its own (tanh MLPs [64, 64], observation normalization).

    Args:
        task: The gymnasium id; ids in :data:`TUNED_OVERRIDES` get their tuned settings.

    Returns:
        A new RSL-RL 5.x train config dict (``OnPolicyRunner``).
    """
    cfg: dict[str, Any] = {
        "class_name": "OnPolicyRunner",
        "seed": DEFAULT_SEED,
        "device": None,
        "num_steps_per_env": 64,
        "max_iterations": 300,
        "save_interval": 50,
        "experiment_name": experiment_name_of(task),
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
    return merge(cfg, TUNED_OVERRIDES.get(task, {}))


def default_distillation_cfg(teacher_cfg: dict[str, Any]) -> dict[str, Any]:
    """A distillation config whose student copies the teacher's actor (same observations and network).

    Used by ``rsl-sim distill`` for tasks that register no distillation config: the student learns to imitate the
    teacher's deterministic actions with RSL-RL's ``Distillation`` (DAgger-style, Ross et al. 2011), 2 epochs per
    iteration, learning rate 1e-3, gradient norm 1, MSE loss, gradients through time over windows of up to 15 steps
    (the largest divisor of ``num_steps_per_env`` not above 15, so that every step reaches a gradient step).

    Args:
        teacher_cfg: The teacher's PPO config (its ``actor`` entry and ``obs_groups["actor"]`` are used).

    Returns:
        A new ``DistillationRunner`` config dict.
    """
    actor = copy.deepcopy(teacher_cfg["actor"])
    actor_groups = list((teacher_cfg.get("obs_groups") or {}).get("actor") or ["policy"])
    return {
        "class_name": "DistillationRunner",
        "seed": teacher_cfg.get("seed", DEFAULT_SEED),
        "device": teacher_cfg.get("device"),
        "num_steps_per_env": teacher_cfg["num_steps_per_env"],
        "max_iterations": max(1, int(teacher_cfg.get("max_iterations") or 100) // 2),
        "save_interval": teacher_cfg.get("save_interval", 50),
        "experiment_name": teacher_cfg.get("experiment_name") or "default",
        "run_name": "student",
        "logger": teacher_cfg.get("logger", "tensorboard"),
        "obs_groups": {"student": list(actor_groups), "teacher": list(actor_groups)},
        "student": copy.deepcopy(actor),
        "teacher": actor,
        "algorithm": {
            "class_name": "Distillation",
            "num_learning_epochs": 2,
            "gradient_length": _gradient_length(int(teacher_cfg["num_steps_per_env"])),
            "learning_rate": 1.0e-3,
            "max_grad_norm": 1.0,
            "loss_type": "mse",
        },
    }


def _gradient_length(num_steps_per_env: int, longest: int = 15) -> int:
    """The largest divisor of ``num_steps_per_env`` that is at most ``longest``."""
    return max(d for d in range(1, min(longest, num_steps_per_env) + 1) if num_steps_per_env % d == 0)


def experiment_name_of(task: str) -> str:
    """A folder-safe experiment name for a task id (``"ALE/Pong-v5"`` -> ``"ALE_Pong-v5"``)."""
    return task.replace("/", "_").replace(":", "_")


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge ``overrides`` into a copy of ``base``."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
