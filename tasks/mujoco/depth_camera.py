"""Forward-facing depth camera on the robot base, by ray casting (Isaac Lab's ``RayCasterCamera`` on CPU MuJoCo).

One ray per pixel leaves the camera centre through the pixel centre of a pinhole camera. Two ways to cast them:

- ``"heightfield"`` (default): compiled ray casting on the terrain's height field or plane
  (:class:`~rsl_sim.tasks.mujoco.ray_caster.TerrainRayCaster`, warp-lang CPU kernels), all environments in one call
  split over a thread pool; exact on MuJoCo's triangulated surface. Sees the terrain only.
- ``"mj_multiRay"``: ``mujoco.mj_multiRay`` from each camera (one call per environment); sees the geoms of the chosen
  groups (terrain, walls, boxes). MuJoCo's ray-hfield test examines every cell in the rectangle spanned by a ray's
  path through the height field's bounding box, which is slow for the shallow rays of a forward camera over a large
  rough height field (about 0.1 ms per ray on the 120 m x 200 m rough terrain); on planes and primitive geoms it is
  fast. It is the reference the tests compare with.

Robots never appear in the image. The ``"heightfield"`` method sees the terrain only; ``"mj_multiRay"`` casts in a
private ``MjData`` holding the model at its initial pose and sees only the selected geom groups (default: group 0, the
terrain; the Menagerie Go2's geoms are in groups 2 and 3). So a camera sees neither its own robot nor other robots.

MuJoCo's offscreen renderer (``mujoco.Renderer`` depth) is not offered: it draws the whole height field for every
image, about 10 images per second at 64 x 64 on the full rough terrain on a 2-core CPU (EGL, software rendering).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .ray_caster import TerrainRayCaster
from .terrain import TerrainGenerator

if TYPE_CHECKING:
    import mujoco

_METHODS = ("heightfield", "mj_multiRay")
_DATA_TYPES = ("distance_to_image_plane", "distance_to_camera")


def quat_to_matrix(quat: np.ndarray) -> np.ndarray:
    """Rotation matrices of MuJoCo quaternions ``(w, x, y, z)``: ``[N, 4]`` -> ``[N, 3, 3]`` (normalized first)."""
    quat = np.asarray(quat, dtype=np.float64).reshape(-1, 4)
    quat = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    w, x, y, z = quat.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
        ],
        axis=1,
    )


class DepthCamera:
    """Pinhole depth camera rigidly mounted on the base, images for all environments as ``[N, 1, H, W]`` in [0, 1].

    Camera model: the default is a RealSense D435 depth stream's field of view (87 deg x 58 deg) resized to 64 x 64
    pixels, so pixels are not square (``f_x != f_y``); give equal fields of view for square pixels. Pixel ``(v, u)``
    (row ``v`` from the top, column ``u`` from the left) looks through its centre: in the camera's optical frame
    (x right, y down, z forward) its ray is ``((u + 0.5 - W / 2) / f_x, (v + 0.5 - H / 2) / f_y, 1)`` with
    ``f_x = (W / 2) / tan(hfov / 2)`` and ``f_y = (H / 2) / tan(vfov / 2)``. The camera sits at ``offset`` in the
    base frame (x forward, y left, z up) and looks along the base x axis turned down by ``pitch_deg``.

    Depth: ``"distance_to_image_plane"`` (default, what depth sensors report: the distance along the optical axis) or
    ``"distance_to_camera"`` (length of the ray to the hit). The image is ``(clip(depth, near, far) - near) /
    (far - near)``: 0 at or closer than ``near``, 1 at or beyond ``far`` and where nothing is hit (Isaac Lab's
    ``depth_clipping_behavior="max"``).

    Update rate: :meth:`step` recomputes the images every ``update_period``-th call and returns the cached ones in
    between; :meth:`reset` refreshes the images of reset environments. Nothing runs unless the env calls them.

    Args:
        terrain: The terrain, for the ``"heightfield"`` method.
        width: Image width in pixels.
        height: Image height in pixels.
        horizontal_fov_deg: Horizontal field of view in degrees.
        vertical_fov_deg: Vertical field of view in degrees.
        offset: Camera position in the base frame ``(x, y, z)``, metres.
        pitch_deg: Downward tilt of the optical axis in degrees (0 looks straight ahead).
        near: Near clipping distance in metres.
        far: Far clipping distance in metres.
        data_type: ``"distance_to_image_plane"`` or ``"distance_to_camera"``.
        update_period: Recompute the images every this many :meth:`step` calls.
        method: ``"heightfield"`` or ``"mj_multiRay"``.
        model: Compiled model, for ``"mj_multiRay"``; rays are cast in a private ``MjData`` at the model's initial
            pose, so only static geoms are meaningful.
        geomgroup: Six 0/1 flags of the geom groups seen by ``"mj_multiRay"`` (default: group 0, the terrain).
        num_threads: Threads of the ``"heightfield"`` ray caster; 0 uses one per CPU.

    Raises:
        ValueError: On an unknown ``method`` or ``data_type``, a missing ``terrain`` / ``model`` for the method,
            non-positive sizes, fields of view outside (0, 180) degrees or ``0 <= near < far`` violated.
    """

    def __init__(
        self,
        terrain: TerrainGenerator | None = None,
        width: int = 64,
        height: int = 64,
        horizontal_fov_deg: float = 87.0,
        vertical_fov_deg: float = 58.0,
        offset: tuple[float, float, float] = (0.30, 0.0, 0.05),
        pitch_deg: float = 30.0,
        near: float = 0.1,
        far: float = 3.0,
        data_type: str = "distance_to_image_plane",
        update_period: int = 1,
        method: str = "heightfield",
        model: mujoco.MjModel | None = None,
        geomgroup: tuple[int, ...] = (1, 0, 0, 0, 0, 0),
        num_threads: int = 0,
    ) -> None:
        if method not in _METHODS:
            raise ValueError(f"Unknown depth camera 'method' {method!r}; valid: {_METHODS}.")
        if data_type not in _DATA_TYPES:
            raise ValueError(f"Unknown depth camera 'data_type' {data_type!r}; valid: {_DATA_TYPES}.")
        if method == "heightfield" and terrain is None:
            raise ValueError("Depth camera method 'heightfield' needs the 'terrain'.")
        if method == "mj_multiRay" and model is None:
            raise ValueError("Depth camera method 'mj_multiRay' needs the compiled 'model'.")
        if width < 1 or height < 1 or update_period < 1:
            raise ValueError(
                f"'width', 'height' and 'update_period' must be >= 1; got {width}, {height}, {update_period}."
            )
        if not (0.0 < horizontal_fov_deg < 180.0 and 0.0 < vertical_fov_deg < 180.0):
            raise ValueError(
                f"Fields of view must be in (0, 180) degrees; got {horizontal_fov_deg}, {vertical_fov_deg}."
            )
        if not 0.0 <= near < far:
            raise ValueError(f"Need 0 <= near < far; got near={near}, far={far}.")
        self.terrain = terrain
        self.width, self.height = int(width), int(height)
        self.offset = np.asarray(offset, dtype=np.float64)
        self.near, self.far = float(near), float(far)
        self.data_type = data_type
        self.update_period = int(update_period)
        self.method = method
        self.model = model
        self.image: np.ndarray | None = None
        self._step_count = 0

        # pinhole intrinsics and the per-pixel rays in the optical frame (forward component 1)
        self.focal_x = (self.width / 2) / np.tan(np.deg2rad(horizontal_fov_deg) / 2)
        self.focal_y = (self.height / 2) / np.tan(np.deg2rad(vertical_fov_deg) / 2)
        right = (np.arange(self.width) + 0.5 - self.width / 2) / self.focal_x
        down = (np.arange(self.height) + 0.5 - self.height / 2) / self.focal_y
        right, down = np.meshgrid(right, down, indexing="xy")
        rays = np.stack([np.ones_like(right), -right, -down], axis=-1).reshape(-1, 3)  # base axes: fwd, left, up
        norm = np.linalg.norm(rays, axis=1)
        # distance along the optical axis per unit ray length
        self.cos_to_axis = 1.0 / norm
        # turn the optical axis down by the pitch (a rotation about the base y axis)
        pitch = np.deg2rad(pitch_deg)
        mount = np.array([[np.cos(pitch), 0.0, np.sin(pitch)], [0.0, 1.0, 0.0], [-np.sin(pitch), 0.0, np.cos(pitch)]])
        self.ray_directions_base = (rays / norm[:, None]) @ mount.T
        # longest ray length that can still give a depth below far
        self.max_ray_length = self.far / self.cos_to_axis if data_type == "distance_to_image_plane" else None
        # per pixel: depth per metre of ray (for data_type) and the longest ray searched
        self._depth_scale = self.cos_to_axis if data_type == "distance_to_image_plane" else np.ones(self.num_pixels)
        self._max_length = self.max_ray_length if self.max_ray_length is not None else np.full(self.num_pixels, far)

        # The heightfield ray caster is built at the first image (pose and ray geometry need no terrain)
        self._num_threads = num_threads
        self._ray_caster: TerrainRayCaster | None = None

        if method == "mj_multiRay":
            import mujoco  # lazy: the env picks MuJoCo's GL backend before mujoco is first imported

            self._data = mujoco.MjData(model)
            mujoco.mj_kinematics(model, self._data)
            self._geomgroup = np.asarray(geomgroup, dtype=np.uint8)
            self._geom_id = np.zeros(self.num_pixels, dtype=np.int32)
            self._dist = np.zeros(self.num_pixels)

    @property
    def num_pixels(self) -> int:
        """Pixels per image (``width * height``)."""
        return self.width * self.height

    def camera_pose(self, base_pos: np.ndarray, base_quat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Camera positions ``[N, 3]`` (metres) and world ray directions ``[N, H * W, 3]`` (unit, row-major pixels).

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            base_quat: Base orientations as MuJoCo quaternions ``(w, x, y, z)``, ``[N, 4]``.
        """
        rotation = quat_to_matrix(base_quat)
        position = np.asarray(base_pos, dtype=np.float64).reshape(-1, 3) + rotation @ self.offset
        directions = np.einsum("nij,pj->npi", rotation, self.ray_directions_base)
        return position, directions

    def compute_depth(self, base_pos: np.ndarray, base_quat: np.ndarray) -> np.ndarray:
        """Unclipped depth in metres (``data_type``), ``[N, H, W]`` float64; ``inf`` where nothing is hit within far.

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            base_quat: Base orientations as MuJoCo quaternions ``(w, x, y, z)``, ``[N, 4]``.
        """
        return self._cast(base_pos, base_quat)[0]

    def compute(self, base_pos: np.ndarray, base_quat: np.ndarray) -> np.ndarray:
        """Normalized depth images ``[N, 1, H, W]`` float32 in [0, 1] (see the class docstring).

        Args:
            base_pos: Base positions in the world frame, ``[N, 3]`` (metres).
            base_quat: Base orientations as MuJoCo quaternions ``(w, x, y, z)``, ``[N, 4]``.
        """
        return self._cast(base_pos, base_quat)[1]

    def _cast(self, base_pos: np.ndarray, base_quat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Depth ``[N, H, W]`` float64 (``inf``: no hit within far) and image ``[N, 1, H, W]`` float32."""
        rotation = quat_to_matrix(base_quat)
        position = np.asarray(base_pos, dtype=np.float64).reshape(-1, 3) + rotation @ self.offset
        num_envs = position.shape[0]
        if self.method == "heightfield":
            if self._ray_caster is None:
                self._ray_caster = TerrainRayCaster(self.terrain.ground, num_threads=self._num_threads)
            depth, image = self._ray_caster.cast_camera(
                position, rotation, self.ray_directions_base, self._depth_scale, self._max_length, self.near, self.far
            )
            return depth.reshape(num_envs, self.height, self.width), image.reshape(num_envs, 1, self.height, self.width)
        directions = np.einsum("nij,pj->npi", rotation, self.ray_directions_base)
        depth = self._cast_mj_multi_ray(position, directions) * self._depth_scale
        depth = np.where(depth <= self.far, depth, np.inf).reshape(num_envs, self.height, self.width)
        image = (np.clip(depth, self.near, self.far) - self.near) / (self.far - self.near)
        return depth, image.astype(np.float32)[:, None]

    def step(self, base_pos: np.ndarray, base_quat: np.ndarray) -> np.ndarray:
        """Advance the update counter; recompute all images on every ``update_period``-th call (and the first).

        Returns:
            The current images ``[N, 1, H, W]`` float32 (a buffer kept by the camera; copy it to keep it).
        """
        if self.image is None or self._step_count % self.update_period == 0:
            self.image = self.compute(base_pos, base_quat)
        self._step_count += 1
        return self.image

    def reset(self, env_ids: np.ndarray, base_pos: np.ndarray, base_quat: np.ndarray) -> None:
        """Refresh the images of the given environments (after they are reset).

        Args:
            env_ids: Environments to refresh, ``[k]`` int.
            base_pos: Their base positions, ``[k, 3]`` (metres).
            base_quat: Their base orientations, ``[k, 4]`` (``w, x, y, z``).

        Raises:
            ValueError: If called before the first :meth:`step` (the image buffer has no size yet).
        """
        if self.image is None:
            raise ValueError("DepthCamera.reset needs the image buffer: call step() once with all environments first.")
        env_ids = np.asarray(env_ids, dtype=np.int64).reshape(-1)
        if env_ids.size:
            self.image[env_ids] = self.compute(base_pos, base_quat)

    def _cast_mj_multi_ray(self, position: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """Ray lengths by one ``mujoco.mj_multiRay`` per environment, ``[N, H * W]``; ``inf`` where nothing is hit."""
        import mujoco

        cutoff = float(self.far if self.max_ray_length is None else self.max_ray_length.max())
        length = np.empty((position.shape[0], self.num_pixels))
        for env in range(position.shape[0]):
            mujoco.mj_multiRay(
                self.model, self._data, position[env], directions[env].ravel(), self._geomgroup, 1, -1,
                self._geom_id, self._dist, None, self.num_pixels, cutoff,
            )  # fmt: skip
            length[env] = np.where(self._dist >= 0.0, self._dist, np.inf)
        return length
