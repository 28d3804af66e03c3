"""Teacher-student distillation (DAgger-style behaviour cloning) with the RSL-RL 5.x interface."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import torch
from tensordict import TensorDict
from torch import nn

from rsl_sim.algorithms.config import check_multi_gpu_cfg, check_unknown_keys, checkpoint_entry
from rsl_sim.algorithms.construction import ALGORITHM_KIND, MODEL_KIND
from rsl_sim.algorithms.distributed import all_reduce_gradients, broadcast_module_states
from rsl_sim.env import VecEnv
from rsl_sim.models import MLPModel
from rsl_sim.storage import RolloutStorage
from rsl_sim.utils import resolve_class, resolve_obs_groups, resolve_optimizer
from rsl_sim.utils.compile import compile_model

__all__ = ["Distillation", "TeacherMismatchError"]

LOSS_TYPES = {"mse": nn.functional.mse_loss, "huber": nn.functional.huber_loss}
"""Behaviour-cloning losses by name."""

DISTILLATION_LOAD_CFG_KEYS = ("student", "teacher", "optimizer", "iteration")
"""Parts of a checkpoint that :meth:`Distillation.load` can load."""


class TeacherMismatchError(ValueError):
    """The teacher config does not build the network stored in the checkpoint."""


class Distillation:
    """Distill a (privileged) teacher policy into a student that sees other observations.

    The student acts in the environment (on-policy data, as in DAgger: Ross et al., "A Reduction of Imitation Learning
    and Structured Prediction to No-Regret Online Learning", AISTATS 2011), and the frozen teacher labels each visited
    state with its deterministic action. The student minimizes the behaviour-cloning loss (MSE or Huber) between its
    deterministic action and the teacher's, backpropagated through time over windows of ``gradient_length`` steps
    (truncated BPTT for recurrent students), for ``num_learning_epochs`` passes over each rollout.

    The teacher must be loaded before learning: :meth:`load` fills it from a PPO checkpoint's ``actor_state_dict``
    (or a distillation checkpoint's ``teacher_state_dict``); a teacher config that does not match the checkpoint's
    parameters raises :class:`TeacherMismatchError` listing the differing keys.

    Args:
        student: The student model (deterministic output used for the loss; may have a distribution for acting).
        teacher: The teacher model (its deterministic output is the label); frozen and kept in eval mode.
        storage: A ``"distillation"`` rollout storage.
        num_learning_epochs: Passes over each rollout.
        gradient_length: Steps accumulated per gradient step (truncated BPTT window).
        learning_rate: Learning rate of the student's optimizer.
        max_grad_norm: Gradient-norm clip of the student (None: no clipping).
        loss_type: ``"mse"`` or ``"huber"``.
        optimizer: ``"adam"``, ``"adamw"``, ``"sgd"`` or ``"rmsprop"``.
        use_mixed_precision: bfloat16 autocast of the student's forward passes in the update.
        device: Device of models and storage.
        multi_gpu_cfg: ``{"global_rank", "local_rank", "world_size"}`` for multi-process training, or None.
        grad_reduce_bucket_mb: Bucket size of the gradient all-reduce in MB.
        torch_compile_mode: ``torch.compile`` mode of the models, or None.
        rnd_cfg: Must be None (RND is not defined for distillation).
        symmetry_cfg: Must be None (symmetry is not defined for distillation).

    Raises:
        ValueError: For an unknown ``loss_type`` or keyword argument, a non-positive ``gradient_length`` or
            ``num_learning_epochs``, a distillation storage of the wrong type, or an RND / symmetry config.
    """

    teacher_loaded: bool = False
    """Whether the teacher's parameters were loaded (learning refuses to start otherwise)."""

    def __init__(
        self,
        student: MLPModel,
        teacher: MLPModel,
        storage: RolloutStorage,
        num_learning_epochs: int = 1,
        gradient_length: int = 15,
        learning_rate: float = 1e-3,
        max_grad_norm: float | None = None,
        loss_type: str = "mse",
        optimizer: str = "adam",
        use_mixed_precision: bool = False,
        device: str = "cpu",
        multi_gpu_cfg: dict | None = None,
        grad_reduce_bucket_mb: float = 25,
        torch_compile_mode: str | None = None,
        rnd_cfg: dict | None = None,
        symmetry_cfg: dict | None = None,
        **kwargs: Any,
    ) -> None:
        # Refuse what distillation cannot do
        check_unknown_keys(kwargs, DISTILLATION_ARGUMENTS, "Distillation")
        if rnd_cfg is not None or symmetry_cfg is not None:
            raise ValueError(
                "Distillation does not support the RND or symmetry extensions; set rnd_cfg and symmetry_cfg to None."
            )
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"Unknown distillation loss_type '{loss_type}'. Valid types: {list(LOSS_TYPES)}.")
        for name, value in (("num_learning_epochs", num_learning_epochs), ("gradient_length", gradient_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Distillation argument '{name}' must be a positive integer, got {value!r}.")
        if storage.training_type != "distillation":
            raise ValueError(f"Distillation needs a 'distillation' rollout storage, got '{storage.training_type}'.")
        check_multi_gpu_cfg(multi_gpu_cfg)

        # Device and multi-process settings
        self.device = device
        self.is_multi_gpu = multi_gpu_cfg is not None
        self.gpu_global_rank = multi_gpu_cfg["global_rank"] if multi_gpu_cfg else 0
        self.gpu_world_size = multi_gpu_cfg["world_size"] if multi_gpu_cfg else 1
        self.grad_reduce_bucket_mb = grad_reduce_bucket_mb

        # Models: the teacher is frozen (no gradients, eval mode); plain modules kept for state dicts and export
        self._raw_student = student.to(device)
        self._raw_teacher = teacher.to(device)
        self._raw_teacher.requires_grad_(False)
        self._raw_teacher.eval()
        self.compile(torch_compile_mode)
        self.optimizer = resolve_optimizer(optimizer)(self._raw_student.parameters(), lr=learning_rate)

        # Storage and the transition filled step by step
        self.storage = storage
        self.transition = RolloutStorage.Transition()
        self.last_hidden_states: tuple[Any, Any] = (None, None)

        # Hyperparameters
        self.num_learning_epochs = num_learning_epochs
        self.gradient_length = gradient_length
        self.learning_rate = learning_rate
        self.max_grad_norm = max_grad_norm
        self.loss_fn = LOSS_TYPES[loss_type]
        self.use_mixed_precision = use_mixed_precision
        self.num_updates = 0
        self.num_gradient_steps = 0
        self.rnd = None
        self.symmetry = None
        self.intrinsic_rewards = None

        # Steps of each update that never reach a gradient step
        total = num_learning_epochs * storage.num_transitions_per_env
        if total % gradient_length != 0:
            warnings.warn(
                f"num_learning_epochs * num_steps_per_env = {num_learning_epochs} * {storage.num_transitions_per_env}"
                f" = {total} is not a multiple of gradient_length ({gradient_length}): the last "
                f"{total % gradient_length} steps of each update never reach a gradient step. Choose a gradient_length"
                f" that divides {total}.",
                stacklevel=2,
            )

    # Rollout

    def act(self, obs: TensorDict) -> torch.Tensor:
        """Let the student act and the teacher label the state.

        Args:
            obs: Observations with batch size ``[num_envs]`` (student and teacher groups).

        Returns:
            The student's actions ``[num_envs, num_actions]`` (sampled if it has a distribution).
        """
        with torch.no_grad():
            self.transition.actions = self.student(obs, stochastic_output=True)
            self.transition.privileged_actions = self.teacher(obs)
        self.transition.observations = obs
        return self.transition.actions

    def process_env_step(
        self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict[str, Any]
    ) -> None:
        """Store the transition and reset the recurrent states of finished episodes.

        Args:
            obs: Observations after the step (unused).
            rewards: Rewards ``[num_envs]`` (stored for logging only).
            dones: Done flags ``[num_envs]``.
            extras: The env's extras (unused).
        """
        self.transition.rewards = rewards
        self.transition.dones = dones
        self.storage.add_transition(self.transition)
        self.transition.clear()
        self.student.reset(dones)
        self.teacher.reset(dones)

    def compute_returns(self, obs: TensorDict) -> None:
        """Nothing to do: distillation has no return targets."""

    # Update

    def update(self) -> dict[str, float]:
        """Behaviour cloning over the stored rollout with truncated backpropagation through time.

        For each epoch the recurrent states restart from those at the start of the rollout; the loss of
        ``gradient_length`` consecutive steps is summed before each gradient step, after which the student's hidden
        state is detached. The student's normalizer is updated afterwards from the stored observations.

        Returns:
            ``{"behavior": mean loss per step}``.
        """
        self.num_updates += 1
        total_loss, window_loss, steps = 0.0, 0.0, 0
        for _ in range(self.num_learning_epochs):
            self.student.reset(hidden_state=self.last_hidden_states[0])
            self.teacher.reset(hidden_state=self.last_hidden_states[1])
            self.student.detach_hidden_state()
            for batch in self.storage.generator():
                with self._autocast():
                    actions = self.student(batch.observations)
                    loss = self.loss_fn(actions.float(), batch.privileged_actions.float())
                window_loss = window_loss + loss
                total_loss += loss.item()
                steps += 1
                # Gradient step at the end of each window
                if steps % self.gradient_length == 0:
                    self._gradient_step(window_loss)
                    window_loss = 0.0
                # Episodes that ended restart their recurrent states (and cut the graph there)
                dones = batch.dones.view(-1)
                self.student.reset(dones)
                self.teacher.reset(dones)
                self.student.detach_hidden_state(dones)
        self.last_hidden_states = (self.student.get_hidden_state(), self.teacher.get_hidden_state())
        self.student.detach_hidden_state()

        # Normalizer statistics from the rollout, then a fresh storage
        with torch.no_grad():
            self.student.update_normalization(self.storage.observations.flatten(0, 1))
        self.storage.clear()
        return {"behavior": total_loss / max(steps, 1)}

    def _gradient_step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss.backward()
        if self.is_multi_gpu:
            self.reduce_parameters()
        if self.max_grad_norm:
            nn.utils.clip_grad_norm_(self._raw_student.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.num_gradient_steps += 1
        self.student.detach_hidden_state()

    def _autocast(self) -> Any:
        device_type = torch.device(self.device).type
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=self.use_mixed_precision)

    # Modes, checkpoints, policy

    def train_mode(self) -> None:
        """Student in training mode; the teacher always stays in eval mode."""
        self.student.train()
        self.teacher.eval()

    def eval_mode(self) -> None:
        """Student and teacher in eval mode."""
        self.student.eval()
        self.teacher.eval()

    def save(self) -> dict:
        """Return ``{"student_state_dict", "teacher_state_dict", "optimizer_state_dict"}`` (RSL-RL 5.x layout)."""
        return {
            "student_state_dict": self._raw_student.state_dict(),
            "teacher_state_dict": self._raw_teacher.state_dict(),
            "optimizer_state_dict": self.optimizer.state_dict(),
        }

    def load(self, loaded_dict: dict, load_cfg: dict | None = None, strict: bool = True) -> bool:
        """Load a PPO checkpoint into the teacher, or a distillation checkpoint into student, teacher and optimizer.

        With ``load_cfg=None`` a PPO checkpoint (``actor_state_dict``) fills only the teacher (and says so); a
        distillation checkpoint loads everything and resumes its iteration count.

        Args:
            loaded_dict: The checkpoint.
            load_cfg: Parts to load (:data:`DISTILLATION_LOAD_CFG_KEYS`), or None for the defaults above.
            strict: Require the teacher's and student's parameter names and shapes to match exactly.

        Returns:
            Whether the caller should resume the iteration count.

        Raises:
            TeacherMismatchError: If the teacher config does not match the checkpoint's parameters.
            ValueError: For unknown ``load_cfg`` keys or a missing checkpoint entry.
        """
        from_ppo = "actor_state_dict" in loaded_dict and "teacher_state_dict" not in loaded_dict
        if load_cfg is None:
            load_cfg = {"teacher": True} if from_ppo else dict.fromkeys(DISTILLATION_LOAD_CFG_KEYS, True)
        check_unknown_keys(load_cfg, DISTILLATION_LOAD_CFG_KEYS, "the load_cfg of Distillation.load")

        if load_cfg.get("student"):
            self._raw_student.load_state_dict(checkpoint_entry(loaded_dict, "student_state_dict"), strict=strict)
        if load_cfg.get("teacher"):
            key = "actor_state_dict" if from_ppo else "teacher_state_dict"
            self._load_teacher(checkpoint_entry(loaded_dict, key), strict)
            if from_ppo:
                print("[rsl_sim] Distillation: the teacher was filled from the PPO checkpoint's actor_state_dict.")
            self.teacher_loaded = True
        if load_cfg.get("optimizer"):
            self.optimizer.load_state_dict(checkpoint_entry(loaded_dict, "optimizer_state_dict"))
            self.learning_rate = self.optimizer.param_groups[0]["lr"]
        return bool(load_cfg.get("iteration", False))

    def _load_teacher(self, state_dict: dict, strict: bool) -> None:
        """Load the teacher, refusing (with the differing keys) a checkpoint its config does not match."""
        expected = self._raw_teacher.state_dict()
        # A teacher without an output distribution acts deterministically: the actor's std parameters are not used
        if not any(k.startswith("distribution.") for k in expected):
            dropped = [k for k in state_dict if k.startswith("distribution.")]
            if dropped:
                print(f"[rsl_sim] Distillation: teacher has no distribution; not loading {dropped}.")
                state_dict = {k: v for k, v in state_dict.items() if k not in dropped}
        missing = sorted(set(expected) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(expected))
        shapes = sorted(
            f"{k}: config {tuple(expected[k].shape)} vs checkpoint {tuple(state_dict[k].shape)}"
            for k in set(expected) & set(state_dict)
            if expected[k].shape != state_dict[k].shape
        )
        if shapes or (strict and (missing or unexpected)):
            raise TeacherMismatchError(
                "The teacher config does not match the checkpoint's parameters. "
                f"Missing in the checkpoint: {missing}. Not in the teacher config: {unexpected}. "
                f"Shape differences: {shapes}. Make the 'teacher' entry equal to the config the checkpoint was "
                "trained with (class_name, hidden_dims, activation, obs_normalization, obs groups)."
            )
        self._raw_teacher.load_state_dict(state_dict, strict=strict)

    def get_policy(self) -> MLPModel:
        """Return the student (the plain module), e.g. for inference or export."""
        return self._raw_student

    def compile(self, mode: str | None = None) -> None:
        """Compile student and teacher with ``torch.compile`` (None: use the plain modules)."""
        self.student = compile_model(self._raw_student, mode)
        self.teacher = compile_model(self._raw_teacher, mode)

    def broadcast_parameters(self) -> None:
        """Copy the parameters and buffers of process 0 to all processes."""
        broadcast_module_states([self._raw_student, self._raw_teacher], src=0)

    def reduce_parameters(self) -> None:
        """Average the student's gradients over all processes (after the backward pass)."""
        all_reduce_gradients(list(self._raw_student.parameters()), self.gpu_world_size, self.grad_reduce_bucket_mb)

    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> Distillation:
        """Build student, teacher, storage and the algorithm from a train config, which is not modified.

        Reads ``cfg["algorithm"]``, ``cfg["student"]``, ``cfg["teacher"]`` (model entries with ``class_name``),
        ``cfg["obs_groups"]`` (``student`` and ``teacher`` sets), ``cfg["num_steps_per_env"]`` and optionally
        ``cfg["multi_gpu"]`` and ``cfg["torch_compile_mode"]``.

        Raises:
            ValueError: For a missing entry or unknown algorithm keys.
        """
        for key in ("algorithm", "student", "teacher", "num_steps_per_env"):
            if key not in cfg:
                raise ValueError(f"The distillation config lacks '{key}'; it has {sorted(cfg)}.")
        alg_class, alg_cfg = resolve_class(cfg["algorithm"], ALGORITHM_KIND, "algorithm")
        student_class, student_cfg = resolve_class(cfg["student"], MODEL_KIND, "student")
        teacher_class, teacher_cfg = resolve_class(cfg["teacher"], MODEL_KIND, "teacher")
        obs_groups = resolve_obs_groups(obs, cfg.get("obs_groups") or {}, ["student", "teacher"])
        if cfg.get("torch_compile_mode") is not None:
            alg_cfg.setdefault("torch_compile_mode", cfg["torch_compile_mode"])

        student = student_class(obs, obs_groups, "student", env.num_actions, **student_cfg).to(device)
        print(f"Student Model: {student}")
        teacher = teacher_class(obs, obs_groups, "teacher", env.num_actions, **teacher_cfg).to(device)
        print(f"Teacher Model: {teacher}")
        storage = RolloutStorage("distillation", env.num_envs, cfg["num_steps_per_env"], obs, [env.num_actions], device)
        alg = alg_class(student, teacher, storage, device=device, multi_gpu_cfg=cfg.get("multi_gpu"), **alg_cfg)
        alg.obs_groups = obs_groups
        return alg


DISTILLATION_ARGUMENTS = tuple(
    name
    for name in inspect.signature(Distillation.__init__).parameters
    if name not in ("self", "student", "teacher", "storage", "kwargs")
)
"""Keyword arguments of :class:`Distillation` (the valid keys of a distillation ``algorithm`` config)."""
