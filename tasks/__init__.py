"""Example legged-robot tasks, imported as ``rsl_sim.tasks``."""

# Importing the package registers the CPU MuJoCo gymnasium ids (RslSim/Go2-*); neither MuJoCo nor torch is imported
from rsl_sim.tasks import velocity  # noqa: F401
