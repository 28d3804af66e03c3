"""Go2 policy evaluation: tracking errors and falls of hand-made policies, pinned commands, JSON, table and video."""

from __future__ import annotations

import json

import imageio.v2 as imageio
import numpy as np
import pytest
import torch

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg
from rsl_sim.tasks.locomotion.velocity.evaluation import (
    evaluate_velocity_policy,
    format_table,
    load_results,
    make_evaluation_env,
    meets_walking_criterion,
    save_results,
)
from rsl_sim.tasks.locomotion.velocity.video import record_velocity_video
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.utils.video import write_video

TASK = "RslSim/Go2-Flat-v0"


def calm_env(num_envs: int, episode_length_s: float = 3.0) -> VelocityEnv:
    """Go2 flat without pushes, start velocities or joint scatter: a robot given zero actions stands still."""
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.episode_length_s = episode_length_s
    cfg.events["push_robot"] = None
    cfg.events["reset_base"].params["velocity_range"] = {}
    cfg.events["reset_robot_joints"].params["position_range"] = (1.0, 1.0)
    return VelocityEnv(num_envs=num_envs, cfg=cfg, seed=0)


def zero_policy(obs):
    return torch.zeros(obs.batch_size[0], 12)


def command_slice(env: VelocityEnv) -> slice:
    """Columns of the velocity command in the policy group."""
    start = 0
    for name, _, _, width in env.observation_manager.group_terms("policy"):
        if name == "velocity_commands":
            return slice(start, start + width)
        start += width
    raise AssertionError("no velocity_commands term")


def folding_policy(env: VelocityEnv, min_vx: float):
    """Zero actions, except that robots commanded faster than ``min_vx`` forward fold their legs (the base drops)."""
    columns = command_slice(env)

    def policy(obs):
        actions = torch.zeros(obs.batch_size[0], 12)
        fold = obs["policy"][:, columns][:, 0] > min_vx
        actions[fold, 4:8] = 4.0  # thighs forward
        actions[fold, 8:12] = -4.0  # calves folded
        return actions

    return policy


def test_standing_robot_errors_equal_the_command_norms():
    commands = [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.0, -0.3, 0.0), (0.3, 0.4, 0.0), (0.0, 0.0, 0.8)]
    env = calm_env(num_envs=2 * len(commands))
    results = evaluate_velocity_policy(
        env, zero_policy, seeds=(0,), commands=commands, episode_length_s=2.0, warmup_s=0.5
    )
    rows = results["commands"]
    assert [row["command"] for row in rows] == [list(c) for c in commands]
    # the robots stand almost still (they settle on their soft joints): error ~ |command|
    for row, (vx, vy, wz) in zip(rows, commands):
        assert row["lin_vel_error"] == pytest.approx(np.hypot(vx, vy), abs=0.06)
        assert row["yaw_rate_error"] == pytest.approx(abs(wz), abs=0.06)
        assert row["no_fall_rate"] == 1.0 and row["episodes"] == 2
        # 100 steps, the first 25 (0.5 s) not measured, 2 robots
        assert row["samples"] == 2 * 75
    overall = results["overall"]
    assert overall["lin_vel_error"] == pytest.approx(np.mean([row["lin_vel_error"] for row in rows]))
    assert overall["yaw_rate_error"] == pytest.approx(np.mean([row["yaw_rate_error"] for row in rows]))
    assert overall["episodes"] == 10 and overall["samples"] == 10 * 75 and overall["no_fall_rate"] == 1.0
    assert not meets_walking_criterion(results)  # standing does not track the commands


def test_errors_obey_the_triangle_inequality_around_the_command_norm():
    # a blind policy moves the same robots the same way under any command; with the zero command the errors are the
    # mean speed |v| and yaw rate |w|, and per sample | |v* - v| - |v*| | <= |v|, so the means obey the same bound
    env = calm_env(num_envs=2)

    def evaluate(command):
        return evaluate_velocity_policy(env, zero_policy, seeds=(5,), commands=[command], episode_length_s=1.5)

    still = evaluate((0.0, 0.0, 0.0))["overall"]
    assert 0.0 < still["lin_vel_error"] < 0.1 and 0.0 < still["yaw_rate_error"] < 0.1
    for vx, vy, wz in [(0.5, 0.0, 0.0), (0.0, -0.3, 0.0), (0.6, 0.8, -0.4), (0.0, 0.0, 0.8)]:
        moving = evaluate((vx, vy, wz))["overall"]
        assert abs(moving["lin_vel_error"] - np.hypot(vx, vy)) <= still["lin_vel_error"] + 1e-12
        assert abs(moving["yaw_rate_error"] - abs(wz)) <= still["yaw_rate_error"] + 1e-12


