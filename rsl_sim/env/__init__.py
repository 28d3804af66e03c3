"""The vectorized environment contract (:class:`VecEnv`) that every simulator wrapper implements."""

from .vec_env import VecEnv

__all__ = ["VecEnv"]
