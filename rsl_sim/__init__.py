"""rsl_sim: reinforcement learning for legged robots.

The learner (models, distributions, PPO, distillation, RND, symmetry) with wrappers that turn simulators (Isaac Lab,
gymnasium / MuJoCo) into one vectorized environment interface with observation groups in a ``TensorDict``.
"""

__version__ = "0.1.0"
