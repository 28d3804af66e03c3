"""Configuration dataclasses of the velocity task's parts: MDP terms, command, action, sensors, physics and scene.

Names, fields and units follow Isaac Lab's manager-based configs (``ObservationTermCfg``, ``RewardTermCfg``,
``UniformVelocityCommandCfg``, ``ContactSensorCfg``, ...). A term's ``func`` is a callable or a name: a plain name is
looked up in the task's term module (``observations``, ``rewards``, ``terminations``, ``events``), and
``"package.module:attr"`` imports any function. Term ``params`` are checked against the function's signature when the
env is built, so a misspelled key is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TermFunc = Callable[..., Any] | str


@dataclass
class SceneEntityCfg:
    """Selects an entity of the scene and, optionally, some of its joints or bodies (Isaac Lab's ``SceneEntityCfg``).

    Attributes:
        name: Entity name: ``"robot"``, ``"contact_forces"`` or a ray sensor (``"height_scanner"``,
            ``"depth_camera"``).
        joint_names: Regular expression(s) over the robot's joint names; None selects all.
        body_names: Regular expression(s) over the entity's body names; None selects all.
    """

    name: str = "robot"
    joint_names: str | tuple[str, ...] | None = None
    body_names: str | tuple[str, ...] | None = None


@dataclass
class UniformNoiseCfg:
    """Additive uniform noise ``U(n_min, n_max)`` on an observation term (Isaac Lab's ``UniformNoiseCfg``)."""

    n_min: float = -1.0
    n_max: float = 1.0


@dataclass
class ObservationTermCfg:
    """One observation term: ``scale * clip(func(env, **params) + noise)``.

    Attributes:
        func: Term function (callable or name in ``observations``), returning ``[num_envs, dim]``.
        params: Keyword arguments of ``func``.
        noise: Additive noise, applied when the group has ``enable_corruption``.
        clip: ``(min, max)`` applied after the noise.
        scale: Factor applied last.
    """

    func: TermFunc = ""
    params: dict[str, Any] = field(default_factory=dict)
    noise: UniformNoiseCfg | None = None
    clip: tuple[float, float] | None = None
    scale: float | None = None


@dataclass
class ObservationGroupCfg:
    """An observation group: ordered terms concatenated into one vector ``[num_envs, group_dim]``.

    Attributes:
        terms: Terms by name, in order; a term set to None is left out.
        enable_corruption: Whether the terms' noise is applied.
    """

    terms: dict[str, ObservationTermCfg | None] = field(default_factory=dict)
    enable_corruption: bool = False


@dataclass
class RewardTermCfg:
    """One reward term; the env adds ``weight * func(env, **params) * step_dt``.

    Attributes:
        func: Term function (callable or name in ``rewards``), returning ``[num_envs]``.
        weight: Weight of the term (0 still logs the term, as Isaac Lab does, without evaluating it).
        params: Keyword arguments of ``func``.
    """

    func: TermFunc = ""
    weight: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class TerminationTermCfg:
    """One termination term.

    Attributes:
        func: Term function (callable or name in ``terminations``), returning a bool mask ``[num_envs]``.
        params: Keyword arguments of ``func``.
        time_out: Whether the term truncates the episode (time limit) rather than terminating it.
    """

    func: TermFunc = ""
    params: dict[str, Any] = field(default_factory=dict)
    time_out: bool = False


@dataclass
class EventTermCfg:
    """One event term (randomization, reset, push).

    Attributes:
        func: Term function (callable or name in ``events``) called as ``func(env, env_ids, **params)``.
        mode: ``"startup"`` (once, when the env is built or re-seeded), ``"reset"`` (on episode reset) or
            ``"interval"`` (every ``interval_range_s`` seconds of episode time, per env).
        params: Keyword arguments of ``func``.
        interval_range_s: ``(min, max)`` seconds between two interval events (mode ``"interval"`` only).
    """

    func: TermFunc = ""
    mode: str = "reset"
    params: dict[str, Any] = field(default_factory=dict)
    interval_range_s: tuple[float, float] | None = None


@dataclass
class ActionTermCfg:
    """Base of the action term configs (Isaac Lab's ``ActionTermCfg``): the env builds ``class_type(cfg, env)``.

    Attributes:
        class_type: The action term class (set by each config class, e.g. the velocity task's
            ``JointPositionActionCfg``).
    """

    class_type: type | None = None


@dataclass
class CommandTermCfg:
    """Base of the command term configs (Isaac Lab's ``CommandTermCfg``): the env builds ``class_type(cfg, env)``.

    Attributes:
        class_type: The command term class (set by each config class, e.g. ``UniformVelocityCommandCfg``).
    """

    class_type: type | None = None


@dataclass
class ContactSensorCfg:
    """Net contact forces of robot bodies (Isaac Lab's ``ContactSensorCfg``), updated every physics step.

    Attributes:
        body_names: Regular expression(s) over the robot's body names.
        history_length: Number of past physics steps kept in ``net_forces_w_history``.
        track_air_time: Whether air/contact times are tracked.
        force_threshold: Force norm [N] above which a body counts as in contact (PhysX's default 1 N).
    """

    body_names: str | tuple[str, ...] = ".*"
    history_length: int = 3
    track_air_time: bool = True
    force_threshold: float = 1.0


@dataclass
class PhysicsCfg:
    """MuJoCo settings. Defaults follow Isaac Lab's MuJoCo-Warp preset of the velocity task where MuJoCo has them.

    Attributes:
        dt: Physics time step [s].
        integrator: ``"implicitfast"``, ``"euler"``, ``"rk4"`` or ``"implicit"``.
        cone: Friction cone, ``"pyramidal"`` or ``"elliptic"``.
        impratio: Ratio of frictional to normal constraint impedance.
        iterations: Maximum constraint-solver iterations.
        ls_iterations: Maximum line-search iterations of the solver.
        tolerance: Solver tolerance for early termination.
        num_threads: Worker threads of the batched simulation (0: one per CPU).
    """

    dt: float = 0.005
    integrator: str = "implicitfast"
    cone: str = "pyramidal"
    impratio: float = 1.0
    iterations: int = 100
    ls_iterations: int = 50
    tolerance: float = 1e-8
    num_threads: int = 0


@dataclass
class TerrainCfg:
    """Ground of the scene (Isaac Lab's ``TerrainImporterCfg`` fields that apply on CPU MuJoCo).

    Attributes:
        terrain_type: ``"plane"`` (flat ground at z = 0) or ``"generator"`` (one height field built by
            :class:`~rsl_sim.tasks.mujoco.terrain.TerrainGenerator` from ``terrain_generator``, shared by all envs).
        terrain_generator: Terrain generator config (a plain dict, e.g.
            :data:`~rsl_sim.tasks.mujoco.terrain.ROUGH_TERRAINS_CFG`); used with ``"generator"``. A ``seed`` of None
            takes the env's seed.
        max_init_terrain_level: Highest terrain level (row) an env starts on; None allows every level.
        static_friction: Friction coefficient of the ground (MuJoCo takes the robot side's randomized value for robot
            contacts; see the friction event).
    """

    terrain_type: str = "plane"
    terrain_generator: dict | None = None
    max_init_terrain_level: int | None = None
    static_friction: float = 1.0


@dataclass
class HeightScannerCfg:
    """Vertical rays on a grid around the base (Isaac Lab's ``RayCasterCfg`` with a ``GridPatternCfg``).

    The scan is updated once per env step (Isaac Lab: ``update_period = decimation * dt``) and after resets.

    Attributes:
        offset: Ray start offset from the base in its yaw frame ``(x, y, z)`` [m]; the rays start ``z`` above it.
        ray_alignment: ``"yaw"`` (the grid turns with the base yaw) or ``"world"``.
        resolution: Grid spacing [m].
        size: Grid extent ``(length along x, width along y)`` [m] (17 x 11 = 187 rays for Isaac Lab's values).
        ordering: ``"xy"`` (x varies fastest, Isaac Lab's default) or ``"yx"``.
    """

    offset: tuple[float, float, float] = (0.0, 0.0, 20.0)
    ray_alignment: str = "yaw"
    resolution: float = 0.1
    size: tuple[float, float] = (1.6, 1.0)
    ordering: str = "xy"


@dataclass
class DepthCameraCfg:
    """Forward-looking depth camera on the base, ray cast against the terrain (``[N, 1, height, width]`` in [0, 1]).

    See :class:`~rsl_sim.tasks.mujoco.depth_camera.DepthCamera` for the camera model. Images are recomputed every
    ``update_period`` seconds of simulated time (rounded to whole env steps, at least one) and for envs that reset.

    Attributes:
        width: Image width [px].
        height: Image height [px].
        horizontal_fov_deg: Horizontal field of view [deg].
        vertical_fov_deg: Vertical field of view [deg].
        offset: Camera position in the base frame ``(x, y, z)`` [m].
        pitch_deg: Downward tilt of the optical axis [deg].
        near: Near clipping distance [m] (image value 0).
        far: Far clipping distance [m] (image value 1, also where nothing is hit).
        data_type: ``"distance_to_image_plane"`` or ``"distance_to_camera"``.
        update_period: Time between two image updates [s] (Isaac Lab's sensor ``update_period``).
    """

    width: int = 32
    height: int = 32
    horizontal_fov_deg: float = 87.0
    vertical_fov_deg: float = 58.0
    offset: tuple[float, float, float] = (0.30, 0.0, 0.05)
    pitch_deg: float = 30.0
    near: float = 0.1
    far: float = 3.0
    data_type: str = "distance_to_image_plane"
    update_period: float = 0.04


@dataclass
class CurriculumTermCfg:
    """One curriculum term (Isaac Lab's ``CurriculumTermCfg``), called as ``func(env, env_ids, **params)`` at reset.

    Attributes:
        func: Term function (callable or name in ``curriculums``); its return value (a number) is logged as
            ``Curriculum/<term name>``.
        params: Keyword arguments of ``func``.
    """

    func: TermFunc = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ViewerCfg:
    """Offscreen rendering of one environment (``render()``).

    Attributes:
        env_index: Which environment is drawn.
        width: Image width [px].
        height: Image height [px].
        distance: Camera distance to the tracked base [m].
        elevation: Camera elevation [deg] (negative looks down).
        azimuth: Camera azimuth [deg].
        show_depth: When the scene has a depth camera, draw the env's depth image (what the policy sees: near is
            bright, at ``far`` or beyond is black) to the right of the robot, scaled up to the frame's height. The
            frame is then wider than ``width``.
    """

    env_index: int = 0
    width: int = 640
    height: int = 480
    distance: float = 2.0
    elevation: float = -20.0
    azimuth: float = 135.0
    show_depth: bool = True
