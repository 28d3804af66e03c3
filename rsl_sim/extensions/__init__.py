"""Extensions of the learning algorithms: curiosity (RND) and symmetry (augmentation, mirror loss, mirror builders)."""

from rsl_sim.extensions.mirror_function import ImageAxes, MirrorFunction
from rsl_sim.extensions.mirror_terms import (
    AxialVector,
    GridTerm,
    Invariant,
    JointTerm,
    MirrorLayout,
    MirrorTerm,
    PerFootTerm,
    PolarVector,
    VelocityCommand,
    mirror_names,
)
from rsl_sim.extensions.rnd import RandomNetworkDistillation, resolve_rnd_config, rnd_weight
from rsl_sim.extensions.symmetry import Symmetry, resolve_symmetry_config

__all__ = [
    "AxialVector",
    "GridTerm",
    "ImageAxes",
    "Invariant",
    "JointTerm",
    "MirrorFunction",
    "MirrorLayout",
    "MirrorTerm",
    "PerFootTerm",
    "PolarVector",
    "RandomNetworkDistillation",
    "Symmetry",
    "VelocityCommand",
    "mirror_names",
    "resolve_rnd_config",
    "rnd_weight",
    "resolve_symmetry_config",
]
