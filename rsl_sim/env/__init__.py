"""The vectorized environment contract (:class:`VecEnv`) that every simulator wrapper implements, and its checker."""

from .contract import VecEnvContract, VecEnvContractError
from .vec_env import VecEnv

__all__ = ["VecEnv", "VecEnvContract", "VecEnvContractError"]
