"""Compiled terrain ray casting (warp kernels) against the numpy reference and MuJoCo, on real rough terrain."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from raycast_reference import ReferenceFlatGround, ReferenceHeightField

from rsl_sim.tasks.mujoco.depth_camera import DepthCamera, quat_to_matrix
from rsl_sim.tasks.mujoco.height_scanner import HeightScanner
from rsl_sim.tasks.mujoco.ray_caster import TerrainRayCaster
from rsl_sim.tasks.mujoco.terrain import FLAT_TERRAIN_CFG, ROUGH_TERRAINS_CFG, TerrainGenerator

# Three difficulty rows of the six rough sub-terrain types (columns by proportion: 2, 2, 2, 2, 1, 1), a 2 m border
ROUGH = {**ROUGH_TERRAINS_CFG, "num_rows": 3, "num_cols": 10, "border_width": 2.0, "seed": 7}


@pytest.fixture(scope="module")
def rough() -> TerrainGenerator:
    return TerrainGenerator(ROUGH)


def _quat(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """MuJoCo quaternions ``(w, x, y, z)`` of z-y-x Euler angles, ``[N, 4]``."""
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.stack(
        [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
         cr * cp * sy - sr * sp * cy], axis=-1,
    )  # fmt: skip


def _poses(terrain: TerrainGenerator, num: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bases on every sub-terrain: 0.1-0.6 m above the ground, any yaw, rolled and pitched up to 0.5 rad."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, terrain.cfg["num_rows"], num), np.arange(num) % terrain.cfg["num_cols"]
    xy = terrain.terrain_origins[rows, cols, :2] + rng.uniform(-3.5, 3.5, (num, 2))
    z = terrain.height_at(xy[:, 0], xy[:, 1]) + rng.uniform(0.1, 0.6, num)
    quat = _quat(rng.uniform(-0.5, 0.5, num), rng.uniform(-0.5, 0.5, num), rng.uniform(-np.pi, np.pi, num))
    return np.c_[xy, z], quat


def _reference(camera: DepthCamera, base_pos: np.ndarray, base_quat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The depth camera's former numpy path: depth ``[N, H, W]`` and image ``[N, 1, H, W]``."""
    ground = camera.terrain.ground
    ground = ReferenceFlatGround() if camera.terrain.is_plane else ReferenceHeightField.of(ground)
    position, directions = camera.camera_pose(base_pos, base_quat)
    num_envs = position.shape[0]
    max_length = camera.far if camera.max_ray_length is None else np.tile(camera.max_ray_length, num_envs)
    length = ground.raycast(
        np.repeat(position, camera.num_pixels, axis=0), directions.reshape(-1, 3), max_length, camera.near
    ).reshape(num_envs, camera.num_pixels)
    depth = length * camera.cos_to_axis if camera.data_type == "distance_to_image_plane" else length
    depth = np.where(depth <= camera.far, depth, np.inf).reshape(num_envs, camera.height, camera.width)
    image = (np.clip(depth, camera.near, camera.far) - camera.near) / (camera.far - camera.near)
    return depth, image.astype(np.float32)[:, None]


def _assert_same_depth(depth: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isinf(depth), np.isinf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(depth[finite], reference[finite], rtol=0.0, atol=1e-9)


@pytest.mark.parametrize("data_type", ["distance_to_image_plane", "distance_to_camera"])
@pytest.mark.parametrize("size", [(32, 32), (64, 64), (24, 16)])
def test_camera_equals_the_numpy_reference_on_rough_terrain(rough, data_type, size):
    camera = DepthCamera(rough, width=size[0], height=size[1], data_type=data_type, far=3.0)
    base_pos, base_quat = _poses(rough, 36, seed=size[0])
    depth, image = camera._cast(base_pos, base_quat)
    ref_depth, ref_image = _reference(camera, base_pos, base_quat)
    # hits, misses and clipping at both ends occur
    assert 0.3 < np.isfinite(ref_depth).mean() < 0.99 and (ref_image == 1.0).any()
    _assert_same_depth(depth, ref_depth)
    assert image.shape == (36, 1, size[1], size[0]) and image.dtype == np.float32
    np.testing.assert_allclose(image, ref_image, rtol=0.0, atol=1e-6)
    np.testing.assert_array_equal(camera.compute(base_pos, base_quat), image)


def test_every_sub_terrain_type_is_seen(rough):
    # cameras over the centre of each column (one sub-terrain type each), level 2, looking steeply down
    camera = DepthCamera(rough, width=16, height=16, pitch_deg=60.0, far=3.0)
    centres = rough.terrain_origins[2, :, :2] + [0.7, 0.4]
    base_pos = np.c_[centres, rough.height_at(centres[:, 0], centres[:, 1]) + 0.45]
    base_quat = np.repeat([[1.0, 0.0, 0.0, 0.0]], len(centres), axis=0)
    depth = camera.compute_depth(base_pos, base_quat)
    _assert_same_depth(depth, _reference(camera, base_pos, base_quat)[0])
    assert (np.isfinite(depth).mean(axis=(1, 2)) > 0.5).all()
    assert sorted(set(rough.sub_terrain_index[2])) == list(range(6))


def test_start_under_the_ground_and_near_clipping(rough):
    camera = DepthCamera(rough, width=8, height=8, near=0.2, far=3.0, offset=(0.0, 0.0, 0.0))
    xy = rough.terrain_origins[1, 3, :2]
    # one camera 5 cm under the ground, one 40 cm above it
    ground = rough.height_at(xy[0], xy[1])
    base_pos = np.array([[*xy, ground - 0.05], [*xy, ground + 0.4]])
    identity = np.array([[1.0, 0.0, 0.0, 0.0]] * 2)
    depth, image = camera._cast(base_pos, identity)
    ref_depth, ref_image = _reference(camera, base_pos, identity)
    _assert_same_depth(depth, ref_depth)
    # a ray that starts under the ground hits at near: image 0
    np.testing.assert_array_equal(image[0], 0.0)
    np.testing.assert_array_equal(ref_image[0], 0.0)
    assert (image[1] > 0.0).all()


def test_plane_equals_the_reference():
    plane = TerrainGenerator(FLAT_TERRAIN_CFG)
    camera = DepthCamera(plane, width=20, height=12, far=5.0)
    base_pos = np.array([[0.0, 0.0, 0.4], [3.0, -2.0, 0.1], [1.0, 1.0, -0.2]])
    base_quat = _quat(np.array([0.0, 0.3, 0.0]), np.array([-0.4, 0.2, 0.0]), np.array([0.0, 1.0, 2.0]))
    depth, image = camera._cast(base_pos, base_quat)
    ref_depth, ref_image = _reference(camera, base_pos, base_quat)
    _assert_same_depth(depth, ref_depth)
    np.testing.assert_allclose(image, ref_image, atol=1e-6)


def test_robots_are_not_seen(rough):
    # the scene holds the terrain (group 0) and robot-like boxes (groups 2 and 3, as the Menagerie Go2's geoms)
    # right in front of the cameras: the image equals MuJoCo's rays on the terrain alone
    base_pos, base_quat = _poses(rough, 6, seed=3)
    spec = mujoco.MjSpec()
    rough.add_to_spec(spec)
    forward = quat_to_matrix(base_quat)[:, :, 0]
    for k in range(6):
        spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.3, 0.2, 0.15], group=2 + k % 2,
                                pos=base_pos[k] + 0.9 * forward[k])  # fmt: skip
    model = spec.compile()
    kwargs = {"width": 16, "height": 12, "far": 3.0}
    image = DepthCamera(rough, **kwargs).compute(base_pos, base_quat)
    terrain_only = DepthCamera(model=model, method="mj_multiRay", **kwargs).compute(base_pos, base_quat)
    with_robots = DepthCamera(model=model, method="mj_multiRay", geomgroup=(1, 0, 1, 1, 0, 0), **kwargs)
    # the boxes are in view (MuJoCo sees them when their groups are enabled) ...
    assert (with_robots.compute(base_pos, base_quat) < terrain_only - 0.05).any()
    # ... and the camera does not see them (images compared: MuJoCo's rays also see ground closer than near)
    np.testing.assert_allclose(image, terrain_only, atol=1e-6)


