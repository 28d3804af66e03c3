"""rsl_sim's Isaac Lab Go2 depth task (RslSim-Isaac-Velocity-Rough-Depth-Go2-v0) on real Isaac Lab 3.0, device cpu.

Layout against the CPU MuJoCo depth task, the ray-cast camera against the CPU camera model, and distillation of a rough
PPO teacher (trained here for one iteration and saved) into the depth student.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsl_sim.tasks.locomotion.velocity.layout import describe_layout
from rsl_sim.tasks.mujoco.depth_camera import DepthCamera
from rsl_sim.tasks.mujoco.managers.term_cfg import DepthCameraCfg
from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

TASK, CPU_TASK = "RslSim-Isaac-Velocity-Rough-Depth-Go2-v0", "RslSim/Go2-Rough-Depth-v0"
ROUGH_TASK = "RslSim-Isaac-Velocity-Rough-Go2-v0"
NUM_ENVS = 4


@pytest.fixture(scope="module")
def wrapper(make_go2_task_env):
    """The depth task (terrain shrunk to 2 x 3 tiles), 4 envs, behind rsl_sim's Isaac Lab wrapper."""
    with make_go2_task_env(TASK, NUM_ENVS) as env:
        yield IsaacLabVecEnvWrapper(env)


def test_layout_matches_the_cpu_task(wrapper, cpu_go2_layouts, assert_layouts_equal):
    layout = describe_layout(wrapper)
    assert_layouts_equal(layout, cpu_go2_layouts[CPU_TASK])
    obs = wrapper.get_observations()
    assert list(obs.keys()) == ["policy", "critic", "student", "depth"]
    assert obs["student"].shape == (NUM_ENVS, 48) and obs["depth"].shape == (NUM_ENVS, 1, 32, 32)
    assert obs["depth"].dtype == torch.float32 and torch.all((obs["depth"] >= 0.0) & (obs["depth"] <= 1.0))
    assert wrapper.unwrapped.cfg.scene.depth_camera.update_period == pytest.approx(DepthCameraCfg().update_period)


def test_depth_camera_is_the_cpu_camera_model(wrapper):
    base = wrapper.unwrapped
    camera_cfg = DepthCameraCfg()
    # Step until the camera renders (every 0.04 s = 2 steps): its image and pose then belong to this step's state
    sensor = base.scene["depth_camera"]
    for _ in range(4):
        frame = sensor.frame.clone()
        obs = wrapper.step(torch.zeros(NUM_ENVS, 12))[0]
        if torch.all(sensor.frame > frame):
            break
    assert torch.all(sensor.frame > frame)
    image = obs["depth"]

    # The CPU camera model: pose and per-pixel rays from the base pose (quaternions (w, x, y, z) there)
    robot = base.scene["robot"]
    quat_xyzw = robot.data.root_quat_w.torch.numpy().astype(np.float64)
    cpu_camera = DepthCamera(
        terrain=object(),  # only the pose and ray geometry are used
        width=camera_cfg.width,
        height=camera_cfg.height,
        horizontal_fov_deg=camera_cfg.horizontal_fov_deg,
        vertical_fov_deg=camera_cfg.vertical_fov_deg,
        offset=camera_cfg.offset,
        pitch_deg=camera_cfg.pitch_deg,
        near=camera_cfg.near,
        far=camera_cfg.far,
    )
    position, directions = cpu_camera.camera_pose(robot.data.root_pos_w.torch.numpy(), quat_xyzw[:, [3, 0, 1, 2]])
    np.testing.assert_allclose(sensor.data.pos_w.torch.numpy(), position, atol=1e-5)

    # Every ray that hit the terrain left the camera along the CPU model's ray of its pixel
    hits = sensor.ray_hits_w.torch.numpy().astype(np.float64)
    hit = np.isfinite(hits).all(axis=-1)
    assert hit.mean() > 0.5  # the camera looks down at the ground
    offsets = hits - position[:, None]
    distance = np.linalg.norm(np.where(hit[..., None], offsets, 1.0), axis=-1)
    np.testing.assert_allclose((offsets / distance[..., None])[hit], directions[hit], atol=1e-4)

    # Image values: distance to the image plane, clipped to [near, far] and scaled to [0, 1]; 1 where nothing was hit
    plane_depth = np.where(hit, distance * cpu_camera.cos_to_axis, np.inf)
    expected = (np.clip(plane_depth, camera_cfg.near, camera_cfg.far) - camera_cfg.near) / (
        camera_cfg.far - camera_cfg.near
    )
    np.testing.assert_allclose(image.reshape(NUM_ENVS, -1).numpy(), expected, atol=1e-4)  # row-major pixels
    assert expected.max() == 1.0 and (expected < 1.0).mean() > 0.5  # both clipped and in-range depths occur


def test_distill_depth_student_from_a_rough_ppo_teacher(wrapper, tmp_path):
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners import DistillationRunner, OnPolicyRunner

    # Teacher: the rough task's PPO (its groups are the depth task's policy and critic), one iteration, saved
    teacher_cfg = load_cfg_from_registry(ROUGH_TASK, "rsl_sim_agent_cfg_entry_point")
    teacher_runner = OnPolicyRunner(wrapper, teacher_cfg, log_dir=str(tmp_path / "teacher"), device="cpu")
    teacher_runner.learn(num_learning_iterations=1)
    teacher_path = tmp_path / "teacher" / "model_0.pt"
    assert teacher_path.is_file()

    # Student: the registered distillation config (CNN on the student group and the depth image), fewer steps
    student_cfg = load_cfg_from_registry(TASK, "rsl_sim_distillation_cfg_entry_point")
    assert student_cfg["obs_groups"] == {"student": ["student", "depth"], "teacher": ["policy"]}
    student_cfg["num_steps_per_env"] = 24
    runner = DistillationRunner(wrapper, student_cfg, log_dir=str(tmp_path / "student"), device="cpu")
    runner.load(str(teacher_path))

    # The loaded teacher acts as the PPO policy's mean
    obs = wrapper.get_observations()
    with torch.inference_mode():
        torch.testing.assert_close(runner.alg.teacher(obs), teacher_runner.get_inference_policy()(obs))
    student_before = {name: value.clone() for name, value in runner.alg.student.state_dict().items()}
    teacher_before = {name: value.clone() for name, value in runner.alg.teacher.state_dict().items()}
    runner.learn(num_learning_iterations=1)

    # The student learned, the teacher did not; the checkpoint holds both
    student_after, teacher_after = runner.alg.student.state_dict(), runner.alg.teacher.state_dict()
    assert any(not torch.equal(student_before[name], student_after[name]) for name in student_before)
    assert all(torch.equal(teacher_before[name], teacher_after[name]) for name in teacher_before)
    checkpoint = torch.load(tmp_path / "student" / "model_0.pt", weights_only=True)
    assert {"student_state_dict", "teacher_state_dict", "optimizer_state_dict"} <= set(checkpoint)
