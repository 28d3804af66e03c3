"""Runners: the training loop that connects an environment and an algorithm."""

from .distillation_runner import DistillationRunner, TeacherNotLoadedError
from .on_policy_runner import OnPolicyRunner
from .runner_config import resolve_runner_config

__all__ = ["DistillationRunner", "OnPolicyRunner", "TeacherNotLoadedError", "resolve_runner_config"]
