"""Unitree Go2 specifics of the CPU MuJoCo tasks: the left-right mirror function and the agent (train) configs.

- :mod:`rsl_sim.tasks.go2.mirror`: :func:`~rsl_sim.tasks.go2.mirror.go2_mirror`, the symmetry function for RSL-RL's
  ``symmetry_cfg`` (``"rsl_sim.tasks.go2.mirror:go2_mirror"``).
- :mod:`rsl_sim.tasks.go2.agents`: PPO, PPO with symmetry and distillation configs as plain RSL-RL 5.x dicts.

Importing this package imports neither MuJoCo nor the env.
"""
