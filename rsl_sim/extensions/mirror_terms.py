"""Declarative mirror terms: how one named observation term changes under a reflection of the robot.

A reflection is named by the axis it negates in the robot's base frame (x forward, y left, z up):

- ``"left_right"`` negates y (the sagittal plane is the mirror): left and right legs swap.
- ``"front_back"`` negates x (the frontal plane is the mirror): front and hind legs swap.

Each term compiles, for a given reflection, to a signed permutation of its flat components: ``out = x[perm] * sign``.
A whole observation group is then the concatenation of its terms, applied with one gather and one multiply.

The sign rules are those of vectors under reflections: a polar vector (velocity, gravity, force) keeps its components
parallel to the mirror plane and negates the normal one; an axial vector (angular velocity, torque) does the opposite.

Reference:
    Mittal et al. "Symmetry Considerations for Learning Task Symmetric Robot Policies." ICRA (2024).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

REFLECTIONS = ("left_right", "front_back")
"""The supported reflections, named by the body they mirror (left_right: y -> -y, front_back: x -> -x)."""

_NORMAL_AXIS = {"left_right": 1, "front_back": 0}
"""Index (x=0, y=1, z=2) of the axis that a reflection negates."""

DEFAULT_SIDE_SWAPS = {
    "left_right": (("FL", "FR"), ("RL", "RR"), ("left", "right"), ("Left", "Right")),
    "front_back": (("FL", "RL"), ("FR", "RR"), ("front", "hind"), ("Front", "Hind")),
}
"""Default name-token swaps that map a joint or foot to its mirror partner (quadruped FL/FR/RL/RR convention)."""


def check_reflection(reflection: str) -> str:
    """Return ``reflection`` if it is supported.

    Raises:
        ValueError: If the reflection is not one of :data:`REFLECTIONS`.
    """
    if reflection not in REFLECTIONS:
        raise ValueError(f"Unknown reflection '{reflection}'. Valid reflections: {list(REFLECTIONS)}.")
    return reflection


def mirror_names(names: Sequence[str], swaps: Sequence[tuple[str, str]]) -> list[int]:
    """Map each name to the index of its mirror partner by swapping name tokens.

    Each pair ``(a, b)`` swaps whole tokens ``a`` and ``b`` (tokens are delimited by string ends or non-alphanumeric
    characters), e.g. ``FL_hip_joint <-> FR_hip_joint`` for ``("FL", "FR")``. A name without any token maps to itself.

    Args:
        names: Names in the order of the data (e.g. the joint order of the action vector).
        swaps: Token pairs to swap.

    Returns:
        ``perm`` with ``perm[i]`` the index of the partner of ``names[i]``.

    Raises:
        ValueError: If a swapped name is not among ``names``, or the mapping is not an involution.
    """
    index = {name: i for i, name in enumerate(names)}
    perm = []
    for name in names:
        partner = name
        for a, b in swaps:
            # Swap whole tokens a <-> b in one pass (so that "a" -> "b" is not swapped back).
            pattern = re.compile(rf"(?<![A-Za-z0-9])({re.escape(a)}|{re.escape(b)})(?![A-Za-z0-9])")
            swapped = pattern.sub(lambda m, a=a, b=b: b if m.group(1) == a else a, partner)
            if swapped != partner:
                partner = swapped
                break
        if partner not in index:
            raise ValueError(
                f"The mirror partner '{partner}' of '{name}' is not among the names {list(names)}. "
                "Check the name swaps of the mirror layout."
            )
        perm.append(index[partner])
    if any(perm[p] != i for i, p in enumerate(perm)):
        raise ValueError(f"The name swaps {list(swaps)} do not pair the names {list(names)} into mirror partners.")
    return perm


@dataclass
class MirrorTerm:
    """A named slice of an observation group (or of the action vector) with its mirror rule.

    Attributes:
        name: Term name (as the task names it, e.g. ``"base_lin_vel"``).
        size: Number of flat components of the term.
    """

    name: str
    size: int

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:
        """Return ``(perm, sign)`` so that the mirrored term is ``x[perm] * sign`` (indices local to the term)."""
        raise NotImplementedError


@dataclass
class Invariant(MirrorTerm):
    """A term that does not change under any reflection (e.g. friction coefficient, added mass, height)."""

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        return list(range(self.size)), [1.0] * self.size


@dataclass
class PolarVector(MirrorTerm):
    """A 3D polar vector in the base frame (linear velocity, projected gravity, force): the normal axis flips."""

    size: int = 3

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        sign = [1.0, 1.0, 1.0]
        sign[_NORMAL_AXIS[reflection]] = -1.0
        return [0, 1, 2], sign


@dataclass
class AxialVector(MirrorTerm):
    """A 3D axial vector in the base frame (angular velocity, torque): the in-plane axes flip."""

    size: int = 3

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        sign = [-1.0, -1.0, -1.0]
        sign[_NORMAL_AXIS[reflection]] = 1.0
        return [0, 1, 2], sign


@dataclass
class VelocityCommand(MirrorTerm):
    """A planar velocity command ``(lin_vel_x, lin_vel_y, ang_vel_z)``: polar x and y, axial z."""

    size: int = 3

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        if self.size != 3:
            raise ValueError(f"VelocityCommand '{self.name}' has size {self.size}; valid size: 3 (vx, vy, wz).")
        sign = [1.0, 1.0, -1.0]
        sign[_NORMAL_AXIS[reflection]] = -1.0
        return [0, 1, 2], sign


@dataclass
class JointTerm(MirrorTerm):
    """A per-joint term (joint positions/velocities relative to default, actions, torques) in the layout's joint order.

    Joints swap with their mirror partners (by name) and the layout's sign for each joint applies. ``size`` is taken
    from the layout's joint count when left at 0.
    """

    size: int = 0

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        perm, sign = layout.joint_mirror(reflection)
        if self.size not in (0, len(perm)):
            raise ValueError(f"JointTerm '{self.name}' has size {self.size} but the layout has {len(perm)} joints.")
        return perm, sign


@dataclass
class PerFootTerm(MirrorTerm):
    """A term with one block per foot in the layout's foot order (e.g. contact forces ``[num_feet, 3]``).

    Attributes:
        per_foot: Term applied to each foot's block (e.g. ``PolarVector`` for a 3D force, ``Invariant`` for a scalar).
    """

    per_foot: MirrorTerm = field(default_factory=lambda: Invariant("per_foot", 1))
    size: int = 0

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        foot_perm = layout.foot_mirror(reflection)
        block_perm, block_sign = self.per_foot.signed_permutation(reflection, layout)
        k = self.per_foot.size
        if self.size not in (0, k * len(foot_perm)):
            raise ValueError(
                f"PerFootTerm '{self.name}' has size {self.size}, expected {len(foot_perm)} feet x {k} = "
                f"{k * len(foot_perm)}."
            )
        perm = [foot_perm[f] * k + block_perm[j] for f in range(len(foot_perm)) for j in range(k)]
        sign = [block_sign[j] for _ in foot_perm for j in range(k)]
        return perm, sign


@dataclass
class GridTerm(MirrorTerm):
    """A flattened 2D grid in the base frame (e.g. the 187-point height scan, 11 x 17 in Isaac Lab's "xy" ordering).

    Attributes:
        shape: Grid shape ``(rows, cols)`` in row-major flat order.
        axes: Base-frame axis along each grid dimension, e.g. ``("y", "x")`` for Isaac Lab's "xy" grid ordering (x runs
            fastest). Grids are assumed symmetric about the base origin along each axis.
    """

    shape: tuple[int, int] = (11, 17)
    axes: tuple[str, str] = ("y", "x")
    size: int = 0

    def signed_permutation(self, reflection: str, layout: MirrorLayout) -> tuple[list[int], list[float]]:  # noqa: D102
        rows, cols = self.shape
        if self.size not in (0, rows * cols):
            raise ValueError(f"GridTerm '{self.name}' has size {self.size} but shape {self.shape}.")
        if sorted(self.axes) != ["x", "y"]:
            raise ValueError(f"GridTerm '{self.name}' axes must be a permutation of ('x', 'y'), got {self.axes}.")
        flip_axis = "xy"[_NORMAL_AXIS[reflection]]
        flip_rows, flip_cols = self.axes[0] == flip_axis, self.axes[1] == flip_axis
        index = torch.arange(rows * cols).reshape(rows, cols)
        if flip_rows:
            index = index.flip(0)
        if flip_cols:
            index = index.flip(1)
        return index.flatten().tolist(), [1.0] * (rows * cols)


@dataclass
class MirrorLayout:
    """The robot's mirror structure: joint and foot names in data order, and how names pair up.

    Attributes:
        joint_names: Joint names in the order of the joint terms and of the action vector.
        foot_names: Foot (contact body) names in the order of per-foot terms.
        negated_joints: Per reflection, regex patterns of joints whose sign flips (e.g. the Go2's abduction joints
            ``".*_hip_joint"`` under left_right; thigh and calf pitch joints under front_back).
        side_swaps: Per reflection, name-token pairs that map a name to its partner (default: FL/FR, RL/RR tokens).
    """

    joint_names: Sequence[str] = ()
    foot_names: Sequence[str] = ()
    negated_joints: dict[str, Sequence[str]] = field(default_factory=dict)
    side_swaps: dict[str, Sequence[tuple[str, str]]] = field(default_factory=lambda: dict(DEFAULT_SIDE_SWAPS))

    def _swaps(self, reflection: str) -> Sequence[tuple[str, str]]:
        check_reflection(reflection)
        if reflection not in self.side_swaps:
            raise ValueError(f"No name swaps for reflection '{reflection}'; given for: {list(self.side_swaps)}.")
        return self.side_swaps[reflection]

    def joint_mirror(self, reflection: str) -> tuple[list[int], list[float]]:
        """Return the joint permutation and per-joint sign of a reflection.

        Raises:
            ValueError: If the layout has no joints, a partner is missing, or a negation pattern matches no joint.
        """
        if not self.joint_names:
            raise ValueError("The mirror layout has no joint_names, but a joint term or the actions use them.")
        perm = mirror_names(self.joint_names, self._swaps(reflection))
        sign = [1.0] * len(self.joint_names)
        for pattern in self.negated_joints.get(reflection, ()):
            matched = [i for i, name in enumerate(self.joint_names) if re.fullmatch(pattern, name)]
            if not matched:
                raise ValueError(f"Negated-joint pattern '{pattern}' matches none of {list(self.joint_names)}.")
            for i in matched:
                sign[i] = -1.0
        return perm, sign

    def foot_mirror(self, reflection: str) -> list[int]:
        """Return the foot permutation of a reflection.

        Raises:
            ValueError: If the layout has no feet or a partner is missing.
        """
        if not self.foot_names:
            raise ValueError("The mirror layout has no foot_names, but a per-foot term uses them.")
        return mirror_names(self.foot_names, self._swaps(reflection))
