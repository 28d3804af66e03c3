"""G1 terminations: a G1 that sits on the ground has fallen.

Isaac Lab's G1 task ends an episode when the torso touches the ground; its ``G1_MINIMAL_CFG`` model has most collision
meshes removed, so a G1 going down there lands on the torso. This model has capsules on the pelvis, hips, thighs,
knees and arms, and with the torso rule alone a policy learned to sit on the pelvis with its legs in the air (no fall,
no step). Here every body but the feet is an illegal contact.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.assets.g1 import g1_mjcf_path
from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.locomotion.velocity.config.g1.mujoco_env_cfg import G1_FALL_BODIES, G1FlatEnvCfg
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

# A sitting G1: pelvis on the ground, legs stretched forward, knees straight (close to the pose the torso-only rule
# let a trained policy keep: hip pitch -1.65, waist pitch -0.56, feet in the air)
SITTING_JOINTS = {"left_hip_pitch_joint": -2.0, "right_hip_pitch_joint": -2.0, "waist_pitch_joint": -0.5}
SITTING_BASE_HEIGHT = 0.15  # [m]: the pelvis sphere (radius 7 cm, 8 cm below the base frame) on the ground


def make_env(fall_bodies: str | tuple[str, ...]) -> VelocityEnv:
    cfg = G1FlatEnvCfg()
    cfg.events["push_robot"] = None
    cfg.terminations["base_contact"].params["sensor_cfg"].body_names = fall_bodies
    env = VelocityEnv(num_envs=2, cfg=cfg, seed=0)
    env.reset(seed=0)
    return env


def sit(env: VelocityEnv) -> np.ndarray:
    """Put both robots in the sitting pose at rest; return the actions that hold it."""
    robot = env.robot
    ids = np.arange(env.num_envs)
    joint_pos = np.tile(robot.default_joint_pos, (env.num_envs, 1))
    for name, value in SITTING_JOINTS.items():
        joint_pos[:, robot.joint_names.index(name)] = value
    pos = np.tile([0.0, 0.0, SITTING_BASE_HEIGHT], (env.num_envs, 1))
    pos[:, :2] = env.env_origins[:, :2]
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (env.num_envs, 1))
    robot.write_root_state(ids, pos, quat, np.zeros((env.num_envs, 3)), np.zeros((env.num_envs, 3)))
    robot.write_joint_state(ids, joint_pos, np.zeros_like(joint_pos))
    env.sim.forward()
    return (joint_pos - robot.default_joint_pos) / env.cfg.actions.scale


def test_fall_bodies_are_every_collision_body_but_the_feet():
    model = mujoco.MjModel.from_xml_path(str(g1_mjcf_path()))
    colliding = {
        model.body(model.geom_bodyid[g]).name
        for g in range(model.ngeom)
        if model.geom_contype[g] or model.geom_conaffinity[g]
    }
    bodies = [model.body(b).name for b in range(1, model.nbody)]
    selected = {bodies[i] for i in resolve_names(G1_FALL_BODIES, bodies, key="fall")}
    feet = {"left_ankle_roll_link", "right_ankle_roll_link"}
    assert feet <= colliding and feet.isdisjoint(selected)
    assert colliding - feet <= selected and len(colliding - feet) == 16


@pytest.mark.parametrize("rule", ["torso", "every body but the feet"])
def test_sitting_on_the_pelvis_ends_the_episode_only_with_every_body_illegal(rule):
    env = make_env("torso_link" if rule == "torso" else G1_FALL_BODIES)
    try:
        actions = sit(env)
        sensor = env.contact_sensor
        pelvis = sensor.find_bodies("pelvis")
        terminated_at = None
        for step in range(50):
            _, _, terminated, _, _ = env.step(actions)
            if terminated.any():
                terminated_at = step
                break
            # sitting (after 0.1 s settling): the pelvis carries at least 150 N of the robot's weight (about 330 N)
            if step >= 5:
                assert np.all(np.linalg.norm(sensor.net_forces_w[:, pelvis], axis=-1).sum(axis=1) > 150.0)
        if rule == "torso":
            assert terminated_at is None  # Isaac Lab's rule on this model: sitting for 1 s is no fall
        else:
            assert terminated_at == 0 and terminated.all()
    finally:
        env.close()


def test_a_standing_g1_is_not_a_fall():
    env = make_env(G1_FALL_BODIES)
    try:
        for _ in range(10):  # 0.2 s at the default pose: it has not begun to topple
            _, _, terminated, _, _ = env.step(np.zeros((env.num_envs, len(env.robot.joint_names))))
            assert not terminated.any()
    finally:
        env.close()
