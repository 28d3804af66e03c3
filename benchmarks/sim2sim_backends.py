"""What differs between the Go2 flat task on CPU MuJoCo and on Isaac Lab (Newton / MJWarp), measured.

The same 16 robots get the same open-loop inputs on both backends, with the startup and reset randomization and the
pushes switched off (the friction event stays: it fixes the friction at 0.8 on both; observation noise stays on but
no observation is used). Measured, per backend, from the data the task's terms read:

1. Contact force, standing with zero actions (default pose) for 2 s: over the last second, the contact sensor's force
   on each foot and its sum (norm and vertical component) divided by the robot's weight ``m g`` taken from that
   backend's own model, and the normal / friction split (MuJoCo: ``mj_contactForce`` of every contact, recomputed at
   the state after each step; Isaac Lab: the sensor's ``net_normal_forces_w``). Also the standing base height.
2. Actuator: applied joint torques per joint group (hip, thigh, calf) while standing, and under an open-loop trot-like
   action (amplitude 0.5 at 2 Hz on thighs and calves, calves a quarter period later, diagonal legs in phase, robot on
   the ground): joint position tracking RMS error against the target ``default + 0.25 a``, the share of joint-steps
   at the DC motor's torque limit, and (compare step) the RMS difference of the joint trajectories between backends.
3. Friction: the friction coefficient that the contacts actually use (MuJoCo: ``pair_friction``; MJWarp: the
   solver's per-contact friction) and the base drift of the open-loop gait over 2 s.

With ``--policy_run RUN`` (MuJoCo only) the walking policy is also evaluated (``rsl-sim evaluate``) at other friction
coefficients and actuator stiffnesses, for reading the sim-to-sim gap against them.

Usage (from the repository root; the MuJoCo part runs in ``.venv``, the Isaac Lab part in ``.venv-isaaclab``)::

    .venv/bin/python benchmarks/sim2sim_backends.py --backend mujoco --out /tmp/sim2sim_mujoco.json
    source scripts/isaaclab_env.sh
    .venv-isaaclab/bin/python benchmarks/sim2sim_backends.py --backend isaaclab --out /tmp/sim2sim_isaaclab.json
    .venv/bin/python benchmarks/sim2sim_backends.py --compare /tmp/sim2sim_mujoco.json /tmp/sim2sim_isaaclab.json
    # or all three in one go (each backend in its own interpreter, output of each in <out>_<backend>.log):
    .venv/bin/python benchmarks/sim2sim_backends.py --backend both --out /tmp/sim2sim.json [--policy_run /tmp/go2walk]

Options: ``--friction MU`` gives the contacts the coefficient MU on both backends (default: each task's own, 0.8 on
MuJoCo and 1.0 on Isaac Lab, where MJWarp takes the larger of the robot's 0.8 and the ground's 1.0);
``--gait_amplitude A`` (default 0.5); ``--num_envs``.

Each run prints its results with the CPU model and load average and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
MUJOCO_TASK = "RslSim/Go2-Flat-v0"
ISAACLAB_TASK = "RslSim-Isaac-Velocity-Flat-Go2-v0"
NUM_ENVS = 16
STAND_S = 2.0
GAIT_S = 2.0
GAIT_AMPLITUDE = 0.5
GAIT_FREQUENCY_HZ = 2.0
LEG_PHASE = (0.0, math.pi, math.pi, 0.0)  # FL, FR, RL, RR: diagonal pairs in phase (trot)
GROUPS = {"hip": slice(0, 4), "thigh": slice(4, 8), "calf": slice(8, 12)}  # GO2_JOINT_NAMES order
FEET = ("FL_foot", "FR_foot", "RL_foot", "RR_foot")
FRICTIONS = (0.4, 0.8, 1.0, 1.25)
STIFFNESS_SCALES = (0.8, 1.2)


def gait_action(step: int, step_dt: float, amplitude: float = GAIT_AMPLITUDE) -> np.ndarray:
    """The open-loop action ``[12]`` at env step ``step``: thighs ``A sin(2 pi f t + phi_leg)``, calves a quarter
    period later, hips 0."""
    t = step * step_dt
    phase = 2.0 * math.pi * GAIT_FREQUENCY_HZ * t + np.asarray(LEG_PHASE)
    action = np.zeros(12)
    action[4:8] = amplitude * np.sin(phase)
    action[8:12] = amplitude * np.sin(phase - 0.5 * math.pi)
    return action


class MujocoBackend:
    """``RslSim/Go2-Flat-v0`` (:class:`VelocityEnv`), randomization off, read as its terms read it."""

    name = "mujoco"

    def __init__(self, num_envs: int, friction: float | None = None) -> None:
        import mujoco

        from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
        from rsl_sim.tasks.mujoco.envs.scene import actuator_parameters
        from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

        self.mujoco = mujoco
        cfg = UnitreeGo2FlatEnvCfg()
        for key in ("add_base_mass", "base_com", "push_robot", "base_external_force_torque"):
            cfg.events[key] = None
        cfg.events["reset_base"].params = {"pose_range": {}, "velocity_range": {}}
        cfg.events["reset_robot_joints"].params["position_range"] = (1.0, 1.0)
        if friction is not None:
            # the robot's ground contacts take the event's value (MuJoCo <pair> friction)
            cfg.events["physics_material"].params["static_friction_range"] = (friction, friction)
        self.env = VelocityEnv(num_envs=num_envs, cfg=cfg, seed=0)
        self.num_envs, self.step_dt, self.action_scale = num_envs, self.env.step_dt, cfg.actions.scale
        self.models = [self.env.sim.env_model(i) for i in range(num_envs)]
        sensor = self.env.contact_sensor
        self.feet = [sensor.body_names.index(name) for name in FEET]
        self.foot_body_ids = [self.models[0].body(name).id for name in FEET]
        params = actuator_parameters(cfg.scene.robot)
        self.effort, self.stall, self.speed = (
            params["effort_limit"],
            params["saturation_effort"],
            params["velocity_limit"],
        )
        self.terminated = 0

    def reset(self) -> None:
        self.env.reset(seed=0)

    def step(self, actions: np.ndarray) -> None:
        _, _, terminated, _, _ = self.env.step(actions.astype(np.float32))
        self.terminated += int(terminated.sum())

    def weight(self) -> np.ndarray:
        """``m g`` [N] per env from each env's own model."""
        return np.array([m.body_mass.sum() * np.linalg.norm(m.opt.gravity) for m in self.models])

    def sample(self) -> dict[str, np.ndarray]:
        robot, sensor = self.env.robot, self.env.contact_sensor
        tau = robot.applied_torque.copy()
        # DC-motor limit at the velocity the last substep's torque was computed from (state before that substep)
        qd = self.env.sim._records["qvel"][:, -2, robot.dof_ids]
        high = np.minimum(self.effort, self.stall * (1.0 - qd / self.speed))
        low = np.maximum(-self.effort, self.stall * (-1.0 - qd / self.speed))
        normal, friction, feet_pos = self._contact_split()
        return {
            "feet_force": sensor.net_forces_w[:, self.feet].copy(),
            "total_force": sensor.net_forces_w.sum(axis=1),
            "feet_normal": normal,
            "feet_friction": friction,
            "feet_pos": feet_pos,
            "torque": tau,
            "saturated": (tau >= high - 1e-4) | (tau <= low + 1e-4),
            "joint_pos": robot.joint_pos.copy(),
            "default_joint_pos": np.broadcast_to(robot.default_joint_pos, tau.shape).copy(),
            "base_pos": robot.root_pos_w - self.env.env_origins,
            "heading": robot.heading_w.copy(),
        }

    def _contact_split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Normal and friction parts ``[N, 4, 3]`` of the world-frame contact force on each foot (mj_contactForce),
        and the feet's positions ``[N, 4, 3]`` relative to the env origin."""
        mj = self.mujoco
        normal = np.zeros((self.num_envs, 4, 3))
        friction = np.zeros((self.num_envs, 4, 3))
        feet_pos = np.zeros((self.num_envs, 4, 3))
        wrench = np.zeros(6)
        for i, model in enumerate(self.models):
            data = self.env.sim.env_data(i)
            mj.mj_forward(model, data)
            feet_pos[i] = data.xpos[self.foot_body_ids] - self.env.env_origins[i]
            for c in range(data.ncon):
                contact = data.contact[c]
                body = model.geom_bodyid[contact.geom2]
                if body not in self.foot_body_ids:
                    continue
                mj.mj_contactForce(model, data, c, wrench)
                frame = contact.frame.reshape(3, 3)  # rows: normal (geom1 -> geom2), tangents
                foot = self.foot_body_ids.index(body)
                normal[i, foot] += wrench[0] * frame[0]
                friction[i, foot] += wrench[1] * frame[1] + wrench[2] * frame[2]
        return normal, friction, feet_pos

    def info(self) -> dict[str, Any]:
        model = self.models[0]
        pairs = self.env.sim.model_field("pair_friction")
        dofs = self.env.robot.dof_ids
        return {
            "simulator": f"MuJoCo {self.mujoco.__version__} (CPU, mujoco.batch)",
            "physics": {
                "dt": model.opt.timestep,
                "substeps": 1,
                "integrator": "implicitfast",
                "cone": "pyramidal",
                "contact_solref": model.pair_solref[0].tolist(),
                "contact_solimp": model.pair_solimp[0].tolist(),
            },
            "mass_kg": float(model.body_mass.sum()),
            "body_mass_kg": {model.body(b).name: round(float(model.body_mass[b]), 4) for b in range(1, model.nbody)},
            "contact_friction": sorted({round(float(v), 4) for v in pairs[:, :, 0].ravel()}),
            "joint_armature": model.dof_armature[dofs].round(4).tolist(),
            "joint_damping": model.dof_damping[dofs].round(4).tolist(),
            "joint_frictionloss": model.dof_frictionloss[dofs].round(4).tolist(),
        }

    def close(self) -> None:
        self.env.close()


