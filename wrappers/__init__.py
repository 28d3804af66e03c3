"""Simulator adapters that turn environments into :class:`rsl_sim.env.VecEnv`, imported as ``rsl_sim.wrappers``.

Submodules import their simulator lazily: ``import rsl_sim.wrappers`` never imports Isaac Lab.
"""