def test_commands_do_not_change_the_physics_of_a_blind_policy():
    # same env and seed, different pinned commands: the same robot motion, so the errors follow exactly
    env = calm_env(num_envs=3)
    kwargs = {"seeds": (3,), "episode_length_s": 1.0, "warmup_s": 0.2}
    still = evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0, 0.0)], **kwargs)
    turning = evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0, 2.0)], **kwargs)
    assert turning["overall"]["lin_vel_error"] == still["overall"]["lin_vel_error"]
    # yaw rates stay far below 2 rad/s: |2 - w| = 2 - w, whose mean is 2 - mean(w) within mean |w|
    assert abs(turning["overall"]["yaw_rate_error"] - 2.0) <= still["overall"]["yaw_rate_error"] + 1e-12
    # the pin is released afterwards: resampling gives random commands again
    assert env.command_manager["base_velocity"].fixed_command is None


def test_falls_are_counted_per_command():
    commands = [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0)]
    env = calm_env(num_envs=4)
    results = evaluate_velocity_policy(
        env, folding_policy(env, min_vx=0.25), seeds=(0, 1), commands=commands, episode_length_s=2.0, warmup_s=0.5
    )
    standing, folding = results["commands"]
    assert standing["no_fall_rate"] == 1.0 and standing["episodes"] == 4
    assert folding["no_fall_rate"] == 0.0 and folding["episodes"] == 4
    # the folding robots hit the ground before the warm-up ended: nothing measured
    assert folding["samples"] == 0 and folding["lin_vel_error"] is None and folding["yaw_rate_error"] is None
    assert results["overall"]["no_fall_rate"] == 0.5
    assert results["overall"]["lin_vel_error"] == standing["lin_vel_error"]
    assert not meets_walking_criterion(results)
    table = format_table(results)
    assert "0.0 %" in table and "100.0 %" in table and "50.0 %" in table
    assert "(+0.50, +0.00, +0.00) |                     -" in table


def test_actions_are_clipped_as_in_training():
    # a policy beyond the clip gives exactly the results of a policy that outputs the clipped actions
    env = calm_env(num_envs=2)
    kwargs = {"seeds": (0,), "commands": [(0.3, 0.0, 0.0)], "episode_length_s": 0.6, "warmup_s": 0.1}

    def constant(value):
        return lambda obs: torch.full((obs.batch_size[0], 12), value)

    clipped = evaluate_velocity_policy(env, constant(1.0e6), clip_actions=0.5, **kwargs)
    direct = evaluate_velocity_policy(env, constant(0.5), **kwargs)
    unclipped = evaluate_velocity_policy(env, constant(1.0e6), **kwargs)
    assert clipped == direct
    assert unclipped["overall"] != direct["overall"]


def test_results_round_trip_through_json(tmp_path):
    env = calm_env(num_envs=2)
    results = evaluate_velocity_policy(
        env, zero_policy, seeds=(0,), commands=[(0.2, 0.0, 0.0)], episode_length_s=0.5, warmup_s=0.1
    )
    path = tmp_path / "evaluation.json"
    save_results(results, str(path))
    assert load_results(str(path)) == results
    assert json.loads(path.read_text())["overall"]["episodes"] == 2


def test_walking_criterion_bounds():
    def results(error, no_fall):
        return {"overall": {"lin_vel_error": error, "no_fall_rate": no_fall}}

    assert meets_walking_criterion(results(0.25, 0.95))
    assert not meets_walking_criterion(results(0.2501, 1.0))
    assert not meets_walking_criterion(results(0.1, 0.9499))
    assert not meets_walking_criterion(results(None, 1.0))
    assert meets_walking_criterion(results(0.4, 0.5), max_lin_vel_error=0.5, min_no_fall_rate=0.5)


def test_task_id_builds_its_own_env_with_the_episode_length():
    env = make_evaluation_env(TASK, num_envs=2, episode_length_s=0.4)
    assert env.max_episode_length == 20 and env.spec.id == TASK and env.cfg.events["push_robot"] is not None
    env.close()
    results = evaluate_velocity_policy(
        TASK, zero_policy, num_envs=2, seeds=(0,), commands=[(0.0, 0.0, 0.0)], episode_length_s=0.4, warmup_s=0.1
    )
    assert results["task"] == TASK and results["num_envs"] == 2 and results["overall"]["episodes"] == 2


