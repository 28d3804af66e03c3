"""Ground geometry queries in numpy: height lookup and ray casting on a MuJoCo height field (or a flat plane).

MuJoCo draws and collides a height field as two triangles per grid cell, split along the diagonal from vertex
``(i, j)`` to ``(i + 1, j + 1)`` (``mj_rayHfield`` in MuJoCo's ``engine_ray.c``). :meth:`HeightField.height_at` and
:meth:`HeightField.raycast` use exactly that surface, so their results agree with ``mj_ray`` / ``mj_multiRay`` on the
same model up to float rounding; bilinear interpolation is offered for comparison only.
"""

from __future__ import annotations

import numpy as np

# Finite stand-in for the +inf clearance where there is no ground, so the crossing interpolation stays finite.
_LARGE_CLEARANCE = 1.0e6
_INTERPOLATIONS = ("triangle", "bilinear")
# Ray casting: rays per vectorized batch, and the block size (in cells) of the coarse free-space skip.
_RAY_BATCH = 1 << 15
_COARSE_BLOCK = 8


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
        self._max_cache: dict[int, np.ndarray] = {}

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

    def raycast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        max_distance: float | np.ndarray,
        min_distance: float = 0.0,
        chunk: int = 8,
    ) -> np.ndarray:
        """Distance along each ray to the first crossing of the ground surface (exact on the triangulated surface).

        Free flight is skipped in steps of 8 cells of ray length, then each ray is walked in intervals of one cell.
        An interval is solved exactly only when it can touch the ground, i.e. when its lower end is not above the
        highest vertex of the cells it can reach (precomputed maxima over 2 x 2 cells, or 2 x 2 blocks of 8 x 8 cells
        for the skip). The exact test cuts the interval where it crosses grid lines and cell diagonals; between those
        points both the ray and the ground are linear, so the first sign change of the clearance gives the crossing.
        No crossing is missed, however thin the feature (step noses included).

        Args:
            origins: Ray origins in world coordinates (metres), shape ``[M, 3]``.
            directions: Unit ray directions, shape ``[M, 3]``.
            max_distance: Largest distance searched (metres), a scalar or ``[M]``.
            min_distance: Distance at which the search starts (metres); a ray already under the ground there returns
                ``min_distance``.
            chunk: Intervals examined per ray and per vectorized pass.

        Returns:
            Distances in metres, shape ``[M]`` (float64); ``inf`` where no ground is crossed within ``max_distance``.
        """
        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
        directions = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        t_max = np.broadcast_to(np.asarray(max_distance, dtype=np.float64), (origins.shape[0],))
        # rays as (u0, du, v0, dv, z0, dz): horizontal position in grid units, height in metres, per unit length
        rays = np.empty((origins.shape[0], 6))
        rays[:, 0] = (origins[:, 0] - self.x_min) * self._inv_scale
        rays[:, 1] = directions[:, 0] * self._inv_scale
        rays[:, 2] = (origins[:, 1] - self.y_min) * self._inv_scale
        rays[:, 3] = directions[:, 1] * self._inv_scale
        rays[:, 4] = origins[:, 2]
        rays[:, 5] = directions[:, 2]
        result = np.empty(origins.shape[0])
        # rays are processed in batches to bound the memory of the intermediate arrays
        for start in range(0, origins.shape[0], _RAY_BATCH):
            batch = slice(start, start + _RAY_BATCH)
            result[batch] = self._raycast_batch(rays[batch], t_max[batch], min_distance, chunk)
        return result

    def _raycast_batch(self, rays: np.ndarray, t_max: np.ndarray, min_distance: float, chunk: int) -> np.ndarray:
        """:meth:`raycast` on one batch of rays in grid units, ``[m, 6]``."""
        result = np.full(rays.shape[0], np.inf)

        # first sample; rays that start under the ground stop there
        t_start = np.full((rays.shape[0], 1), float(min_distance))
        under = self._clearance(rays, t_start)[:, 0] <= 0.0
        result[under] = min_distance
        active = np.flatnonzero(~under & (min_distance < t_max))

        # coarse pass: skip the free flight in steps of one block, up to the first block interval that may touch
        # the ground; rays with none miss
        block_length = _COARSE_BLOCK * self.horizontal_scale
        num_blocks = int(np.ceil((t_max[active].max(initial=0.0) - min_distance) / block_length))
        t = np.minimum(min_distance + block_length * np.arange(num_blocks + 1), t_max[active, None])
        event = self._may_touch(rays[active], t, _COARSE_BLOCK)
        has_event = event.any(axis=1)
        t_prev = t[has_event, event[has_event].argmax(axis=1)]
        active = active[has_event]

        # fine pass: intervals of one cell; those that may touch the ground are solved exactly
        offsets = self.horizontal_scale * np.arange(chunk + 1)
        while active.size:
            ray = rays[active]
            t = np.minimum(t_prev[:, None] + offsets, t_max[active, None])
            event = self._may_touch(ray, t, 1)
            has_event = event.any(axis=1)
            t_next = t[:, -1].copy()
            rows = np.flatnonzero(has_event)
            if rows.size:
                k = event[rows].argmax(axis=1)
                found, t_hit = self._exact_crossing(ray[rows], t[rows, k], t[rows, k + 1])
                result[active[rows[found]]] = t_hit[found]
                # an interval without a crossing: continue right after it
                t_next[rows] = t[rows, k + 1]
                has_event[rows[~found]] = False
            keep = ~has_event & (t_next < t_max[active])
            t_prev, active = t_next[keep], active[keep]
        return result

    def _may_touch(self, rays: np.ndarray, t: np.ndarray, block: int) -> np.ndarray:
        """Which ray intervals ``[t[:, k], t[:, k + 1]]`` may touch the ground, ``[m, K]`` (bool).

        An interval no longer than ``block`` cells stays within the 2 x 2 blocks from its start block towards its
        direction of travel, so it cannot touch the ground while its lower end is above the highest vertex there.
        """
        local_max = self._neighbourhood_max(block)
        num_bx, num_by = local_max.shape
        starts = t[:, :-1]
        # start block, moved back by one along axes travelled in the negative direction
        i = ((rays[:, 0:1] + starts * rays[:, 1:2]) * (1.0 / block)).astype(np.intp) - (rays[:, 1:2] < 0.0)
        j = ((rays[:, 2:3] + starts * rays[:, 3:4]) * (1.0 / block)).astype(np.intp) - (rays[:, 3:4] < 0.0)
        np.clip(i, 0, num_bx - 1, out=i)
        np.clip(j, 0, num_by - 1, out=j)
        z = rays[:, 4:5] + t * rays[:, 5:6]
        low_end = np.minimum(z[:, :-1], z[:, 1:])
        return (low_end <= local_max.ravel()[i * num_by + j]) & (t[:, 1:] > starts)

    def _neighbourhood_max(self, block: int) -> np.ndarray:
        """Highest vertex of the 2 x 2 blocks of ``block`` x ``block`` cells starting at each block (cached).

        Returns:
            Heights in metres, ``[ceil((num_x - 1) / block), ceil((num_y - 1) / block)]``.
        """
        if block not in self._max_cache:
            h = self.heights
            cell = np.maximum(np.maximum(h[:-1, :-1], h[1:, :-1]), np.maximum(h[:-1, 1:], h[1:, 1:]))
            num_bx, num_by = -(-cell.shape[0] // block), -(-cell.shape[1] // block)
            padded = np.full((num_bx * block, num_by * block), -np.inf, dtype=cell.dtype)
            padded[: cell.shape[0], : cell.shape[1]] = cell
            blocks = padded.reshape(num_bx, block, num_by, block).max(axis=(1, 3))
            # each block with its neighbours at +1 along x, y and both
            blocks = np.pad(blocks, ((0, 1), (0, 1)), mode="edge")
            rows = np.maximum(blocks[:-1], blocks[1:])
            self._max_cache[block] = np.maximum(rows[:, :-1], rows[:, 1:])
        return self._max_cache[block]

    def _clearance(self, rays: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Height of the ray points at distances ``t`` ``[m, K]`` above the ground (``+inf`` where there is none)."""
        u = rays[:, 0:1] + t * rays[:, 1:2]
        v = rays[:, 2:3] + t * rays[:, 3:4]
        return rays[:, 4:5] + t * rays[:, 5:6] - self._grid_height(u, v)

    def _exact_crossing(self, rays: np.ndarray, t_a: np.ndarray, t_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First crossing inside intervals ``[t_a, t_b]`` no longer than one grid cell, clearance positive at ``t_a``.

        Returns:
            ``found`` ``[m]`` (bool) and the crossing distance ``[m]`` (meaningful where found).
        """
        # break points: where the interval crosses a grid line in u or v (at most one each) or a cell diagonal
        # u - v = integer (at most two)
        ua, ub = rays[:, 0] + t_a * rays[:, 1], rays[:, 0] + t_b * rays[:, 1]
        va, vb = rays[:, 2] + t_a * rays[:, 3], rays[:, 2] + t_b * rays[:, 3]
        samples = [t_a, t_b]
        for index, (a, b) in enumerate(((ua, ub), (va, vb), (ua - va, ub - vb))):
            span = np.where(b != a, b - a, 1.0)
            lowest = np.floor(np.minimum(a, b))
            for step in range(1, 3 if index == 2 else 2):
                line = lowest + step
                inside = (line < np.maximum(a, b)) & (b != a)
                samples.append(np.where(inside, t_a + (line - a) / span * (t_b - t_a), t_a))
        t = np.sort(np.stack(samples, axis=1), axis=1)
        # clearance is linear between consecutive break points: interpolate at the first sign change
        g = np.minimum(self._clearance(rays, t), _LARGE_CLEARANCE)
        below = g <= 0.0
        found = below.any(axis=1)
        j = np.maximum(below.argmax(axis=1), 1)
        rows = np.arange(t.shape[0])
        g0, g1 = g[rows, j - 1], g[rows, j]
        t0, t1 = t[rows, j - 1], t[rows, j]
        denominator = np.where(g0 - g1 > 0.0, g0 - g1, 1.0)
        return found, np.where(g0 > 0.0, t0 + g0 / denominator * (t1 - t0), t0)


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

    def raycast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        max_distance: float | np.ndarray,
        min_distance: float = 0.0,
        chunk: int = 8,
    ) -> np.ndarray:
        """Distance along each ray to the plane (see :meth:`HeightField.raycast` for arguments).

        Returns:
            Distances in metres, shape ``[M]``; ``inf`` for rays that do not reach the plane within ``max_distance``.
        """
        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
        directions = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        t_max = np.broadcast_to(np.asarray(max_distance, dtype=np.float64), (origins.shape[0],))
        # solve o_z + t d_z = 0 for rays going down
        down = directions[:, 2] < 0.0
        t = np.where(down, origins[:, 2] / np.where(down, -directions[:, 2], 1.0), np.inf)
        t = np.where(origins[:, 2] <= 0.0, min_distance, np.maximum(t, min_distance))
        return np.where(t <= t_max, t, np.inf)
