"""Go2 physics: DC-motor PD law at every physics step (Isaac Lab's DCMotor), torque limits, contacts, batching."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.mujoco.batched_sim import BatchedMujocoSim
from rsl_sim.tasks.mujoco.envs.scene import build_scene
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

KP, KD = 25.0, 0.5
# effort limit = saturation effort, velocity limit, per joint in the PhysX order (hips, thighs, calves)
EFFORT = np.array([23.7] * 8 + [45.43] * 4)
SPEED = np.array([30.1] * 8 + [15.70] * 4)


def isaac_lab_dc_motor(target, q, qd):
    """Isaac Lab's DCMotor: PD torque clipped to the torque-speed curve and the effort limit (hand-written)."""
    torque = KP * (target - q) - KD * qd
    qd = np.clip(qd, -2.0 * SPEED, 2.0 * SPEED)
    upper = np.minimum(EFFORT * (1.0 - qd / SPEED), EFFORT)
    lower = np.maximum(EFFORT * (-1.0 - qd / SPEED), -EFFORT)
    return np.clip(torque, lower, upper)


@pytest.fixture(scope="module")
def physics():
    cfg = UnitreeGo2FlatEnvCfg()
    model, layout = build_scene(cfg.scene.robot, cfg.scene.terrain, cfg.physics)
    qpos_ids = np.array([model.joint(n).qposadr[0] for n in cfg.scene.robot.joint_names])
    dof_ids = np.array([model.joint(n).dofadr[0] for n in cfg.scene.robot.joint_names])
    act_ids = np.array([model.actuator(n).id for n in cfg.scene.robot.joint_names])
    return model, layout, qpos_ids, dof_ids, act_ids


def test_actuator_equals_isaac_lab_dc_motor_on_random_states(physics):
    model, _, qpos_ids, dof_ids, act_ids = physics
    data = mujoco.MjData(model)
    rng = np.random.default_rng(0)
    for _ in range(200):
        target, q, qd = rng.uniform(-2, 2, 12), rng.uniform(-2, 2, 12), rng.uniform(-60, 60, 12)
        data.qpos[qpos_ids], data.qvel[dof_ids], data.ctrl[act_ids] = q, qd, target
        mujoco.mj_forward(model, data)
        np.testing.assert_allclose(data.actuator_force[act_ids], isaac_lab_dc_motor(target, q, qd), atol=1e-9)


def test_pd_law_acts_at_every_physics_step(physics):
    # one control step = 4 physics steps with the target held; the torque of substep k uses the state after k-1
    model, _, qpos_ids, dof_ids, act_ids = physics
    sim = BatchedMujocoSim(model, num_envs=3, num_threads=1, record=("qpos", "qvel", "actuator_force"))
    sim.qpos[:, 2], sim.qpos[:, 3] = 0.35, 1.0
    rng = np.random.default_rng(1)
    target = rng.uniform(-1.0, 1.0, size=(3, 12))
    sim.ctrl[:, act_ids] = target
    rec = sim.step(4)
    torques = rec["actuator_force"][:, :, act_ids]
    for k in range(1, 4):
        q, qd = rec["qpos"][:, k - 1][:, qpos_ids], rec["qvel"][:, k - 1][:, dof_ids]
        np.testing.assert_allclose(torques[:, k], isaac_lab_dc_motor(target, q, qd), atol=1e-9)
    assert np.abs(np.diff(torques, axis=1)).max() > 1e-3  # not held constant over the substeps


def test_torques_stay_within_limits_under_extreme_actions():
    env = VelocityEnv(num_envs=8, cfg=UnitreeGo2FlatEnvCfg(), seed=0)
    rng = np.random.default_rng(2)
    at_limit = 0
    for _ in range(40):
        env.step(rng.uniform(-8.0, 8.0, size=(8, 12)))
        torque = env.robot.applied_torque
        assert np.all(np.abs(torque) <= EFFORT + 1e-9)
        # the last substep's torque obeys the torque-speed curve at the velocity it was computed from
        qd = env.robot.joint_vel - env.robot.joint_acc * env.physics_dt
        assert np.all(torque <= EFFORT * (1.0 - qd / SPEED) + 1e-9)
        assert np.all(torque >= EFFORT * (-1.0 - qd / SPEED) - 1e-9)
        at_limit += int(np.isclose(np.abs(torque), EFFORT).sum())
    assert at_limit > 0  # extreme actions must reach the effort limit, else the test proves nothing


def test_standing_robot_feet_carry_its_weight():
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.events["push_robot"] = None
    cfg.events["reset_base"].params["velocity_range"] = {}
    env = VelocityEnv(num_envs=4, cfg=cfg, seed=0)
    for _ in range(100):
        env.step(np.zeros((4, 12)))
    weight = env.sim.model_field("body_mass").sum(axis=1) * 9.81
    feet = env.contact_sensor.find_bodies(".*_foot")
    forces = env.contact_sensor.net_forces_w
    np.testing.assert_allclose(forces[:, feet, 2].sum(axis=1), weight, rtol=0.08)
    assert np.all(forces[:, env.contact_sensor.find_bodies("base"), 2] == 0.0)
    assert np.all(env.robot.root_pos_w[:, 2] > 0.2)


def test_batch_is_identical_for_any_thread_count(physics):
    model = physics[0]
    finals = []
    for threads in (1, 2):
        sim = BatchedMujocoSim(model, num_envs=6, num_threads=threads)
        sim.qpos[:, 2], sim.qpos[:, 3] = 0.35, 1.0
        sim.ctrl[:] = np.linspace(-0.5, 0.5, 6)[:, None]
        for _ in range(20):
            sim.step(4)
        finals.append(sim.qpos.copy())
    np.testing.assert_array_equal(finals[0], finals[1])


def test_a_diverged_simulation_terminates_and_restarts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo appends its warning to MUJOCO_LOG.TXT in the working directory
    env = VelocityEnv(num_envs=3, cfg=UnitreeGo2FlatEnvCfg(), seed=0)
    env.sim.qvel[1, 8] = np.nan  # MuJoCo rejects the state, resets that simulation and warns
    obs, reward, terminated, truncated, infos = env.step(np.zeros((3, 12)))
    assert terminated.tolist() == [False, True, False] and not truncated.any()
    assert infos["log"]["Physics/diverged_envs"] == 1.0
    assert np.isfinite(obs["policy"]).all() and np.isfinite(reward).all()
    assert env.episode_length_buf[1] == 0 and env.robot.root_pos_w[1, 2] == pytest.approx(0.4)
