"""Observation terms for the Isaac Lab envs of the velocity task (this package's modules import Isaac Lab)."""
