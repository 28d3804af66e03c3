"""Activation functions chosen by name in configs."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

# Name (lower case) -> constructor of the activation module. "crelu" is the continuous ELU (CELU) and "swish" the
# SiLU, following the names used by RSL-RL configs; "silu" is accepted as the PyTorch spelling of "swish".
_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "elu": nn.ELU,
    "selu": nn.SELU,
    "relu": nn.ReLU,
    "crelu": nn.CELU,
    "lrelu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "identity": nn.Identity,
}


def resolve_nn_activation(act_name: str) -> nn.Module:
    """Build an activation module from its name.

    Valid names (case-insensitive): ``"elu"``, ``"selu"``, ``"relu"``, ``"crelu"`` (CELU), ``"lrelu"`` (LeakyReLU),
    ``"tanh"``, ``"sigmoid"``, ``"softplus"``, ``"gelu"``, ``"swish"`` / ``"silu"``, ``"mish"``, ``"identity"``.
    The names follow RSL-RL 5.x (``rsl_rl.utils.resolve_nn_activation``).

    Args:
        act_name: Name of the activation function.

    Returns:
        A new activation module with PyTorch's default arguments.

    Raises:
        TypeError: If ``act_name`` is not a string.
        ValueError: If the name is unknown; the message lists the valid names.
    """
    if not isinstance(act_name, str):
        raise TypeError(f"The activation must be given by name (a string), got {act_name!r} of type {type(act_name)}.")
    key = act_name.lower()
    if key not in _ACTIVATIONS:
        raise ValueError(f"Unknown activation function '{act_name}'. Valid activations are: {list(_ACTIVATIONS)}.")
    return _ACTIVATIONS[key]()
