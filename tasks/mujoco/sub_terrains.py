"""Sub-terrain height functions for the MuJoCo terrain generator.

Each function turns a difficulty in ``[0, 1]`` and a sub-terrain config into the heights of one sub-terrain sampled at
the vertices of a regular grid, plus the spawn point (origin) of the sub-terrain. The shapes and parameter names follow
Isaac Lab's sub-terrains (``isaaclab.terrains``): the mesh sub-terrains (pyramid stairs, inverted pyramid stairs, random
grid) are sampled on the height-field grid, the height-field sub-terrains (random uniform, pyramid sloped) are built on
it directly.

A MuJoCo height field cannot hold vertical faces: where a mesh sub-terrain has a vertical riser (stairs, box edges), the
grid vertex on the riser takes the height of the *upper* surface, so every riser becomes a ramp one grid cell wide that
lies on the lower side; upper treads keep their full width.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Tolerance (in grid cells) used to decide whether a vertex lies on the edge of a box.
_EDGE_TOLERANCE = 1.0e-6

# Keys accepted by each sub-terrain type (besides "type" and "proportion"), with their defaults.
SUB_TERRAIN_DEFAULTS: dict[str, dict[str, object]] = {
    "flat": {},
    "pyramid_stairs": {
        "step_height_range": (0.05, 0.23),
        "step_width": 0.3,
        "platform_width": 3.0,
        "border_width": 1.0,
        "holes": False,
    },
    "inverted_pyramid_stairs": {
        "step_height_range": (0.05, 0.23),
        "step_width": 0.3,
        "platform_width": 3.0,
        "border_width": 1.0,
        "holes": False,
    },
    "random_grid": {"grid_width": 0.45, "grid_height_range": (0.05, 0.2), "platform_width": 2.0, "holes": False},
    "random_uniform": {"noise_range": (0.02, 0.10), "noise_step": 0.02, "border_width": 0.25},
    "pyramid_sloped": {"slope_range": (0.0, 0.4), "platform_width": 2.0, "border_width": 0.25},
    "inverted_pyramid_sloped": {"slope_range": (0.0, 0.4), "platform_width": 2.0, "border_width": 0.25},
}


def _lerp(value_range: tuple[float, float], difficulty: float) -> float:
    """Linear interpolation in ``value_range`` at ``difficulty`` (0 gives the lower end, 1 the upper end)."""
    return float(value_range[0] + difficulty * (value_range[1] - value_range[0]))


def _vertices(size: tuple[float, float], horizontal_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertex coordinates of a sub-terrain grid.

    Returns:
        ``x`` with shape ``[nx + 1, 1]`` and ``y`` with shape ``[1, ny + 1]`` in metres, from the sub-terrain corner.
    """
    nx = round(size[0] / horizontal_scale)
    ny = round(size[1] / horizontal_scale)
    x = (np.arange(nx + 1) * horizontal_scale)[:, None]
    y = (np.arange(ny + 1) * horizontal_scale)[None, :]
    return x, y


def _border_pixels(border_width: float, horizontal_scale: float) -> int:
    """Number of zero-height vertex rows kept on each side of a height-field sub-terrain (as Isaac Lab counts them)."""
    return int(round(border_width / horizontal_scale)) + 1


