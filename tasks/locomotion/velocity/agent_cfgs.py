"""Agent-config pieces shared by the velocity task's robots (plain dicts in RSL-RL 5.x's format)."""

from __future__ import annotations

from typing import Any


def mlp_model_cfg(hidden_dims: list[int], init_std: float | None) -> dict[str, Any]:
    """An ELU MLP model entry (Isaac Lab's ``RslRlMLPModelCfg``); a Gaussian head when ``init_std`` is given.

    Args:
        hidden_dims: Hidden layer sizes.
        init_std: Initial standard deviation of a scalar Gaussian head, or None for a deterministic model (a critic).

    Returns:
        The model entry (``class_name`` ``"MLPModel"``).
    """
    model: dict[str, Any] = {
        "class_name": "MLPModel",
        "hidden_dims": list(hidden_dims),
        "activation": "elu",
        "obs_normalization": False,
    }
    if init_std is not None:
        model["distribution_cfg"] = {"class_name": "GaussianDistribution", "init_std": init_std, "std_type": "scalar"}
    return model
