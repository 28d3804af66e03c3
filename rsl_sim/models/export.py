"""Deployment export of trained models to TorchScript and ONNX.

A model's ``as_jit()`` / ``as_onnx()`` returns one of the wrappers below: a CPU copy of the model's observation
normalizer, CNN encoders, recurrent layer and MLP head, ending in the distribution's deterministic output (the mean),
so that an exported policy maps raw observations to actions. The helpers :func:`export_to_jit` and
:func:`export_to_onnx` write the files.

TorchScript (``policy.pt``), called as ``policy(obs)`` or ``policy(obs, [image_1, ...])``:

- ``obs`` ``[batch, obs_dim]`` is the model's 1D groups concatenated in order (``[batch, 0]`` when it has none);
  the images ``[batch, C, H, W]`` come in the order of the model's image groups.
- Recurrent policies keep their state in the buffers ``hidden_state`` (and ``cell_state`` for an LSTM),
  ``[num_layers, batch, hidden_dim]``. ``policy.reset()`` zeros it, ``policy.reset(dones)`` only for the done rows. A
  call with a new batch size starts again from zeros.

ONNX (``policy.onnx``, one file), with a dynamic batch dimension ``batch``:

- inputs: ``obs`` ``[batch, obs_dim]`` (left out when the model has no 1D group), one input per image group named after
  the group ``[batch, C, H, W]``, and for recurrent policies ``h_in`` (and ``c_in`` for an LSTM)
  ``[num_layers, batch, hidden_dim]``;
- outputs: ``actions`` ``[batch, output_dim]`` and, for recurrent policies, ``h_out`` (and ``c_out``), to be fed back
  as ``h_in`` / ``c_in`` at the next step (zeros at the start of an episode).

Unlike RSL-RL 5.x (batch size fixed to 1, TorchScript state of one robot), both formats take any batch size.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

# Batch size of the example inputs used for ONNX tracing. The dynamo exporter specializes dimensions of size 0 or 1
# to constants, so the example batch must be larger for the batch dimension to stay dynamic.
_EXAMPLE_BATCH = 2


class JitPolicy(nn.Module):
    """TorchScript-ready feed-forward policy: normalizer, optional CNN encoders, MLP head, deterministic output."""

    def __init__(
        self,
        obs_normalizer: nn.Module,
        mlp: nn.Module,
        output_module: nn.Module,
        cnns: Sequence[nn.Module] | None = None,
    ) -> None:
        """Copy the model parts to the CPU in evaluation mode.

        Args:
            obs_normalizer: Normalizer of the concatenated 1D observations (``nn.Identity`` without normalization).
            mlp: The MLP head.
            output_module: Deterministic output of the distribution (``nn.Identity`` for deterministic models).
            cnns: Encoders of the image groups, in the order in which the images are passed.
        """
        super().__init__()
        self.obs_normalizer = _cpu_copy(obs_normalizer)
        self.cnns = nn.ModuleList([_cpu_copy(cnn) for cnn in (cnns or [])])
        self.mlp = _cpu_copy(mlp)
        self.deterministic_output = _cpu_copy(output_module)
        self.eval()

    def forward(self, obs: torch.Tensor, images: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Map observations ``[batch, obs_dim]`` (and images ``[batch, C, H, W]``) to actions ``[batch, actions]``."""
        return self._head(self._encode(obs, images))

    @torch.jit.export
    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Reset the recurrent state (nothing to do for a feed-forward policy)."""

    def _encode(self, obs: torch.Tensor, images: list[torch.Tensor] | None) -> torch.Tensor:
        """Normalize the 1D observations and append the CNN latents."""
        latents = [self.obs_normalizer(obs)]
        if len(self.cnns) > 0:
            if images is None or len(images) != len(self.cnns):
                raise ValueError("This policy needs one image tensor [batch, C, H, W] per image group, in order.")
            for index, cnn in enumerate(self.cnns):
                latents.append(cnn(images[index]))
        return torch.cat(latents, dim=-1)

    def _head(self, latent: torch.Tensor) -> torch.Tensor:
        """MLP head and deterministic output."""
        return self.deterministic_output(self.mlp(latent))


class JitGRUPolicy(JitPolicy):
    """TorchScript-ready GRU policy; the hidden state lives in the buffer ``hidden_state``."""

    def __init__(
        self,
        obs_normalizer: nn.Module,
        mlp: nn.Module,
        output_module: nn.Module,
        rnn: nn.GRU,
        cnns: Sequence[nn.Module] | None = None,
    ) -> None:
        """Copy the model parts; the GRU ``rnn`` runs between the encoders and the MLP head."""
        super().__init__(obs_normalizer, mlp, output_module, cnns)
        self.rnn = _cpu_copy(rnn)
        self.register_buffer("hidden_state", torch.zeros(self.rnn.num_layers, 1, self.rnn.hidden_size))

    def forward(self, obs: torch.Tensor, images: list[torch.Tensor] | None = None) -> torch.Tensor:
        """One step from the stored state; the new state is stored for the next call."""
        latent = self._encode(obs, images)
        state = _zeros_if_resized(self.hidden_state, latent.shape[0])
        output, state = self.rnn(latent.unsqueeze(0), state)
        self.hidden_state = state.detach()
        return self._head(output.squeeze(0))

    @torch.jit.export
    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the hidden state of all rows, or of the rows where ``dones`` ``[batch]`` is nonzero."""
        self.hidden_state = _reset_rows(self.hidden_state, dones)


