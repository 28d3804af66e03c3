"""The observation manager: assembles the observation terms into groups (Isaac Lab's ``ObservationManager``).

Each term is a function ``term(env, **params) -> [num_envs, dim]`` (or ``[num_envs, C, H, W]`` for images). The
manager evaluates a group's terms in order, adds the configured uniform noise (groups with ``enable_corruption``),
clips, scales and writes them side by side into one ``float32`` array ``[num_envs, group_dim]``, as Isaac Lab's
``ObservationManager`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import ManagerBase
from rsl_sim.tasks.mujoco.managers.term_cfg import ObservationGroupCfg, ObservationTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class ObservationManager(ManagerBase):
    """Computes the observation groups of the env.

    Args:
        cfg: Observation groups by name.
        env: The environment (terms read its state).

    Raises:
        ValueError: If a group is empty, a term cannot be resolved, a term returns neither ``[N, dim]`` nor
            ``[N, C, H, W]``, a group mixes vectors and images, or an image term has noise.

    Attributes:
        group_term_dims: Per group, each term's width (channels for image terms), in order.
        group_dims: Width of each vector group.
        group_shapes: Shape of each group without the env axis: ``(dim,)`` or ``(C, H, W)``.
    """

    cfg_key = "observations"
    term_module = "observations"

    def __init__(self, cfg: dict[str, ObservationGroupCfg], env: VelocityEnv) -> None:
        super().__init__(cfg, env)

    def _prepare_terms(self, cfg: dict[str, ObservationGroupCfg]) -> None:
        # groups of terms (Isaac Lab's ObservationManager._prepare_terms): each term evaluated once for its width
        env = self.env
        self._term_names = []
        self.group_names = list(cfg)
        self._groups: dict[str, list[tuple[str, Callable[..., np.ndarray], dict[str, Any], ObservationTermCfg]]] = {}
        self.group_term_dims: dict[str, dict[str, int]] = {}
        self.group_dims: dict[str, int] = {}
        self.group_shapes: dict[str, tuple[int, ...]] = {}
        self._noise: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray] | None] = {}
        for group_name, group in cfg.items():
            # Resolve each term and evaluate it once to learn its width (channels for images) and its noise columns
            terms = []
            dims: dict[str, int] = {}
            noise_cols, noise_low, noise_high = [], [], []
            image_shape: tuple[int, int] | None = None
            start = 0
            for term_name, term in group.terms.items():
                if term is None:
                    continue
                key = f"observations.{group_name}.{term_name}"
                func, params = self._resolve_term(term, key)
                value = func(env, **params)
                if np.ndim(value) not in (2, 4) or value.shape[0] != env.num_envs:
                    raise ValueError(
                        f"{key}: the term returned shape {np.shape(value)}, expected [num_envs, dim] or "
                        "[num_envs, C, H, W]."
                    )
                # a group holds either vectors or images of one size
                if (np.ndim(value) == 4) != (image_shape is not None) and terms:
                    raise ValueError(f"observations.{group_name}: vector and image terms cannot share a group.")
                if np.ndim(value) == 4:
                    if image_shape is not None and value.shape[2:] != image_shape:
                        raise ValueError(f"{key}: image size {value.shape[2:]} differs from the group's {image_shape}.")
                    image_shape = value.shape[2:]
                    if group.enable_corruption and term.noise is not None:
                        raise ValueError(f"{key}: noise on image terms is not supported; set noise=None.")
                dim = value.shape[1]
                if group.enable_corruption and term.noise is not None:
                    noise_cols.extend(range(start, start + dim))
                    noise_low.extend([term.noise.n_min] * dim)
                    noise_high.extend([term.noise.n_max] * dim)
                terms.append((term_name, func, params, term))
                dims[term_name] = dim
                start += dim
            # Group layout and the noise bounds of its noisy columns
            if not terms:
                raise ValueError(f"observations.{group_name} has no terms.")
            self._groups[group_name] = terms
            self.group_term_dims[group_name] = dims
            if image_shape is None:
                self.group_dims[group_name] = start
                self.group_shapes[group_name] = (start,)
            else:
                self.group_shapes[group_name] = (start, *image_shape)
            self._noise[group_name] = (
                (np.asarray(noise_cols), np.asarray(noise_low), np.asarray(noise_high) - np.asarray(noise_low))
                if noise_cols
                else None
            )

    def group_terms(self, group_name: str) -> list[tuple[str, Callable[..., np.ndarray], dict[str, Any], int]]:
        """The resolved terms of a group, in order: ``(term name, function, resolved params, width)``.

        The width is the term's size along axis 1 (channels for image terms). Used to declare layouts that follow the
        observations, e.g. the Go2 mirror function.

        Raises:
            ValueError: If the group does not exist.
        """
        if group_name not in self._groups:
            raise ValueError(f"Unknown observation group {group_name!r}; groups: {self.group_names}.")
        dims = self.group_term_dims[group_name]
        return [(name, func, params, dims[name]) for name, func, params, _ in self._groups[group_name]]

    def compute(self) -> dict[str, np.ndarray]:
        """Evaluate every group.

        Returns:
            Group name -> ``float32`` array ``[num_envs, group_dim]`` (``[num_envs, C, H, W]`` for image groups).
        """
        return {name: self.compute_group(name) for name in self.group_names}

    def compute_group(self, group_name: str) -> np.ndarray:
        """Evaluate one group: terms in order, noise, clip and scale per term, concatenated.

        Args:
            group_name: The group.

        Returns:
            ``float32`` array ``[num_envs, *group_shape]``.
        """
        env = self.env
        # Raw term values side by side (along the channel axis for images)
        values = np.empty((env.num_envs, *self.group_shapes[group_name]), dtype=np.float64)
        start = 0
        for _, func, params, _ in self._groups[group_name]:
            value = func(env, **params)
            values[:, start : start + value.shape[1]] = value
            start += value.shape[1]
        # Noise for all noisy columns in one draw, then clip and scale per term
        noise = self._noise[group_name]
        if noise is not None:
            cols, low, width = noise
            values[:, cols] += low + width * env.rng.random((env.num_envs, len(cols)))
        start = 0
        for term_name, _, _, term in self._groups[group_name]:
            stop = start + self.group_term_dims[group_name][term_name]
            if term.clip is not None:
                np.clip(values[:, start:stop], term.clip[0], term.clip[1], out=values[:, start:stop])
            if term.scale is not None:
                values[:, start:stop] *= term.scale
            start = stop
        return values.astype(np.float32)