class IsaacLabBackend:
    """``RslSim-Isaac-Velocity-Flat-Go2-v0`` (Isaac Lab 3.0, Newton / MJWarp, CPU), randomization off."""

    name = "isaaclab"

    def __init__(self, num_envs: int, friction: float | None = None) -> None:
        os.environ.setdefault("ISAACSIM_ASSET_ROOT", str(REPO_ROOT / ".isaaclab-assets"))
        os.environ.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))
        import gymnasium as gym
        import isaaclab.sim as sim_utils
        import torch
        from isaaclab.app.sim_launcher import launch_simulation
        from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

        import rsl_sim.tasks  # noqa: F401  (registers the ids)
        from rsl_sim.tasks.assets.go2 import GO2_JOINT_NAMES

        self.torch = torch
        cfg = parse_env_cfg(ISAACLAB_TASK, device="cpu", num_envs=num_envs)
        for key in ("add_base_mass", "base_com", "push_robot", "base_external_force_torque"):
            setattr(cfg.events, key, None)
        cfg.events.reset_base.params["pose_range"] = {}
        cfg.events.reset_base.params["velocity_range"] = {}
        cfg.events.reset_robot_joints.params["position_range"] = (1.0, 1.0)
        if friction is not None:
            # MJWarp takes the larger of the two shapes' coefficients: set the robot's and the ground's
            cfg.events.physics_material.params["static_friction_range"] = (friction, friction)
            cfg.scene.terrain.physics_material.static_friction = friction
            cfg.scene.terrain.physics_material.dynamic_friction = friction
        cfg.seed = 0
        self._launch = launch_simulation(cfg, {})
        self._launch.__enter__()
        sim_utils.create_new_stage()
        self.env = gym.make(ISAACLAB_TASK, cfg=cfg).unwrapped
        self.num_envs, self.step_dt, self.action_scale = num_envs, self.env.step_dt, cfg.actions.joint_pos.scale
        self.robot, self.sensor = self.env.scene["robot"], self.env.scene["contact_forces"]
        if tuple(self.robot.joint_names) != GO2_JOINT_NAMES:
            raise RuntimeError(f"Isaac Lab joint order {self.robot.joint_names} is not the CPU task's.")
        self.feet = [self.sensor.body_names.index(name) for name in FEET]
        self.foot_body_ids = [self.robot.body_names.index(name) for name in FEET]
        self.terminated = 0

    def reset(self) -> None:
        self.env.reset(seed=0)

    def step(self, actions: np.ndarray) -> None:
        _, _, terminated, _, _ = self.env.step(self.torch.as_tensor(actions, dtype=self.torch.float32))
        self.terminated += int(terminated.sum())

    def weight(self) -> np.ndarray:
        gravity = float(np.linalg.norm(self.env.sim.cfg.gravity))
        return self.robot.data.body_mass.torch.sum(dim=1).numpy().astype(np.float64) * gravity

    def sample(self) -> dict[str, np.ndarray]:
        data, sensor = self.robot.data, self.sensor.data
        forces = sensor.net_forces_w.torch.numpy().astype(np.float64)
        normal = sensor.net_normal_forces_w.torch.numpy().astype(np.float64)[:, self.feet]
        tau = data.applied_torque.torch.numpy().astype(np.float64)
        computed = data.computed_torque.torch.numpy().astype(np.float64)
        return {
            "feet_force": forces[:, self.feet],
            "total_force": forces.sum(axis=1),
            "feet_normal": normal,
            "feet_friction": forces[:, self.feet] - normal,
            "feet_pos": (data.body_pos_w.torch[:, self.foot_body_ids] - self.env.scene.env_origins[:, None])
            .numpy()
            .astype(np.float64),
            "torque": tau,
            "saturated": np.abs(tau - computed) > 1e-4,
            "joint_pos": data.joint_pos.torch.numpy().astype(np.float64),
            "default_joint_pos": data.default_joint_pos.torch.numpy().astype(np.float64),
            "base_pos": (data.root_pos_w.torch - self.env.scene.env_origins).numpy().astype(np.float64),
            "heading": data.heading_w.torch.numpy().astype(np.float64),
        }

    def info(self) -> dict[str, Any]:
        import newton
        import warp as wp

        manager = self.env.sim.physics_manager
        solver = manager._solver
        physics = self.env.sim.cfg.physics
        contact = solver.mjw_data.contact
        nacon = int(solver.mjw_data.nacon.numpy()[0])
        friction = contact.friction.numpy()[:nacon, 0]
        model = manager.get_model()
        return {
            "simulator": f"Isaac Lab 3.0, Newton {newton.__version__} MJWarp (CPU, warp {wp.__version__})",
            "physics": {
                "dt": float(self.env.sim.cfg.dt),
                "substeps": int(physics.num_substeps),
                "integrator": physics.solver_cfg.integrator,
                "cone": physics.solver_cfg.cone,
                "use_mujoco_contacts": bool(physics.solver_cfg.use_mujoco_contacts),
                "shape_ke_kd": [physics.default_shape_cfg.ke, physics.default_shape_cfg.kd],
                "contact_solref": contact.solref.numpy()[:nacon].mean(axis=0).round(5).tolist() if nacon else None,
                "contact_solimp": contact.solimp.numpy()[:nacon].mean(axis=0).round(5).tolist() if nacon else None,
                "contact_solreffriction": (
                    contact.solreffriction.numpy()[:nacon].mean(axis=0).round(5).tolist() if nacon else None
                ),
                "contact_condim": sorted({int(v) for v in contact.dim.numpy()[:nacon]}),
            },
            "mass_kg": float(self.robot.data.body_mass.torch[0].sum()),
            "body_mass_kg": {
                name: round(float(mass), 4)
                for name, mass in zip(self.robot.body_names, self.robot.data.body_mass.torch[0].tolist())
            },
            "contact_friction": sorted({round(float(v), 4) for v in friction}),
            "shape_mu": sorted({round(float(v), 4) for v in model.shape_material_mu.numpy()}),
            "joint_armature": self.robot.data.joint_armature.torch[0].numpy().round(4).tolist(),
            "joint_damping": self.robot.data.joint_damping.torch[0].numpy().round(4).tolist(),
            "joint_friction": self.robot.data.joint_friction_coeff.torch[0].numpy().round(4).tolist(),
        }

    def close(self) -> None:
        self.env.close()
        self._launch.__exit__(None, None, None)


