"""rsl_sim's Isaac Lab Go2 flat task (RslSim-Isaac-Velocity-Flat-Go2-v0) on real Isaac Lab 3.0, device cpu.

Layout and joint order against the CPU MuJoCo task, the privileged critic terms against physics, and PPO training with
the registered agent config: train, checkpoint, export, replay.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from rsl_sim.tasks.assets.go2 import GO2_JOINT_NAMES
from rsl_sim.tasks.locomotion.velocity.layout import describe_layout
from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

TASK, CPU_TASK = "RslSim-Isaac-Velocity-Flat-Go2-v0", "RslSim/Go2-Flat-v0"
NUM_ENVS = 4
ACTION_SCALE = 0.25  # Isaac Lab's Go2 joint-position action scale
GRAVITY = 9.81
CRITIC = {"joint_pos": slice(12, 24), "feet_contact_forces": slice(48, 60), "friction": 60, "added_mass": 61}
"""Columns of the critic group ``[N, 62]`` (checked against the layout in test_layout_matches_the_cpu_task)."""


@pytest.fixture(scope="module")
def wrapper(make_go2_task_env):
    """The flat task, 4 envs, behind rsl_sim's Isaac Lab wrapper (one env per module)."""
    with make_go2_task_env(TASK, NUM_ENVS) as env:
        yield IsaacLabVecEnvWrapper(env)


def test_importing_the_tasks_imports_no_isaaclab():
    code = (
        "import sys, gymnasium, rsl_sim.tasks; "
        "spec = gymnasium.spec('RslSim-Isaac-Velocity-Flat-Go2-v0'); "
        "print(spec.entry_point, sorted(spec.kwargs)); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('isaaclab', 'isaaclab_tasks', 'warp', 'newton')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == (
        "isaaclab.envs:ManagerBasedRLEnv ['env_cfg_entry_point', 'rsl_sim_agent_cfg_entry_point',"
        " 'rsl_sim_evaluation_entry_point', 'rsl_sim_mirror_entry_point', 'rsl_sim_pretrained_checkpoint',"
        " 'rsl_sim_with_symmetry_cfg_entry_point']"
    )
    assert out[1] == "[]"


def test_registered_agent_cfgs_are_valid_train_configs():
    import gymnasium
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners.runner_config import resolve_runner_config
    from rsl_sim.tasks.locomotion.velocity.config.go2 import agents as cpu_agents

    expected = {
        "RslSim-Isaac-Velocity-Flat-Go2-v0": {
            "rsl_sim_agent_cfg_entry_point": ("PPO", 300),
            "rsl_sim_with_symmetry_cfg_entry_point": ("PPO", 300),
        },
        "RslSim-Isaac-Velocity-Rough-Go2-v0": {
            "rsl_sim_agent_cfg_entry_point": ("PPO", 1500),
            "rsl_sim_with_symmetry_cfg_entry_point": ("PPO", 1500),
        },
        "RslSim-Isaac-Velocity-Rough-Depth-Go2-v0": {
            "rsl_sim_agent_cfg_entry_point": ("Distillation", 300),
            "rsl_sim_distillation_cfg_entry_point": ("Distillation", 300),
            "rsl_sim_distillation_recurrent_cfg_entry_point": ("Distillation", 300),
        },
    }
    for task, agents in expected.items():
        kwargs = gymnasium.spec(task).kwargs
        keys = sorted(key for key in kwargs if key.startswith("rsl_sim_") and key.endswith("_cfg_entry_point"))
        assert keys == sorted(agents), task
        for key, (algorithm, iterations) in agents.items():
            cfg = load_cfg_from_registry(task, key)
            resolved = resolve_runner_config(cfg)
            assert (resolved["algorithm"]["class_name"], resolved["max_iterations"]) == (algorithm, iterations)
    # Rough and depth use the CPU tasks' configs as they are; flat differs only in its iteration count
    rough = load_cfg_from_registry("RslSim-Isaac-Velocity-Rough-Go2-v0", "rsl_sim_agent_cfg_entry_point")
    assert rough == cpu_agents.unitree_go2_rough_ppo_cfg()
    flat = load_cfg_from_registry(TASK, "rsl_sim_with_symmetry_cfg_entry_point")
    assert flat == {**cpu_agents.unitree_go2_flat_ppo_with_symmetry_cfg(), "max_iterations": 300}


