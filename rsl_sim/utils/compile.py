"""Optional ``torch.compile`` of the learning models (RSL-RL 5.x's ``rsl_rl.utils.compile_model``)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["COMPILE_MODES", "compile_model"]

COMPILE_MODES = ("default", "max-autotune-no-cudagraphs")
"""``torch.compile`` modes accepted for the models. The CUDA-graph modes (``"reduce-overhead"``, ``"max-autotune"``)
are refused, as in RSL-RL 5.x: graph replay overwrites the output of a previous call, and PPO calls each model several
times before using the outputs."""


def compile_model(model: nn.Module, mode: str | None = None) -> nn.Module:
    """Return ``torch.compile(model, mode=mode)``, or the model itself when ``mode`` is None.

    Same name, signature and behaviour as RSL-RL 5.x's ``rsl_rl.utils.compile_model``. The compiled wrapper shares
    parameters, buffers and attributes with ``model``; keep ``model`` for state dicts and export.

    Args:
        model: The model to compile.
        mode: None (no compilation) or one of :data:`COMPILE_MODES`.

    Returns:
        The compiled wrapper, or ``model`` unchanged.

    Raises:
        ValueError: If ``mode`` is not a supported mode (the CUDA-graph modes are refused).
    """
    if mode is None:
        return model
    if mode not in COMPILE_MODES:
        raise ValueError(
            f"Unsupported torch_compile_mode {mode!r}. Valid modes are: {list(COMPILE_MODES)}, or None to not compile."
        )
    return torch.compile(model, mode=mode)
