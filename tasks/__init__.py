"""Example legged-robot tasks, imported as ``rsl_sim.tasks``."""

# Importing the package registers the CPU MuJoCo gymnasium ids (RslSim/Go2-*); neither MuJoCo nor torch is imported
# The Isaac Lab Go2 ids (RslSim-Isaac-Velocity-*-Go2-v0) register by name; Isaac Lab is imported only when one is built
from rsl_sim.tasks import isaaclab, velocity  # noqa: F401