def run_protocol(backend: MujocoBackend | IsaacLabBackend, amplitude: float = GAIT_AMPLITUDE) -> dict[str, Any]:
    """Stand with zero actions, then the open-loop gait, each from a fresh reset; the backend's summary."""
    num_envs = backend.num_envs
    stand_steps, gait_steps = round(STAND_S / backend.step_dt), round(GAIT_S / backend.step_dt)
    start = time.perf_counter()

    # 1. Standing: zero actions (targets = default pose)
    backend.reset()
    weight = backend.weight()
    stand = [_step_and_sample(backend, np.zeros((num_envs, 12))) for _ in range(stand_steps)]
    info = backend.info()

    # 2. Open-loop gait from a fresh reset
    backend.reset()
    start_pose = backend.sample()
    gait, targets = [], []
    for step in range(gait_steps):
        action = np.tile(gait_action(step, backend.step_dt, amplitude), (num_envs, 1))
        gait.append(_step_and_sample(backend, action))
        targets.append(gait[-1]["default_joint_pos"] + backend.action_scale * action)
    return {
        "backend": backend.name,
        "num_envs": num_envs,
        "step_dt": backend.step_dt,
        "weight_N": float(weight.mean()),
        "info": info,
        "stand": _summarize_stand(_stack(stand[stand_steps // 2 :]), weight),
        "gait": {"amplitude": amplitude, **_summarize_gait(_stack(gait), np.stack(targets), start_pose)},
        "terminated_episodes": backend.terminated,
        "seconds": time.perf_counter() - start,
    }


def _step_and_sample(backend: MujocoBackend | IsaacLabBackend, actions: np.ndarray) -> dict[str, np.ndarray]:
    backend.step(actions)
    return backend.sample()


def _stack(samples: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-step samples -> arrays ``[T, N, ...]``."""
    return {key: np.stack([s[key] for s in samples]) for key in samples[0]}


def _per_group(values: np.ndarray, reduce: str) -> dict[str, float]:
    """``values [..., 12]`` reduced over everything but the joint group: ``rms``, ``mean_abs`` or ``mean``."""
    out = {}
    for group, columns in GROUPS.items():
        v = values[..., columns]
        out[group] = float({"rms": np.sqrt(np.mean(v**2)), "mean_abs": np.mean(np.abs(v)), "mean": np.mean(v)}[reduce])
    return out


def _summarize_stand(s: dict[str, np.ndarray], weight: np.ndarray) -> dict[str, Any]:
    """Contact forces [m g], torques [N m], tracking [rad] and base height [m] over the samples ``[T, N, ...]``."""
    mg = weight[None, :, None]
    feet_sum = s["feet_force"].sum(axis=2)  # [T, N, 3]
    friction_norm = np.linalg.norm(s["feet_friction"], axis=-1).sum(axis=2)  # sum over feet of |F_t|
    return {
        "per_foot_norm_mg": (np.linalg.norm(s["feet_force"], axis=-1) / mg).mean(axis=(0, 1)).round(4).tolist(),
        "per_foot_z_mg": (s["feet_force"][..., 2] / mg).mean(axis=(0, 1)).round(4).tolist(),
        "feet_sum_norm_mg": float((np.linalg.norm(feet_sum, axis=-1) / weight).mean()),
        "feet_sum_z_mg": float((feet_sum[..., 2] / weight).mean()),
        "feet_sum_z_mg_std_over_steps": float((feet_sum[..., 2] / weight).std(axis=0).mean()),
        "all_bodies_sum_z_mg": float((s["total_force"][..., 2] / weight).mean()),
        "normal_sum_z_mg": float((s["feet_normal"].sum(axis=2)[..., 2] / weight).mean()),
        "friction_sum_norm_mg": float((friction_norm / weight).mean()),
        "friction_over_normal": float(
            (friction_norm / np.maximum(np.linalg.norm(s["feet_normal"], axis=-1).sum(axis=2), 1e-9)).mean()
        ),
        "torque_mean_abs_Nm": _per_group(s["torque"], "mean_abs"),
        "torque_mean_Nm": _per_group(s["torque"], "mean"),
        "joint_error_rms_rad": _per_group(s["joint_pos"] - s["default_joint_pos"], "rms"),
        "saturated_fraction": _per_group(s["saturated"].astype(float), "mean"),
        "base_height_m": float(s["base_pos"][..., 2].mean()),
        "feet_slide_m": float(np.linalg.norm(s["feet_pos"][-1, ..., :2] - s["feet_pos"][0, ..., :2], axis=-1).mean()),
        "base_height_change_m": float((s["base_pos"][-1, :, 2] - s["base_pos"][0, :, 2]).mean()),
        "hip_error_change_rad": float(
            np.abs(s["joint_pos"][-1, :, GROUPS["hip"]] - s["default_joint_pos"][-1, :, GROUPS["hip"]]).mean()
            - np.abs(s["joint_pos"][0, :, GROUPS["hip"]] - s["default_joint_pos"][0, :, GROUPS["hip"]]).mean()
        ),
    }


def _summarize_gait(s: dict[str, np.ndarray], targets: np.ndarray, start: dict[str, np.ndarray]) -> dict[str, Any]:
    """Tracking, saturation, torques, base drift and the env-mean trajectories of the open-loop gait."""
    drift = s["base_pos"][-1, :, :2] - start["base_pos"][:, :2]
    yaw = np.angle(np.exp(1j * (s["heading"][-1] - start["heading"])))
    return {
        "joint_error_rms_rad": _per_group(s["joint_pos"] - targets, "rms"),
        "saturated_fraction": _per_group(s["saturated"].astype(float), "mean"),
        "torque_rms_Nm": _per_group(s["torque"], "rms"),
        "base_drift_m": float(np.linalg.norm(drift, axis=1).mean()),
        "base_drift_xy_m": drift.mean(axis=0).round(4).tolist(),
        "yaw_change_rad": float(yaw.mean()),
        "base_height_m": float(s["base_pos"][..., 2].mean()),
        "env_spread_joint_pos_rad": float(s["joint_pos"].std(axis=1).max()),
        "joint_pos_trajectory": s["joint_pos"].mean(axis=1).round(5).tolist(),
        "base_pos_trajectory": (s["base_pos"] - start["base_pos"][None]).mean(axis=1).round(5).tolist(),
    }


def compare(mujoco: dict[str, Any], isaaclab: dict[str, Any]) -> dict[str, Any]:
    """Differences of the gait trajectories between the backends (RMS per joint group, base drift)."""
    q_mj = np.asarray(mujoco["gait"]["joint_pos_trajectory"])
    q_il = np.asarray(isaaclab["gait"]["joint_pos_trajectory"])
    base_mj = np.asarray(mujoco["gait"]["base_pos_trajectory"])
    base_il = np.asarray(isaaclab["gait"]["base_pos_trajectory"])
    early = round(0.5 / mujoco["step_dt"])
    return {
        "gait_joint_pos_rms_difference_rad": _per_group(q_mj - q_il, "rms"),
        "gait_joint_pos_rms_difference_first_half_second_rad": _per_group(q_mj[:early] - q_il[:early], "rms"),
        "gait_target_amplitude_rad": mujoco["gait"]["amplitude"] * mujoco["info"]["action_scale"],
        "gait_base_xy_difference_end_m": float(np.linalg.norm(base_mj[-1, :2] - base_il[-1, :2])),
        "gait_base_z_rms_difference_m": float(np.sqrt(np.mean((base_mj[:, 2] - base_il[:, 2]) ** 2))),
    }


def policy_sensitivity(run: str, seeds: list[int], out_dir: Path) -> dict[str, Any]:
    """``rsl-sim evaluate RUN`` on MuJoCo at other friction coefficients and actuator stiffnesses (overall rows)."""
    from rsl_sim.tasks.assets.go2 import go2_asset_cfg

    stiffness = float(go2_asset_cfg().actuators["base_legs"].stiffness)
    variants: dict[str, list[str]] = {}
    for mu in FRICTIONS:
        variants[f"friction={mu}"] = [f"env.events.physics_material.params.static_friction_range=[{mu},{mu}]"]
    for scale in STIFFNESS_SCALES:
        variants[f"stiffness={scale}x"] = [f"env.scene.robot.actuators.base_legs.stiffness={stiffness * scale}"]
    rsl_sim_cli = Path(sys.executable).parent / "rsl-sim"
    results = {}
    for label, overrides in variants.items():
        out = out_dir / f"evaluate_{label.replace('=', '_')}.json"
        command = [str(rsl_sim_cli), "evaluate", run, "--num_envs", "64", "--seeds", *map(str, seeds)]
        command += ["--episode_length_s", "10", "--out", str(out), *overrides]
        subprocess.run(command, check=True, cwd=REPO_ROOT, stdout=subprocess.DEVNULL)
        overall = json.loads(out.read_text())["overall"]
        results[label] = {key: overall[key] for key in ("lin_vel_error", "yaw_rate_error", "no_fall_rate")}
        results[label]["command"] = " ".join(["rsl-sim", *command[1:]])
        print(f"  {label:>16}: {_format_eval(results[label])}", flush=True)
    return results


def _format_eval(row: dict[str, Any]) -> str:
    return (
        f"lin_vel_error {row['lin_vel_error']:.3f} m/s, yaw_rate_error {row['yaw_rate_error']:.3f} rad/s, "
        f"no fall {100 * row['no_fall_rate']:.1f} %"
    )


def machine() -> dict[str, Any]:
    """CPU model, core count and load average (:mod:`rsl_sim.utils.machine`), for the JSON; printed as one line."""
    from rsl_sim.utils.machine import cpu_info, machine_line

    return {
        "cpu": cpu_info()[0],
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "line": machine_line(),
    }


def print_backend(result: dict[str, Any]) -> None:
    """The backend's figures as text."""
    stand, gait, info = result["stand"], result["gait"], result["info"]
    print(f"\n== {result['backend']}: {info['simulator']}  ({result['num_envs']} robots, {result['seconds']:.0f} s)")
    print(f"physics: {info['physics']}")
    print(
        f"mass {info['mass_kg']:.3f} kg, m g = {result['weight_N']:.2f} N; contact friction {info['contact_friction']}"
    )
    print(f"joint armature {info['joint_armature']}")
    print("standing, last second (contact sensor, in m g):")
    print(f"  per foot |F| {stand['per_foot_norm_mg']}, F_z {stand['per_foot_z_mg']}")
    print(
        f"  feet sum |F| {stand['feet_sum_norm_mg']:.4f}, F_z {stand['feet_sum_z_mg']:.4f} "
        f"(step-to-step std {stand['feet_sum_z_mg_std_over_steps']:.4f}), "
        f"all bodies F_z {stand['all_bodies_sum_z_mg']:.4f}"
    )
    print(
        f"  normal part F_z {stand['normal_sum_z_mg']:.4f}, friction part sum |F_t| {stand['friction_sum_norm_mg']:.4f}"
        f" (|F_t| / |F_n| {stand['friction_over_normal']:.4f}); base height {stand['base_height_m']:.4f} m"
    )
    print(
        f"  over the last second: base height changed {stand['base_height_change_m']:+.4f} m, mean |hip error| "
        f"{stand['hip_error_change_rad']:+.4f} rad, feet slid {stand['feet_slide_m']:.4f} m"
    )
    print(f"  torque mean |tau| [N m] {_fmt(stand['torque_mean_abs_Nm'])}; mean tau {_fmt(stand['torque_mean_Nm'])}")
    print(
        f"  joint error RMS [rad] {_fmt(stand['joint_error_rms_rad'])}; saturated {_fmt(stand['saturated_fraction'])}"
    )
    print(f"open-loop gait ({gait['amplitude']} at {GAIT_FREQUENCY_HZ} Hz on thighs and calves, {GAIT_S} s):")
    print(f"  joint tracking RMS [rad] {_fmt(gait['joint_error_rms_rad'])}")
    print(f"  saturated share {_fmt(gait['saturated_fraction'])}; torque RMS [N m] {_fmt(gait['torque_rms_Nm'])}")
    print(
        f"  base drift {gait['base_drift_m']:.4f} m (mean xy {gait['base_drift_xy_m']}), yaw change "
        f"{gait['yaw_change_rad']:.4f} rad, base height {gait['base_height_m']:.4f} m, env spread "
        f"{gait['env_spread_joint_pos_rad']:.2e} rad"
    )
    print(f"terminated episodes: {result['terminated_episodes']}")


def _fmt(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in values.items())


def run_backend(args: argparse.Namespace) -> dict[str, Any]:
    """Measure one backend in this process."""
    backend_class = MujocoBackend if args.backend == "mujoco" else IsaacLabBackend
    backend = backend_class(args.num_envs, friction=args.friction)
    try:
        result = run_protocol(backend, args.gait_amplitude)
    finally:
        backend.close()
    result["info"]["action_scale"] = backend.action_scale
    if args.policy_run is not None and args.backend == "mujoco":
        print(f"walking policy {args.policy_run} on MuJoCo, 64 robots, seeds {args.policy_seeds}, 10 s:", flush=True)
        out_dir = Path(args.out).resolve().parent if args.out else Path.cwd()
        result["policy_sensitivity"] = policy_sensitivity(args.policy_run, args.policy_seeds, out_dir)
    result["machine"] = machine()
    return result


def run_both(args: argparse.Namespace) -> dict[str, Any]:
    """Each backend in its own interpreter (``.venv`` for MuJoCo, ``.venv-isaaclab`` for Isaac Lab), then compare."""
    out = Path(args.out or "sim2sim_backends.json").resolve()
    results = {}
    for name, python in (("mujoco", args.mujoco_python), ("isaaclab", args.isaaclab_python)):
        path = out.with_name(f"{out.stem}_{name}.json")
        command = [python, str(Path(__file__).resolve()), "--backend", name, "--num_envs", str(args.num_envs)]
        command += ["--out", str(path)]
        if args.friction is not None:
            command += ["--friction", str(args.friction)]
        command += ["--gait_amplitude", str(args.gait_amplitude)]
        if name == "mujoco" and args.policy_run is not None:
            command += ["--policy_run", args.policy_run, "--policy_seeds", *map(str, args.policy_seeds)]
        log = path.with_suffix(".log")
        print(f"{name}: {' '.join(command)} (output in {log})", flush=True)
        with log.open("w") as stream:
            done = subprocess.run(command, cwd=REPO_ROOT, stdout=stream, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed (exit code {done.returncode}); see {log}")
        results[name] = json.loads(path.read_text())
    return results


def print_compare(results: dict[str, Any]) -> dict[str, Any]:
    diff = compare(results["mujoco"], results["isaaclab"])
    print("\n== between the backends (open-loop gait, env-mean trajectories)")
    print(f"  joint position RMS difference [rad] {_fmt(diff['gait_joint_pos_rms_difference_rad'])}")
    print(f"  first 0.5 s only [rad] {_fmt(diff['gait_joint_pos_rms_difference_first_half_second_rad'])}")
    print(f"  (target amplitude {diff['gait_target_amplitude_rad']:.3f} rad)")
    print(
        f"  base position after 2 s differs by {diff['gait_base_xy_difference_end_m']:.4f} m in xy; base height RMS "
        f"difference {diff['gait_base_z_rms_difference_m']:.4f} m"
    )
    m = machine()
    print(f"machine: {m['line']}")
    return diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("mujoco", "isaaclab", "both"), help="what to measure")
    parser.add_argument("--compare", nargs=2, metavar=("MUJOCO_JSON", "ISAACLAB_JSON"), help="compare two results")
    parser.add_argument("--num_envs", type=int, default=NUM_ENVS, help="robots per backend")
    parser.add_argument("--out", help="JSON file for the results")
    parser.add_argument(
        "--friction", type=float, help="contact friction coefficient on both backends (default: each task's own)"
    )
    parser.add_argument("--gait_amplitude", type=float, default=GAIT_AMPLITUDE, help="open-loop action amplitude")
    parser.add_argument("--policy_run", help="MuJoCo: also evaluate this walking policy at other frictions/stiffnesses")
    parser.add_argument("--policy_seeds", type=int, nargs="+", default=[0], help="seeds of those evaluations")
    parser.add_argument("--mujoco_python", default=str(REPO_ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--isaaclab_python", default=str(REPO_ROOT / ".venv-isaaclab" / "bin" / "python"))
    args = parser.parse_args()
    if (args.backend is None) == (args.compare is None):
        parser.error("give --backend or --compare")

    if args.compare:
        results = {name: json.loads(Path(p).read_text()) for name, p in zip(("mujoco", "isaaclab"), args.compare)}
    elif args.backend == "both":
        results = run_both(args)
    else:
        m = machine()
        print(f"machine before: {m['line']}", flush=True)
        result = run_backend(args)
        print_backend(result)
        print(f"machine after: {result['machine']['line']}")
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=1))
        return
    for result in results.values():
        print_backend(result)
    results["difference"] = print_compare(results)
    results["machine"] = machine()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
