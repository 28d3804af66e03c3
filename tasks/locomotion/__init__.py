"""Locomotion task families; importing this package registers their gymnasium ids."""

from rsl_sim.tasks.locomotion import velocity  # noqa: F401
