"""Feed-forward model: selected 1D observation groups -> (normalizer) -> MLP -> (distribution)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from tensordict import TensorDict
from torch import nn

from rsl_sim.models.export import OnnxPolicy, make_jit_policy
from rsl_sim.modules import MLP, EmpiricalNormalization, HiddenState
from rsl_sim.modules.distribution import Distribution
from rsl_sim.utils import resolve_class, subclass_of, unpad_trajectories


class MLPModel(nn.Module):
    """Multi-layer perceptron over the concatenated 1D observation groups of one observation set.

    The groups listed in ``obs_groups[obs_set]`` are concatenated in the listed order into ``[num_envs, obs_dim]``,
    optionally normalized with running statistics (:class:`~rsl_sim.modules.EmpiricalNormalization`) and fed to an
    MLP. With a ``distribution_cfg`` the MLP parameterizes an output distribution (e.g. a Gaussian policy) and the
    model can sample from it; without one it is a deterministic function (e.g. a value function).

    Compatible with RSL-RL 5.x ``rsl_rl.models.MLPModel``: same constructor, methods and state-dict keys
    (``obs_normalizer.*``, ``distribution.*``, ``mlp.*``) and the same parameter order, so 5.x checkpoints (model and
    optimizer states) load unchanged.
    """

    is_recurrent: bool = False
    """Whether the model keeps a recurrent hidden state."""

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims: tuple[int, ...] | list[int] = (256, 256, 256),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
    ) -> None:
        """Build the model from an example observation.

        Args:
            obs: Example observations, a ``TensorDict`` with batch size ``[num_envs]``; only the shapes are used.
            obs_groups: Mapping from observation sets (e.g. ``"actor"``, ``"critic"``) to lists of observation groups.
            obs_set: The observation set this model reads.
            output_dim: Size of the output (e.g. the number of actions, or 1 for a value function).
            hidden_dims: Hidden layer sizes of the MLP (``-1`` takes the input size).
            activation: Activation of the MLP, e.g. ``"elu"`` (see :func:`~rsl_sim.utils.resolve_nn_activation`).
            obs_normalization: Whether to normalize the concatenated 1D input with running mean and std.
            distribution_cfg: ``{"class_name": "GaussianDistribution", **kwargs}`` for a stochastic output, or None
                for a deterministic model.

        Raises:
            ValueError: If ``obs_set`` is not in ``obs_groups``, a listed group is missing from ``obs`` or has the
                wrong rank for this model, the activation or the distribution is unknown, or the distribution config
                has unknown keys.
            TypeError: If ``obs_groups[obs_set]`` or ``distribution_cfg`` has the wrong type.
        """
        super().__init__()

        # Select the observation groups of this model and the size of their concatenation
        self.obs_groups, self.obs_dim = self._get_obs_dim(obs, obs_groups, obs_set)

        # Running normalization of the concatenated 1D observations
        self.obs_normalization = obs_normalization
        if obs_normalization:
            self.obs_normalizer: nn.Module = EmpiricalNormalization(self.obs_dim)
        else:
            self.obs_normalizer = nn.Identity()

        # Output distribution; it decides how many raw outputs the MLP needs. It is registered before the MLP so that
        # the parameter order matches the reference (optimizer states of 5.x checkpoints load)
        self.distribution: Distribution | None = _build_distribution(distribution_cfg, output_dim)
        mlp_output_dim = self.distribution.input_dim if self.distribution is not None else output_dim

        # MLP head and the distribution's own initialization of its last layer
        self.mlp = MLP(self._get_latent_dim(), mlp_output_dim, hidden_dims, activation)
        if self.distribution is not None:
            self.distribution.init_mlp_weights(self.mlp)

    def forward(
        self,
        obs: TensorDict,
        masks: torch.Tensor | None = None,
        hidden_state: HiddenState = None,
        stochastic_output: bool = False,
    ) -> torch.Tensor:
        """Compute the model output.

        Args:
            obs: Observations with the model's groups, ``[num_envs, ...]`` per group; in a recurrent update padded
                trajectories ``[time, num_trajectories, ...]`` together with ``masks``.
            masks: Validity masks ``[time, num_trajectories]`` of padded trajectories, or None for one step.
            hidden_state: Hidden state at the start of the padded trajectories (recurrent models only).
            stochastic_output: Sample from the distribution instead of returning its deterministic output (mean).
                Has no effect for a model without a distribution.

        Returns:
            Output ``[num_envs, output_dim]`` (``[time, num_envs, output_dim]`` for padded trajectories).
        """
        # A feed-forward model inside a recurrent update gets padded trajectories: remove the padding first
        if masks is not None and not self.is_recurrent:
            obs = unpad_trajectories(obs, masks)
        mlp_output = self.mlp(self.get_latent(obs, masks, hidden_state))

        # Deterministic model, deterministic output of a stochastic model, or a sample
        if self.distribution is None:
            return mlp_output
        if stochastic_output:
            self.distribution.update(mlp_output)
            return self.distribution.sample()
        return self.distribution.deterministic_output(mlp_output)

    def get_latent(
        self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        """Concatenate the model's 1D groups (in the listed order) and normalize them.

        Args:
            obs: Observations, ``[..., dim]`` per 1D group.
            masks: Unused by this model (kept for the common model interface).
            hidden_state: Unused by this model (kept for the common model interface).

        Returns:
            Latent ``[..., obs_dim]``, the input of the MLP head.
        """
        latent = torch.cat([obs[group] for group in self.obs_groups], dim=-1)
        return self.obs_normalizer(latent)

    def reset(self, dones: torch.Tensor | None = None, hidden_state: HiddenState = None) -> None:
        """Reset the recurrent state (nothing to do for a feed-forward model)."""

    def get_hidden_state(self) -> HiddenState:
        """Return the recurrent hidden state: always None for a feed-forward model."""
        return None

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        """Detach the recurrent hidden state (nothing to do for a feed-forward model)."""

    @property
    def output_mean(self) -> torch.Tensor:
        """Mean ``[num_envs, output_dim]`` of the distribution of the last stochastic forward pass."""
        return self._require_distribution().mean

    @property
    def output_std(self) -> torch.Tensor:
        """Standard deviation ``[num_envs, output_dim]`` of the distribution of the last stochastic forward pass."""
        return self._require_distribution().std

    @property
    def output_entropy(self) -> torch.Tensor:
        """Entropy ``[num_envs]`` (summed over outputs) of the distribution of the last stochastic forward pass."""
        return self._require_distribution().entropy

    @property
    def output_distribution_params(self) -> tuple[torch.Tensor, ...]:
        """Parameters of the distribution of the last stochastic forward pass (e.g. ``(mean, std)``)."""
        return self._require_distribution().params

    def get_output_log_prob(self, outputs: torch.Tensor) -> torch.Tensor:
        """Log-probability ``[num_envs]`` of ``outputs`` ``[num_envs, output_dim]`` under the current distribution.

        Raises:
            ValueError: If the model has no distribution.
        """
        return self._require_distribution().log_prob(outputs)

    def get_kl_divergence(
        self, old_params: tuple[torch.Tensor, ...], new_params: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        """KL(old || new) ``[num_envs]`` between two parameter tuples of the model's distribution.

        Raises:
            ValueError: If the model has no distribution.
        """
        return self._require_distribution().kl_divergence(old_params, new_params)

    def update_normalization(self, obs: TensorDict) -> None:
        """Update the running observation statistics from a batch (only in training mode, only with normalization).

        Args:
            obs: Observations ``[batch, ...]`` per group; any leading dimensions are treated as batch.
        """
        if not self.obs_normalization or self.obs_dim == 0:
            return
        # Gather the normalized input exactly as in get_latent, flattened to one batch dimension
        batch = torch.cat([obs[group] for group in self.obs_groups], dim=-1)
        self.obs_normalizer.update(batch.reshape(-1, self.obs_dim))

    def as_jit(self) -> nn.Module:
        """Return a TorchScript-ready copy for deployment: normalizer and deterministic head inside.

        Call it as ``policy(obs)`` with ``obs`` ``[batch, obs_dim]`` (the 1D groups concatenated in order). See
        :mod:`rsl_sim.models.export`.
        """
        return make_jit_policy(**self._export_parts())

    def as_onnx(self, verbose: bool = False) -> nn.Module:
        """Return an ONNX-ready copy for deployment (input ``obs``, output ``actions``, dynamic batch).

        Args:
            verbose: Print the exported graph (passed on to ``torch.onnx.export`` by the export helper).
        """
        return OnnxPolicy(**self._export_parts(), verbose=verbose)

    def _export_parts(self) -> dict[str, Any]:
        """Collect the modules the export wrappers need (subclasses add encoders and recurrent layers)."""
        if self.distribution is not None:
            output_module = self.distribution.as_deterministic_output_module()
        else:
            output_module = nn.Identity()
        return {
            "obs_normalizer": self.obs_normalizer,
            "mlp": self.mlp,
            "output_module": output_module,
            "obs_dim": self.obs_dim,
        }

    def _get_obs_dim(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str) -> tuple[list[str], int]:
        """Select the model's groups and check that all are 1D.

        Returns:
            The 1D groups in order and the size of their concatenation.

        Raises:
            ValueError: If a group is not 1D (``[num_envs, dim]``), or as :func:`select_obs_groups`.
        """
        groups = select_obs_groups(obs, obs_groups, obs_set)
        obs_dim = 0
        for group in groups:
            shape = tuple(obs[group].shape)
            if len(shape) != 2:
                raise ValueError(
                    f"{type(self).__name__} takes only 1D observation groups [num_envs, dim], but group '{group}' of"
                    f" observation set '{obs_set}' has shape {list(shape)}. Use CNNModel or CNNRNNModel for image"
                    " groups [num_envs, channels, height, width]."
                )
            obs_dim += shape[-1]
        return groups, obs_dim

    def _get_latent_dim(self) -> int:
        """Size of the latent that enters the MLP head."""
        return self.obs_dim

    def _require_distribution(self) -> Distribution:
        """Return the distribution, or explain that this model is deterministic."""
        if self.distribution is None:
            raise ValueError(
                f"This {type(self).__name__} has no output distribution (distribution_cfg=None). Give it a"
                " distribution_cfg such as {'class_name': 'GaussianDistribution', 'init_std': 1.0} to use"
                " log-probabilities, entropy, KL or stochastic outputs."
            )
        return self.distribution


def select_obs_groups(obs: TensorDict, obs_groups: Mapping[str, list[str]], obs_set: str) -> list[str]:
    """Return the observation groups of ``obs_set`` after checking them against the observations.

    Args:
        obs: Observations with batch size ``[num_envs]``.
        obs_groups: Mapping from observation sets to lists of groups.
        obs_set: The set to select.

    Returns:
        The groups of ``obs_set`` in the listed order.

    Raises:
        ValueError: If ``obs_set`` is not a key of ``obs_groups``, its list is empty, or a group is not in ``obs``.
        TypeError: If the entry of ``obs_set`` is not a list or tuple of strings.
    """
    if obs_set not in obs_groups:
        raise ValueError(
            f"Observation set '{obs_set}' is not in obs_groups; the sets defined there are {list(obs_groups)}."
            f" Add e.g. obs_groups['{obs_set}'] = ['policy']."
        )
    groups = obs_groups[obs_set]
    if not isinstance(groups, (list, tuple)) or not all(isinstance(group, str) for group in groups):
        raise TypeError(f"obs_groups['{obs_set}'] must be a list of group names, got {groups!r}.")
    if len(groups) == 0:
        raise ValueError(f"obs_groups['{obs_set}'] is empty; list at least one observation group.")
    available = list(obs.keys())
    for group in groups:
        if group not in available:
            raise ValueError(
                f"Observation group '{group}' of observation set '{obs_set}' is not in the observations; the groups"
                f" available are {available}."
            )
    return list(groups)


def _build_distribution(distribution_cfg: Mapping[str, Any] | None, output_dim: int) -> Distribution | None:
    """Build the output distribution from ``{"class_name": ..., **kwargs}`` (None: no distribution).

    Raises:
        TypeError: If the config is not a dict, or the class does not build an ``nn.Module``.
        ValueError: If ``class_name`` is missing, unknown or not a :class:`Distribution` subclass, or a keyword is not
            an argument of the class.
    """
    if distribution_cfg is None:
        return None
    if not isinstance(distribution_cfg, Mapping):
        raise TypeError(f"distribution_cfg must be a dict with a 'class_name' key or None, got {distribution_cfg!r}.")
    if "class_name" not in distribution_cfg:
        raise ValueError(
            f"distribution_cfg has no 'class_name' key (keys: {list(distribution_cfg)}). Valid choices:"
            f" {_distribution_names()} or 'package.module:ClassName'."
        )

    # Resolve the class; an unknown name is reported together with the valid choices
    class_name = distribution_cfg["class_name"]
    try:
        dist_class, kwargs = resolve_class(
            distribution_cfg, subclass_of(Distribution, "an output distribution"), "distribution_cfg"
        )
    except (ValueError, ImportError, AttributeError) as err:
        raise ValueError(
            f"Unknown distribution class_name {class_name!r} in distribution_cfg ({err}). Valid choices:"
            f" {_distribution_names()}, a Distribution subclass, or 'package.module:ClassName'."
        ) from err

    # Refuse keyword arguments the class does not take (typos would otherwise surface as a bare TypeError)
    if inspect.isclass(dist_class):
        params = inspect.signature(dist_class).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        unknown = [key for key in kwargs if key not in params or key == "output_dim"]
        if unknown and not takes_any:
            valid = [name for name in params if name != "output_dim"]
            raise ValueError(f"Unknown keys {unknown} in distribution_cfg of {class_name!r}; valid keys are {valid}.")

    distribution = dist_class(output_dim, **kwargs)
    if not isinstance(distribution, nn.Module):
        raise TypeError(f"distribution_cfg class {class_name!r} built {type(distribution).__name__}, not an nn.Module.")
    return distribution


def _distribution_names() -> list[str]:
    """Names of the distributions shipped in :mod:`rsl_sim.modules.distribution`."""
    from rsl_sim.modules import distribution as module

    return sorted(
        name
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, Distribution) and value is not Distribution
    )
