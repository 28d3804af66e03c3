"""Height scanner: Isaac Lab's grid pattern and height_scan semantics, checked against MuJoCo ray casting."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch

from rsl_sim.tasks.mujoco.height_scanner import HeightScanner, grid_pattern, yaw_from_quat
from rsl_sim.tasks.mujoco.terrain import FLAT_TERRAIN_CFG, ROUGH_TERRAINS_CFG, TerrainGenerator


def _yaw_quat(yaw: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(yaw / 2), 0 * yaw, 0 * yaw, np.sin(yaw / 2)], axis=-1)


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = a.T
    bw, bx, by, bz = b.T
    return np.stack(
        [aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
         aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], axis=-1)  # fmt: skip


@pytest.fixture(scope="module")
def rough_scene():
    terrain = TerrainGenerator({**ROUGH_TERRAINS_CFG, "num_rows": 3, "num_cols": 10, "border_width": 2.0, "seed": 2})
    spec = mujoco.MjSpec()
    terrain.add_to_spec(spec)
    # a robot-like body (geom group 3) standing in the scan area must not be seen
    body = spec.worldbody.add_body(pos=[0.0, 0.0, 3.0])
    body.add_freejoint()
    body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[2.0, 2.0, 0.1], group=3)
    return terrain, spec.compile()


def test_grid_pattern_matches_isaac_lab_ordering():
    pattern = grid_pattern(0.1, (1.6, 1.0))
    assert pattern.shape == (187, 2)
    # Isaac Lab: torch.meshgrid(x, y, indexing="xy") flattened, x varying fastest
    x = torch.arange(-0.8, 0.8 + 1e-9, 0.1, dtype=torch.float64)
    y = torch.arange(-0.5, 0.5 + 1e-9, 0.1, dtype=torch.float64)
    grid_x, grid_y = torch.meshgrid(x, y, indexing="xy")
    expected = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1).numpy()
    np.testing.assert_allclose(pattern, expected, atol=1e-12)
    np.testing.assert_allclose(pattern[[0, 1, 17, 186]], [[-0.8, -0.5], [-0.7, -0.5], [-0.8, -0.4], [0.8, 0.5]])
    yx = grid_pattern(0.1, (1.6, 1.0), ordering="yx")
    np.testing.assert_allclose(yx[[0, 1, 11]], [[-0.8, -0.5], [-0.8, -0.4], [-0.7, -0.5]])


def test_yaw_from_quat_ignores_roll_and_pitch():
    rng = np.random.default_rng(0)
    yaw = rng.uniform(-3.0, 3.0, 50)
    pitch = rng.uniform(-0.6, 0.6, 50)
    roll = rng.uniform(-0.6, 0.6, 50)
    q_pitch = np.stack([np.cos(pitch / 2), 0 * pitch, np.sin(pitch / 2), 0 * pitch], axis=-1)
    q_roll = np.stack([np.cos(roll / 2), np.sin(roll / 2), 0 * roll, 0 * roll], axis=-1)
    # z-y-x (yaw, pitch, roll) composition
    quat = _quat_mul(_quat_mul(_yaw_quat(yaw), q_pitch), q_roll)
    np.testing.assert_allclose(yaw_from_quat(quat), yaw, atol=1e-12)


def test_rays_follow_the_yaw_only():
    scanner = HeightScanner(TerrainGenerator(FLAT_TERRAIN_CFG))
    base = np.array([[1.0, 2.0, 0.4]])
    pitched = _quat_mul(_yaw_quat(np.array([np.pi / 2])), np.array([[np.cos(0.2), 0.0, np.sin(0.2), 0.0]]))
    starts = scanner.ray_starts(base, yaw_from_quat(pitched))[0]
    # a quarter turn maps the grid offset (dx, dy) to (-dy, dx); starts are 20 m above the base
    expected = np.c_[1.0 - scanner.pattern[:, 1], 2.0 + scanner.pattern[:, 0], np.full(187, 20.4)]
    np.testing.assert_allclose(starts, expected, atol=1e-12)


def test_observation_semantics_on_flat_ground():
    scanner = HeightScanner(TerrainGenerator(FLAT_TERRAIN_CFG))
    base = np.array([[0.0, 0.0, 0.8], [5.0, -3.0, 2.0], [0.0, 0.0, 0.1]])
    obs = scanner.compute(base, np.zeros(3))
    assert obs.shape == (3, 187) and obs.dtype == np.float32
    # base_z - ground - 0.5, clipped to (-1, 1)
    np.testing.assert_allclose(obs[0], 0.3, atol=1e-7)
    np.testing.assert_allclose(obs[1], 1.0)
    np.testing.assert_allclose(obs[2], -0.4, atol=1e-7)
    np.testing.assert_allclose(scanner.hit_heights(base, np.zeros(3)), 0.0)


def test_lookup_equals_mujoco_mj_ray_on_rough_terrain(rough_scene):
    terrain, model = rough_scene
    rng = np.random.default_rng(1)
    num_envs = 12
    base = np.c_[
        rng.uniform(-11.0, 11.0, num_envs), rng.uniform(-39.0, 39.0, num_envs), rng.uniform(0.2, 1.0, num_envs)
    ]
    base[:2, :2] = 0.0  # under the robot-like box
    yaw = rng.uniform(-np.pi, np.pi, num_envs)
    lookup = HeightScanner(terrain)
    reference = HeightScanner(method="mj_ray", model=model)
    hits = lookup.hit_heights(base, yaw)
    expected = reference.hit_heights(base, yaw)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(hits, expected, atol=1e-5)
    np.testing.assert_allclose(lookup.compute(base, yaw), reference.compute(base, yaw), atol=1e-5)
    # the scan really varies over the rough ground
    assert hits.std(axis=1).max() > 0.05


def test_rays_that_miss_the_terrain_read_as_the_low_clip():
    terrain = TerrainGenerator(
        {"num_rows": 1, "num_cols": 1, "border_width": 0.0, "sub_terrains": {"f": {"type": "flat"}}}
    )
    scanner = HeightScanner(terrain)
    # base at the edge of the 8 m field: the forward half of the grid is outside
    base = np.array([[3.95, 0.0, 0.7]])
    hits = scanner.hit_heights(base, np.zeros(1))[0]
    outside = scanner.pattern[:, 0] > 0.05 + 1e-9
    assert np.all(np.isinf(hits[outside])) and np.allclose(hits[~outside], 0.0)
    obs = scanner.compute(base, np.zeros(1))[0]
    np.testing.assert_allclose(obs[outside], -1.0)
    np.testing.assert_allclose(obs[~outside], 0.2, atol=1e-6)


def test_offset_shifts_the_grid_in_the_yaw_frame():
    scanner = HeightScanner(TerrainGenerator(FLAT_TERRAIN_CFG), offset=(0.3, 0.0, 5.0))
    starts = scanner.ray_starts(np.zeros((1, 3)), np.array([np.pi]))[0]
    np.testing.assert_allclose(starts[:, 0], -(scanner.pattern[:, 0] + 0.3), atol=1e-12)
    np.testing.assert_allclose(starts[:, 2], 5.0)


def test_argument_errors():
    terrain = TerrainGenerator(FLAT_TERRAIN_CFG)
    with pytest.raises(ValueError, match="method"):
        HeightScanner(terrain, method="warp")
    with pytest.raises(ValueError, match="ray_alignment"):
        HeightScanner(terrain, ray_alignment="base")
    with pytest.raises(ValueError, match="needs the compiled 'model'"):
        HeightScanner(terrain, method="mj_ray")
    with pytest.raises(ValueError, match="needs the 'terrain'"):
        HeightScanner()
