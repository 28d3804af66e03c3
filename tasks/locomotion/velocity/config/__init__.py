"""Robots of the velocity task, one folder each; importing this package registers their gymnasium ids."""

from rsl_sim.tasks.locomotion.velocity.config import g1, go2  # noqa: F401
