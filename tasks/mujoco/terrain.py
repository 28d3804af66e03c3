"""Terrain generator for the CPU MuJoCo tasks: Isaac Lab's rough terrain as one MuJoCo height field.

The terrain is a grid of ``num_rows`` x ``num_cols`` square sub-terrains (``size`` metres each) surrounded by a flat
border, laid out as in Isaac Lab's ``TerrainGenerator``: rows run along world x and hold the difficulty levels, columns
run along world y and hold the sub-terrain types, and the whole grid is centred on the world origin. All sub-terrains
share ONE height field (one MuJoCo asset and geom in one model), so every environment of a batched simulation reads
the same memory.

The flat variant (``terrain_type="plane"``) is a MuJoCo plane at ``z = 0`` with the same interface.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from .heightfield import FlatGround, HeightField
from .sub_terrains import SUB_TERRAIN_FUNCTIONS, resolve_sub_terrain_cfg

if TYPE_CHECKING:
    import mujoco

# Top-level keys of a terrain generator config and their defaults.
TERRAIN_GENERATOR_DEFAULTS: dict[str, object] = {
    "terrain_type": "generator",
    "size": (8.0, 8.0),
    "border_width": 20.0,
    "num_rows": 10,
    "num_cols": 20,
    "horizontal_scale": 0.1,
    "vertical_scale": 0.005,
    "curriculum": True,
    "difficulty_range": (0.0, 1.0),
    "seed": None,
    "base_thickness": 1.0,
    "sub_terrains": {},
}

ROUGH_TERRAINS_CFG: dict[str, object] = {
    **TERRAIN_GENERATOR_DEFAULTS,
    "sub_terrains": {
        "pyramid_stairs": {"type": "pyramid_stairs", "proportion": 0.2, "step_height_range": (0.05, 0.23),
                           "step_width": 0.3, "platform_width": 3.0, "border_width": 1.0},
        "pyramid_stairs_inv": {"type": "inverted_pyramid_stairs", "proportion": 0.2,
                               "step_height_range": (0.05, 0.23), "step_width": 0.3, "platform_width": 3.0,
                               "border_width": 1.0},
        "boxes": {"type": "random_grid", "proportion": 0.2, "grid_width": 0.45, "grid_height_range": (0.05, 0.2),
                  "platform_width": 2.0},
        "random_rough": {"type": "random_uniform", "proportion": 0.2, "noise_range": (0.02, 0.10),
                         "noise_step": 0.02, "border_width": 0.25},
        "hf_pyramid_slope": {"type": "pyramid_sloped", "proportion": 0.1, "slope_range": (0.0, 0.4),
                             "platform_width": 2.0, "border_width": 0.25},
        "hf_pyramid_slope_inv": {"type": "inverted_pyramid_sloped", "proportion": 0.1, "slope_range": (0.0, 0.4),
                                 "platform_width": 2.0, "border_width": 0.25},
    },
}  # fmt: skip
"""Isaac Lab's ``ROUGH_TERRAINS_CFG`` (10 levels x 20 columns of 8 m sub-terrains, 20 m border) as a plain dict."""

FLAT_TERRAIN_CFG: dict[str, object] = {**TERRAIN_GENERATOR_DEFAULTS, "terrain_type": "plane", "num_rows": 1,
                                       "num_cols": 1}  # fmt: skip
"""A flat plane; one spawn origin at the world origin."""

_TERRAIN_TYPES = ("generator", "plane")


