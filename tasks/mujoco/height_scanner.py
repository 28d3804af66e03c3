"""Height scanner: terrain heights on a yaw-aligned grid around each robot (Isaac Lab's ``height_scanner``).

Isaac Lab's velocity task casts 187 vertical rays (``GridPatternCfg(resolution=0.1, size=[1.6, 1.0])``, 17 x 11
points) from 20 m above the base, with the grid turned by the base yaw only (``ray_alignment="yaw"``); its
``height_scan`` observation is ``base_z - hit_z - 0.5``, clipped to ``(-1, 1)``. This module reproduces that on CPU
MuJoCo, either by looking the heights up in the terrain's height field (fast, vectorized over all environments) or by
casting the rays with ``mujoco.mj_ray`` (the reference; one call per ray). The lookup runs in compiled code
(:meth:`~rsl_sim.tasks.mujoco.ray_caster.TerrainRayCaster.cast_height_scan`, a warp-lang CPU kernel), all robots in
one call; it equals :meth:`TerrainGenerator.height_at` (numpy) at the ray starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .ray_caster import TerrainRayCaster
from .terrain import TerrainGenerator

if TYPE_CHECKING:
    import mujoco

_METHODS = ("lookup", "mj_ray")
_ALIGNMENTS = ("yaw", "world")
_ORDERINGS = ("xy", "yx")


def yaw_from_quat(quat: np.ndarray) -> np.ndarray:
    """Yaw angle (rad) of MuJoCo quaternions ``(w, x, y, z)``, shape ``[N, 4]`` -> ``[N]``; valid for any roll/pitch."""
    quat = np.asarray(quat, dtype=np.float64)
    w, x, y, z = quat[..., 0], quat[..., 1], quat[..., 2], quat[..., 3]
    return np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def grid_pattern(resolution: float, size: tuple[float, float], ordering: str = "xy") -> np.ndarray:
    """Planar offsets of a regular grid of rays centred on the sensor (Isaac Lab's ``grid_pattern``).

    Points run from ``-size/2`` to ``+size/2`` (inclusive) in steps of ``resolution``. With ordering ``"xy"`` x
    varies fastest (point ``k`` is ``(x[k % nx], y[k // nx])``); with ``"yx"`` y varies fastest.

    Returns:
        Offsets in metres, ``[num_rays, 2]``.

    Raises:
        ValueError: If ``resolution`` is not positive or ``ordering`` is unknown.
    """
    if resolution <= 0:
        raise ValueError(f"'resolution' must be positive; got {resolution}.")
    if ordering not in _ORDERINGS:
        raise ValueError(f"Unknown 'ordering' {ordering!r}; valid: {_ORDERINGS}.")
    x = np.arange(-size[0] / 2, size[0] / 2 + 1.0e-9, resolution)
    y = np.arange(-size[1] / 2, size[1] / 2 + 1.0e-9, resolution)
    if ordering == "xy":
        grid_x, grid_y = np.meshgrid(x, y, indexing="xy")
    else:
        grid_x, grid_y = np.meshgrid(x, y, indexing="ij")
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


class HeightScanner:
    """Vertical-ray height scan under each robot, vectorized over environments.

    Args:
        terrain: The terrain (its height field or plane) for the ``"lookup"`` method.
        resolution: Grid spacing in metres.
        size: Grid extent ``(length along the base x, width along the base y)`` in metres.
        ordering: Point order, ``"xy"`` (x fastest, Isaac Lab's default) or ``"yx"``.
        offset: Sensor offset from the base in the base's yaw frame ``(x, y, z)`` in metres; x and y shift the grid,
            z is the height of the ray starts above the base (only surfaces below it are seen).
        height_offset: Subtracted from ``base_z - hit_z`` in :meth:`compute` (Isaac Lab's ``height_scan`` offset).
        clip: ``(low, high)`` clip of :meth:`compute`, or None.
        ray_alignment: ``"yaw"`` (the grid turns with the base yaw) or ``"world"`` (fixed axes).
        method: ``"lookup"`` (height-field lookup, MuJoCo's triangulated surface) or ``"mj_ray"`` (``mujoco.mj_ray``
            per ray, needs ``model``).
        model: Compiled model for ``"mj_ray"``. The rays are cast in a private ``MjData`` at the model's initial
            pose, so only static geoms (the terrain) are meaningful there.
        geomgroup: Six 0/1 flags of the geom groups the ``"mj_ray"`` rays see. The default sees group 0 only: the
            terrain (see :meth:`TerrainGenerator.add_to_spec`), not the robot (Menagerie Go2 geoms are in groups 2
            and 3).
        num_threads: Threads of the ``"lookup"`` kernel launches; 0 uses one per CPU.

    Raises:
        ValueError: On an unknown ``method``, ``ray_alignment`` or ``ordering``, or ``"mj_ray"`` without a model.
    """

    def __init__(
        self,
        terrain: TerrainGenerator | None = None,
        resolution: float = 0.1,
        size: tuple[float, float] = (1.6, 1.0),
        ordering: str = "xy",
        offset: tuple[float, float, float] = (0.0, 0.0, 20.0),
        height_offset: float = 0.5,
        clip: tuple[float, float] | None = (-1.0, 1.0),
        ray_alignment: str = "yaw",
        method: str = "lookup",
        model: mujoco.MjModel | None = None,
        geomgroup: tuple[int, ...] = (1, 0, 0, 0, 0, 0),
        num_threads: int = 0,
    ) -> None:
        if method not in _METHODS:
            raise ValueError(f"Unknown height scanner 'method' {method!r}; valid: {_METHODS}.")
        if ray_alignment not in _ALIGNMENTS:
            raise ValueError(f"Unknown 'ray_alignment' {ray_alignment!r}; valid: {_ALIGNMENTS}.")
        if method == "lookup" and terrain is None:
            raise ValueError("Height scanner method 'lookup' needs the 'terrain'.")
        if method == "mj_ray" and model is None:
            raise ValueError("Height scanner method 'mj_ray' needs the compiled 'model'.")
        self.terrain = terrain
        self.pattern = grid_pattern(resolution, size, ordering)
        self.offset = np.asarray(offset, dtype=np.float64)
        self.height_offset = float(height_offset)
        self.clip = clip
        self.ray_alignment = ray_alignment
        self.method = method
        self.model = model
        if method == "lookup":
            self._ray_caster = TerrainRayCaster(terrain.ground, num_threads=num_threads)
        if method == "mj_ray":
            import mujoco  # lazy: the env picks MuJoCo's GL backend before mujoco is first imported

            # static geoms sit where the model puts them: forward kinematics of a private data is enough
            self._data = mujoco.MjData(model)
            mujoco.mj_kinematics(model, self._data)
            self._geomgroup = np.asarray(geomgroup, dtype=np.uint8)

    @property
    def num_rays(self) -> int:
        """Number of rays per environment (187 for the default grid)."""
        return self.pattern.shape[0]

    def ray_starts(self, base_pos: np.ndarray, yaw: np.ndarray) -> np.ndarray:
        """World positions the rays start from, ``[N, num_rays, 3]`` (metres).

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            yaw: Base yaw angles in radians, ``[N]`` (see :func:`yaw_from_quat`); unused with ``"world"`` alignment.
        """
        base_pos = np.asarray(base_pos, dtype=np.float64).reshape(-1, 3)
        local = self.pattern + self.offset[:2]
        if self.ray_alignment == "yaw":
            yaw = np.asarray(yaw, dtype=np.float64).reshape(-1)
            cos, sin = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
            x = cos * local[:, 0] - sin * local[:, 1]
            y = sin * local[:, 0] + cos * local[:, 1]
        else:
            x = np.broadcast_to(local[:, 0], (base_pos.shape[0], self.num_rays))
            y = np.broadcast_to(local[:, 1], (base_pos.shape[0], self.num_rays))
        z = np.broadcast_to(base_pos[:, 2:3] + self.offset[2], x.shape)
        return np.stack([x + base_pos[:, 0:1], y + base_pos[:, 1:2], z], axis=-1)

    def hit_heights(self, base_pos: np.ndarray, yaw: np.ndarray) -> np.ndarray:
        """World z of the ray hits (the raw scan), ``[N, num_rays]`` float64 metres; ``+inf`` where a ray hits nothing.

        Misses are ``+inf`` as in Isaac Lab's ray caster, so they clip to the low end of :meth:`compute`.

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            yaw: Base yaw angles in radians, ``[N]`` (see :func:`yaw_from_quat`); unused with ``"world"`` alignment.
        """
        if self.method == "lookup":
            # a surface above the ray start is not seen; no ground is a miss
            yaw = None if self.ray_alignment == "world" else yaw
            return self._ray_caster.cast_height_scan(base_pos, yaw, self.pattern, self.offset)
        return self._cast_mj_ray(self.ray_starts(base_pos, yaw))

    def compute(self, base_pos: np.ndarray, yaw: np.ndarray) -> np.ndarray:
        """The ``height_scan`` observation: ``clip(base_z - hit_z - height_offset)``, ``[N, num_rays]`` float32.

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            yaw: Base yaw angles in radians, ``[N]`` (see :func:`yaw_from_quat`); unused with ``"world"`` alignment.
        """
        base_pos = np.asarray(base_pos, dtype=np.float64).reshape(-1, 3)
        scan = base_pos[:, 2:3] - self.hit_heights(base_pos, yaw) - self.height_offset
        if self.clip is not None:
            scan = np.clip(scan, self.clip[0], self.clip[1])
        return scan.astype(np.float32)

    def _cast_mj_ray(self, starts: np.ndarray) -> np.ndarray:
        """Hit heights by one ``mujoco.mj_ray`` call per ray (the reference path)."""
        import mujoco

        heights = np.empty(starts.shape[:2])
        down = np.array([0.0, 0.0, -1.0])
        geom_id = np.zeros(1, dtype=np.int32)
        for env in range(starts.shape[0]):
            for ray in range(starts.shape[1]):
                start = starts[env, ray]
                dist = mujoco.mj_ray(self.model, self._data, start, down, self._geomgroup, 1, -1, geom_id)
                heights[env, ray] = start[2] - dist if dist >= 0 else np.inf
        return heights
