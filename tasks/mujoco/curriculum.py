"""Terrain-level curriculum: move robots to harder or easier terrain rows by how far they walked.

Follows Isaac Lab's game-inspired terrain curriculum (``TerrainImporter.update_env_origins`` driven by the velocity
task's ``terrain_levels_vel`` term): each environment has a level (row of the terrain grid, the difficulty) and a type
(column); at reset a robot that walked farther than half a sub-terrain moves one level up, one that walked less than
half of its commanded distance moves one level down, and a robot that moves up from the last level is sent to a random
level.
"""

from __future__ import annotations

import numpy as np


class TerrainCurriculum:
    """Per-environment terrain level and type, and the spawn origin they give.

    Environments are spread evenly over the columns (types): environment ``e`` gets column
    ``floor(e / (num_envs / num_cols))``. Initial levels are uniform in ``[0, max_init_terrain_level]``.

    Args:
        terrain_origins: Spawn point of each sub-terrain, ``[num_rows, num_cols, 3]`` (metres, world frame), e.g.
            :attr:`TerrainGenerator.terrain_origins`.
        num_envs: Number of environments.
        sub_terrain_size: Side length (x) of one sub-terrain in metres; walking farther than half of it moves a
            robot up.
        max_init_terrain_level: Highest initial level; None allows every row (Isaac Lab's velocity task uses 5).
        seed: Seed of the generator that draws initial and random levels (None: fresh entropy).

    Attributes:
        terrain_levels: Level (row) of each environment, ``[num_envs]`` int64.
        terrain_types: Type (column) of each environment, ``[num_envs]`` int64.
        env_origins: Spawn origin of each environment, ``[num_envs, 3]`` float64 (metres).

    Raises:
        ValueError: If ``terrain_origins`` is not ``[rows, cols, 3]``, or ``num_envs`` / ``sub_terrain_size`` /
            ``max_init_terrain_level`` are out of range.
    """

    def __init__(
        self,
        terrain_origins: np.ndarray,
        num_envs: int,
        sub_terrain_size: float = 8.0,
        max_init_terrain_level: int | None = None,
        seed: int | None = None,
    ) -> None:
        origins = np.asarray(terrain_origins, dtype=np.float64)
        if origins.ndim != 3 or origins.shape[2] != 3:
            raise ValueError(f"'terrain_origins' must have shape [num_rows, num_cols, 3]; got {origins.shape}.")
        if num_envs < 1:
            raise ValueError(f"'num_envs' must be at least 1; got {num_envs}.")
        if sub_terrain_size <= 0:
            raise ValueError(f"'sub_terrain_size' must be positive; got {sub_terrain_size}.")
        if max_init_terrain_level is not None and max_init_terrain_level < 0:
            raise ValueError(f"'max_init_terrain_level' must be None or >= 0; got {max_init_terrain_level}.")
        self.terrain_origins = origins
        self.num_envs = int(num_envs)
        self.sub_terrain_size = float(sub_terrain_size)
        self.num_levels, self.num_types = origins.shape[:2]
        self._rng = np.random.default_rng(seed)

        # initial levels, and types spread evenly over the columns
        top = (
            self.num_levels - 1 if max_init_terrain_level is None else min(max_init_terrain_level, self.num_levels - 1)
        )
        self.terrain_levels = self._rng.integers(0, top + 1, size=self.num_envs)
        self.terrain_types = np.floor(np.arange(self.num_envs) / (self.num_envs / self.num_types)).astype(np.int64)
        self.env_origins = origins[self.terrain_levels, self.terrain_types].copy()

    def update(
        self, env_ids: np.ndarray, distance_walked: np.ndarray, commanded_distance: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move the given environments up or down a level (call at reset, before placing the robots).

        Args:
            env_ids: Environments being reset, ``[k]`` int.
            distance_walked: Planar distance (m) of each robot from its env origin at the end of the episode, ``[k]``.
            commanded_distance: Distance (m) the command asked for over a full episode, ``[k]``; Isaac Lab uses
                ``|command_xy| * max_episode_length_s``.

        Returns:
            ``(move_up, move_down)``: ``[k]`` bool each.

        Raises:
            ValueError: If the three arrays differ in length.
        """
        env_ids = np.asarray(env_ids, dtype=np.int64).reshape(-1)
        distance_walked = np.asarray(distance_walked, dtype=np.float64).reshape(-1)
        commanded_distance = np.asarray(commanded_distance, dtype=np.float64).reshape(-1)
        if not (env_ids.shape == distance_walked.shape == commanded_distance.shape):
            raise ValueError(
                f"'env_ids' {env_ids.shape}, 'distance_walked' {distance_walked.shape} and 'commanded_distance' "
                f"{commanded_distance.shape} must have the same length."
            )
        # far enough: up; less than half of the commanded distance: down
        move_up = distance_walked > self.sub_terrain_size / 2
        move_down = (distance_walked < 0.5 * commanded_distance) & ~move_up
        levels = self.terrain_levels[env_ids] + move_up.astype(np.int64) - move_down.astype(np.int64)
        # robots that solved the last level go to a random level; the lowest level is zero
        solved = levels >= self.num_levels
        levels = np.where(solved, self._rng.integers(0, self.num_levels, size=levels.shape), np.maximum(levels, 0))
        self.terrain_levels[env_ids] = levels
        self.env_origins[env_ids] = self.terrain_origins[levels, self.terrain_types[env_ids]]
        return move_up, move_down

    @property
    def mean_level(self) -> float:
        """Mean terrain level over all environments."""
        return float(self.terrain_levels.mean())

    def log(self) -> dict[str, float]:
        """Values to log: ``{"Curriculum/terrain_levels": mean level}`` (Isaac Lab's curriculum log name)."""
        return {"Curriculum/terrain_levels": self.mean_level}
