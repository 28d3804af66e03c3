"""Rollout storage: the buffer between environment interaction and the learning update."""

from .rollout_storage import RolloutStorage

__all__ = ["RolloutStorage"]
