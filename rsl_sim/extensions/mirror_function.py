"""A symmetry (data augmentation) function built from declared term layouts instead of hand-indexed columns.

Example (a quadruped, left-right mirror)::

    layout = MirrorLayout(
        joint_names=["FL_hip_joint", "FR_hip_joint", ...],
        foot_names=["FL_foot", "FR_foot", "RL_foot", "RR_foot"],
        negated_joints={"left_right": [".*_hip_joint"]},
    )
    mirror = MirrorFunction(
        layout,
        obs_terms={"policy": [PolarVector("base_lin_vel"), AxialVector("base_ang_vel"), ...]},
        image_terms={"depth": ImageAxes(("z", "y"))},
        copies=["left_right"],
    )
    algorithm_cfg["symmetry_cfg"] = {"use_data_augmentation": True, "data_augmentation_func": mirror}

The function follows the contract of RSL-RL's symmetry extension: ``f(env, obs, actions) -> (obs_aug, actions_aug)``
with the original samples first and then one block per mirrored copy, i.e. batch size ``[B * (1 + num_copies)]``.

Reference:
    Mittal et al. "Symmetry Considerations for Learning Task Symmetric Robot Policies." ICRA (2024).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from tensordict import TensorDict

from rsl_sim.extensions.mirror_terms import REFLECTIONS, JointTerm, MirrorLayout, MirrorTerm, check_reflection

COPY_ALIASES = {"both": ("left_right", "front_back")}
"""Named compositions of reflections usable in ``copies``."""


@dataclass(frozen=True)
class ImageAxes:
    """Base-frame meaning of the two spatial axes ``(H, W)`` of an image group ``[N, C, H, W]``.

    A forward-facing camera has rows along z (up) and columns along y (left): ``("z", "y")``; a reflection flips the
    image axis that lies along the reflection's normal. A reflection whose normal lies along no image axis (a front_back
    mirror of a forward camera) cannot be expressed and is refused.
    """

    axes: tuple[str, str] = ("z", "y")


class MirrorFunction:
    """Mirror observations and actions with signed permutations compiled from declared terms.

    Args:
        layout: Joint and foot names of the robot and how they pair up.
        obs_terms: Per 1D observation group, its terms in order (their sizes must add up to the group's width).
        image_terms: Per 2D observation group ``[N, C, H, W]``, the base-frame axes of its rows and columns.
        action_terms: Terms of the action vector (default: one joint term over the layout's joints).
        copies: The mirrored copies to append after the originals: each a reflection name (``"left_right"``,
            ``"front_back"``), ``"both"``, or a tuple of reflections applied in order.

    Raises:
        ValueError: For an unknown reflection, a term layout that does not fit, or an image group that a reflection
            cannot mirror.
    """

    def __init__(
        self,
        layout: MirrorLayout,
        obs_terms: dict[str, Sequence[MirrorTerm]],
        image_terms: dict[str, ImageAxes] | None = None,
        action_terms: Sequence[MirrorTerm] | None = None,
        copies: Sequence[str | Sequence[str]] = ("left_right",),
    ) -> None:
        self.layout = layout
        self.obs_terms = {group: list(terms) for group, terms in obs_terms.items()}
        self.image_terms = dict(image_terms or {})
        self.action_terms = list(action_terms) if action_terms is not None else [JointTerm("actions")]
        # Resolve each copy into a sequence of reflections
        self.copies: list[tuple[str, ...]] = []
        for copy in copies:
            if isinstance(copy, str):
                reflections = COPY_ALIASES.get(copy, (copy,))
            else:
                reflections = tuple(copy)
            if not reflections:
                raise ValueError("A mirrored copy needs at least one reflection.")
            self.copies.append(tuple(check_reflection(r) for r in reflections))
        if not self.copies:
            raise ValueError(
                f"MirrorFunction needs at least one copy; valid: {list(REFLECTIONS) + list(COPY_ALIASES)}."
            )
        overlap = set(self.obs_terms) & set(self.image_terms)
        if overlap:
            raise ValueError(f"Groups {sorted(overlap)} are declared both as 1D terms and as images.")
        # Compile signed permutations: per group (and actions), one (perm, sign) per copy
        self._vector_maps = {group: self._compile(terms) for group, terms in self.obs_terms.items()}
        self._action_map = self._compile(self.action_terms)
        self._image_flips = {group: self._image_dims(group, axes) for group, axes in self.image_terms.items()}
        self._device_cache: dict[tuple[str, Any], tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def num_copies(self) -> int:
        """Number of mirrored copies appended after the originals."""
        return len(self.copies)

    def _compile(self, terms: Sequence[MirrorTerm]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Compile terms into one signed permutation of the concatenated vector per copy."""
        maps = []
        for reflections in self.copies:
            total_perm: torch.Tensor | None = None
            total_sign: torch.Tensor | None = None
            for reflection in reflections:
                perm, sign = [], []
                offset = 0
                for term in terms:
                    local_perm, local_sign = term.signed_permutation(reflection, self.layout)
                    perm += [offset + p for p in local_perm]
                    sign += local_sign
                    offset += len(local_perm)
                perm_t, sign_t = torch.tensor(perm, dtype=torch.long), torch.tensor(sign)
                if total_perm is None:
                    total_perm, total_sign = perm_t, sign_t
                else:
                    # x2 = (x[p1] * s1)[p2] * s2 = x[p1[p2]] * s1[p2] * s2
                    total_perm, total_sign = total_perm[perm_t], total_sign[perm_t] * sign_t
            maps.append((total_perm, total_sign))
        return maps

    def _image_dims(self, group: str, image: ImageAxes) -> list[tuple[int, ...]]:
        """Per copy, the image dims (of ``[N, C, H, W]``) to flip."""
        flips = []
        for reflections in self.copies:
            dims: set[int] = set()
            for reflection in reflections:
                normal = {"left_right": "y", "front_back": "x"}[reflection]
                if normal not in image.axes:
                    raise ValueError(
                        f"Image group '{group}' has axes {image.axes}: a '{reflection}' reflection (normal {normal}) "
                        "cannot be expressed on it. Declare other copies or remove the group from the mirror."
                    )
                dims ^= {2 + image.axes.index(normal)}
            flips.append(tuple(sorted(dims)))
        return flips

    def _on_device(self, key: str, copy: int, perm_sign: tuple[torch.Tensor, torch.Tensor], like: torch.Tensor):
        """Return the (perm, sign) of a group moved to the device and dtype of ``like`` (cached)."""
        cache_key = (key, copy, like.device, like.dtype)
        if cache_key not in self._device_cache:
            perm, sign = perm_sign
            self._device_cache[cache_key] = (perm.to(like.device), sign.to(device=like.device, dtype=like.dtype))
        return self._device_cache[cache_key]

    def _mirror_vector(self, key: str, maps: list, x: torch.Tensor) -> list[torch.Tensor]:
        width = maps[0][0].numel()
        if x.shape[-1] != width:
            raise ValueError(f"'{key}' has {x.shape[-1]} components but its declared mirror terms add up to {width}.")
        out = []
        for copy, perm_sign in enumerate(maps):
            perm, sign = self._on_device(key, copy, perm_sign, x)
            out.append(x[..., perm] * sign)
        return out

    def mirror_observations(self, obs: TensorDict) -> list[TensorDict]:
        """Return one mirrored copy of ``obs`` per declared copy (each with the batch size of ``obs``).

        Raises:
            ValueError: If ``obs`` holds a group without a declared mirror, or a group's width does not fit its terms.
        """
        undeclared = [
            group for group in obs.keys() if group not in self._vector_maps and group not in self._image_flips
        ]
        if undeclared:
            raise ValueError(
                f"Observation groups {undeclared} have no mirror declaration. Declared: "
                f"{sorted(self._vector_maps) + sorted(self._image_flips)}."
            )
        copies = [{} for _ in self.copies]
        for group, value in obs.items():
            if group in self._vector_maps:
                mirrored = self._mirror_vector(group, self._vector_maps[group], value)
            else:
                if value.dim() != 4:
                    raise ValueError(f"Image group '{group}' must be [N, C, H, W], got shape {tuple(value.shape)}.")
                mirrored = [value.flip(dims) if dims else value.clone() for dims in self._image_flips[group]]
            for copy, tensor in zip(copies, mirrored):
                copy[group] = tensor
        return [TensorDict(copy, batch_size=obs.batch_size, device=obs.device) for copy in copies]

    def mirror_actions(self, actions: torch.Tensor) -> list[torch.Tensor]:
        """Return one mirrored copy of ``actions`` ``[B, num_actions]`` per declared copy."""
        return self._mirror_vector("actions", self._action_map, actions)

    def __call__(
        self, env: Any = None, obs: TensorDict | None = None, actions: torch.Tensor | None = None
    ) -> tuple[TensorDict | None, torch.Tensor | None]:
        """Augment observations and/or actions: originals first, then the mirrored copies.

        Args:
            env: The environment (unused; part of the RSL-RL symmetry-function signature).
            obs: Observations with batch size ``[B]``, or None.
            actions: Actions ``[B, num_actions]``, or None.

        Returns:
            ``(obs_aug [B * (1 + num_copies)], actions_aug [B * (1 + num_copies), num_actions])``; None where the
            input was None.
        """
        obs_aug = None if obs is None else torch.cat([obs, *self.mirror_observations(obs)], dim=0)
        actions_aug = None if actions is None else torch.cat([actions, *self.mirror_actions(actions)], dim=0)
        return obs_aug, actions_aug
