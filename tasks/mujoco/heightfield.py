"""Ground geometry in numpy: a MuJoCo height field (or a flat plane) and its height lookup.

MuJoCo draws and collides a height field as two triangles per grid cell, split along the diagonal from vertex
``(i, j)`` to ``(i + 1, j + 1)`` (``mj_rayHfield`` in MuJoCo's ``engine_ray.c``). :meth:`HeightField.height_at` uses
exactly that surface, so it agrees with ``mj_ray`` on the same model up to float rounding; bilinear interpolation is
offered for comparison only. Ray casting on the same surface is compiled code:
:class:`~rsl_sim.tasks.mujoco.ray_caster.TerrainRayCaster`.
"""

from __future__ import annotations

import numpy as np

_INTERPOLATIONS = ("triangle", "bilinear")


class HeightField:
    """A regular grid of ground heights in world coordinates, with vectorized queries.

    Vertex ``(i, j)`` lies at ``(x_min + i * horizontal_scale, y_min + j * horizontal_scale, heights[i, j])``: the
    first axis is x (Isaac Lab's convention), whereas MuJoCo's ``hfield_data`` rows run along y.

    Args:
        heights: Vertex heights in metres, shape ``[num_x, num_y]`` (at least 2 x 2). Stored as float32.
        horizontal_scale: Grid spacing in metres.
        x_min: World x of the first vertex row, in metres.
        y_min: World y of the first vertex column, in metres.

    Raises:
        ValueError: If the grid is smaller than 2 x 2 or the scale is not positive.
    """

    def __init__(self, heights: np.ndarray, horizontal_scale: float, x_min: float, y_min: float) -> None:
        heights = np.ascontiguousarray(heights, dtype=np.float32)
        if heights.ndim != 2 or min(heights.shape) < 2:
            raise ValueError(f"'heights' must be a 2D grid of at least 2 x 2 vertices; got shape {heights.shape}.")
        if horizontal_scale <= 0:
            raise ValueError(f"'horizontal_scale' must be positive; got {horizontal_scale}.")
        self.heights = heights
        self.horizontal_scale = float(horizontal_scale)
        self.x_min = float(x_min)
        self.y_min = float(y_min)
        self._flat = heights.ravel()
        self._inv_scale = 1.0 / self.horizontal_scale

    @property
    def x_max(self) -> float:
        """World x of the last vertex row, in metres."""
        return self.x_min + (self.heights.shape[0] - 1) * self.horizontal_scale

    @property
    def y_max(self) -> float:
        """World y of the last vertex column, in metres."""
        return self.y_min + (self.heights.shape[1] - 1) * self.horizontal_scale

    def height_at(self, x: np.ndarray, y: np.ndarray, interpolation: str = "triangle") -> np.ndarray:
        """Ground height under world points.

        Args:
            x: World x in metres, any shape.
            y: World y in metres, broadcastable with ``x``.
            interpolation: ``"triangle"`` (MuJoCo's surface, the default) or ``"bilinear"``.

        Returns:
            Heights in metres (float64), the broadcast shape of ``x`` and ``y``; ``-inf`` outside the grid (no ground).

        Raises:
            ValueError: If ``interpolation`` is unknown.
        """
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Unknown interpolation '{interpolation}'; valid: {_INTERPOLATIONS}.")
        u = (np.asarray(x, dtype=np.float64) - self.x_min) * self._inv_scale
        v = (np.asarray(y, dtype=np.float64) - self.y_min) * self._inv_scale
        return self._grid_height(u, v, interpolation)

    def _grid_height(self, u: np.ndarray, v: np.ndarray, interpolation: str = "triangle") -> np.ndarray:
        """:meth:`height_at` with the position in grid units (``u = (x - x_min) / horizontal_scale``, same for v)."""
        num_x, num_y = self.heights.shape
        u, v = np.broadcast_arrays(u, v)
        inside = (u >= 0.0) & (u <= num_x - 1) & (v >= 0.0) & (v <= num_y - 1)
        # cell index and position inside the cell (the last row/column belongs to the cell before it)
        i = np.clip(np.floor(u), 0, num_x - 2).astype(np.intp)
        j = np.clip(np.floor(v), 0, num_y - 2).astype(np.intp)
        fu = u - i
        fv = v - j
        base = i * num_y + j
        h00 = self._flat[base]
        h11 = self._flat[base + num_y + 1]
        if interpolation == "triangle":
            # triangle (00, 10, 11) where fu >= fv, else (00, 01, 11): weights follow from barycentric coordinates
            upper = fu >= fv
            corner = self._flat[base + np.where(upper, num_y, 1)]
            high = np.maximum(fu, fv)
            low = np.minimum(fu, fv)
            z = h00 * (1.0 - high) + corner * (high - low) + h11 * low
        else:
            h10 = self._flat[base + num_y]
            h01 = self._flat[base + 1]
            z = (h00 * (1.0 - fu) + h10 * fu) * (1.0 - fv) + (h01 * (1.0 - fu) + h11 * fu) * fv
        return np.where(inside, z, -np.inf)


class FlatGround:
    """The plane ``z = 0`` with the same queries as :class:`HeightField` (for the flat terrain)."""

    def height_at(self, x: np.ndarray, y: np.ndarray, interpolation: str = "triangle") -> np.ndarray:
        """Ground height under world points: zeros of the broadcast shape of ``x`` and ``y`` (float64).

        Raises:
            ValueError: If ``interpolation`` is unknown.
        """
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Unknown interpolation '{interpolation}'; valid: {_INTERPOLATIONS}.")
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return np.zeros(x.shape)
