"""The process' global random number generator states (torch, CUDA, NumPy, Python) as checkpoint data.

Checkpoints are loaded with ``torch.load(weights_only=True)``, which accepts tensors, numbers, strings, lists, tuples
and dicts only: NumPy arrays are stored as tensors, and NumPy's legacy state tuple as a dict.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

__all__ = ["get_rng_states", "numpy_to_checkpoint_data", "set_rng_states"]


def get_rng_states() -> dict[str, Any]:
    """Capture the global random number generator states.

    Returns:
        ``{"torch": ByteTensor, "cuda": [ByteTensor per device] (only when CUDA is initialized), "numpy": {...},
        "python": [version, [625 ints], gauss_next]}``, loadable with ``weights_only=True``.
    """
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    version, internal, gauss_next = random.getstate()
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": str(name),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "python": [int(version), list(internal), gauss_next],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore the states captured by :func:`get_rng_states` (entries that are missing are left alone).

    CUDA states are restored only when this process sees as many CUDA devices as the one that captured them.

    Args:
        states: The dict returned by :func:`get_rng_states` (possibly after a ``torch.save``/``torch.load`` round trip).

    Raises:
        ValueError: If an entry does not have the stored layout.
    """
    try:
        if "torch" in states:
            torch.set_rng_state(states["torch"].cpu())
        cuda = states.get("cuda")
        if cuda is not None and torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
            torch.cuda.set_rng_state_all([state.cpu() for state in cuda])
        if "numpy" in states:
            np_state = states["numpy"]
            keys = np.asarray(np_state["keys"].cpu().numpy(), dtype=np.uint32)
            np.random.set_state(
                (np_state["name"], keys, np_state["pos"], np_state["has_gauss"], np_state["cached_gaussian"])
            )
        if "python" in states:
            version, internal, gauss_next = states["python"]
            random.setstate((version, tuple(internal), gauss_next))
    except (KeyError, TypeError, AttributeError, RuntimeError) as error:
        raise ValueError(f"The stored random number generator states are malformed: {error!r}.") from error


def numpy_to_checkpoint_data(value: Any) -> Any:
    """Convert NumPy arrays and scalars inside nested dicts/lists/tuples to tensors and Python numbers.

    Arrays become tensors of the same dtype and shape (a copy), ``np.generic`` scalars Python numbers; everything else
    is returned as it is. The result is loadable with ``torch.load(weights_only=True)``.
    """
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise ValueError("numpy object arrays cannot be stored in a checkpoint (weights_only loading).")
        return torch.from_numpy(np.array(value, copy=True))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {key: numpy_to_checkpoint_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [numpy_to_checkpoint_data(item) for item in value]
    if isinstance(value, tuple):
        return tuple(numpy_to_checkpoint_data(item) for item in value)
    return value