class JitLSTMPolicy(JitPolicy):
    """TorchScript-ready LSTM policy; the state lives in the buffers ``hidden_state`` and ``cell_state``."""

    def __init__(
        self,
        obs_normalizer: nn.Module,
        mlp: nn.Module,
        output_module: nn.Module,
        rnn: nn.LSTM,
        cnns: Sequence[nn.Module] | None = None,
    ) -> None:
        """Copy the model parts; the LSTM ``rnn`` runs between the encoders and the MLP head."""
        super().__init__(obs_normalizer, mlp, output_module, cnns)
        self.rnn = _cpu_copy(rnn)
        self.register_buffer("hidden_state", torch.zeros(self.rnn.num_layers, 1, self.rnn.hidden_size))
        self.register_buffer("cell_state", torch.zeros(self.rnn.num_layers, 1, self.rnn.hidden_size))

    def forward(self, obs: torch.Tensor, images: list[torch.Tensor] | None = None) -> torch.Tensor:
        """One step from the stored state; the new state is stored for the next call."""
        latent = self._encode(obs, images)
        hidden = _zeros_if_resized(self.hidden_state, latent.shape[0])
        cell = _zeros_if_resized(self.cell_state, latent.shape[0])
        output, (hidden, cell) = self.rnn(latent.unsqueeze(0), (hidden, cell))
        self.hidden_state = hidden.detach()
        self.cell_state = cell.detach()
        return self._head(output.squeeze(0))

    @torch.jit.export
    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the state of all rows, or of the rows where ``dones`` ``[batch]`` is nonzero."""
        self.hidden_state = _reset_rows(self.hidden_state, dones)
        self.cell_state = _reset_rows(self.cell_state, dones)


class OnnxPolicy(nn.Module):
    """ONNX-ready policy with named inputs and outputs and a dynamic batch size (see the module docstring)."""

    def __init__(
        self,
        obs_normalizer: nn.Module,
        mlp: nn.Module,
        output_module: nn.Module,
        obs_dim: int,
        cnns: Sequence[nn.Module] | None = None,
        image_groups: Sequence[str] | None = None,
        image_shapes: Sequence[tuple[int, int, int]] | None = None,
        rnn: nn.LSTM | nn.GRU | None = None,
        verbose: bool = False,
    ) -> None:
        """Copy the model parts to the CPU in evaluation mode.

        Args:
            obs_normalizer: Normalizer of the concatenated 1D observations.
            mlp: The MLP head.
            output_module: Deterministic output of the distribution.
            obs_dim: Size of the concatenated 1D observations (0: no ``obs`` input).
            cnns: Encoders of the image groups, in the order of ``image_groups``.
            image_groups: Names of the image groups; they name the image inputs.
            image_shapes: ``(C, H, W)`` of each image group.
            rnn: Recurrent layer between the encoders and the head (``nn.LSTM`` or ``nn.GRU``), or None.
            verbose: Print the exported graph.

        Raises:
            ValueError: If ``cnns``, ``image_groups`` and ``image_shapes`` differ in length.
            TypeError: If ``rnn`` is neither ``nn.LSTM`` nor ``nn.GRU``.
        """
        super().__init__()
        cnns, image_groups, image_shapes = list(cnns or []), list(image_groups or []), list(image_shapes or [])
        if not len(cnns) == len(image_groups) == len(image_shapes):
            raise ValueError(
                f"Got {len(cnns)} encoders, {len(image_groups)} image groups and {len(image_shapes)} image shapes;"
                " they must match one to one."
            )
        if rnn is not None and not isinstance(rnn, (nn.LSTM, nn.GRU)):
            raise TypeError(f"rnn must be an nn.LSTM or nn.GRU, got {type(rnn).__name__}.")
        self.verbose = verbose
        self.obs_dim = obs_dim
        self.image_groups = image_groups
        self.image_shapes = [tuple(shape) for shape in image_shapes]
        self.obs_normalizer = _cpu_copy(obs_normalizer)
        self.cnns = nn.ModuleList([_cpu_copy(cnn) for cnn in cnns])
        self.rnn = _cpu_copy(rnn) if rnn is not None else None
        self.mlp = _cpu_copy(mlp)
        self.deterministic_output = _cpu_copy(output_module)
        self.rnn_type = "lstm" if isinstance(rnn, nn.LSTM) else "gru" if isinstance(rnn, nn.GRU) else None
        self.eval()

    @property
    def is_recurrent(self) -> bool:
        """Whether the policy takes and returns a recurrent state."""
        return self.rnn is not None

    @property
    def input_names(self) -> list[str]:
        """Names of the inputs, in the order of :meth:`forward`'s arguments."""
        names = ["obs"] if self.obs_dim > 0 else []
        names += self.image_groups
        names += {"lstm": ["h_in", "c_in"], "gru": ["h_in"], None: []}[self.rnn_type]
        return names

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs, in the order returned by :meth:`forward`."""
        return ["actions", *{"lstm": ["h_out", "c_out"], "gru": ["h_out"], None: []}[self.rnn_type]]

    @property
    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """Batch axis of every input and output (for the TorchScript-based exporter)."""
        return {name: {1 if name[:2] in ("h_", "c_") else 0: "batch"} for name in self.input_names + self.output_names}

    @property
    def dynamic_shapes(self) -> tuple[tuple[dict[int, Any], ...]]:
        """Batch dimension of every input (for the dynamo exporter; one entry for the ``*inputs`` argument)."""
        batch = torch.export.Dim("batch")
        axes = self.dynamic_axes
        return (tuple({axis: batch for axis in axes[name]} for name in self.input_names),)

    def get_dummy_inputs(self, batch_size: int = _EXAMPLE_BATCH) -> tuple[torch.Tensor, ...]:
        """Zero example inputs of the given batch size, in the order of :attr:`input_names`."""
        inputs = [torch.zeros(batch_size, self.obs_dim)] if self.obs_dim > 0 else []
        inputs += [torch.zeros(batch_size, *shape) for shape in self.image_shapes]
        if self.rnn is not None:
            state_shape = (self.rnn.num_layers, batch_size, self.rnn.hidden_size)
            inputs += [torch.zeros(state_shape) for _ in range(2 if self.rnn_type == "lstm" else 1)]
        return tuple(inputs)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Map the inputs named :attr:`input_names` to the outputs named :attr:`output_names`.

        Raises:
            ValueError: If the number of inputs does not match :attr:`input_names`.
        """
        if len(inputs) != len(self.input_names):
            raise ValueError(f"Expected {len(self.input_names)} inputs {self.input_names}, got {len(inputs)}.")
        # Normalized 1D observations followed by the image latents
        rest = list(inputs)
        latents = [self.obs_normalizer(rest.pop(0))] if self.obs_dim > 0 else []
        latents += [cnn(rest.pop(0)) for cnn in self.cnns]
        latent = torch.cat(latents, dim=-1)

        # Feed-forward policy
        if self.rnn is None:
            return self.deterministic_output(self.mlp(latent))
        # Recurrent policy: one step from the given state, returning the next state
        state = (rest[0], rest[1]) if self.rnn_type == "lstm" else rest[0]
        output, state = self.rnn(latent.unsqueeze(0), state)
        actions = self.deterministic_output(self.mlp(output.squeeze(0)))
        return (actions, *state) if self.rnn_type == "lstm" else (actions, state)


