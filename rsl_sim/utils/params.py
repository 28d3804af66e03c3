"""Per-layer parameter lookup shared by the network building blocks."""

from __future__ import annotations

from typing import Any


def get_param(param: Any, idx: int) -> Any:
    """Return the entry of a per-layer parameter for one layer.

    Builders such as :class:`~rsl_sim.modules.CNN` accept either one value for every layer or a list/tuple with one
    value per layer. This helper hides the difference.

    Args:
        param: A single value shared by all layers, or a list/tuple holding one value per layer.
        idx: Index of the layer.

    Returns:
        ``param[idx]`` when ``param`` is a list or tuple, otherwise ``param`` itself.

    Raises:
        IndexError: If ``param`` is a list/tuple with no entry at ``idx``.
    """
    if not isinstance(param, (list, tuple)):
        return param
    if not -len(param) <= idx < len(param):
        raise IndexError(f"Per-layer parameter {param!r} has {len(param)} entries, but entry {idx} was requested.")
    return param[idx]
