"""Unitree G1 model: the files in the repository load in MuJoCo with their license, the public joint order is Isaac
Lab's breadth-first PhysX order, the scene builds Isaac Lab's implicit PD drives (gains, limits, armature) and those
apply ``clip(kp (q* - q) - kd qd, +-effort)``, and the default pose stands on the ground."""

from __future__ import annotations

import re

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.assets.g1 import (
    G1_FOOT_BODY_NAMES,
    G1_JOINT_NAMES,
    G1_LICENSE_PATH,
    G1_MJCF_PATH,
    g1_asset_cfg,
)
from rsl_sim.tasks.assets.robot_cfg import ImplicitActuatorCfg, resolve_joint_values
from rsl_sim.tasks.mujoco.envs.scene import actuator_parameters, build_scene
from rsl_sim.tasks.mujoco.managers.term_cfg import PhysicsCfg, TerrainCfg

# Isaac Lab's G1_MINIMAL_CFG actuator values, mapped onto the 29 joints (kp, kd, effort limit, armature)
ISAAC_LAB_DRIVES = {
    r".*_hip_(yaw|roll)_joint": (150.0, 5.0, 300.0, 0.01),
    r".*_hip_pitch_joint": (200.0, 5.0, 300.0, 0.01),
    r".*_knee_joint": (200.0, 5.0, 300.0, 0.01),
    r"waist_.*_joint": (200.0, 5.0, 300.0, 0.01),
    r".*_ankle_(pitch|roll)_joint": (20.0, 2.0, 20.0, 0.01),
    r".*_(shoulder_.*|elbow|wrist_.*)_joint": (40.0, 10.0, 300.0, 0.01),
}


def expected_drive(name: str) -> tuple[float, float, float, float]:
    matches = [value for pattern, value in ISAAC_LAB_DRIVES.items() if re.fullmatch(pattern, name)]
    assert len(matches) == 1, name
    return matches[0]


def breadth_first_hinges(model: mujoco.MjModel) -> list[str]:
    """Hinge joints breadth-first over the body tree, children in file order (PhysX's articulation order)."""
    children: dict[int, list[int]] = {b: [] for b in range(model.nbody)}
    for body in range(1, model.nbody):
        children[int(model.body_parentid[body])].append(body)
    order, level = [], [1]
    while level:
        for body in level:
            start = model.body_jntadr[body]
            for joint in range(start, start + model.body_jntnum[body]):
                if model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_HINGE:
                    order.append(model.joint(joint).name)
        level = [child for body in level for child in children[body]]
    return order


def test_model_files_load_with_their_license():
    model = mujoco.MjModel.from_xml_path(str(G1_MJCF_PATH))
    # a floating base and 29 hinges (6 per leg, 3 waist, 7 per arm), 33.3 kg
    assert model.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE and model.body(1).name == "pelvis"
    assert model.njnt == 30 and model.nv == 35 and model.nmesh == 35
    assert float(model.body_mass.sum()) == pytest.approx(33.34, abs=0.01)
    license_text = G1_LICENSE_PATH.read_text()
    assert "BSD 3-Clause" in license_text and "Unitree Robotics" in license_text
    assert "Apache License" in (G1_LICENSE_PATH.parent / "LICENSE.mjlab").read_text()


def test_joint_order_is_breadth_first_and_covers_every_hinge():
    model = mujoco.MjModel.from_xml_path(str(G1_MJCF_PATH))
    assert list(G1_JOINT_NAMES) == breadth_first_hinges(model)
    assert len(set(G1_JOINT_NAMES)) == 29
    for foot in G1_FOOT_BODY_NAMES:
        assert model.body(foot).id > 0