def flat_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Flat ground at height zero. The difficulty is ignored.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the sub-terrain, on the ground).
    """
    x, y = _vertices(size, horizontal_scale)
    heights = np.zeros((x.shape[0], y.shape[1]))
    return heights, np.array([size[0] / 2, size[1] / 2, 0.0])


def _stairs(
    difficulty: float, cfg: dict, size: tuple[float, float], horizontal_scale: float, inverted: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Pyramid stairs going up (or down when ``inverted``) towards a central platform.

    Same layout as Isaac Lab's ``MeshPyramidStairsTerrainCfg``: a flat border of ``border_width``, then square rings
    of ``step_width`` whose height grows by one step each, then the central platform one step above the last ring.
    """
    if cfg["holes"]:
        raise ValueError("Sub-terrain key 'holes' must be False: a MuJoCo height field cannot have holes.")
    step_height = _lerp(cfg["step_height_range"], difficulty)
    step_width = float(cfg["step_width"])
    border = float(cfg["border_width"])
    inner = (size[0] - 2 * border, size[1] - 2 * border)
    # number of rings, counted as Isaac Lab does (the platform keeps at least about platform_width)
    num_steps = int(min((inner[0] - cfg["platform_width"]) // (2 * step_width) + 1,
                        (inner[1] - cfg["platform_width"]) // (2 * step_width) + 1))  # fmt: skip
    sign = -1.0 if inverted else 1.0

    # Chebyshev distance of each vertex from the outer edge of the stairs (negative on the border)
    x, y = _vertices(size, horizontal_scale)
    dist = np.minimum(np.minimum(x - border, size[0] - border - x), np.minimum(y - border, size[1] - border - y))

    def level_height(d: np.ndarray) -> np.ndarray:
        # ring k covers distances [k w, (k + 1) w) at height (k + 1) h; the platform is ring num_steps
        level = np.minimum(np.floor(d / step_width), num_steps)
        return np.where(d < 0.0, 0.0, sign * (level + 1.0) * step_height)

    # a vertex on a riser takes the upper of the two surfaces
    eps = _EDGE_TOLERANCE * horizontal_scale
    heights = np.maximum(level_height(dist - eps), level_height(dist + eps))
    origin = np.array([size[0] / 2, size[1] / 2, sign * (num_steps + 1) * step_height])
    return heights, origin


def pyramid_stairs_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Stairs going up to a central platform (Isaac Lab ``MeshPyramidStairsTerrainCfg``).

    The step height is ``step_height_range`` interpolated at ``difficulty``.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the platform, on its surface).
    """
    return _stairs(difficulty, cfg, size, horizontal_scale, inverted=False)


def inverted_pyramid_stairs_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Stairs going down to a central pit (Isaac Lab ``MeshInvertedPyramidStairsTerrainCfg``).

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the pit floor, on its surface).
    """
    return _stairs(difficulty, cfg, size, horizontal_scale, inverted=True)


def random_grid_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Square cells of random height around a raised central platform (Isaac Lab ``MeshRandomGridTerrainCfg``).

    The cells are ``grid_width`` wide and their tops are uniform in ``[-g, g]`` with ``g`` the ``grid_height_range``
    interpolated at ``difficulty``; the leftover margin around the cells is a flat border at height zero and the
    ``platform_width`` square platform in the centre stands at ``g``.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the platform, on its surface).

    Raises:
        ValueError: If the sub-terrain is not square, ``holes`` is set, or the cells leave no border.
    """
    if cfg["holes"]:
        raise ValueError("Sub-terrain key 'holes' must be False: a MuJoCo height field cannot have holes.")
    if size[0] != size[1]:
        raise ValueError(f"Sub-terrain type 'random_grid' needs a square 'size'; got {size}.")
    grid_height = _lerp(cfg["grid_height_range"], difficulty)
    grid_width = float(cfg["grid_width"])
    num_cells = int(size[0] / grid_width)
    margin = size[0] - num_cells * grid_width
    if margin <= 0:
        raise ValueError(f"'grid_width' {grid_width} tiles the sub-terrain exactly; choose one that leaves a border.")
    # cell tops, padded by one ring of border cells at height zero
    tops = np.zeros((num_cells + 2, num_cells + 2))
    tops[1:-1, 1:-1] = rng.uniform(-grid_height, grid_height, size=(num_cells, num_cells))

    # the (up to two) cells each vertex touches along each axis, in padded indices
    x, y = _vertices(size, horizontal_scale)
    eps = _EDGE_TOLERANCE * horizontal_scale

    def cell(coord: np.ndarray, shift: float) -> np.ndarray:
        index = np.floor((coord - margin / 2 + shift) / grid_width).astype(np.int64) + 1
        return np.clip(index, 0, num_cells + 1)

    ix_lo, ix_hi = cell(x, -eps), cell(x, eps)
    iy_lo, iy_hi = cell(y, -eps), cell(y, eps)
    heights = np.maximum(
        np.maximum(tops[ix_lo, iy_lo], tops[ix_lo, iy_hi]), np.maximum(tops[ix_hi, iy_lo], tops[ix_hi, iy_hi])
    )
    # the central platform stands above every cell
    half = cfg["platform_width"] / 2 + eps
    on_platform = (np.abs(x - size[0] / 2) <= half) & (np.abs(y - size[1] / 2) <= half)
    heights = np.where(on_platform, grid_height, heights)
    return heights, np.array([size[0] / 2, size[1] / 2, grid_height])


def random_uniform_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Rough ground with vertex heights drawn uniformly (Isaac Lab ``HfRandomUniformTerrainCfg``).

    Heights are drawn from ``noise_range[0], noise_range[0] + noise_step, ..., noise_range[1]`` (in multiples of
    ``vertical_scale``); ``border_width`` keeps a zero-height rim. The difficulty is ignored, as in Isaac Lab.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]``: the centre, at the highest point within 1 m.
    """
    x, y = _vertices(size, horizontal_scale)
    heights = np.zeros((x.shape[0], y.shape[1]))
    rim = _border_pixels(cfg["border_width"], horizontal_scale)
    low, high = (round(v / vertical_scale) for v in cfg["noise_range"])
    step = round(cfg["noise_step"] / vertical_scale)
    if step <= 0 or high < low:
        raise ValueError(f"Invalid 'noise_range' {cfg['noise_range']} / 'noise_step' {cfg['noise_step']}.")
    levels = np.arange(low, high + 1, step)
    inner = rng.choice(levels, size=(heights.shape[0] - 2 * rim, heights.shape[1] - 2 * rim)) * vertical_scale
    heights[rim:-rim, rim:-rim] = inner
    # spawn height: the highest vertex within 1 m of the centre
    cx, cy = inner.shape[0] // 2, inner.shape[1] // 2
    radius = max(1, int(round(1.0 / horizontal_scale)))
    z = inner[max(0, cx - radius) : cx + radius, max(0, cy - radius) : cy + radius].max()
    return heights, np.array([size[0] / 2, size[1] / 2, z])