def test_layout_matches_the_cpu_task(wrapper, cpu_go2_layouts, assert_layouts_equal):
    layout = describe_layout(wrapper)
    assert_layouts_equal(layout, cpu_go2_layouts[CPU_TASK])
    # The critic columns used below
    widths = [(term["name"], term["width"]) for term in layout["groups"]["critic"]["terms"]]
    assert widths[4] == ("joint_pos", 12)
    assert widths[-3:] == [("feet_contact_forces", 12), ("friction_coefficient", 1), ("added_mass", 1)]
    # The observations the wrapper delivers have the described shapes
    obs = wrapper.get_observations()
    assert {group: list(obs[group].shape[1:]) for group in obs.keys()} == {
        group: spec["shape"] for group, spec in layout["groups"].items()
    }


def test_actions_and_joint_terms_follow_the_cpu_joint_order(wrapper):
    import isaaclab.utils.math as math_utils

    base = wrapper.unwrapped
    robot = base.scene["robot"]
    assert robot.joint_names == list(GO2_JOINT_NAMES)
    backend_order = list(robot.backend_joint_names)
    assert backend_order != list(GO2_JOINT_NAMES)  # Newton's own order is depth-first: the remap is needed

    # Hold the base 1.5 m above the ground so that the legs move freely
    pose = torch.zeros(NUM_ENVS, 7)
    pose[:, :3] = base.scene.env_origins + torch.tensor([0.0, 0.0, 1.5])
    pose[:, 6] = 1.0  # identity quaternion (x, y, z, w)

    def step(actions):
        robot.write_root_pose_to_sim_index(root_pose=pose)
        robot.write_root_velocity_to_sim_index(root_velocity=torch.zeros(NUM_ENVS, 6))
        return wrapper.step(actions)[0]["critic"][:, CRITIC["joint_pos"]]

    def joint_frames():
        """Per joint (CPU order), the rotation of its child body relative to its parent body, from body names."""
        quat, names = robot.data.body_quat_w.torch, robot.body_names
        frames = []
        for joint in GO2_JOINT_NAMES:
            leg, kind, _ = joint.split("_")
            parent = {"hip": "base", "thigh": f"{leg}_hip", "calf": f"{leg}_thigh"}[kind]
            parent_quat, child_quat = quat[:, names.index(parent)], quat[:, names.index(f"{leg}_{kind}")]
            frames.append(math_utils.quat_mul(math_utils.quat_inv(parent_quat), child_quat))
        return torch.stack(frames, dim=1)

    try:
        for _ in range(15):
            joint_pos_before = step(torch.zeros(NUM_ENVS, 12))
        frames_before = joint_frames()
        # One distinct target offset per joint (0.125 rad apart), in the CPU order
        actions = torch.tensor([2.75, -2.25, 1.25, -0.75, 2.25, -1.75, 0.75, -0.25, -2.75, 1.75, -1.25, 0.25])
        actions = actions.expand(NUM_ENVS, 12)
        moved = torch.stack([step(actions) for _ in range(25)][15:]) - joint_pos_before
        # The joints reach their targets (PD with gravity sag): action k drives joint GO2_JOINT_NAMES[k]
        error = (moved.mean(dim=0) - ACTION_SCALE * actions).abs()
        assert error.max() < 0.1, error
        # (Had the env read the actions in Newton's order, joint k would have moved by the action at its Newton index)
        newton_index = [backend_order.index(name) for name in GO2_JOINT_NAMES]
        assert (moved.mean(dim=0) - ACTION_SCALE * actions[:, newton_index]).abs().max() > 0.5
        # joint_pos entry k is the angle between the bodies that joint GO2_JOINT_NAMES[k] connects
        rotation = math_utils.quat_error_magnitude(frames_before.reshape(-1, 4), joint_frames().reshape(-1, 4))
        torch.testing.assert_close(rotation.reshape(NUM_ENVS, 12), moved[-1].abs(), atol=0.01, rtol=0.0)
    finally:
        wrapper.reset()