def test_scene_builds_isaac_labs_implicit_drives():
    cfg = g1_asset_cfg()
    assert all(isinstance(group, ImplicitActuatorCfg) for group in cfg.actuators.values())
    model, layout = build_scene(cfg, TerrainCfg(terrain_type="plane"), PhysicsCfg())
    assert model.nu == 29 and model.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    values = actuator_parameters(cfg)
    assert values["implicit"].all() and np.isnan(values["saturation_effort"]).all()
    for name in G1_JOINT_NAMES:
        kp, kd, effort, armature = expected_drive(name)
        actuator = model.actuator(name)
        # MuJoCo's position actuator: force = kp ctrl - kp q - kv qd
        assert actuator.gainprm[0] == kp and actuator.biasprm[1] == -kp and actuator.biasprm[2] == -kd
        assert actuator.forcelimited and list(actuator.forcerange) == [-effort, effort]
        assert model.joint(name).armature[0] == armature
        assert model.joint(name).damping[0] == 0.0 and model.joint(name).frictionloss[0] == 0.0
    # every collision geom has a ground pair, no self-collision (Isaac Lab disables it for the G1)
    assert model.npair == len(layout.collision_geom_names) == 33


def test_implicit_drive_applies_clipped_pd_torque():
    cfg = g1_asset_cfg()
    model, _ = build_scene(cfg, TerrainCfg(terrain_type="plane"), PhysicsCfg())
    data = mujoco.MjData(model)
    rng = np.random.default_rng(0)
    qpos_ids = np.array([model.joint(n).qposadr[0] for n in G1_JOINT_NAMES])
    dof_ids = np.array([model.joint(n).dofadr[0] for n in G1_JOINT_NAMES])
    act_ids = np.array([model.actuator(n).id for n in G1_JOINT_NAMES])
    data.qpos[2], data.qpos[3] = 1.5, 1.0
    data.qpos[qpos_ids] = rng.uniform(-0.2, 0.2, 29)
    data.qvel[dof_ids] = rng.uniform(-3.0, 3.0, 29)
    # targets near enough for most drives to stay below their limit, 1.5 rad off for the ankles (20 N m) to saturate
    offset = rng.uniform(-0.6, 0.6, 29)
    ankles = np.array(["ankle" in name for name in G1_JOINT_NAMES])
    offset[ankles] = 1.5 * np.sign(offset[ankles])
    target = data.qpos[qpos_ids] + offset
    data.ctrl[act_ids] = target
    mujoco.mj_forward(model, data)
    kp, kd, effort = (np.array([expected_drive(n)[i] for n in G1_JOINT_NAMES]) for i in range(3))
    expected = np.clip(kp * (target - data.qpos[qpos_ids]) - kd * data.qvel[dof_ids], -effort, effort)
    np.testing.assert_allclose(data.actuator_force[act_ids], expected, rtol=1e-12, atol=1e-9)
    assert (np.abs(expected[ankles]) == 20.0).all() and (np.abs(expected[~ankles]) < effort[~ankles]).all()


def test_default_pose_stands_on_the_ground():
    cfg = g1_asset_cfg()
    model, layout = build_scene(cfg, TerrainCfg(terrain_type="plane"), PhysicsCfg())
    data = mujoco.MjData(model)
    data.qpos[0:3], data.qpos[3:7] = cfg.init_pos, cfg.init_rot
    default = resolve_joint_values(cfg.init_joint_pos, G1_JOINT_NAMES, key="init_joint_pos")
    for name, value in zip(G1_JOINT_NAMES, default):
        data.qpos[model.joint(name).qposadr[0]] = value
    mujoco.mj_kinematics(model, data)
    # lowest point of the foot capsules: at most 5 mm above the ground, not inside it
    lowest = np.inf
    for name in layout.collision_geom_names:
        if "foot" not in name:
            continue
        geom = model.geom(name)
        axis = data.geom_xmat[geom.id].reshape(3, 3)[:, 2]
        for end in (-1.0, 1.0):
            lowest = min(lowest, (data.geom_xpos[geom.id] + end * geom.size[1] * axis)[2] - geom.size[0])
    assert 0.0 <= lowest <= 0.005
