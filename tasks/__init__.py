"""Example legged-robot tasks, imported as ``rsl_sim.tasks``."""