def make_jit_policy(
    obs_normalizer: nn.Module,
    mlp: nn.Module,
    output_module: nn.Module,
    obs_dim: int,
    cnns: Sequence[nn.Module] | None = None,
    image_groups: Sequence[str] | None = None,
    image_shapes: Sequence[tuple[int, int, int]] | None = None,
    rnn: nn.LSTM | nn.GRU | None = None,
) -> JitPolicy:
    """Build the TorchScript wrapper that fits the model parts (feed-forward, GRU or LSTM).

    Takes the parts returned by a model's ``_export_parts()``; ``obs_dim``, ``image_groups`` and ``image_shapes`` are
    accepted for symmetry with :class:`OnnxPolicy` and not needed by TorchScript.

    Raises:
        TypeError: If ``rnn`` is neither ``nn.LSTM`` nor ``nn.GRU``.
    """
    if rnn is None:
        return JitPolicy(obs_normalizer, mlp, output_module, cnns)
    if isinstance(rnn, nn.LSTM):
        return JitLSTMPolicy(obs_normalizer, mlp, output_module, rnn, cnns)
    if isinstance(rnn, nn.GRU):
        return JitGRUPolicy(obs_normalizer, mlp, output_module, rnn, cnns)
    raise TypeError(f"rnn must be an nn.LSTM or nn.GRU, got {type(rnn).__name__}.")


