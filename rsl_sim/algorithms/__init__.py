"""Learning algorithms (as ``rsl_rl.algorithms``): PPO, Distillation and their helpers."""

from .distillation import Distillation
from .gae import compute_gae, normalize_advantages
from .ppo import PPO

__all__ = [
    "Distillation",
    "PPO",
    "compute_gae",
    "normalize_advantages",
]