class TerrainGenerator:
    """Builds the terrain height field, its sub-terrain origins and the MuJoCo asset that holds it.

    Sub-terrain types are chosen per column from their ``proportion`` (curriculum mode) or drawn per sub-terrain
    (random mode). In curriculum mode the difficulty of row ``r`` is ``(r + u) / num_rows`` mapped into
    ``difficulty_range``, with ``u ~ U(0, 1)``, so difficulty grows with the row (Isaac Lab's ``TerrainGenerator``).

    Args:
        cfg: Terrain config (plain dict); missing keys take :data:`TERRAIN_GENERATOR_DEFAULTS`. Keys:
            ``terrain_type`` ("generator" or "plane"), ``size`` (sub-terrain size x, y in m), ``border_width`` (m),
            ``num_rows``, ``num_cols``, ``horizontal_scale`` (grid spacing, m), ``vertical_scale`` (height step of the
            height-field sub-terrains, m), ``curriculum`` (bool), ``difficulty_range``, ``seed`` (int, or None to draw
            one from numpy's global random state), ``base_thickness`` (depth of the solid base under the lowest point
            of the MuJoCo height field, m) and ``sub_terrains`` (name -> sub-terrain config with a ``type`` from
            :data:`~rsl_sim.tasks.mujoco.sub_terrains.SUB_TERRAIN_FUNCTIONS` and a ``proportion``).

    Attributes:
        cfg: The resolved config.
        ground: A :class:`HeightField` (generator) or :class:`FlatGround` (plane) for numpy height and ray queries.
        terrain_origins: Spawn point of each sub-terrain in world coordinates, ``[num_rows, num_cols, 3]`` (m), with
            z on the ground.
        difficulties: Difficulty of each sub-terrain, ``[num_rows, num_cols]``.
        sub_terrain_names: Names of the sub-terrain configs.
        sub_terrain_index: Index into ``sub_terrain_names`` of each sub-terrain, ``[num_rows, num_cols]``.

    Raises:
        ValueError: On unknown keys, an unknown ``terrain_type``, sizes that are not multiples of
            ``horizontal_scale``, no sub-terrains (generator) or proportions that sum to zero.
    """

    def __init__(self, cfg: dict | None = None) -> None:
        self.cfg = self._resolve_cfg(cfg or {})
        seed = self.cfg["seed"]
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        self._rng = np.random.default_rng(seed)
        num_rows, num_cols = self.cfg["num_rows"], self.cfg["num_cols"]
        size = self.cfg["size"]
        self.terrain_origins = np.zeros((num_rows, num_cols, 3))
        self.difficulties = np.zeros((num_rows, num_cols))
        self.sub_terrain_index = np.zeros((num_rows, num_cols), dtype=np.int64)

        # sub-terrain centres in world coordinates: the grid of sub-terrains is centred on the origin
        rows = (np.arange(num_rows) + 0.5 - num_rows / 2) * size[0]
        cols = (np.arange(num_cols) + 0.5 - num_cols / 2) * size[1]
        self._centres = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1)

        if self.cfg["terrain_type"] == "plane":
            self.sub_terrain_names = ["flat"]
            self.terrain_origins[..., :2] = self._centres
            self.ground: HeightField | FlatGround = FlatGround()
        else:
            self.sub_terrain_names = list(self.cfg["sub_terrains"])
            self.ground = self._build_height_field()

    # ------------------------------------------------------------------------------------------------ config

    @staticmethod
    def _resolve_cfg(cfg: dict) -> dict:
        """Merge ``cfg`` over the defaults and validate it."""
        unknown = set(cfg) - set(TERRAIN_GENERATOR_DEFAULTS)
        if unknown:
            raise ValueError(
                f"Unknown terrain config keys {sorted(unknown)}; valid: {sorted(TERRAIN_GENERATOR_DEFAULTS)}."
            )
        resolved = copy.deepcopy(TERRAIN_GENERATOR_DEFAULTS)
        resolved.update(copy.deepcopy(cfg))
        if resolved["terrain_type"] not in _TERRAIN_TYPES:
            raise ValueError(f"Unknown 'terrain_type' {resolved['terrain_type']!r}; valid: {_TERRAIN_TYPES}.")
        resolved["size"] = (float(resolved["size"][0]), float(resolved["size"][1]))
        for key in ("num_rows", "num_cols"):
            if int(resolved[key]) < 1:
                raise ValueError(f"'{key}' must be at least 1; got {resolved[key]}.")
            resolved[key] = int(resolved[key])
        scale = float(resolved["horizontal_scale"])
        if scale <= 0 or resolved["vertical_scale"] <= 0 or resolved["base_thickness"] <= 0:
            raise ValueError("'horizontal_scale', 'vertical_scale' and 'base_thickness' must be positive.")
        for name, value in (("size[0]", resolved["size"][0]), ("size[1]", resolved["size"][1]),
                            ("border_width", resolved["border_width"])):  # fmt: skip
            if abs(value / scale - round(value / scale)) > 1e-6 or value < 0:
                raise ValueError(f"Terrain '{name}' = {value} must be a non-negative multiple of 'horizontal_scale'.")
        if resolved["terrain_type"] == "generator":
            if not resolved["sub_terrains"]:
                raise ValueError("Terrain type 'generator' needs at least one entry in 'sub_terrains'.")
            resolved["sub_terrains"] = {
                name: resolve_sub_terrain_cfg(name, sub) for name, sub in resolved["sub_terrains"].items()
            }
            if sum(sub["proportion"] for sub in resolved["sub_terrains"].values()) <= 0:
                raise ValueError("The 'proportion' values of 'sub_terrains' must sum to a positive number.")
        return resolved

    # ------------------------------------------------------------------------------------------------ build

    def _build_height_field(self) -> HeightField:
        """Generate every sub-terrain and paste it into one height field with the border around it."""
        cfg = self.cfg
        scale = cfg["horizontal_scale"]
        num_rows, num_cols, size = cfg["num_rows"], cfg["num_cols"], cfg["size"]
        sub_cfgs = list(cfg["sub_terrains"].values())
        proportions = np.array([sub["proportion"] for sub in sub_cfgs], dtype=np.float64)
        proportions /= proportions.sum()
        low, high = cfg["difficulty_range"]

        # choose the type and difficulty of each sub-terrain
        plan = []
        if cfg["curriculum"]:
            # columns are split between types by proportion; difficulty grows along the rows
            cumulative = np.cumsum(proportions)
            for col in range(num_cols):
                kind = int(np.min(np.flatnonzero(col / num_cols + 0.001 < cumulative)))
                for row in range(num_rows):
                    difficulty = low + (high - low) * (row + self._rng.uniform()) / num_rows
                    plan.append((row, col, kind, difficulty))
        else:
            for index in range(num_rows * num_cols):
                row, col = divmod(index, num_cols)
                kind = int(self._rng.choice(len(proportions), p=proportions))
                plan.append((row, col, kind, self._rng.uniform(low, high)))

        # paste the sub-terrains; their outer vertex rows are shared with the neighbours
        border = round(cfg["border_width"] / scale)
        cells = (round(size[0] / scale), round(size[1] / scale))
        heights = np.zeros((2 * border + num_rows * cells[0] + 1, 2 * border + num_cols * cells[1] + 1))
        for row, col, kind, difficulty in plan:
            sub = sub_cfgs[kind]
            function = SUB_TERRAIN_FUNCTIONS[sub["type"]]
            block, origin = function(
                difficulty, sub, self._rng, size=size, horizontal_scale=scale, vertical_scale=cfg["vertical_scale"]
            )
            i0, j0 = border + row * cells[0], border + col * cells[1]
            heights[i0 : i0 + cells[0] + 1, j0 : j0 + cells[1] + 1] = block
            self.terrain_origins[row, col] = origin + [
                self._centres[row, col, 0] - size[0] / 2,
                self._centres[row, col, 1] - size[1] / 2,
                0.0,
            ]
            self.difficulties[row, col] = difficulty
            self.sub_terrain_index[row, col] = kind

        # round-trip through MuJoCo's float32 normalized storage so numpy queries see MuJoCo's exact surface
        extent = (heights.shape[0] - 1) * scale / 2, (heights.shape[1] - 1) * scale / 2
        self._z_min = float(heights.min())
        span = float(heights.max()) - self._z_min
        # a flat field keeps all-zero data with any positive elevation scale (MuJoCo renormalizes nonzero spans)
        self._z_range = span if span > 0.0 else 1.0
        self._normalized = ((heights - self._z_min) / self._z_range).astype(np.float32)
        stored = self._z_min + self._normalized.astype(np.float64) * self._z_range
        return HeightField(stored, scale, x_min=-extent[0], y_min=-extent[1])

    # ------------------------------------------------------------------------------------------------ queries

    @property
    def is_plane(self) -> bool:
        """Whether the terrain is the flat plane (no height field)."""
        return self.cfg["terrain_type"] == "plane"

    @property
    def height_field(self) -> np.ndarray | None:
        """Vertex heights in metres, ``[num_x, num_y]`` float32 (x first), or None for the plane."""
        return None if self.is_plane else self.ground.heights

    @property
    def hfield_size(self) -> tuple[float, float, float, float] | None:
        """MuJoCo ``hfield`` size ``(radius_x, radius_y, elevation_z, base_z)`` in metres, or None for the plane."""
        if self.is_plane:
            return None
        return (self.ground.x_max, self.ground.y_max, self._z_range, float(self.cfg["base_thickness"]))

    @property
    def hfield_elevation(self) -> np.ndarray | None:
        """Normalized elevation in MuJoCo's ``hfield_data`` layout ``[nrow (y), ncol (x)]`` float32, or None."""
        return None if self.is_plane else np.ascontiguousarray(self._normalized.T)

    @property
    def hfield_pos_z(self) -> float:
        """World z of the height field geom frame (the lowest terrain point), in metres."""
        return 0.0 if self.is_plane else self._z_min

    def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Ground height (m) under world points, MuJoCo's triangulated surface; ``-inf`` outside the height field."""
        return self.ground.height_at(x, y)

    # ------------------------------------------------------------------------------------------------ MuJoCo

    def add_to_spec(
        self,
        spec: mujoco.MjSpec,
        name: str = "terrain",
        group: int = 0,
        friction: tuple[float, float, float] = (1.0, 0.005, 0.0001),
        rgba: tuple[float, float, float, float] = (0.45, 0.5, 0.55, 1.0),
    ) -> mujoco.MjsGeom:
        """Add the terrain to a model spec: an ``hfield`` asset plus a static geom in the world body (or a plane).

        Args:
            spec: The model spec to extend (before ``spec.compile()``).
            name: Name of the geom and of the height field asset.
            group: Geom group; the sensors of this package see only the groups they are given (default 0).
            friction: Sliding, torsional and rolling friction of the geom.
            rgba: Geom colour.

        Returns:
            The added geom spec.
        """
        import mujoco  # imported lazily: the env picks MuJoCo's GL backend before mujoco is first imported

        geom = spec.worldbody.add_geom()
        geom.name = name
        geom.group = group
        geom.friction = list(friction)
        geom.rgba = list(rgba)
        if self.is_plane:
            geom.type = mujoco.mjtGeom.mjGEOM_PLANE
            geom.size = [0.0, 0.0, 1.0]
            return geom
        elevation = self.hfield_elevation
        spec.add_hfield(
            name=name, size=list(self.hfield_size), nrow=elevation.shape[0], ncol=elevation.shape[1],
            userdata=elevation.ravel(),
        )  # fmt: skip
        geom.type = mujoco.mjtGeom.mjGEOM_HFIELD
        geom.hfieldname = name
        geom.pos = [0.0, 0.0, self.hfield_pos_z]
        return geom

    def mjcf(self, name: str = "terrain", group: int = 0) -> tuple[str, str]:
        """MJCF snippets for models written as XML; call :meth:`upload` on the compiled model afterwards.

        Args:
            name: Name of the geom and of the height field asset.
            group: Geom group.

        Returns:
            ``(asset, geom)``: an ``<hfield>`` element for ``<asset>`` (empty for the plane) and a ``<geom>`` element
            for ``<worldbody>``.
        """
        if self.is_plane:
            return "", f'<geom name="{name}" type="plane" size="0 0 1" group="{group}"/>'
        elevation = self.hfield_elevation
        size = " ".join(f"{value:.9g}" for value in self.hfield_size)
        asset = f'<hfield name="{name}" nrow="{elevation.shape[0]}" ncol="{elevation.shape[1]}" size="{size}"/>'
        geom = f'<geom name="{name}" type="hfield" hfield="{name}" pos="0 0 {self.hfield_pos_z:.9g}" group="{group}"/>'
        return asset, geom

    def upload(self, model: mujoco.MjModel, name: str = "terrain") -> None:
        """Copy the elevation data into a compiled model's height field (needed after :meth:`mjcf`).

        Raises:
            ValueError: If the model has no height field called ``name`` or its shape differs.
        """
        import mujoco  # imported lazily: the env picks MuJoCo's GL backend before mujoco is first imported

        if self.is_plane:
            return
        hfield_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_HFIELD, name)
        if hfield_id < 0:
            raise ValueError(f"The model has no hfield named '{name}'.")
        elevation = self.hfield_elevation
        if (model.hfield_nrow[hfield_id], model.hfield_ncol[hfield_id]) != elevation.shape:
            raise ValueError(f"hfield '{name}' is {model.hfield_nrow[hfield_id]} x {model.hfield_ncol[hfield_id]}, "
                             f"the terrain needs {elevation.shape[0]} x {elevation.shape[1]}.")  # fmt: skip
        start = model.hfield_adr[hfield_id]
        model.hfield_data[start : start + elevation.size] = elevation.ravel()
