"""Contact forces of the robot's bodies with history and air/contact-time tracking (Isaac Lab's ``ContactSensor``).

The simulation records, for every physics substep, the net contact force on each robot body (MuJoCo contact sensors,
world frame). :meth:`ContactSensor.update` folds a step's substeps into the sensor state exactly as Isaac Lab's contact
sensor does when it updates every physics step: a force history of the last ``history_length`` substeps (newest
first), and for each body the time since it last touched (``current_air_time``), the time it has been touching
(``current_contact_time``) and the durations of the last completed air/contact phases.

Isaac Lab's PhysX sensor reports normal forces, its Newton sensor the total force; here the force is the total net
contact force (normal plus friction), whose norm is compared with ``force_threshold``.
"""

from __future__ import annotations

import numpy as np

from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.mujoco.managers.term_cfg import ContactSensorCfg


class ContactSensor:
    """Per-body net contact forces ``[num_envs, num_bodies, 3]`` with history and air time.

    Args:
        cfg: The sensor config (tracked bodies, history length, threshold).
        body_names: The bodies whose forces the simulation records (``sensordata`` order); the sensor tracks those
            matched by ``cfg.body_names``.
        num_envs: Number of environments.
        physics_dt: Physics time step [s] (the sensor's update period).

    Raises:
        ValueError: If ``history_length`` < 1 or a body pattern matches nothing.
    """

    def __init__(self, cfg: ContactSensorCfg, body_names: tuple[str, ...], num_envs: int, physics_dt: float) -> None:
        if cfg.history_length < 1:
            raise ValueError(f"contact_forces.history_length must be >= 1, got {cfg.history_length}.")
        self.cfg = cfg
        self.num_envs = num_envs
        self.physics_dt = physics_dt
        # the simulation's sensor rows (one per robot body) that this sensor keeps
        self.sim_body_ids = np.asarray(resolve_names(cfg.body_names, body_names, key="contact_forces.body_names"))
        self.body_names: tuple[str, ...] = tuple(body_names[i] for i in self.sim_body_ids)
        num_bodies = len(self.body_names)

        # State
        self.net_forces_w = np.zeros((num_envs, num_bodies, 3))
        self.net_forces_w_history = np.zeros((num_envs, cfg.history_length, num_bodies, 3))
        self.current_air_time = np.zeros((num_envs, num_bodies))
        self.current_contact_time = np.zeros((num_envs, num_bodies))
        self.last_air_time = np.zeros((num_envs, num_bodies))
        self.last_contact_time = np.zeros((num_envs, num_bodies))

    def find_bodies(self, patterns: str | tuple[str, ...]) -> np.ndarray:
        """Indices (into this sensor's bodies) of the bodies matched by regular expressions."""
        return np.asarray(resolve_names(patterns, self.body_names, key="sensor_cfg.body_names"))

    def update(self, substep_forces: np.ndarray) -> None:
        """Advance the sensor through the physics substeps of one env step.

        Args:
            substep_forces: Net contact forces on the recorded bodies per substep, world frame,
                ``[num_envs, num_substeps, num_recorded_bodies, 3]`` (oldest substep first).
        """
        forces = substep_forces[:, :, self.sim_body_ids]
        num_substeps = forces.shape[1]
        history = self.cfg.history_length

        # History: newest first; older entries shift back when there are fewer substeps than slots
        newest = forces[:, ::-1][:, :history]
        kept = history - newest.shape[1]
        if kept > 0:
            self.net_forces_w_history[:, newest.shape[1] :] = self.net_forces_w_history[:, :kept].copy()
        self.net_forces_w_history[:, : newest.shape[1]] = newest
        self.net_forces_w = self.net_forces_w_history[:, 0]

        # Air and contact time, one physics step at a time
        if not self.cfg.track_air_time:
            return
        dt = self.physics_dt
        in_contact_all = np.einsum("nsbi,nsbi->nsb", forces, forces) > self.cfg.force_threshold**2
        for k in range(num_substeps):
            in_contact = in_contact_all[:, k]
            first_contact = in_contact & (self.current_air_time > 0.0)
            first_detached = ~in_contact & (self.current_contact_time > 0.0)
            self.last_air_time = np.where(first_contact, self.current_air_time + dt, self.last_air_time)
            self.last_contact_time = np.where(first_detached, self.current_contact_time + dt, self.last_contact_time)
            self.current_contact_time = np.where(in_contact, self.current_contact_time + dt, 0.0)
            self.current_air_time = np.where(in_contact, 0.0, self.current_air_time + dt)

    def compute_first_contact(self, dt: float) -> np.ndarray:
        """Bodies that touched down within the last ``dt`` seconds (tolerance: half a physics step).

        Args:
            dt: The period [s], typically the env step.

        Returns:
            Boolean mask ``[num_envs, num_bodies]``.
        """
        return (self.current_contact_time > 0.0) & (self.current_contact_time < dt + 0.5 * self.physics_dt)

    def compute_first_air(self, dt: float) -> np.ndarray:
        """Bodies that lifted off within the last ``dt`` seconds (tolerance: half a physics step).

        Args:
            dt: The period [s].

        Returns:
            Boolean mask ``[num_envs, num_bodies]``.
        """
        return (self.current_air_time > 0.0) & (self.current_air_time < dt + 0.5 * self.physics_dt)

    def reset(self, env_ids: np.ndarray) -> None:
        """Clear forces, history and timers of some environments.

        Args:
            env_ids: Environment indices ``[k]``.
        """
        for buffer in (
            self.net_forces_w_history,
            self.current_air_time,
            self.current_contact_time,
            self.last_air_time,
            self.last_contact_time,
        ):
            buffer[env_ids] = 0.0
        self.net_forces_w = self.net_forces_w_history[:, 0]
