"""Terrain generator (one MuJoCo height field) and terrain-level curriculum."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.mujoco.curriculum import TerrainCurriculum
from rsl_sim.tasks.mujoco.terrain import FLAT_TERRAIN_CFG, ROUGH_TERRAINS_CFG, TerrainGenerator


def _single(sub: dict, difficulty: float = 0.5, **cfg) -> TerrainGenerator:
    """One sub-terrain at a fixed difficulty, with a 1 m border."""
    return TerrainGenerator(
        {
            "num_rows": 1,
            "num_cols": 1,
            "border_width": 1.0,
            "difficulty_range": (difficulty, difficulty),
            "seed": 0,
            "sub_terrains": {"only": sub},
            **cfg,
        }  # fmt: skip
    )


def _compile(terrain: TerrainGenerator) -> tuple[mujoco.MjModel, mujoco.MjData]:
    spec = mujoco.MjSpec()
    terrain.add_to_spec(spec)
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    return model, data


def _mj_ray_heights(model, data, x, y) -> np.ndarray:
    heights = np.empty(len(x))
    for k in range(len(x)):
        dist = mujoco.mj_ray(model, data, np.array([x[k], y[k], 30.0]), np.array([0.0, 0.0, -1.0]), None, 1, -1, None)
        heights[k] = 30.0 - dist if dist >= 0 else np.nan
    return heights


@pytest.fixture(scope="module")
def rough() -> TerrainGenerator:
    return TerrainGenerator({**ROUGH_TERRAINS_CFG, "seed": 3})


def test_rough_layout_matches_isaac_lab_grid(rough):
    # 10 x 20 sub-terrains of 8 m plus a 20 m border, vertices every 0.1 m, centred on the origin
    assert rough.height_field.shape == (1201, 2001)
    assert rough.height_field.dtype == np.float32
    assert rough.terrain_origins.shape == (10, 20, 3)
    np.testing.assert_allclose(rough.terrain_origins[:, 0, 0], np.arange(10) * 8.0 - 36.0)
    np.testing.assert_allclose(rough.terrain_origins[0, :, 1], np.arange(20) * 8.0 - 76.0)
    assert rough.hfield_size[:2] == pytest.approx((60.0, 100.0))
    # columns split by proportion 0.2, 0.2, 0.2, 0.2, 0.1, 0.1
    names = [rough.sub_terrain_names[k] for k in rough.sub_terrain_index[0]]
    expected = ["pyramid_stairs"] * 4 + ["pyramid_stairs_inv"] * 4 + ["boxes"] * 4 + ["random_rough"] * 4
    assert names == expected + ["hf_pyramid_slope"] * 2 + ["hf_pyramid_slope_inv"] * 2
    assert (rough.sub_terrain_index == rough.sub_terrain_index[0]).all()
    # the border is flat ground at zero
    assert np.abs(rough.height_field[:199]).max() < 1e-6 and np.abs(rough.height_field[:, -199:]).max() < 1e-6


def test_difficulty_grows_with_the_row(rough):
    rows = np.arange(10)[:, None]
    assert np.all((rough.difficulties >= rows / 10) & (rough.difficulties < (rows + 1) / 10))
    z = rough.terrain_origins[..., 2]
    # stairs get higher, pits deeper, slopes steeper with the row
    assert np.all(np.diff(z[:, 0]) > 0) and np.all(np.diff(z[:, 4]) < 0)
    assert np.all(np.diff(z[:, 16]) >= 0) and np.all(np.diff(z[:, 18]) <= 0)
    assert z[-1, 0] > 1.2 and z[-1, 4] < -1.2


def test_origins_are_on_the_ground(rough):
    x, y, z = rough.terrain_origins.reshape(-1, 3).T
    ground = rough.height_at(x, y).reshape(10, 20)
    z = z.reshape(10, 20)
    kinds = np.array(rough.sub_terrain_names)[rough.sub_terrain_index]
    on_platform = kinds != "random_rough"
    np.testing.assert_allclose(ground[on_platform], z[on_platform], atol=1e-6)
    # rough ground: the origin is the highest point within 1 m, so never below the ground
    assert np.all(z[~on_platform] >= ground[~on_platform] - 1e-6)


def test_pyramid_stairs_heights():
    terrain = _single({"type": "pyramid_stairs"}, difficulty=0.5)
    step = 0.05 + 0.5 * 0.18
    h = terrain.height_field.astype(np.float64)
    # sub-terrain corner is vertex 10 (1 m border); stairs start 1 m inside: x = 1.0 m -> vertex 20
    row = h[10:91, 50]
    np.testing.assert_allclose(row[:10], 0.0, atol=1e-6)
    # each 0.3 m ring is one step higher; a vertex on a riser takes the upper step
    np.testing.assert_allclose(row[10:13], [step, step, step], atol=1e-6)
    np.testing.assert_allclose(row[13:16], [2 * step] * 3, atol=1e-6)
    # 6 rings, then the 2.4 m platform at 7 steps (Isaac Lab's step count for these sizes)
    np.testing.assert_allclose(row[28:53], 7 * step, atol=1e-6)
    np.testing.assert_allclose(terrain.terrain_origins[0, 0], [0.0, 0.0, 7 * step], atol=1e-6)
    assert np.all(np.diff(row[:41]) >= -1e-6) and np.all(np.diff(row[40:]) <= 1e-6)


def test_inverted_pyramid_stairs_heights():
    terrain = _single({"type": "inverted_pyramid_stairs"}, difficulty=1.0)
    step = 0.23
    row = terrain.height_field[10:91, 50].astype(np.float64)
    np.testing.assert_allclose(row[:10], 0.0, atol=1e-6)
    np.testing.assert_allclose(row[11:13], -step, atol=1e-6)
    np.testing.assert_allclose(row[40], -7 * step, atol=1e-6)
    assert terrain.terrain_origins[0, 0, 2] == pytest.approx(-7 * step)


def test_random_grid_cells_and_platform():
    terrain = _single({"type": "random_grid"}, difficulty=1.0)
    grid_height = 0.2
    h = terrain.height_field[10:91, 10:91].astype(np.float64)
    assert h.min() >= -grid_height - 1e-6 and h.max() <= grid_height + 1e-6
    # 2 m platform at the top height in the centre; zero border outside the 17 cells of 0.45 m
    np.testing.assert_allclose(h[30:51, 30:51], grid_height, atol=1e-6)
    np.testing.assert_allclose(h[0, :], 0.0, atol=1e-6)
    np.testing.assert_allclose(h[:, 0], 0.0, atol=1e-6)
    # many distinct cell heights
    assert len(np.unique(np.round(h, 4))) > 100


def test_random_uniform_levels_and_rim():
    terrain = _single({"type": "random_uniform"})
    h = terrain.height_field[10:91, 10:91].astype(np.float64)
    # rim of int(0.25 / 0.1) + 1 = 3 zero vertices, then heights from {0.02, 0.04, ..., 0.10}
    np.testing.assert_allclose(h[:3], 0.0, atol=1e-6)
    np.testing.assert_allclose(h[-3:], 0.0, atol=1e-6)
    inner = np.round(h[3:-3, 3:-3] / 0.02, 4)
    assert set(np.unique(inner)) == {1.0, 2.0, 3.0, 4.0, 5.0}


@pytest.mark.parametrize("kind, sign", [("pyramid_sloped", 1.0), ("inverted_pyramid_sloped", -1.0)])
def test_pyramid_slope(kind, sign):
    terrain = _single({"type": kind}, difficulty=1.0)
    h = terrain.height_field[10:91, 10:91].astype(np.float64)
    centre = h[40, 40]
    assert sign * centre > 0.5
    # flat platform in the centre, and no slope steeper than 0.4 * 2 along an axis (product of two tents)
    np.testing.assert_allclose(h[35:46, 35:46], centre, atol=1e-6)
    assert np.abs(np.diff(h, axis=0)).max() / 0.1 <= 0.8 + 0.05 / 0.1
    assert terrain.terrain_origins[0, 0, 2] == pytest.approx(centre, abs=1e-6)


def test_seed_makes_terrain_reproducible():
    cfg = {**ROUGH_TERRAINS_CFG, "num_rows": 2, "num_cols": 10, "border_width": 1.0}
    a = TerrainGenerator({**cfg, "seed": 7}).height_field
    b = TerrainGenerator({**cfg, "seed": 7}).height_field
    c = TerrainGenerator({**cfg, "seed": 8}).height_field
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_mode_draws_types_and_difficulties():
    terrain = TerrainGenerator({**ROUGH_TERRAINS_CFG, "num_rows": 4, "num_cols": 6, "curriculum": False, "seed": 1})
    assert np.all((terrain.difficulties >= 0.0) & (terrain.difficulties <= 1.0))
    # types are drawn per sub-terrain, so columns are not uniform
    assert any(len(set(terrain.sub_terrain_index[:, col])) > 1 for col in range(6))


def test_height_lookup_matches_mujoco_mj_ray():
    terrain = TerrainGenerator({**ROUGH_TERRAINS_CFG, "num_rows": 2, "num_cols": 10, "border_width": 1.0, "seed": 5})
    model, data = _compile(terrain)
    elevation = terrain.hfield_elevation
    np.testing.assert_array_equal(model.hfield_data, elevation.ravel())
    rng = np.random.default_rng(0)
    x = rng.uniform(-8.5, 8.5, 3000)
    y = rng.uniform(-40.5, 40.5, 3000)
    reference = _mj_ray_heights(model, data, x, y)
    np.testing.assert_allclose(terrain.height_at(x, y), reference, atol=1e-5)
    # bilinear interpolation is not MuJoCo's surface: it is off by more than 1 mm on rough ground
    bilinear = terrain.ground.height_at(x, y, interpolation="bilinear")
    assert np.abs(bilinear - reference).max() > 1e-3


def test_mjcf_snippets_and_upload_match_the_spec():
    terrain = _single({"type": "random_uniform"})
    asset, geom = terrain.mjcf()
    model = mujoco.MjModel.from_xml_string(f"<mujoco><asset>{asset}</asset><worldbody>{geom}</worldbody></mujoco>")
    terrain.upload(model)
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    x = np.linspace(-4.5, 4.5, 200)
    y = np.linspace(-3.0, 4.0, 200)
    np.testing.assert_allclose(_mj_ray_heights(model, data, x, y), terrain.height_at(x, y), atol=1e-5)
    with pytest.raises(ValueError, match="no hfield named"):
        terrain.upload(model, name="missing")


def test_flat_plane():
    terrain = TerrainGenerator(FLAT_TERRAIN_CFG)
    assert terrain.is_plane and terrain.height_field is None
    np.testing.assert_array_equal(terrain.terrain_origins, np.zeros((1, 1, 3)))
    model, data = _compile(terrain)
    assert model.geom_type[0] == mujoco.mjtGeom.mjGEOM_PLANE
    x = np.array([0.0, 123.0, -400.0])
    np.testing.assert_allclose(_mj_ray_heights(model, data, x, x), 0.0, atol=1e-9)
    np.testing.assert_array_equal(terrain.height_at(x, x), 0.0)


@pytest.mark.parametrize(
    "cfg, match",
    [
        ({"num_rowz": 3}, "Unknown terrain config keys"),
        ({"terrain_type": "mesh"}, "Unknown 'terrain_type'"),
        ({"sub_terrains": {}}, "at least one entry"),
        ({"sub_terrains": {"a": {"type": "gaps"}}}, "unknown type 'gaps'"),
        ({"sub_terrains": {"a": {"type": "flat", "step_width": 0.3}}}, "unknown keys"),
        ({"sub_terrains": {"a": {"type": "pyramid_stairs", "holes": True}}}, "cannot have holes"),
        ({"size": (8.05, 8.0), "sub_terrains": {"a": {"type": "flat"}}}, "multiple of 'horizontal_scale'"),
    ],
)
def test_config_errors(cfg, match):
    with pytest.raises(ValueError, match=match):
        TerrainGenerator(cfg)


# ---------------------------------------------------------------------------------------------------- curriculum


def _origins(num_rows: int = 10, num_cols: int = 4) -> np.ndarray:
    rows, cols = np.meshgrid(np.arange(num_rows), np.arange(num_cols), indexing="ij")
    return np.stack([rows * 8.0, cols * 8.0, rows * 0.1], axis=-1)


def test_curriculum_initial_levels_and_types():
    curriculum = TerrainCurriculum(_origins(), num_envs=100, max_init_terrain_level=5, seed=0)
    assert curriculum.terrain_levels.min() >= 0 and curriculum.terrain_levels.max() == 5
    # envs spread evenly over the 4 columns
    np.testing.assert_array_equal(np.bincount(curriculum.terrain_types), [25, 25, 25, 25])
    assert np.all(np.diff(curriculum.terrain_types) >= 0)
    expected = _origins()[curriculum.terrain_levels, curriculum.terrain_types]
    np.testing.assert_array_equal(curriculum.env_origins, expected)


def test_curriculum_moves_up_and_down():
    curriculum = TerrainCurriculum(_origins(), num_envs=4, seed=0)
    curriculum.terrain_levels[:] = [3, 3, 3, 0]
    env_ids = np.arange(4)
    # walked 4.5 m > 4 m: up; 1 m < half of 3 m: down; 2 m of 3 m: stay; level 0 cannot go lower
    up, down = curriculum.update(env_ids, np.array([4.5, 1.0, 2.0, 0.5]), np.array([3.0, 3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(up, [True, False, False, False])
    np.testing.assert_array_equal(down, [False, True, False, True])
    np.testing.assert_array_equal(curriculum.terrain_levels, [4, 2, 3, 0])
    np.testing.assert_array_equal(curriculum.env_origins, _origins()[[4, 2, 3, 0], curriculum.terrain_types])
    # walking far wins over the move-down rule
    up, down = curriculum.update(np.array([2]), np.array([5.0]), np.array([100.0]))
    assert up[0] and not down[0] and curriculum.terrain_levels[2] == 4
    assert curriculum.mean_level == pytest.approx(np.mean([4, 2, 4, 0]))
    assert curriculum.log() == {"Curriculum/terrain_levels": pytest.approx(2.5)}


def test_curriculum_sends_solvers_of_the_last_level_to_a_random_level():
    curriculum = TerrainCurriculum(_origins(), num_envs=400, seed=1)
    curriculum.terrain_levels[:] = 9
    curriculum.update(np.arange(400), np.full(400, 10.0), np.zeros(400))
    levels = curriculum.terrain_levels
    assert levels.max() <= 9 and levels.min() == 0
    assert len(np.unique(levels)) == 10


def test_curriculum_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_rows, num_cols, 3"):
        TerrainCurriculum(np.zeros((4, 3)), num_envs=2)
    curriculum = TerrainCurriculum(_origins(), num_envs=2)
    with pytest.raises(ValueError, match="same length"):
        curriculum.update(np.arange(2), np.zeros(3), np.zeros(2))