def test_time_limit_ends_the_measurement_without_a_fall():
    env = calm_env(num_envs=2, episode_length_s=0.4)
    results = evaluate_velocity_policy(
        env, zero_policy, seeds=(0,), commands=[(0.0, 0.0, 0.0)], episode_length_s=0.4, warmup_s=0.1
    )
    # step 20 reaches the time limit (a truncation: no fall) and resets the robots, so it is not measured: steps 6..19
    assert results["overall"]["samples"] == 2 * 14 and results["overall"]["no_fall_rate"] == 1.0


def test_invalid_arguments_are_refused():
    env = calm_env(num_envs=4, episode_length_s=1.0)
    with pytest.raises(ValueError, match="multiple of the number of commands"):
        evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0, 0.0)] * 3)
    with pytest.raises(ValueError, match="differs from the given env"):
        evaluate_velocity_policy(env, zero_policy, num_envs=8, commands=[(0.0, 0.0, 0.0)])
    with pytest.raises(ValueError, match="at most the env's time limit"):
        evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0, 0.0)], episode_length_s=2.0)
    with pytest.raises(ValueError, match="warmup_s"):
        evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0, 0.0)], episode_length_s=1.0, warmup_s=1.0)
    with pytest.raises(ValueError, match="triples"):
        evaluate_velocity_policy(env, zero_policy, commands=[(0.0, 0.0)])
    with pytest.raises(ValueError, match="seeds"):
        evaluate_velocity_policy(env, zero_policy, seeds=(), commands=[(0.0, 0.0, 0.0)])
    with pytest.raises(TypeError, match="VelocityEnv"):
        evaluate_velocity_policy(object(), zero_policy)
    with pytest.raises(ValueError, match="shape"):
        env.command_manager["base_velocity"].set_fixed_command(np.zeros((3, 3)))


def test_pinned_commands_survive_resampling_heading_control_and_resets():
    env = calm_env(num_envs=2, episode_length_s=0.2)
    pinned = np.array([[0.7, -0.2, 0.3], [0.0, 0.0, -1.0]])
    term = env.command_manager["base_velocity"]
    term.set_fixed_command(pinned)
    term.time_left[:] = 0.01  # resample on the next step
    env.reset(seed=1)
    for _ in range(12):  # past the time limit (10 steps): every env is reset once
        obs, *_ = env.step(np.zeros((2, 12)))
        np.testing.assert_array_equal(term.command, pinned)
        np.testing.assert_allclose(obs["policy"][:, command_slice(env)], pinned.astype(np.float32))
    term.set_fixed_command(None)
    env.reset(seed=1)
    assert not np.array_equal(term.command, pinned)


def test_video_has_one_frame_per_step_and_reads_back(tmp_path):
    path = tmp_path / "videos" / "walk.mp4"
    frames = record_velocity_video(TASK, zero_policy, str(path), num_steps=12, command=(0.5, 0.0, 0.0))
    assert frames == 13
    reader = imageio.get_reader(str(path))
    images = [frame for frame in reader]
    meta = reader.get_meta_data()
    reader.close()
    cfg = UnitreeGo2FlatEnvCfg()
    assert len(images) == 13
    assert images[0].shape == (cfg.viewer.height, cfg.viewer.width, 3) and images[0].dtype == np.uint8
    assert meta["fps"] == pytest.approx(50.0)
    assert images[0].std() > 5.0  # a rendered scene, not a blank frame


def test_video_writer_refuses_bad_frames(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        write_video([np.zeros((8, 8, 3), dtype=np.float32)], str(tmp_path / "a.mp4"), fps=10)
    with pytest.raises(ValueError, match="first frame"):
        write_video([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 10, 3), np.uint8)], str(tmp_path / "b.mp4"), fps=10)
    with pytest.raises(ValueError, match="No frame"):
        write_video([], str(tmp_path / "c.mp4"), fps=10)
    with pytest.raises(ValueError, match="fps"):
        write_video([np.zeros((8, 8, 3), np.uint8)], str(tmp_path / "d.mp4"), fps=0)
    # a valid tiny video reads back frame for frame (lossy codec: close, not equal)
    frames = [np.full((16, 24, 3), 40 * k, dtype=np.uint8) for k in range(5)]
    assert write_video(frames, str(tmp_path / "e.mp4"), fps=5) == 5
    read = imageio.mimread(str(tmp_path / "e.mp4"))
    assert len(read) == 5 and read[0].shape == (16, 24, 3)
    assert [int(round(frame.mean())) for frame in read] == pytest.approx([0, 40, 80, 120, 160], abs=3)
