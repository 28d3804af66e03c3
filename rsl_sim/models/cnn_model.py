"""Camera model: CNN encoders for image groups + (normalized) 1D groups -> MLP -> (distribution)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from tensordict import TensorDict
from torch import nn

from rsl_sim.models.mlp_model import MLPModel, select_obs_groups
from rsl_sim.modules import CNN, HiddenState


class CNNModel(MLPModel):
    """Model with one CNN encoder per image group and an MLP head.

    Image groups ``[num_envs, channels, height, width]`` pass through their own CNN encoder (flattened output); the 1D
    groups ``[num_envs, dim]`` are concatenated in the listed order and optionally normalized. The MLP head reads
    ``[1D observations, CNN latents]`` (image groups in the listed order). Encoders can be shared between models (e.g.
    actor and critic) by passing ``cnns``.

    Compatible with RSL-RL 5.x ``rsl_rl.models.CNNModel``: same constructor, ``cnn_cfg`` forms, state-dict keys
    (``cnns.<group>.*`` besides those of :class:`MLPModel`) and parameter order. Beyond the reference, images with
    extra leading dimensions (``[time, num_envs, C, H, W]`` in recurrent updates) are folded for the encoders.
    """

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
        cnn_cfg: dict[str, dict] | dict[str, Any] | None = None,
        cnns: nn.ModuleDict | dict[str, nn.Module] | None = None,
    ) -> None:
        """Build the model from an example observation.

        Args:
            obs: Example observations, a ``TensorDict`` with batch size ``[num_envs]``; only the shapes are used.
            obs_groups: Mapping from observation sets to lists of observation groups.
            obs_set: The observation set this model reads; it must hold at least one image group.
            output_dim: Size of the output.
            hidden_dims: Hidden layer sizes of the MLP head.
            activation: Activation of the MLP head (the encoders take theirs from ``cnn_cfg``).
            obs_normalization: Whether to normalize the concatenated 1D input with running mean and std.
            distribution_cfg: ``{"class_name": ..., **kwargs}`` for a stochastic output, or None.
            cnn_cfg: Keyword arguments of :class:`~rsl_sim.modules.CNN` (``output_channels``, ``kernel_size``, ...),
                either one dict used for every image group or a dict keyed by image group name.
            cnns: Existing encoders keyed by image group (e.g. the actor's, to share them with the critic). When
                given, ``cnn_cfg`` is not used.

        Raises:
            ValueError: If the set holds no image group, a group is neither 1D nor an image, ``cnn_cfg`` is missing,
                names a group that is not an image group of this set or misses one, shared ``cnns`` do not match the
                image groups, or an encoder does not flatten its output; and as :class:`MLPModel`.
        """
        # Split the groups into 1D and image groups (the parent selects the 1D ones again through _get_obs_dim)
        self._get_obs_dim(obs, obs_groups, obs_set)

        # Encoders: shared ones, or one new CNN per image group
        if cnns is not None:
            cnns = self._check_shared_cnns(cnns, cnn_cfg)
        else:
            group_cfgs = self._per_group_cnn_cfg(cnn_cfg)
            cnns = {
                group: CNN(input_dim=hw, input_channels=channels, **group_cfgs[group])
                for group, hw, channels in zip(self.obs_groups_2d, self.obs_dims_2d, self.obs_channels_2d)
            }
        self.cnn_latent_dim = sum(self._encoder_output_dim(group, cnns[group]) for group in self.obs_groups_2d)

        super().__init__(
            obs, obs_groups, obs_set, output_dim, hidden_dims, activation, obs_normalization, distribution_cfg
        )

        # Encoders are registered after the MLP head (parameter order of the reference)
        self.cnns = cnns if isinstance(cnns, nn.ModuleDict) else nn.ModuleDict(cnns)

    def get_latent(
        self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        """Concatenate the normalized 1D observations and the CNN latents of the image groups.

        Args:
            obs: Observations: ``[..., dim]`` per 1D group, ``[..., C, H, W]`` per image group (same leading dims).
            masks: Unused by this model (kept for the common model interface).
            hidden_state: Unused by this model (kept for the common model interface).

        Returns:
            Latent ``[..., obs_dim + cnn_latent_dim]``.
        """
        latents = [self._encode_image(group, obs[group]) for group in self.obs_groups_2d]
        if self.obs_groups:
            latents.insert(0, super().get_latent(obs))
        return torch.cat(latents, dim=-1)

    def _encode_image(self, group: str, image: torch.Tensor) -> torch.Tensor:
        """Encode ``[..., C, H, W]`` images of one group into ``[..., latent]`` (leading dims folded for the CNN).

        Integer images (e.g. ``uint8`` camera frames, kept as such in the rollout storage) are scaled to ``[0, 1]`` by
        their dtype's maximum before the CNN; floating-point images are used as they are. Exported policies take
        floating-point images.
        """
        if not image.is_floating_point():
            image = image.float() / float(torch.iinfo(image.dtype).max)
        leading = image.shape[:-3]
        latent = self.cnns[group](image.reshape(-1, *image.shape[-3:]))
        return latent.reshape(*leading, latent.shape[-1])

    def _export_parts(self) -> dict[str, Any]:
        """Export parts of the MLP model plus the encoders in image-group order and the image shapes."""
        return {
            **super()._export_parts(),
            "cnns": [self.cnns[group] for group in self.obs_groups_2d],
            "image_groups": list(self.obs_groups_2d),
            "image_shapes": [
                (channels, *hw) for channels, hw in zip(self.obs_channels_2d, self.obs_dims_2d, strict=True)
            ],
        }

    def _get_obs_dim(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str) -> tuple[list[str], int]:
        """Split the model's groups into 1D groups and image groups.

        Stores the image groups, their ``(height, width)`` and channel counts as attributes.

        Returns:
            The 1D groups in order and the size of their concatenation.

        Raises:
            ValueError: If a group is neither ``[num_envs, dim]`` nor ``[num_envs, C, H, W]``, or there is no image
                group.
        """
        groups_1d, obs_dim_1d = [], 0
        groups_2d, dims_2d, channels_2d = [], [], []
        for group in select_obs_groups(obs, obs_groups, obs_set):
            shape = tuple(obs[group].shape)
            if len(shape) == 4:
                groups_2d.append(group)
                channels_2d.append(shape[1])
                dims_2d.append((shape[2], shape[3]))
            elif len(shape) == 2:
                groups_1d.append(group)
                obs_dim_1d += shape[1]
            else:
                raise ValueError(
                    f"{type(self).__name__} takes 1D groups [num_envs, dim] and image groups [num_envs, channels,"
                    f" height, width], but group '{group}' of observation set '{obs_set}' has shape {list(shape)}."
                )
        if not groups_2d:
            raise ValueError(
                f"{type(self).__name__} needs at least one image group [num_envs, channels, height, width] in"
                f" observation set '{obs_set}', but all of {groups_1d} are 1D. Use MLPModel (or RNNModel) instead."
            )
        self.obs_groups_2d = groups_2d
        self.obs_dims_2d = dims_2d
        self.obs_channels_2d = channels_2d
        return groups_1d, obs_dim_1d

    def _get_latent_dim(self) -> int:
        """Size of the latent that enters the MLP head: 1D observations plus all CNN latents."""
        return self.obs_dim + self.cnn_latent_dim

    def _per_group_cnn_cfg(self, cnn_cfg: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        """Return one CNN config per image group from a shared config or a config keyed by group.

        Raises:
            ValueError: If ``cnn_cfg`` is None, or a keyed config names an unknown group or misses an image group.
            TypeError: If ``cnn_cfg`` is not a dict.
        """
        if cnn_cfg is None:
            raise ValueError(
                f"{type(self).__name__} needs cnn_cfg (the CNN arguments, e.g. {{'output_channels': [16, 32],"
                " 'kernel_size': 3}, or a dict of them keyed by image group) unless encoders are passed in cnns."
            )
        if not isinstance(cnn_cfg, Mapping):
            raise TypeError(f"cnn_cfg must be a dict, got {cnn_cfg!r}.")

        # A dict whose values are all dicts is keyed by image group; anything else is one config for all groups
        if not (cnn_cfg and all(isinstance(value, Mapping) for value in cnn_cfg.values())):
            return {group: dict(cnn_cfg) for group in self.obs_groups_2d}
        unknown = [key for key in cnn_cfg if key not in self.obs_groups_2d]
        if unknown:
            raise ValueError(
                f"cnn_cfg has entries for {unknown}, which are not image groups of this model; the image groups are"
                f" {self.obs_groups_2d}."
            )
        missing = [group for group in self.obs_groups_2d if group not in cnn_cfg]
        if missing:
            raise ValueError(
                f"cnn_cfg is keyed by image group but has no entry for {missing}; the image groups are"
                f" {self.obs_groups_2d}."
            )
        return {group: dict(cnn_cfg[group]) for group in self.obs_groups_2d}

    def _check_shared_cnns(
        self, cnns: nn.ModuleDict | Mapping[str, nn.Module], cnn_cfg: Mapping[str, Any] | None
    ) -> nn.ModuleDict | dict[str, nn.Module]:
        """Check that shared encoders cover exactly this model's image groups.

        Raises:
            ValueError: If the keys of ``cnns`` differ from the image groups.
        """
        if set(cnns.keys()) != set(self.obs_groups_2d):
            raise ValueError(
                f"Shared cnns are keyed by {sorted(cnns.keys())}, but this model's image groups are"
                f" {sorted(self.obs_groups_2d)}; models sharing encoders must read the same image groups."
            )
        if cnn_cfg is not None:
            print(f"[{type(self).__name__}] Using shared CNN encoders; this model's cnn_cfg is not used.")
        return cnns if isinstance(cnns, nn.ModuleDict) else dict(cnns)

    @staticmethod
    def _encoder_output_dim(group: str, cnn: nn.Module) -> int:
        """Flattened output size of an encoder.

        Raises:
            ValueError: If the encoder does not flatten its output or does not report its output size.
        """
        if getattr(cnn, "output_channels", None) is not None or not isinstance(getattr(cnn, "output_dim", None), int):
            raise ValueError(
                f"The encoder of image group '{group}' must flatten its output (cnn_cfg 'flatten': True) and report"
                f" its size as an int 'output_dim'; got output_dim={getattr(cnn, 'output_dim', None)!r}."
            )
        return int(cnn.output_dim)
