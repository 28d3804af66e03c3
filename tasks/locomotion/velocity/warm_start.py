"""Warm start: a velocity policy as the initial policy of a task whose observations add terms (e.g. flat -> rough).

The Go2 rough task observes what the flat task observes plus the height scan (``policy``: 48 + 187 inputs; ``critic``:
62 + 187, the scan in the middle). :func:`widen_checkpoint` maps a checkpoint's actor and critic onto the target
task's inputs: each input column of a model's first layer is matched by (observation group, term name) and copied;
the columns of terms the source did not observe get zero weights (with observation normalization: mean 0, variance
1). The widened models therefore compute exactly the source models' outputs, whatever the new inputs hold, and
training starts from there and learns to use them. Hidden and output layers and the action std are copied as they
are, so the target's agent config must use the source's hidden sizes (:func:`hidden_dims`; the Go2 flat policy:
[128, 128, 128], where Isaac Lab's rough config has [512, 256, 128]). The optimizer state and the iteration are not
carried over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from rsl_sim.tasks.locomotion.velocity.layout import describe_layout

FIRST_LAYER = "mlp.0.weight"
"""State-dict key of the first layer's weight ``[hidden, inputs]`` of an :class:`~rsl_sim.models.MLPModel`."""

NORMALIZER_DEFAULTS = {"obs_normalizer._mean": 0.0, "obs_normalizer._var": 1.0, "obs_normalizer._std": 1.0}
"""Per-input buffers of the observation normalizer ``[1, inputs]`` and their values for new inputs."""


def model_inputs(env: Any, groups: Sequence[str]) -> list[tuple[str, str, int]]:
    """The input terms of a model reading ``groups`` of a velocity env, in the order the model concatenates them.

    Args:
        env: A velocity env (or a wrapper of one), as :func:`~rsl_sim.tasks.locomotion.velocity.layout.describe_layout`
            takes it.
        groups: The model's observation groups (the agent config's ``obs_groups[...]``), 1D groups only.

    Returns:
        ``(group, term, width)`` per term.

    Raises:
        ValueError: If a group is not an observation group of the env.
    """
    layout = describe_layout(env, mirror=False)["groups"]
    missing = [group for group in groups if group not in layout]
    if missing:
        raise ValueError(f"observation groups {missing} are not in the env; it has {sorted(layout)}.")
    return [(group, term["name"], int(term["width"])) for group in groups for term in layout[group]["terms"]]


def widen_model_state(
    state: Mapping[str, torch.Tensor],
    source_inputs: Sequence[tuple[str, str, int]],
    target_inputs: Sequence[tuple[str, str, int]],
) -> dict[str, torch.Tensor]:
    """A model's state dict with its input columns moved to the target's layout (new columns: zero weights).

    Args:
        state: An :class:`~rsl_sim.models.MLPModel` state dict whose first layer reads ``source_inputs``.
        source_inputs: ``(group, term, width)`` of the source model's inputs, in order.
        target_inputs: The same for the target model; it must hold every source term with the same width.

    Returns:
        The widened state dict (the other entries are the source's tensors).

    Raises:
        ValueError: If the first layer does not read the source's inputs, or a source term is missing from the
            target or has another width there.
    """
    sources = {}
    start = 0
    for group, term, width in source_inputs:
        sources[(group, term)] = (start, width)
        start += width
    weight = state.get(FIRST_LAYER)
    if weight is None or weight.shape[1] != start:
        shape = None if weight is None else list(weight.shape)
        raise ValueError(f"the model's {FIRST_LAYER} is {shape}; the source inputs need {start} columns.")
    targets = {(group, term): width for group, term, width in target_inputs}
    for key, (_, width) in sources.items():
        if targets.get(key) != width:
            problem = "missing from" if key not in targets else "of another width in"
            raise ValueError(
                f"source input {key} ({width} wide) is {problem} the target inputs "
                f"{[(group, term) for group, term, _ in target_inputs]}."
            )

    # Column index of every target input in the source (-1: new input)
    index = []
    for group, term, width in target_inputs:
        first, _ = sources.get((group, term), (-1, width))
        index += [first + offset if first >= 0 else -1 for offset in range(width)]
    index = torch.tensor(index)
    old = index >= 0

    widened = dict(state)
    new_weight = weight.new_zeros(weight.shape[0], len(index))
    new_weight[:, old] = weight[:, index[old]]
    widened[FIRST_LAYER] = new_weight
    for key, default in NORMALIZER_DEFAULTS.items():
        if key in state:
            buffer = state[key].new_full((1, len(index)), default)
            buffer[:, old] = state[key][:, index[old]]
            widened[key] = buffer
    return widened


def hidden_dims(state: Mapping[str, torch.Tensor]) -> list[int]:
    """The hidden layer sizes of an :class:`~rsl_sim.models.MLPModel` state dict (its ``mlp.<i>.weight`` shapes)."""
    layers = sorted(
        (int(match.group(1)), tensor)
        for key, tensor in state.items()
        if (match := re.fullmatch(r"mlp\.(\d+)\.weight", key))
    )
    return [int(tensor.shape[0]) for _, tensor in layers[:-1]]


def widen_checkpoint(
    checkpoint: Mapping[str, Any], source_env: Any, target_env: Any, obs_groups: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, torch.Tensor]]:
    """The actor and critic of a checkpoint, widened from the source env's inputs to the target env's.

    Args:
        checkpoint: A PPO checkpoint (``actor_state_dict``, ``critic_state_dict``), e.g. the Go2 flat policy.
        source_env: An env of the task the checkpoint was trained on (its layout only).
        target_env: An env of the task to train.
        obs_groups: The agent config's ``obs_groups`` (``actor`` and ``critic`` lists), the same for both tasks.

    Returns:
        ``{"actor_state_dict", "critic_state_dict"}``, for ``runner.alg.load(..., {"actor": True, "critic": True})``.

    Raises:
        ValueError: As :func:`widen_model_state`, or if the checkpoint lacks a model.
    """
    widened = {}
    for model in ("actor", "critic"):
        key = f"{model}_state_dict"
        if key not in checkpoint:
            raise ValueError(f"the checkpoint has no {key!r}; it has {sorted(checkpoint)}.")
        groups = list(obs_groups[model])
        widened[key] = widen_model_state(
            checkpoint[key], model_inputs(source_env, groups), model_inputs(target_env, groups)
        )
    return widened
