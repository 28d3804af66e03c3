"""Symmetry extension: mirrored data augmentation and mirror loss for PPO.

Reference:
    Mittal et al. "Symmetry Considerations for Learning Task Symmetric Robot Policies." ICRA (2024).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from rsl_sim.utils import function_with_parameters, resolve_callable

SYMMETRY_CFG_KEYS = ("data_augmentation_func", "use_data_augmentation", "use_mirror_loss", "mirror_loss_coeff")
"""Keys accepted in ``algorithm.symmetry_cfg`` (``env`` is filled in by :func:`resolve_symmetry_config`)."""

SYMMETRY_FUNCTION_KIND = function_with_parameters(("env", "obs", "actions"), "a symmetry function f(env, obs, actions)")
"""What ``symmetry_cfg.data_augmentation_func`` must name (RSL-RL's calling convention, keywords by name)."""


class Symmetry:
    """Mirrored data augmentation and mirror loss.

    The user function ``f(env, obs, actions) -> (obs_aug, actions_aug)`` returns the original samples first and then
    any number of mirrored copies (batch ``[B * num_aug]``); either input may be None. With ``use_data_augmentation``
    every mini-batch is extended with the mirrored samples, so the surrogate and value losses see both. With
    ``use_mirror_loss`` the actor's mean action on mirrored observations is pulled towards the mirrored mean action
    (MSE, weighted by ``mirror_loss_coeff``). With neither, the mirror loss is still computed for logging, detached.

    Args:
        env: The environment, passed through to the function (e.g. to read term layouts).
        data_augmentation_func: The function, or its name (resolved with :func:`rsl_sim.utils.resolve_callable`).
        use_data_augmentation: Append mirrored samples to every mini-batch.
        use_mirror_loss: Add the mirror loss to the PPO loss.
        mirror_loss_coeff: Weight of the mirror loss.

    Raises:
        ValueError: If ``mirror_loss_coeff`` is negative, or (``UnexpectedKindError``) ``data_augmentation_func`` does
            not name a function with the parameters ``env``, ``obs`` and ``actions``.
    """

    def __init__(
        self,
        env: Any,
        data_augmentation_func: str | Callable,
        use_data_augmentation: bool = False,
        use_mirror_loss: bool = False,
        mirror_loss_coeff: float = 0.0,
    ) -> None:
        if mirror_loss_coeff < 0.0:
            raise ValueError(f"symmetry_cfg.mirror_loss_coeff must be >= 0, got {mirror_loss_coeff}.")
        self.env = env
        self.data_augmentation_func = resolve_callable(
            data_augmentation_func, SYMMETRY_FUNCTION_KIND, "symmetry_cfg.data_augmentation_func"
        )
        self.use_data_augmentation = use_data_augmentation
        self.use_mirror_loss = use_mirror_loss
        self.mirror_loss_coeff = mirror_loss_coeff
        if not (use_data_augmentation or use_mirror_loss):
            print("[rsl_sim] Symmetry is configured for logging only (no augmentation, no mirror loss).")

    @staticmethod
    def check_models(*models: Any) -> None:
        """Refuse recurrent models: mirroring single steps is not defined for a hidden state.

        Raises:
            ValueError: If any model is recurrent.
        """
        recurrent = [type(m).__name__ for m in models if getattr(m, "is_recurrent", False)]
        if recurrent:
            raise ValueError(
                f"Symmetry augmentation / mirror loss does not support recurrent models ({recurrent}): mirrored "
                "samples would need mirrored hidden states. Use a feed-forward model or remove symmetry_cfg."
            )

    def augment_batch(self, batch: Any, original_batch_size: int) -> None:
        """Extend a mini-batch in place with mirrored observations and actions (no-op without augmentation).

        After the call ``batch.observations`` and ``batch.actions`` hold ``[original_batch_size * num_aug, ...]``
        samples, originals first; old log-probabilities, values, advantages and returns are repeated to match.

        Raises:
            ValueError: If the function returns a batch that is not a multiple of the original size.
        """
        if not self.use_data_augmentation:
            return
        batch.observations, batch.actions = self.data_augmentation_func(
            env=self.env, obs=batch.observations, actions=batch.actions
        )
        num_aug = self._num_aug(batch.observations.batch_size[0], original_batch_size)
        for name in ("old_actions_log_prob", "values", "advantages", "returns"):
            value = getattr(batch, name)
            if value is not None:
                setattr(batch, name, value.repeat(num_aug, *([1] * (value.dim() - 1))))

    def compute_loss(
        self, actor: Any, batch: Any, original_batch_size: int, mean_actions: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mirror loss: MSE between ``actor(mirror(obs))`` and ``mirror(actor(obs))`` over the mirrored copies.

        Without ``use_data_augmentation`` the mini-batch is not augmented yet: as in RSL-RL 5.x, the observations are
        augmented here and ``batch.observations`` is replaced by the augmented ``[original_batch_size * num_aug]``
        batch (originals first; the other fields keep their size), which code written against the reference may read.

        RSL-RL runs the actor once more on the whole augmented batch for this loss. The update has already computed
        the actor's mean on ``batch.observations`` (its stochastic forward pass); passed as ``mean_actions`` it is
        reused, so only what is new is computed: nothing with augmentation, the mirrored copies without it. The
        result is the same function of the same parameters (same value and gradient up to float32 rounding). When
        the loss is only logged (``use_mirror_loss`` False) it is computed without an autograd graph.

        Args:
            actor: The actor model; called deterministically (its mean action) where ``mean_actions`` does not cover.
            batch: The mini-batch (augmented or not).
            original_batch_size: Number of original samples at the front of the batch.
            mean_actions: The actor's mean actions ``[len(batch.observations), num_actions]`` on ``batch.observations``
                as passed in (before this call augments them), or None to compute everything here.

        Returns:
            A scalar loss, detached when ``use_mirror_loss`` is False.

        Raises:
            ValueError: If ``mean_actions`` does not have one row per observation of the batch.
        """
        if mean_actions is not None and mean_actions.shape[0] != batch.observations.batch_size[0]:
            raise ValueError(
                f"mean_actions has {mean_actions.shape[0]} rows for a batch of {batch.observations.batch_size[0]} "
                "observations; pass the actor's mean on batch.observations (or None)."
            )
        with torch.set_grad_enabled(self.use_mirror_loss and torch.is_grad_enabled()):
            if not self.use_data_augmentation:
                batch.observations, _ = self.data_augmentation_func(env=self.env, obs=batch.observations, actions=None)
            observations = batch.observations
            self._num_aug(observations.batch_size[0], original_batch_size)
            if mean_actions is None:
                mean_actions = actor(observations)
            elif mean_actions.shape[0] != observations.batch_size[0]:
                # Only the originals' means are known: the actor runs on the mirrored copies alone
                mean_actions = torch.cat([mean_actions, actor(observations[original_batch_size:])])
            # Mirror the actor's mean action on the originals: [original * num_aug] with the originals first
            _, mirrored_means = self.data_augmentation_func(
                env=self.env, obs=None, actions=mean_actions[:original_batch_size]
            )
            loss = torch.nn.functional.mse_loss(
                mean_actions[original_batch_size:], mirrored_means[original_batch_size:].detach()
            )
        return loss if self.use_mirror_loss else loss.detach()

    @staticmethod
    def _num_aug(augmented: int, original: int) -> int:
        if original <= 0 or augmented % original != 0 or augmented < original:
            raise ValueError(
                f"The symmetry function returned {augmented} samples for {original} inputs; it must return the "
                "originals first followed by whole mirrored copies."
            )
        return augmented // original


def resolve_symmetry_config(alg_cfg: dict, env: Any) -> dict:
    """Return a copy of the algorithm config with ``symmetry_cfg`` validated and ``env`` filled in.

    Raises:
        ValueError: If ``symmetry_cfg`` has unknown keys or lacks ``data_augmentation_func``.
    """
    alg_cfg = dict(alg_cfg)
    symmetry_cfg = alg_cfg.get("symmetry_cfg")
    if not symmetry_cfg:
        alg_cfg["symmetry_cfg"] = None
        return alg_cfg
    symmetry_cfg = dict(symmetry_cfg)
    symmetry_cfg.pop("env", None)
    unknown = sorted(set(symmetry_cfg) - set(SYMMETRY_CFG_KEYS))
    if unknown:
        raise ValueError(f"Unknown keys in algorithm.symmetry_cfg: {unknown}. Valid keys: {list(SYMMETRY_CFG_KEYS)}.")
    if symmetry_cfg.get("data_augmentation_func") is None:
        raise ValueError("algorithm.symmetry_cfg needs 'data_augmentation_func' (a callable or 'module:function').")
    symmetry_cfg["env"] = env
    alg_cfg["symmetry_cfg"] = symmetry_cfg
    return alg_cfg
