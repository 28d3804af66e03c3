"""Optional ``torch.compile`` of the learning models."""

from __future__ import annotations

import torch
from torch import nn

from rsl_sim.algorithms.config import COMPILE_MODES

__all__ = ["compile_model"]


def compile_model(model: nn.Module, mode: str | None) -> nn.Module:
    """Return ``torch.compile(model, mode=mode)``, or the model itself when ``mode`` is None.

    The compiled wrapper shares parameters, buffers and attributes with ``model``; keep ``model`` for state dicts and
    export.

    Args:
        model: The model to compile.
        mode: None (no compilation) or one of :data:`~rsl_sim.algorithms.config.COMPILE_MODES`.

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
