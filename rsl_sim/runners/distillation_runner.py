"""The distillation training loop: the on-policy loop with a student acting and a loaded teacher labelling."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .on_policy_runner import OnPolicyRunner

if TYPE_CHECKING:
    from rsl_sim.algorithms import Distillation


class TeacherNotLoadedError(ValueError):
    """Distillation was started before a teacher was loaded."""


class DistillationRunner(OnPolicyRunner):
    """Runs :class:`~rsl_sim.algorithms.Distillation` (RSL-RL 5.x ``DistillationRunner`` interface).

    The loop is :class:`OnPolicyRunner`'s; the config has ``student`` and ``teacher`` model entries and an
    ``algorithm`` with ``class_name: "Distillation"``. Before :meth:`learn`, :meth:`load` a teacher: a PPO checkpoint
    fills the teacher from its ``actor_state_dict``; a distillation checkpoint restores student, teacher and optimizer.
    Checkpoints hold ``student_state_dict``, ``teacher_state_dict`` and ``optimizer_state_dict``; exports export the
    student.
    """

    alg: Distillation
    """The distillation algorithm."""

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """Distill for ``num_learning_iterations`` iterations (see :meth:`OnPolicyRunner.learn`).

        Raises:
            TeacherNotLoadedError: If no teacher was loaded (a ``ValueError``).
        """
        if not getattr(self.alg, "teacher_loaded", False):
            raise TeacherNotLoadedError(
                "No teacher is loaded: call runner.load('<ppo run>/model_<it>.pt') (the PPO checkpoint's actor fills "
                "the teacher) before learn(), or pass --load_run/--checkpoint of the teacher run to the train script."
            )
        super().learn(num_learning_iterations, init_at_random_ep_len)