def test_privileged_critic_terms(wrapper):
    from isaaclab.envs.mdp.events import randomize_rigid_body_material
    from isaaclab.managers import EventTermCfg, SceneEntityCfg

    base = wrapper.unwrapped
    robot = base.scene["robot"]
    wrapper.reset()
    zeros = torch.zeros(NUM_ENVS, 12)

    # Feet contact forces [N] * 0.01, world frame: standing still, on average they carry the robot's weight
    forces = []
    for step in range(50):
        critic = wrapper.step(zeros)[0]["critic"]
        if step >= 25:
            forces.append(critic[:, CRITIC["feet_contact_forces"]].reshape(NUM_ENVS, 4, 3).sum(dim=1) / 0.01)
    weight = robot.data.body_mass.torch.sum(dim=1) * GRAVITY
    total = torch.stack(forces).mean(dim=0)
    torch.testing.assert_close(total[:, 2], weight, rtol=0.05, atol=0.0)
    assert torch.all(total[:, :2].abs() < 0.1 * weight[:, None])

    # Added base mass: the base mass minus the mass before Isaac Lab's startup mass randomization
    mass_event = base.event_manager.get_term_cfg("add_base_mass").func
    nominal = mass_event.default_mass[:, robot.body_names.index("base")]
    current = robot.data.body_mass.torch[:, robot.body_names.index("base")]
    torch.testing.assert_close(critic[:, CRITIC["added_mass"]], current - nominal)
    assert torch.all((current / nominal > 1 / 1.25 - 1e-4) & (current / nominal < 1.25 + 1e-4))
    assert critic[:, CRITIC["added_mass"]].abs().max() > 0.01  # the startup event did change the masses

    # Friction: what the ground contacts use on Newton's MuJoCo solver, the larger of the robot shape's coefficient
    # (0.8, written by Isaac Lab's material event) and the ground's (1.0, the terrain material); a new draw above the
    # ground's value for env 1 changes only env 1
    torch.testing.assert_close(critic[:, CRITIC["friction"]], torch.full((NUM_ENVS,), 1.0))
    params = {
        "asset_cfg": SceneEntityCfg("robot", body_names=".*"),
        "static_friction_range": (1.3, 1.3),
        "dynamic_friction_range": (1.3, 1.3),
        "restitution_range": (0.0, 0.0),
        "num_buckets": 1,
    }
    params["asset_cfg"].resolve(base.scene)
    event = randomize_rigid_body_material(EventTermCfg(func=randomize_rigid_body_material, params=params), base)
    try:
        event(base, torch.tensor([1]), **params)
        critic = wrapper.step(zeros)[0]["critic"]
        torch.testing.assert_close(critic[:, CRITIC["friction"]], torch.tensor([1.0, 1.3, 1.0, 1.0]))
    finally:
        params["static_friction_range"] = params["dynamic_friction_range"] = (0.8, 0.8)
        event = randomize_rigid_body_material(EventTermCfg(func=randomize_rigid_body_material, params=params), base)
        event(base, torch.tensor([1]), **params)


def test_ppo_train_export_replay(wrapper, tmp_path):
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners import OnPolicyRunner

    # The registered agent config (a plain dict), loaded the Isaac Lab way
    train_cfg = load_cfg_from_registry(TASK, "rsl_sim_agent_cfg_entry_point")
    assert train_cfg["obs_groups"] == {"actor": ["policy"], "critic": ["critic"]}
    assert train_cfg["max_iterations"] == 300 and train_cfg["actor"]["hidden_dims"] == [128, 128, 128]
    wrapper.reset()
    runner = OnPolicyRunner(wrapper, train_cfg, log_dir=str(tmp_path), device="cpu")
    actor_before = {name: value.clone() for name, value in runner.alg.get_policy().state_dict().items()}
    runner.learn(num_learning_iterations=2, init_at_random_ep_len=True)

    # The actor learned; checkpoints in RSL-RL 5.x layout
    actor_after = runner.alg.get_policy().state_dict()
    assert any(not torch.equal(actor_before[name], actor_after[name]) for name in actor_before)
    checkpoint = torch.load(tmp_path / "model_1.pt", weights_only=True)
    assert {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"} <= set(checkpoint)

    # Export, then replay: TorchScript, ONNX and a reloaded runner act like the trained policy on the policy group
    import onnxruntime

    runner.export_policy_to_jit(str(tmp_path), "policy.pt")
    runner.export_policy_to_onnx(str(tmp_path), "policy.onnx")
    jit_policy = torch.jit.load(str(tmp_path / "policy.pt"))
    session = onnxruntime.InferenceSession(str(tmp_path / "policy.onnx"))
    replay = OnPolicyRunner(wrapper, load_cfg_from_registry(TASK, "rsl_sim_agent_cfg_entry_point"), device="cpu")
    replay.load(str(tmp_path / "model_1.pt"))
    policy, replay_policy = runner.get_inference_policy(), replay.get_inference_policy()
    obs = wrapper.get_observations()
    with torch.inference_mode():
        for _ in range(5):
            actions = policy(obs)
            torch.testing.assert_close(jit_policy(obs["policy"]), actions, rtol=1e-5, atol=1e-5)
            onnx_actions = session.run(None, {session.get_inputs()[0].name: obs["policy"].numpy()})[0]
            torch.testing.assert_close(torch.from_numpy(onnx_actions), actions, rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(replay_policy(obs), actions)
            obs, rewards, _, _ = wrapper.step(actions)
            assert obs["policy"].shape == (NUM_ENVS, 48) and torch.isfinite(rewards).all()
    assert os.path.isfile(tmp_path / "policy.onnx")
