"""What the CPU Go2 task's contact sensor reports: the total contact force on a body (normal plus friction).

The task's reward and termination terms read ``env.contact_sensor.net_forces_w``. Standing on flat ground, the forces
on the feet must carry the robot's weight ``m g`` (time-averaged: the feet bounce a little from step to step), and the
force on each foot must be the sum of its contacts' normal and friction forces as MuJoCo resolves them
(``mj_contactForce``), not the normal force alone: Isaac Lab's Newton sensor reports that total too
(``net_forces_w``; its PhysX sensor reports the normal force only).
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.mujoco.envs.scene import CONTACT_SENSOR_PREFIX
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

FEET = ("FL_foot", "FR_foot", "RL_foot", "RR_foot")
NUM_ENVS = 4
STEPS = 100  # 2 s at the env step of 0.02 s


@pytest.fixture(scope="module")
def standing_env():
    """Four Go2s standing with zero actions (default pose) for 2 s, no randomization; the per-step foot forces of
    the last second ``[T, N, 4, 3]`` as the sensor reports them."""
    cfg = UnitreeGo2FlatEnvCfg()
    for key in ("add_base_mass", "base_com", "push_robot"):
        cfg.events[key] = None
    cfg.events["reset_base"].params = {"pose_range": {}, "velocity_range": {}}
    cfg.events["reset_robot_joints"].params["position_range"] = (1.0, 1.0)
    env = VelocityEnv(num_envs=NUM_ENVS, cfg=cfg, seed=0)
    feet = [env.contact_sensor.body_names.index(name) for name in FEET]
    forces = []
    for step in range(STEPS):
        _, _, terminated, truncated, _ = env.step(np.zeros((NUM_ENVS, 12), dtype=np.float32))
        assert not (terminated | truncated).any()
        if step >= STEPS // 2:
            forces.append(env.contact_sensor.net_forces_w[:, feet].copy())
    yield env, np.stack(forces)
    env.close()


def test_standing_feet_forces_sum_to_the_weight(standing_env):
    env, forces = standing_env
    weight = np.array([env.sim.env_model(i).body_mass.sum() * 9.81 for i in range(NUM_ENVS)])
    total = forces.sum(axis=2).mean(axis=0)  # [N, 3], time-averaged over the last second
    np.testing.assert_allclose(total[:, 2], weight, rtol=0.05)  # measured: 0.996 m g
    assert np.all(np.abs(total[:, :2]) < 0.05 * weight[:, None])  # no net horizontal force at rest
    assert np.all(forces[..., 2] > 0.0)  # each foot pushed up (the sensor's sign is the force on the body)


def test_sensor_force_is_normal_plus_friction(standing_env):
    env, _ = standing_env
    model0 = env.sim.env_model(0)
    foot_ids = [model0.body(name).id for name in FEET]
    sensor_adr = [model0.sensor(CONTACT_SENSOR_PREFIX + name).adr[0] for name in FEET]
    wrench = np.zeros(6)
    friction_seen = 0.0
    for i in range(NUM_ENVS):
        model, data = env.sim.env_model(i), env.sim.env_data(i)
        mujoco.mj_forward(model, data)  # contacts, constraint forces and sensors at one state
        normal, friction = np.zeros((4, 3)), np.zeros((4, 3))
        for c in range(data.ncon):
            contact = data.contact[c]
            body = model.geom_bodyid[contact.geom2]
            if body not in foot_ids:
                continue
            mujoco.mj_contactForce(model, data, c, wrench)
            frame = contact.frame.reshape(3, 3)  # normal (ground -> robot geom), then the two tangents
            normal[foot_ids.index(body)] += wrench[0] * frame[0]
            friction[foot_ids.index(body)] += wrench[1] * frame[1] + wrench[2] * frame[2]
        # the env negates MuJoCo's sensor value (the force the body exerts) to get the force on the body
        sensor = np.stack([-data.sensordata[adr : adr + 3] for adr in sensor_adr])
        np.testing.assert_allclose(sensor, normal + friction, atol=1e-6 * model.body_mass.sum() * 9.81)
        friction_seen = max(friction_seen, float(np.abs(friction).max()))
    # the robot stands with its legs splayed: the friction part is large enough that a normal-only sensor would fail
    assert friction_seen > 0.5  # [N]; measured about 1.6 N per component
