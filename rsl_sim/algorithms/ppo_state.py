"""Modes, checkpoints, compilation and multi-GPU state of :class:`~rsl_sim.algorithms.PPO` (RSL-RL 5.x layout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from rsl_sim.algorithms.config import checkpoint_entry, resolve_load_cfg
from rsl_sim.algorithms.distributed import all_reduce_gradients, broadcast_module_states
from rsl_sim.utils.compile import compile_model

if TYPE_CHECKING:
    from rsl_sim.extensions import RandomNetworkDistillation
    from rsl_sim.models import MLPModel

__all__ = ["PPOStateMixin"]


class PPOStateMixin:
    """What PPO does besides learning: train/eval modes, ``save``/``load``, the policy, compiling, multi-GPU state.

    Expects the attributes :class:`~rsl_sim.algorithms.PPO` sets in its constructor (listed below).
    """

    _raw_actor: MLPModel
    _raw_critic: MLPModel
    actor: MLPModel
    critic: MLPModel
    rnd: RandomNetworkDistillation | None
    optimizer: torch.optim.Optimizer
    learning_rate: float
    gpu_world_size: int
    grad_reduce_bucket_mb: float
    _params: list[torch.nn.Parameter]
    _foreach: bool | None

    def train_mode(self) -> None:
        """Put actor, critic (and RND) in training mode (normalizers update only in training mode)."""
        self.actor.train()
        self.critic.train()
        if self.rnd is not None:
            self.rnd.train()

    def eval_mode(self) -> None:
        """Put actor, critic (and RND) in evaluation mode."""
        self.actor.eval()
        self.critic.eval()
        if self.rnd is not None:
            self.rnd.eval()

    def save(self) -> dict:
        """Return the state to checkpoint (RSL-RL 5.x layout).

        Returns:
            ``{"actor_state_dict", "critic_state_dict", "optimizer_state_dict"}``, plus ``"rnd_state_dict"`` and
            ``"rnd_optimizer_state_dict"`` with RND.
        """
        saved = {
            "actor_state_dict": self._raw_actor.state_dict(),
            "critic_state_dict": self._raw_critic.state_dict(),
            "optimizer_state_dict": self.optimizer.state_dict(),
        }
        if self.rnd is not None:
            saved["rnd_state_dict"] = self.rnd.state_dict()
            saved["rnd_optimizer_state_dict"] = self.rnd.optimizer.state_dict()
        return saved

    def load(self, loaded_dict: dict, load_cfg: dict | None = None, strict: bool = True) -> bool:
        """Load the parts of a checkpoint selected by ``load_cfg``.

        After loading the optimizer, :attr:`learning_rate` is read back from it (the adaptive schedule resumes where
        it stopped).

        Args:
            loaded_dict: A checkpoint written by :meth:`save` (or by RSL-RL 5.x).
            load_cfg: Which parts to load, ``{"actor": bool, "critic": bool, "optimizer": bool, "iteration": bool,
                "rnd": bool}``; missing keys count as False. None loads everything.
            strict: Whether model state dicts must match the models' keys exactly.

        Returns:
            Whether the caller should resume the iteration count (``load_cfg["iteration"]``).

        Raises:
            ValueError: For unknown ``load_cfg`` keys, or if a selected part is missing from the checkpoint.
        """
        load_cfg = resolve_load_cfg(load_cfg)

        # Models
        if load_cfg.get("actor"):
            self._raw_actor.load_state_dict(checkpoint_entry(loaded_dict, "actor_state_dict"), strict=strict)
        if load_cfg.get("critic"):
            self._raw_critic.load_state_dict(checkpoint_entry(loaded_dict, "critic_state_dict"), strict=strict)

        # Optimizer and the learning rate it holds; the multi-tensor flag only affects speed
        if load_cfg.get("optimizer"):
            self.optimizer.load_state_dict(checkpoint_entry(loaded_dict, "optimizer_state_dict"))
            for group in self.optimizer.param_groups:
                group["foreach"] = self._foreach
            self.learning_rate = self.optimizer.param_groups[0]["lr"]

        # Curiosity module and its optimizer (when this algorithm uses RND)
        if load_cfg.get("rnd") and self.rnd is not None:
            self.rnd.load_state_dict(checkpoint_entry(loaded_dict, "rnd_state_dict"), strict=strict)
            self.rnd.optimizer.load_state_dict(checkpoint_entry(loaded_dict, "rnd_optimizer_state_dict"))
        return bool(load_cfg.get("iteration", False))

    def get_policy(self) -> MLPModel:
        """Return the actor (the plain module, also when compiled), e.g. for inference or export."""
        return self._raw_actor

    def compile(self, mode: str | None = None) -> None:
        """Compile actor and critic with ``torch.compile`` (None: use the plain modules).

        Args:
            mode: ``"default"``, ``"max-autotune-no-cudagraphs"`` or None.

        Raises:
            ValueError: For another mode.
        """
        self.actor = compile_model(self._raw_actor, mode)
        self.critic = compile_model(self._raw_critic, mode)

    def broadcast_parameters(self) -> None:
        """Copy the parameters and buffers of process 0 to all processes (multi-GPU)."""
        modules = [self._raw_actor, self._raw_critic]
        if self.rnd is not None:
            modules += [self.rnd.predictor, self.rnd.target]
        broadcast_module_states(modules, src=0)

    def reduce_parameters(self) -> None:
        """Average the gradients over all processes; called after the backward pass (multi-GPU)."""
        params = self._params + (list(self.rnd.predictor.parameters()) if self.rnd is not None else [])
        all_reduce_gradients(params, self.gpu_world_size, self.grad_reduce_bucket_mb)
