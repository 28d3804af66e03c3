"""Depth camera: pinhole geometry, depth definitions, pitch and clipping against analytic scenes and MuJoCo."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch

from rsl_sim.tasks.mujoco.depth_camera import DepthCamera, quat_to_matrix
from rsl_sim.tasks.mujoco.terrain import FLAT_TERRAIN_CFG, ROUGH_TERRAINS_CFG, TerrainGenerator

IDENTITY = np.array([[1.0, 0.0, 0.0, 0.0]])


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([[np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]])


def _scene(*geoms: dict, terrain: TerrainGenerator | None = None) -> mujoco.MjModel:
    spec = mujoco.MjSpec()
    if terrain is not None:
        terrain.add_to_spec(spec)
    for geom in geoms:
        spec.worldbody.add_geom(**geom)
    return spec.compile()


def _plane_depth(camera: DepthCamera, height: float, pitch: float) -> np.ndarray:
    """Analytic distance to the image plane of the ground plane, per pixel ``[H, W]`` (inf above the horizon)."""
    # pixel row v looks down by b = (v + 0.5 - H / 2) / f_y in the optical frame; with the axis pitched down by
    # theta the ray (forward 1) drops sin(theta) + b cos(theta) per unit of depth
    b = (np.arange(camera.height) + 0.5 - camera.height / 2) / camera.focal_y
    drop = np.sin(pitch) + b * np.cos(pitch)
    depth = np.where(drop > 0, height / np.where(drop > 0, drop, 1.0), np.inf)
    return np.repeat(depth[:, None], camera.width, axis=1)


def _ray_scale(camera: DepthCamera) -> np.ndarray:
    """Ray length per unit of image-plane depth, ``[H, W]``."""
    a = (np.arange(camera.width) + 0.5 - camera.width / 2) / camera.focal_x
    b = (np.arange(camera.height) + 0.5 - camera.height / 2) / camera.focal_y
    return np.sqrt(1.0 + a[None, :] ** 2 + b[:, None] ** 2)


def test_rays_match_isaac_lab_pinhole_pattern():
    camera = DepthCamera(TerrainGenerator(FLAT_TERRAIN_CFG), width=8, height=6, horizontal_fov_deg=80.0,
                         vertical_fov_deg=60.0, pitch_deg=0.0)  # fmt: skip
    # Isaac Lab: pixel centres through the inverse intrinsics, optical (x right, y down, z fwd) -> (fwd, left, up)
    fx, fy = 4.0 / np.tan(np.deg2rad(40.0)), 3.0 / np.tan(np.deg2rad(30.0))
    intrinsics = torch.tensor([[fx, 0.0, 4.0], [0.0, fy, 3.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    grid = torch.meshgrid(torch.arange(8), torch.arange(6), indexing="xy")
    pixels = torch.vstack([g.ravel() for g in grid]).T.to(torch.float64)
    pixels = torch.hstack([pixels + 0.5, torch.ones(len(pixels), 1, dtype=torch.float64)])
    rays = torch.linalg.inv(intrinsics) @ pixels.T
    rays = (rays[[2, 0, 1]] * torch.tensor([[1.0], [-1.0], [-1.0]], dtype=torch.float64)).T
    expected = (rays / rays.norm(dim=1, keepdim=True)).numpy()
    np.testing.assert_allclose(camera.ray_directions_base, expected, atol=1e-12)


@pytest.mark.parametrize("method", ["heightfield", "mj_multiRay"])
@pytest.mark.parametrize("pitch_deg", [0.0, 30.0, 60.0])
def test_ground_plane_depth_is_analytic(method, pitch_deg):
    terrain = TerrainGenerator(FLAT_TERRAIN_CFG)
    source = {"terrain": terrain} if method == "heightfield" else {"model": _scene(terrain=terrain)}
    kwargs = {"width": 16, "height": 12, "offset": (0.3, 0.0, 0.05), "pitch_deg": pitch_deg, "far": 20.0}
    base = np.array([[2.0, -1.0, 0.45]])
    # any yaw: the ground plane looks the same from a camera 0.5 m above it
    camera = DepthCamera(**source, **kwargs, method=method)
    expected = _plane_depth(camera, 0.5, np.deg2rad(pitch_deg))
    depth = camera.compute_depth(base, _yaw_quat(0.7))[0]
    np.testing.assert_allclose(depth, np.where(expected <= 20.0, expected, np.inf), rtol=1e-9)
    # the distance to the camera is longer by the ray's slant
    camera = DepthCamera(**source, **kwargs, method=method, data_type="distance_to_camera")
    slant = expected * _ray_scale(camera)
    depth = camera.compute_depth(base, _yaw_quat(0.7))[0]
    np.testing.assert_allclose(depth, np.where(slant <= 20.0, slant, np.inf), rtol=1e-9)


def test_flat_height_field_matches_the_plane():
    flat_field = TerrainGenerator({"num_rows": 1, "num_cols": 1, "sub_terrains": {"f": {"type": "flat"}}})
    plane = TerrainGenerator(FLAT_TERRAIN_CFG)
    base = np.array([[0.5, 0.2, 0.4]])
    images = [DepthCamera(t, width=20, height=20, far=4.0).compute(base, IDENTITY) for t in (flat_field, plane)]
    np.testing.assert_allclose(images[0], images[1], atol=1e-6)


def test_wall_in_front_and_clipping():
    wall = {"type": mujoco.mjtGeom.mjGEOM_BOX, "size": [0.1, 5.0, 5.0], "pos": [3.1, 0.0, 0.0]}
    model = _scene(wall)
    base = np.array([[0.0, 0.0, 0.5]])
    camera = DepthCamera(model=model, method="mj_multiRay", width=10, height=8, offset=(0.5, 0.0, 0.0), pitch_deg=0.0,
                         near=0.1, far=4.0)  # fmt: skip
    # the wall face is 2.5 m in front of the camera: constant distance to the image plane
    np.testing.assert_allclose(camera.compute_depth(base, IDENTITY)[0], 2.5, rtol=1e-12)
    np.testing.assert_allclose(camera.compute(base, IDENTITY)[0, 0], (2.5 - 0.1) / 3.9, rtol=1e-6)
    slant = DepthCamera(model=model, method="mj_multiRay", width=10, height=8, offset=(0.5, 0.0, 0.0), pitch_deg=0.0,
                        far=4.0, data_type="distance_to_camera")  # fmt: skip
    np.testing.assert_allclose(slant.compute_depth(base, IDENTITY)[0], 2.5 * _ray_scale(camera), rtol=1e-12)
    # beyond far and closer than near
    far = DepthCamera(model=model, method="mj_multiRay", width=10, height=8, offset=(0.5, 0.0, 0.0), pitch_deg=0.0,
                      far=2.0)  # fmt: skip
    np.testing.assert_array_equal(far.compute(base, IDENTITY), 1.0)
    close = DepthCamera(model=model, method="mj_multiRay", width=10, height=8, offset=(2.95, 0.0, 0.0),
                        pitch_deg=0.0, near=0.1)  # fmt: skip
    np.testing.assert_array_equal(close.compute(base, IDENTITY), 0.0)
    # turned around, the camera sees nothing
    np.testing.assert_array_equal(camera.compute(base, _yaw_quat(np.pi)), 1.0)


def test_robot_geoms_are_invisible():
    wall = {"type": mujoco.mjtGeom.mjGEOM_BOX, "size": [0.1, 5.0, 5.0], "pos": [3.1, 0.0, 0.0]}
    robot_part = {"type": mujoco.mjtGeom.mjGEOM_BOX, "size": [0.1, 5.0, 5.0], "pos": [1.5, 0.0, 0.0], "group": 3}
    model = _scene(wall, robot_part)
    camera = DepthCamera(model=model, method="mj_multiRay", width=6, height=6, pitch_deg=0.0, offset=(0.0, 0.0, 0.0))
    np.testing.assert_allclose(camera.compute_depth(np.zeros((1, 3)), IDENTITY), 3.0, rtol=1e-12)
    # seen when its group is enabled
    camera = DepthCamera(model=model, method="mj_multiRay", width=6, height=6, pitch_deg=0.0, offset=(0.0, 0.0, 0.0),
                         geomgroup=(1, 0, 0, 1, 0, 0))  # fmt: skip
    np.testing.assert_allclose(camera.compute_depth(np.zeros((1, 3)), IDENTITY), 1.4, rtol=1e-12)


def test_heightfield_method_equals_mj_multiray_on_rough_terrain():
    terrain = TerrainGenerator({**ROUGH_TERRAINS_CFG, "num_rows": 2, "num_cols": 10, "border_width": 1.0, "seed": 4})
    model = _scene(terrain=terrain)
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 2, 6), rng.permutation(10)[:6]
    # cameras 0.35 m above the ground at random places on the sub-terrains
    xy = terrain.terrain_origins[rows, cols, :2] + rng.uniform(-2.5, 2.5, (6, 2))
    base = np.c_[xy, terrain.height_at(xy[:, 0], xy[:, 1]) + 0.35]
    yaw = rng.uniform(-np.pi, np.pi, 6)
    quat = np.stack([np.cos(yaw / 2), 0 * yaw, 0 * yaw, np.sin(yaw / 2)], axis=-1)
    kwargs = {"width": 24, "height": 16, "pitch_deg": 25.0, "far": 3.0, "offset": (0.0, 0.0, 0.0)}
    fast = DepthCamera(terrain, **kwargs).compute_depth(base, quat)
    reference = DepthCamera(model=model, method="mj_multiRay", **kwargs).compute_depth(base, quat)
    assert np.isfinite(reference).mean() > 0.5
    np.testing.assert_array_equal(np.isinf(fast), np.isinf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(fast[finite], reference[finite], atol=1e-6)


def test_update_period_and_reset():
    camera = DepthCamera(TerrainGenerator(FLAT_TERRAIN_CFG), width=8, height=8, update_period=3, far=5.0)
    quat = np.repeat(IDENTITY, 2, axis=0)
    images = []
    for step in range(6):
        base = np.array([[0.0, 0.0, 0.3 + 0.1 * step], [1.0, 0.0, 0.3 + 0.1 * step]])
        images.append(camera.step(base, quat).copy())
    assert images[0].shape == (2, 1, 8, 8) and images[0].dtype == np.float32
    assert 0.0 <= images[0].min() and images[0].max() <= 1.0
    # recomputed on calls 0 and 3 only
    assert np.array_equal(images[0], images[2]) and np.array_equal(images[3], images[5])
    assert not np.array_equal(images[2], images[3])
    # reset refreshes the given environments only
    before = camera.image.copy()
    camera.reset(np.array([1]), np.array([[1.0, 0.0, 0.3]]), IDENTITY)
    np.testing.assert_array_equal(camera.image[0], before[0])
    np.testing.assert_array_equal(camera.image[1], images[0][1])


def test_quat_to_matrix_matches_mujoco():
    rng = np.random.default_rng(3)
    quat = rng.normal(size=(5, 4))
    quat /= np.linalg.norm(quat, axis=1, keepdims=True)
    expected = np.empty(9)
    for k in range(5):
        mujoco.mju_quat2Mat(expected, quat[k])
        np.testing.assert_allclose(quat_to_matrix(quat[k : k + 1])[0], expected.reshape(3, 3), atol=1e-12)


def test_argument_errors():
    terrain = TerrainGenerator(FLAT_TERRAIN_CFG)
    with pytest.raises(ValueError, match="method"):
        DepthCamera(terrain, method="renderer")
    with pytest.raises(ValueError, match="data_type"):
        DepthCamera(terrain, data_type="depth")
    with pytest.raises(ValueError, match="needs the compiled 'model'"):
        DepthCamera(terrain, method="mj_multiRay")
    with pytest.raises(ValueError, match="near < far"):
        DepthCamera(terrain, near=2.0, far=1.0)
    with pytest.raises(ValueError, match="step\\(\\)"):
        DepthCamera(terrain).reset(np.array([0]), np.zeros((1, 3)), IDENTITY)