def _sloped(
    difficulty: float, cfg: dict, size: tuple[float, float], horizontal_scale: float, vertical_scale: float, sign: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pyramid slope (Isaac Lab ``HfPyramidSlopedTerrainCfg``): up to a platform, or down to a pit for ``sign=-1``.

    As in Isaac Lab the surface is ``h_max * a(x) * a(y)`` with ``a`` a tent function (0 at the rim, 1 in the centre)
    and ``h_max = slope * width / 2``, flattened at the height it has at the corner of the central platform.
    """
    slope = sign * _lerp(cfg["slope_range"], difficulty)
    x, y = _vertices(size, horizontal_scale)
    heights = np.zeros((x.shape[0], y.shape[1]))
    rim = _border_pixels(cfg["border_width"], horizontal_scale)
    nx, ny = heights.shape[0] - 2 * rim, heights.shape[1] - 2 * rim
    # peak height in vertical units (truncated, as Isaac Lab does)
    peak = int(slope * nx * horizontal_scale / 2 / vertical_scale)
    cx, cy = nx // 2, ny // 2
    tent_x = (cx - np.abs(cx - np.arange(nx))) / cx
    tent_y = (cy - np.abs(cy - np.arange(ny))) / cy
    surface = peak * tent_x[:, None] * tent_y[None, :]
    # flatten the top at the height of the platform corner
    half_platform = int(round(cfg["platform_width"] / horizontal_scale / 2))
    corner = surface[cx - half_platform, cy - half_platform]
    surface = np.rint(np.clip(surface, min(0.0, corner), max(0.0, corner))) * vertical_scale
    heights[rim:-rim, rim:-rim] = surface
    return heights, np.array([size[0] / 2, size[1] / 2, surface[cx, cy]])


def pyramid_sloped_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Slopes up to a central platform; the slope is ``slope_range`` interpolated at ``difficulty``.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the platform, on its surface).
    """
    return _sloped(difficulty, cfg, size, horizontal_scale, vertical_scale, sign=1.0)


def inverted_pyramid_sloped_terrain(
    difficulty: float,
    cfg: dict,
    rng: np.random.Generator,
    size: tuple[float, float],
    horizontal_scale: float,
    vertical_scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Slopes down to a central pit; the slope is ``slope_range`` interpolated at ``difficulty``.

    Returns:
        Heights ``[nx + 1, ny + 1]`` in metres and the origin ``[3]`` (centre of the pit, on its floor).
    """
    return _sloped(difficulty, cfg, size, horizontal_scale, vertical_scale, sign=-1.0)


# Sub-terrain type name -> height function.
SUB_TERRAIN_FUNCTIONS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "flat": flat_terrain,
    "pyramid_stairs": pyramid_stairs_terrain,
    "inverted_pyramid_stairs": inverted_pyramid_stairs_terrain,
    "random_grid": random_grid_terrain,
    "random_uniform": random_uniform_terrain,
    "pyramid_sloped": pyramid_sloped_terrain,
    "inverted_pyramid_sloped": inverted_pyramid_sloped_terrain,
}


def resolve_sub_terrain_cfg(name: str, cfg: dict) -> dict:
    """Fill a sub-terrain config with the defaults of its type and check its keys.

    Args:
        name: The sub-terrain's name in the generator config (used in error messages).
        cfg: The sub-terrain config: ``type`` (a key of :data:`SUB_TERRAIN_FUNCTIONS`), ``proportion``, the type's keys.

    Returns:
        A new dict with every key of the type set.

    Raises:
        ValueError: If ``type`` is missing or unknown, a key is unknown, or ``proportion`` is negative.
    """
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ValueError(f"Sub-terrain '{name}' needs a dict with a 'type' in {sorted(SUB_TERRAIN_FUNCTIONS)}.")
    kind = cfg["type"]
    if kind not in SUB_TERRAIN_FUNCTIONS:
        raise ValueError(
            f"Sub-terrain '{name}' has unknown type '{kind}'; valid types: {sorted(SUB_TERRAIN_FUNCTIONS)}."
        )
    resolved = {"type": kind, "proportion": 1.0, **SUB_TERRAIN_DEFAULTS[kind]}
    unknown = set(cfg) - set(resolved)
    if unknown:
        raise ValueError(
            f"Sub-terrain '{name}' ({kind}) got unknown keys {sorted(unknown)}; valid: {sorted(resolved)}."
        )
    resolved.update(cfg)
    if resolved["proportion"] < 0:
        raise ValueError(f"Sub-terrain '{name}' has a negative 'proportion' {resolved['proportion']}.")
    return resolved
