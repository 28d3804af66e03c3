"""The numpy ray casting the depth camera used before its compiled kernels: the reference the tests compare with.

:class:`ReferenceHeightField` and :class:`ReferenceFlatGround` add ``raycast`` to the library's ground classes. The
height-field version walks every ray in vectorized numpy passes: free flight is skipped in steps of 8 cells, then
intervals of one cell are solved exactly where they may touch the ground (break points at grid lines and cell
diagonals, first sign change of the clearance). It is exact on MuJoCo's triangulated surface and about 10x slower
than :class:`~rsl_sim.tasks.mujoco.ray_caster.TerrainRayCaster`.
"""

from __future__ import annotations

import numpy as np

from rsl_sim.tasks.mujoco.heightfield import FlatGround, HeightField

# Finite stand-in for the +inf clearance where there is no ground, so the crossing interpolation stays finite.
_LARGE_CLEARANCE = 1.0e6
# Ray casting: rays per vectorized batch, and the block size (in cells) of the coarse free-space skip.
_RAY_BATCH = 1 << 15
_COARSE_BLOCK = 8


class ReferenceHeightField(HeightField):
    """A :class:`HeightField` with the numpy ``raycast`` (same arguments as ``HeightField``)."""

    def __init__(self, heights: np.ndarray, horizontal_scale: float, x_min: float, y_min: float) -> None:
        super().__init__(heights, horizontal_scale, x_min, y_min)
        self._max_cache: dict[int, np.ndarray] = {}

    @classmethod
    def of(cls, ground: HeightField) -> ReferenceHeightField:
        """The reference ray caster on the same grid as ``ground``."""
        return cls(ground.heights, ground.horizontal_scale, ground.x_min, ground.y_min)

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


class ReferenceFlatGround(FlatGround):
    """A :class:`FlatGround` with the analytic ``raycast``."""

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
