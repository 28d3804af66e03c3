"""The velocity-tracking task on CPU MuJoCo as a batched ``gymnasium.vector.VectorEnv``.

:class:`VelocityEnv` steps ``num_envs`` robots (one MuJoCo world each) inside C with MuJoCo's batch API and computes
Isaac Lab's velocity-task MDP (commands, observations, rewards, terminations, events) as vectorized numpy terms. The
step follows Isaac Lab's ``ManagerBasedRLEnv.step``:

1. store the actions and write the joint targets; 2. run ``decimation`` physics steps (the DC-motor PD law runs at
every physics step, in C), recording contact forces and joint velocities per substep; 3. update the robot state and
the contact sensor; 4. count the step, evaluate terminations then rewards; 5. for the envs that finished, keep their
final observation and reset them (reset events, managers, logs); 6. advance the commands and interval events;
7. compute the observations.

gymnasium conventions: auto-reset in ``SAME_STEP`` mode (``metadata["autoreset_mode"]``); the observation that ended
an episode is in ``infos["final_obs"]`` (object array, one observation dict per env, None elsewhere; mask
``infos["_final_obs"]``), with ``infos["final_info"]`` / ``infos["_final_info"]``. ``infos["log"]`` holds Isaac Lab's
episode statistics (``Episode_Reward/<term>``, ``Episode_Termination/<term>``, ``Metrics/...``) on steps where envs
reset. Observations are a dict of ``float32`` groups (``policy``, ``critic``; image groups such as ``depth`` are
``[N, C, H, W]``).

Terrain and sensors: with ``scene.terrain.terrain_type = "generator"`` all envs share one MuJoCo height field
(:class:`~rsl_sim.tasks.mujoco.terrain.TerrainGenerator`); each env starts at the origin of its terrain level and type,
and the curriculum terms (``terrain_levels``) move envs between levels when they reset, before the reset events place
the robots. Ray sensors (``scene.height_scanner``, ``scene.depth_camera``) exist only when configured; they are
updated after the physics of each step and for the envs that reset (the camera at its own ``update_period``).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from rsl_sim.tasks.mujoco.batched_sim import BatchedMujocoSim
from rsl_sim.tasks.mujoco.curriculum import TerrainCurriculum
from rsl_sim.tasks.mujoco.envs import env_state
from rsl_sim.tasks.mujoco.envs.contact_sensor import ContactSensor
from rsl_sim.tasks.mujoco.envs.depth_camera_sensor import DepthCameraSensor
from rsl_sim.tasks.mujoco.envs.height_scanner_sensor import HeightScannerSensor
from rsl_sim.tasks.mujoco.envs.manager_based_rl_env_cfg import ManagerBasedRLEnvCfg
from rsl_sim.tasks.mujoco.envs.robot import RobotData
from rsl_sim.tasks.mujoco.envs.scene import build_scene
from rsl_sim.tasks.mujoco.envs.viewer import OffscreenViewer, depth_panel
from rsl_sim.tasks.mujoco.managers.curriculum_manager import CurriculumManager
from rsl_sim.tasks.mujoco.managers.event_manager import EventManager
from rsl_sim.tasks.mujoco.managers.observation_manager import ObservationManager
from rsl_sim.tasks.mujoco.managers.reward_manager import RewardManager
from rsl_sim.tasks.mujoco.managers.termination_manager import TerminationManager
from rsl_sim.tasks.mujoco.spatial import quat_rotate
from rsl_sim.tasks.mujoco.terrain import FLAT_TERRAIN_CFG, TerrainGenerator
from rsl_sim.utils.callables import resolve_callable, subclass_of


def load_cfg(cfg_entry_point: str) -> ManagerBasedRLEnvCfg:
    """Build a config from ``"package.module:ConfigClass"`` (resolved by ``rsl_sim.utils.callables``).

    Raises:
        ValueError: If the entry point cannot be imported or does not name a :class:`ManagerBasedRLEnvCfg` class.
    """
    try:
        factory = resolve_callable(
            cfg_entry_point, subclass_of(ManagerBasedRLEnvCfg, "an env config"), key="cfg_entry_point"
        )
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        raise ValueError(f"cfg_entry_point={cfg_entry_point!r} cannot be used: {error}") from error
    return factory()


class VelocityEnv(gymnasium.vector.VectorEnv):
    """Batched legged-robot velocity tracking (Isaac Lab's velocity task) on CPU MuJoCo.

    Args:
        num_envs: Number of environments; None keeps ``cfg.scene.num_envs``.
        cfg: The task config (copied); None builds it from ``cfg_entry_point``.
        cfg_entry_point: ``"package.module:ConfigClass"``; used when ``cfg`` is None (one of the two is needed).
        render_mode: None or ``"rgb_array"``.
        seed: Seed of the startup randomization and of the first episodes; None uses ``cfg.seed``.
        **entry_points: Further registration kwargs named ``*_entry_point`` (the task's agent configs, evaluation,
            ...) or ``rsl_sim_*`` (e.g. ``rsl_sim_pretrained_checkpoint``), kept in ``entry_points``.

    Raises:
        ValueError: For a missing or invalid config, ``num_envs`` < 1, an unsupported render mode or an unknown
            keyword.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(
        self,
        num_envs: int | None = None,
        cfg: ManagerBasedRLEnvCfg | None = None,
        cfg_entry_point: str | None = None,
        render_mode: str | None = None,
        seed: int | None = None,
        **entry_points: str,
    ) -> None:
        # Registration metadata (agent configs, evaluation, shipped policy named by the gymnasium registration) is
        # accepted and kept
        unknown = sorted(
            key for key in entry_points if not key.endswith("_entry_point") and not key.startswith("rsl_sim_")
        )
        if unknown:
            raise ValueError(
                f"VelocityEnv got unknown keyword arguments {unknown}; valid: num_envs, cfg, cfg_entry_point, "
                "render_mode, seed (and registration kwargs named '*_entry_point' or 'rsl_sim_*')."
            )
        self.entry_points = dict(entry_points)
        # Config
        if cfg is None:
            if cfg_entry_point is None:
                raise ValueError(
                    "VelocityEnv needs cfg= (a ManagerBasedRLEnvCfg such as a task's VelocityEnvCfg) or"
                    " cfg_entry_point= ('package.module:ConfigClass'); gymnasium.make_vec(<task id>) passes the task's."
                )
            cfg = load_cfg(cfg_entry_point)
        elif not isinstance(cfg, ManagerBasedRLEnvCfg):
            raise ValueError(f"cfg must be a ManagerBasedRLEnvCfg (e.g. a VelocityEnvCfg), got {type(cfg).__name__}.")
        cfg = copy.deepcopy(cfg)
        if num_envs is not None:
            cfg.scene.num_envs = int(num_envs)
        if cfg.scene.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {cfg.scene.num_envs}.")
        if cfg.decimation < 1:
            raise ValueError(f"decimation must be >= 1, got {cfg.decimation}.")
        length = cfg.episode_length_s
        if isinstance(length, bool) or not isinstance(length, (int, float)) or not 0 < length < math.inf:
            raise ValueError(
                f"episode_length_s (the episode time limit) must be a finite number of seconds > 0, got {length!r};"
                " the Go2 tasks use 20.0."
            )
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'.")
        self.cfg = cfg
        self.num_envs = cfg.scene.num_envs
        self.render_mode = render_mode
        self.physics_dt = cfg.physics.dt
        self.step_dt = cfg.decimation * cfg.physics.dt
        self.max_episode_length_s = cfg.episode_length_s
        self.max_episode_length = math.ceil(cfg.episode_length_s / self.step_dt)
        self.metadata = {**self.metadata, "render_fps": round(1.0 / self.step_dt)}
        self.rng = np.random.default_rng(seed if seed is not None else cfg.seed)

        # Terrain: the plane or one height field shared by all envs (with its levels and env origins)
        self.terrain_generator = self._build_terrain()
        self.terrain_curriculum: TerrainCurriculum | None = None
        self.env_origins = np.zeros((self.num_envs, 3))
        self._make_terrain_curriculum()

        # Physics: the model, the batched simulation and the robot's frames
        self.model, self.layout = build_scene(
            cfg.scene.robot,
            cfg.scene.terrain,
            cfg.physics,
            contact_bodies=cfg.scene.contact_forces.body_names,
            terrain_generator=self.terrain_generator,
        )
        self.sim = BatchedMujocoSim(
            self.model, self.num_envs, num_threads=cfg.physics.num_threads, record=("sensordata", "qvel")
        )
        self.robot = RobotData(cfg.scene.robot, self.model, self.layout.body_names, self.sim)
        self.contact_sensor = ContactSensor(
            cfg.scene.contact_forces, self.layout.contact_body_names, self.num_envs, self.physics_dt
        )

        # Ray sensors, only where the config asks for them
        self.sensors: dict[str, HeightScannerSensor | DepthCameraSensor] = {}
        if cfg.scene.height_scanner is not None:
            self.sensors["height_scanner"] = HeightScannerSensor(
                cfg.scene.height_scanner, self.terrain_generator, self.robot
            )
        if cfg.scene.depth_camera is not None:
            self.sensors["depth_camera"] = DepthCameraSensor(
                cfg.scene.depth_camera, self.terrain_generator, self.robot, self.step_dt
            )
        self.default_body_inertia = self.model.body_inertia[1:].copy()
        self.default_body_ipos = self.model.body_ipos[1:].copy()
        self.pair_body_ids = self.model.geom_bodyid[self.model.pair_geom2] - 1
        self.external_wrench_b = np.zeros((self.num_envs, 6))

        # MDP
        self.episode_length_buf = np.zeros(self.num_envs, dtype=np.int64)
        self.common_step_counter = 0
        # action and command terms are built from their configs' class_type (Isaac Lab's ActionTermCfg.class_type)
        self.action_term = _build_term("actions", cfg.actions, self)
        self.command_manager = {name: _build_term(f"commands.{name}", c, self) for name, c in cfg.commands.items()}
        self.event_manager = EventManager(cfg.events, self)
        self.termination_manager = TerminationManager(cfg.terminations, self)
        self.reward_manager = RewardManager(cfg.rewards, self)
        self.observation_manager = ObservationManager(cfg.observations, self)
        self.curriculum_manager = CurriculumManager(cfg.curriculum, self)

        # Spaces
        self.single_observation_space = gymnasium.spaces.Dict(
            {
                name: gymnasium.spaces.Box(-np.inf, np.inf, shape=shape, dtype=np.float32)
                for name, shape in self.observation_manager.group_shapes.items()
            }
        )
        self.single_action_space = gymnasium.spaces.Box(
            -np.inf, np.inf, shape=(self.action_term.action_dim,), dtype=np.float32
        )
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        # Startup randomization, then a first reset so that every env holds a valid state
        self.event_manager.apply_startup()
        self._viewer: OffscreenViewer | None = None
        self._obs = self._reset_all(run_curriculum=False)

    # Properties
    @property
    def episode_length_buf(self) -> np.ndarray:
        """Steps since each env's last reset, ``int64`` ``[num_envs]``; assignable (numpy array or torch tensor)."""
        return self._episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: Any) -> None:
        array = np.asarray(value.cpu().numpy() if hasattr(value, "cpu") else value, dtype=np.int64)
        array = np.broadcast_to(array, (self.num_envs,)).copy()
        self._episode_length_buf = array

    # gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset environments.

        A seed restarts the random generator and repeats the startup randomization, so that the seed alone fixes
        everything that follows (given the actions).

        Args:
            seed: Seed; None continues the current random stream.
            options: None, or ``{"reset_mask": bool [num_envs]}`` to reset only some envs.

        Returns:
            ``(observations, infos)``; ``infos["log"]`` holds the statistics of the episodes ended by the reset.

        Raises:
            ValueError: For a non-integer seed or unknown options.
        """
        if seed is not None:
            if not isinstance(seed, (int, np.integer)):
                raise ValueError(f"seed must be an int or None, got {type(seed).__name__} (one seed for all envs).")
            self.rng = np.random.default_rng(int(seed))
            self._make_terrain_curriculum()
            self.event_manager.apply_startup()
        options = dict(options or {})
        reset_mask = options.pop("reset_mask", None)
        if options:
            raise ValueError(f"reset: unknown options {sorted(options)}; valid: ['reset_mask'].")
        if reset_mask is None:
            # a seeded reset starts the terrain levels afresh: no curriculum step from the old positions
            self._obs = self._reset_all(run_curriculum=seed is None)
            return self._obs, {}
        env_ids = np.flatnonzero(np.asarray(reset_mask, dtype=bool).reshape(self.num_envs))
        log = self._reset_idx(env_ids, run_curriculum=seed is None)
        self.robot.update()
        self._reset_sensors(env_ids)
        self._obs = self.observation_manager.compute()
        return self._obs, {"log": log}

    def step(
        self, actions: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every env by one control step (``decimation`` physics steps) and auto-reset finished ones.

        Args:
            actions: Raw actions ``[num_envs, action_dim]``.

        Returns:
            ``(observations, rewards [N], terminated [N], truncated [N], infos)``; see the module docstring.

        Raises:
            ValueError: If ``actions`` has the wrong shape.
        """
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs, self.action_term.action_dim):
            raise ValueError(
                f"actions must have shape {(self.num_envs, self.action_term.action_dim)}, got {actions.shape}."
            )
        # Actions and external wrenches for the whole control step
        self.action_term.process(actions)
        self.action_term.apply()
        self._apply_external_wrench()

        # Physics: decimation substeps in C, per-substep records
        records = self.sim.step(self.cfg.decimation)
        forces = records["sensordata"].reshape(self.num_envs, self.cfg.decimation, -1, 3)
        diverged = self.sim.diverged()
        self.robot.update(records["qvel"], self.physics_dt)
        # contact sensors report the force the body exerts on the ground: negate for the force on the body
        self.contact_sensor.update(-forces)
        self._update_sensors()

        # Counters, terminations, rewards
        self.episode_length_buf += 1
        self.common_step_counter += 1
        terminated, truncated = self.termination_manager.compute()
        terminated = terminated | diverged
        rewards = self.reward_manager.compute(self.step_dt)

        # Finished episodes: final observation, then reset
        done = terminated | truncated
        reset_ids = np.flatnonzero(done)
        infos: dict[str, Any] = {}
        if reset_ids.size > 0:
            final = self.observation_manager.compute()
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in reset_ids:
                final_obs[i] = {name: group[i] for name, group in final.items()}
            infos["final_obs"], infos["_final_obs"] = final_obs, done.copy()
            infos["final_info"], infos["_final_info"] = {}, done.copy()
            infos["log"] = self._reset_idx(reset_ids)
            if diverged.any():
                infos["log"]["Physics/diverged_envs"] = float(diverged.sum())
            self.robot.update()
            self._reset_sensors(reset_ids)

        # Commands and interval events, then the observations
        for command in self.command_manager.values():
            command.compute(self.step_dt)
        if self.event_manager.apply_interval(self.step_dt):
            self.robot.update()
        self._obs = self.observation_manager.compute()
        return self._obs, rewards, terminated, truncated, infos

    def render(self) -> np.ndarray | None:
        """Draw ``cfg.viewer.env_index`` as an RGB image ``[height, width, 3]`` (uint8); None without render mode.

        With a depth camera in the scene and ``cfg.viewer.show_depth``, the env's depth image is drawn to the right of
        the robot (:func:`~rsl_sim.tasks.mujoco.envs.viewer.depth_panel`), so the frame is wider than
        ``cfg.viewer.width``.

        Raises:
            ValueError: If ``cfg.viewer.env_index`` is out of range.
        """
        if self.render_mode is None:
            return None
        index = self.cfg.viewer.env_index
        if not 0 <= index < self.num_envs:
            raise ValueError(f"viewer.env_index={index} is outside [0, {self.num_envs}).")
        if self._viewer is None:
            viewer_cfg = self.cfg.viewer
            visual_model, _ = build_scene(
                self.cfg.scene.robot,
                self.cfg.scene.terrain,
                self.cfg.physics,
                visual=True,
                offscreen_size=(viewer_cfg.width, viewer_cfg.height),
                terrain_generator=self.terrain_generator,
            )
            self._viewer = OffscreenViewer(viewer_cfg, visual_model, self.cfg.scene.robot.base_body_name)
        frame = self._viewer.render(self.sim.qpos[index])
        # the depth image beside the robot (what a camera student sees)
        camera = self.sensors.get("depth_camera")
        if camera is not None and self.cfg.viewer.show_depth:
            frame = np.concatenate([frame, depth_panel(camera.image[index, 0], frame.shape[0])], axis=1)
        return frame

    def close_extras(self, **kwargs: Any) -> None:
        """Release the renderer."""
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

    # Resume
    def get_env_state(self) -> dict[str, Any]:
        """The env's complete state (physics, commands, timers, buffers, random generators) as checkpoint data.

        See :func:`~rsl_sim.tasks.mujoco.envs.env_state.get_env_state`; the runner stores it with each checkpoint, so
        that a resumed run continues this env bit for bit.
        """
        return env_state.get_env_state(self)

    def set_env_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_env_state` into this env (built from the same config and number of envs).

        Raises:
            ValueError: If the state does not fit this env; nothing is changed then.
        """
        env_state.set_env_state(self, state)

    # Internals
    def _reset_all(self, run_curriculum: bool = True) -> dict[str, np.ndarray]:
        """Reset every env and return the observations (Isaac Lab's ``reset``: no command update before them).

        Args:
            run_curriculum: Whether the curriculum terms run (not before the robots were ever placed).
        """
        env_ids = np.arange(self.num_envs)
        self._reset_idx(env_ids, run_curriculum=run_curriculum)
        self.robot.update()
        self._reset_sensors(env_ids)
        return self.observation_manager.compute()

    def _reset_idx(self, env_ids: np.ndarray, run_curriculum: bool = True) -> dict[str, float]:
        """Reset some envs: curriculum, simulation state, sensors, reset events, managers; return the statistics.

        Args:
            env_ids: Sorted environment indices ``[k]``.
            run_curriculum: Whether the curriculum terms run (they move env origins before the robots are placed).

        Returns:
            The log entries (``Curriculum/...``, ``Episode_Reward/...``, ``Metrics/...``, ``Episode_Termination/...``).
        """
        curriculum_log = self.curriculum_manager.compute(env_ids) if run_curriculum else {}
        self.sim.reset(env_ids)
        self.contact_sensor.reset(env_ids)
        self.external_wrench_b[env_ids] = 0.0
        self.event_manager.apply_reset(env_ids)
        log: dict[str, float] = dict(curriculum_log)
        self.action_term.reset(env_ids)
        log.update(self.reward_manager.reset(env_ids))
        for name, command in self.command_manager.items():
            metrics, success_rate = command.reset(env_ids)
            log.update({f"Metrics/{name}/{key}": value for key, value in metrics.items()})
            log["Metrics/success_rate"] = success_rate
        self.event_manager.reset(env_ids)
        log.update(self.termination_manager.reset(env_ids))
        self._episode_length_buf[env_ids] = 0
        return log

    def _build_terrain(self) -> TerrainGenerator:
        """The terrain of ``cfg.scene.terrain``: the generator's height field, or the plane (for the ray sensors).

        Raises:
            ValueError: For a generator terrain without ``terrain_generator`` or an unknown terrain type.
        """
        terrain = self.cfg.scene.terrain
        if terrain.terrain_type == "plane":
            return TerrainGenerator(FLAT_TERRAIN_CFG)
        if terrain.terrain_type != "generator":
            raise ValueError(f"scene.terrain.terrain_type={terrain.terrain_type!r}; valid: 'plane', 'generator'.")
        if terrain.terrain_generator is None:
            raise ValueError(
                "scene.terrain.terrain_type='generator' needs scene.terrain.terrain_generator "
                "(e.g. ROUGH_TERRAINS_CFG)."
            )
        generator_cfg = dict(terrain.terrain_generator)
        if generator_cfg.get("seed") is None:
            # the terrain follows the env's seed
            generator_cfg["seed"] = int(self.rng.integers(0, 2**31 - 1))
        return TerrainGenerator(generator_cfg)

    def _make_terrain_curriculum(self) -> None:
        """Draw the envs' terrain levels and types (height-field terrain only) and point ``env_origins`` at them."""
        terrain = self.cfg.scene.terrain
        if self.terrain_generator.is_plane:
            return
        self.terrain_curriculum = TerrainCurriculum(
            self.terrain_generator.terrain_origins,
            self.num_envs,
            sub_terrain_size=self.terrain_generator.cfg["size"][0],
            max_init_terrain_level=terrain.max_init_terrain_level,
            seed=int(self.rng.integers(0, 2**31 - 1)),
        )
        self.env_origins = self.terrain_curriculum.env_origins

    def _update_sensors(self) -> None:
        """Refresh the ray sensors of every env after the physics (the camera at its own rate)."""
        for sensor in self.sensors.values():
            sensor.update()

    def _reset_sensors(self, env_ids: np.ndarray) -> None:
        """Refresh the ray sensors of some envs after they were reset (new poses)."""
        for sensor in self.sensors.values():
            if isinstance(sensor, DepthCameraSensor):
                sensor.reset(env_ids)
            else:
                sensor.update(env_ids)

    def _apply_external_wrench(self) -> None:
        """Write the base-frame external wrenches, rotated to the world frame, as applied forces on the base."""
        if not self.external_wrench_b.any():
            return
        quat = self.sim.qpos[:, 3:7]
        base = self.robot.base_body_id
        self.sim.xfrc_applied[:, base, 0:3] = quat_rotate(quat, self.external_wrench_b[:, 0:3])
        self.sim.xfrc_applied[:, base, 3:6] = quat_rotate(quat, self.external_wrench_b[:, 3:6])


def _build_term(key: str, cfg: Any, env: VelocityEnv) -> Any:
    """Build an action or command term as ``cfg.class_type(cfg, env)``.

    Raises:
        ValueError: If the config has no ``class_type`` class.
    """
    class_type = getattr(cfg, "class_type", None)
    if not isinstance(class_type, type):
        raise ValueError(
            f"{key}: the config {type(cfg).__name__} names no term class (class_type={class_type!r}); use a term config"
            " such as the velocity task's JointPositionActionCfg or UniformVelocityCommandCfg."
        )
    return class_type(cfg, env)