def test_thread_count_does_not_change_the_image(rough):
    base_pos, base_quat = _poses(rough, 7, seed=5)
    images = [DepthCamera(rough, num_threads=n).compute(base_pos, base_quat) for n in (1, 3)]
    np.testing.assert_array_equal(images[0], images[1])
    # no environments: empty images
    assert DepthCamera(rough).compute(np.zeros((0, 3)), np.zeros((0, 4))).shape == (0, 1, 64, 64)


@pytest.mark.parametrize("alignment", ["yaw", "world"])
def test_height_scan_equals_the_numpy_lookup(rough, alignment):
    scanner = HeightScanner(rough, ray_alignment=alignment, offset=(0.2, -0.1, 0.5), clip=None)
    base_pos, _ = _poses(rough, 40, seed=11)
    yaw = np.random.default_rng(2).uniform(-np.pi, np.pi, 40)
    # one robot at the edge of the field (rays outside miss), one low over a stair (steps above the starts miss)
    base_pos[0, :2] = [rough.ground.x_max - 0.3, 0.0]
    base_pos[1] = [*rough.terrain_origins[2, 0, :2] + [2.0, 0.0], rough.terrain_origins[2, 0, 2] - 1.0]
    starts = scanner.ray_starts(base_pos, yaw)
    # the numpy reference: the height field under the ray starts, a miss where none or above the start
    expected = rough.height_at(starts[..., 0], starts[..., 1])
    expected = np.where(expected <= starts[..., 2], expected, np.inf)
    hits = scanner.hit_heights(base_pos, yaw)
    assert np.isinf(hits[0]).any() and np.isinf(hits[1]).any() and np.isfinite(hits).mean() > 0.9
    np.testing.assert_array_equal(np.isinf(hits), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(hits[finite], expected[finite], rtol=0.0, atol=1e-12)
    # on the plane every ray below its start hits z = 0
    plane = HeightScanner(TerrainGenerator(FLAT_TERRAIN_CFG), offset=(0.0, 0.0, 0.5), clip=None)
    np.testing.assert_array_equal(plane.hit_heights(np.array([[1.0, 2.0, 0.3], [0.0, 0.0, -0.6]]), [0.4, 0.0]),
                                  np.r_[np.zeros(187), np.full(187, np.inf)].reshape(2, 187))  # fmt: skip


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_poses_give_far_images_and_leave_the_others_alone(rough):
    base_pos, base_quat = _poses(rough, 4, seed=9)
    camera = DepthCamera(rough, width=16, height=16)
    clean = camera.compute(base_pos, base_quat)
    base_pos[1] = np.nan
    base_quat[2] = 0.0  # normalizes to NaN
    images = camera.compute(base_pos, base_quat)
    np.testing.assert_array_equal(images[[0, 3]], clean[[0, 3]])
    np.testing.assert_array_equal(images[[1, 2]], 1.0)


def test_argument_errors(rough):
    with pytest.raises(ValueError, match="num_threads"):
        TerrainRayCaster(rough.ground, num_threads=-1)
    with pytest.raises(ValueError, match="HeightField or FlatGround"):
        TerrainRayCaster(rough)
