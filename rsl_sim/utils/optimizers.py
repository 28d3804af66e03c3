"""Optimizers chosen by name in configs."""

from __future__ import annotations

import torch

# Name (lower case) -> optimizer class
_OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


def resolve_optimizer(optimizer_name: str) -> type[torch.optim.Optimizer]:
    """Look up an optimizer class by name.

    Valid names (case-insensitive): ``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"`` (as in RSL-RL 5.x).

    Args:
        optimizer_name: Name of the optimizer.

    Returns:
        The optimizer class (not an instance); construct it with ``cls(params, lr=...)``.

    Raises:
        TypeError: If ``optimizer_name`` is not a string.
        ValueError: If the name is unknown; the message lists the valid names.
    """
    if not isinstance(optimizer_name, str):
        raise TypeError(
            f"The optimizer must be given by name (a string), got {optimizer_name!r} of type {type(optimizer_name)}."
        )
    key = optimizer_name.lower()
    if key not in _OPTIMIZERS:
        raise ValueError(f"Unknown optimizer '{optimizer_name}'. Valid optimizers are: {list(_OPTIMIZERS)}.")
    return _OPTIMIZERS[key]