def export_to_jit(model: nn.Module, path: str | os.PathLike) -> str:
    """Script ``model.as_jit()`` and save it as a TorchScript file (parent folders are created).

    Args:
        model: A model with ``as_jit()`` (any rsl_sim model, or a user model that provides it).
        path: File to write, e.g. ``logs/run/exported/policy.pt``.

    Returns:
        The path written.

    Raises:
        TypeError: If the model has no ``as_jit()`` method.
    """
    if not callable(getattr(model, "as_jit", None)):
        raise TypeError(f"{type(model).__name__} has no as_jit() method and cannot be exported to TorchScript.")
    module = model.as_jit().to("cpu").eval()
    with warnings.catch_warnings():
        # torch >= 2.10 marks TorchScript deprecated; it is still the deployment format that RSL-RL users load
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=DeprecationWarning)
        scripted = torch.jit.script(module)
    path = _prepare_path(path)
    scripted.save(path)
    return path


def export_to_onnx(
    model: nn.Module,
    path: str | os.PathLike,
    opset: int = 18,
    dynamo: bool = True,
    verbose: bool = False,
    verify: bool = False,
) -> str:
    """Export ``model.as_onnx()`` to one ONNX file with a dynamic batch dimension.

    The dynamo exporter (torch's default) is tried first; if it fails, the TorchScript-based exporter is used with a
    warning that gives the reason.

    Args:
        model: A model with ``as_onnx()`` (any rsl_sim model, or a user model that provides a compatible one).
        path: File to write, e.g. ``logs/run/exported/policy.onnx``; the weights are stored inside it.
        opset: ONNX opset version (18 or newer for the dynamo exporter).
        dynamo: Try the dynamo exporter first; False uses the TorchScript-based exporter directly.
        verbose: Print the exported graph.
        verify: Check the file with onnxruntime against the eager wrapper (batch sizes 1 and 3).

    Returns:
        The path written.

    Raises:
        TypeError: If the model has no ``as_onnx()`` method.
        ImportError: If ``verify`` is set and onnxruntime is not installed.
        RuntimeError: If ``verify`` is set and the outputs differ by more than 1e-5.
    """
    if not callable(getattr(model, "as_onnx", None)):
        raise TypeError(f"{type(model).__name__} has no as_onnx() method and cannot be exported to ONNX.")
    module = model.as_onnx(verbose=verbose).to("cpu").eval()
    path = _prepare_path(path)
    # Wrappers written for RSL-RL 5.x declare no dynamic batch and are exported with fixed shapes, as there
    dynamic_shapes = getattr(module, "dynamic_shapes", None)
    dynamic_axes = getattr(module, "dynamic_axes", None)
    common = {
        "input_names": module.input_names,
        "output_names": module.output_names,
        "opset_version": opset,
        "verbose": verbose,
    }

    # Dynamo exporter first (it needs onnxscript); the TorchScript-based exporter is the fallback
    failure = None
    if dynamo:
        try:
            with _quiet_exporter(verbose):
                torch.onnx.export(
                    module,
                    module.get_dummy_inputs(),
                    path,
                    dynamo=True,
                    dynamic_shapes=dynamic_shapes,
                    external_data=False,
                    **common,
                )
        except Exception as err:  # any exporter failure: fall back to the other exporter below
            failure = err
            warnings.warn(
                f"The dynamo ONNX exporter failed ({type(err).__name__}: {err}); using the TorchScript-based exporter.",
                stacklevel=2,
            )
    if not dynamo or failure is not None:
        with _quiet_exporter(verbose):
            torch.onnx.export(
                module, module.get_dummy_inputs(), path, dynamo=False, dynamic_axes=dynamic_axes, **common
            )

    if verify:
        verify_onnx(module, path, batch_sizes=(1, 3) if dynamic_axes is not None else (None,))
    return path


