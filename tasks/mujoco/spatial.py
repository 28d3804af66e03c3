"""Batched rigid-body math in numpy: quaternions (w, x, y, z), rotations and angle wrapping.

Conventions follow MuJoCo and Isaac Lab: quaternions are scalar-first ``(w, x, y, z)`` and rotate body-frame vectors
into the world frame; Euler angles are intrinsic roll-pitch-yaw (``R = Rz(yaw) Ry(pitch) Rx(roll)``).
"""

from __future__ import annotations

import numpy as np


def quat_rotate(quat: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Rotate vectors by unit quaternions: ``R(q) v``.

    Args:
        quat: Quaternions ``[N, 4]`` (w, x, y, z).
        vec: Vectors ``[N, 3]`` or one vector ``[3]``.

    Returns:
        Rotated vectors ``[N, 3]``.
    """
    return _rotate(quat[:, 0:1], quat[:, 1:4], vec)


def quat_rotate_inverse(quat: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Rotate vectors by the inverse of unit quaternions: ``R(q)^T v`` (world frame -> body frame).

    Args:
        quat: Quaternions ``[N, 4]`` (w, x, y, z).
        vec: Vectors ``[N, 3]`` or one vector ``[3]``.

    Returns:
        Rotated vectors ``[N, 3]``.
    """
    # (-w, x, y, z) = -(w, -x, -y, -z): the conjugate up to sign, the same rotation as q^-1
    return _rotate(-quat[:, 0:1], quat[:, 1:4], vec)


def _rotate(w: np.ndarray, xyz: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """``R(q) v`` for ``q = (w, xyz)`` (``w [N, 1]``, ``xyz [N, 3]``): ``v + w t + xyz x t`` with ``t = 2 xyz x v``."""
    t = 2.0 * np.cross(xyz, vec)
    return vec + w * t + np.cross(xyz, t)


def quat_mul(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Hamilton product ``q1 * q2`` (apply ``q2`` first, then ``q1``).

    Args:
        q1: Quaternions ``[N, 4]`` or ``[4]``.
        q2: Quaternions ``[N, 4]`` or ``[4]``.

    Returns:
        Products ``[N, 4]``.
    """
    w1, x1, y1, z1 = np.moveaxis(np.atleast_2d(q1), -1, 0)
    w2, x2, y2, z2 = np.moveaxis(np.atleast_2d(q2), -1, 0)
    return np.stack(
        (
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ),
        axis=-1,
    )


def quat_from_euler_xyz(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Quaternions of intrinsic roll-pitch-yaw angles (``R = Rz(yaw) Ry(pitch) Rx(roll)``).

    Args:
        roll: Angles about x [rad], ``[N]``.
        pitch: Angles about y [rad], ``[N]``.
        yaw: Angles about z [rad], ``[N]``.

    Returns:
        Quaternions ``[N, 4]`` (w, x, y, z).
    """
    cr, sr = np.cos(0.5 * roll), np.sin(0.5 * roll)
    cp, sp = np.cos(0.5 * pitch), np.sin(0.5 * pitch)
    cy, sy = np.cos(0.5 * yaw), np.sin(0.5 * yaw)
    return np.stack(
        (
            cy * cr * cp + sy * sr * sp,
            cy * sr * cp - sy * cr * sp,
            cy * cr * sp + sy * sr * cp,
            sy * cr * cp - cy * sr * sp,
        ),
        axis=-1,
    )


def yaw_from_quat(quat: np.ndarray) -> np.ndarray:
    """Heading of the body x-axis projected on the ground plane, ``atan2`` of its world (y, x) [rad].

    Args:
        quat: Quaternions ``[N, 4]`` (w, x, y, z).

    Returns:
        Headings ``[N]`` in ``(-pi, pi]``.
    """
    w, x, y, z = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    # world components of the rotated unit x-axis
    fx = 1.0 - 2.0 * (y * y + z * z)
    fy = 2.0 * (x * y + w * z)
    return np.arctan2(fy, fx)


def wrap_to_pi(angle: np.ndarray) -> np.ndarray:
    """Wrap angles to ``(-pi, pi]``.

    Args:
        angle: Angles [rad], any shape.

    Returns:
        Wrapped angles, same shape.
    """
    wrapped = np.mod(angle + np.pi, 2.0 * np.pi) - np.pi
    return np.where(wrapped == -np.pi, np.pi, wrapped)