def verify_onnx(
    module: nn.Module, path: str | os.PathLike, batch_sizes: Sequence[int | None] = (1, 3), atol: float = 1e-5
) -> float:
    """Compare an exported ONNX file with its eager :class:`OnnxPolicy` on random inputs.

    Args:
        module: The wrapper that was exported (``model.as_onnx()``).
        path: The ONNX file.
        batch_sizes: Batch sizes to check (several check that the batch dimension is dynamic); None takes the
            wrapper's own example batch (for wrappers with a fixed batch size).
        atol: Largest allowed absolute difference of any output.

    Returns:
        The largest absolute difference found.

    Raises:
        ImportError: If onnxruntime is not installed.
        RuntimeError: If an output differs by more than ``atol``.
    """
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError("Verifying an ONNX export needs onnxruntime: pip install 'rsl-sim[export]'") from err

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch_size in batch_sizes:
        # Random inputs of this batch size; eager outputs as the reference
        examples = module.get_dummy_inputs() if batch_size is None else module.get_dummy_inputs(batch_size)
        inputs = [torch.randn(x.shape, generator=generator) for x in examples]
        with torch.no_grad():
            expected = module(*inputs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        feeds = {name: x.numpy() for name, x in zip(module.input_names, inputs, strict=True)}
        for name, want, got in zip(module.output_names, expected, session.run(None, feeds), strict=True):
            error = float((torch.from_numpy(got) - want).abs().max())
            worst = max(worst, error)
            if error > atol:
                raise RuntimeError(
                    f"ONNX output '{name}' differs from eager by {error:.3g} at batch size {batch_size}."
                )
    return worst


@contextlib.contextmanager
def _quiet_exporter(verbose: bool) -> Iterator[None]:
    """Silence the exporters' internal warnings and log lines (about torch internals, not the model) unless verbose."""
    if verbose:
        yield
        return
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _cpu_copy(module: nn.Module) -> nn.Module:
    """Deep copy of a module on the CPU, so that exporting never moves or changes the trained model."""
    return copy.deepcopy(module).to("cpu")


def _prepare_path(path: str | os.PathLike) -> str:
    """Create the parent folder of ``path`` and return it as a string."""
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    return path


def _zeros_if_resized(state: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Return ``state`` ``[num_layers, batch, hidden]``, or zeros if its batch size differs from ``batch_size``."""
    if state.shape[1] != batch_size:
        return torch.zeros(state.shape[0], batch_size, state.shape[2], dtype=state.dtype, device=state.device)
    return state


def _reset_rows(state: torch.Tensor, dones: torch.Tensor | None) -> torch.Tensor:
    """Return the recurrent state ``[num_layers, batch, hidden]`` with all rows, or the done rows, set to zero.

    Done flags ``[batch]`` for a different batch size than the stored state give an all-zero state of that size.
    """
    if dones is None:
        return torch.zeros_like(state)
    flags = dones.reshape(-1) != 0
    state = _zeros_if_resized(state, flags.shape[0])
    return state.masked_fill(flags.view(1, -1, 1), 0.0)
