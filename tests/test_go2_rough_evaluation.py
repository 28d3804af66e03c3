"""Go2 rough-terrain evaluation: robots on the requested (type, level) cells, a frozen curriculum, passed levels and
scores end to end with hand-made policies, the registered entry point with a fixed terrain, and the tables."""

from __future__ import annotations

import json

import gymnasium
import numpy as np
import pytest
import torch

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli.plot_table import to_markdown
from rsl_sim.tasks.locomotion.velocity import rough_evaluation
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg, UnitreeGo2RoughEnvCfg
from rsl_sim.tasks.locomotion.velocity.evaluation import measure_episodes
from rsl_sim.tasks.locomotion.velocity.rough_evaluation import (
    EVALUATION_TERRAIN_SEED,
    TERRAIN_TYPES,
    cell_layout,
    evaluate_rough_policy,
    evaluate_task,
    type_columns,
)
from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv
from rsl_sim.utils.callables import resolve_callable
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

LEVELS = 3
PER_CELL = 2
NUM_ENVS = len(TERRAIN_TYPES) * LEVELS * PER_CELL


def small_rough_cfg(episode_length_s: float = 3.0, calm: bool = True, seed: int | None = 5) -> UnitreeGo2RoughEnvCfg:
    """The Go2 rough task on 3 levels x 10 columns (every sub-terrain has a column); calm: no pushes or scatter."""
    cfg = UnitreeGo2RoughEnvCfg()
    cfg.scene.terrain.terrain_generator.update({"num_rows": LEVELS, "num_cols": 10, "border_width": 4.0, "seed": seed})
    cfg.episode_length_s = episode_length_s
    if calm:
        cfg.events["push_robot"] = None
        cfg.events["reset_base"].params["velocity_range"] = {}
        cfg.events["reset_robot_joints"].params["position_range"] = (1.0, 1.0)
    return cfg


def zero_policy(obs):
    return torch.zeros(obs.batch_size[0], 12)


def folding_policy(fold: np.ndarray):
    """Zero actions, except that the robots marked in ``fold`` fold their legs (the base drops to the ground)."""
    mask = torch.as_tensor(fold)

    def policy(obs):
        actions = torch.zeros(obs.batch_size[0], 12)
        actions[mask, 4:8] = 4.0  # thighs forward
        actions[mask, 8:12] = -4.0  # calves folded
        return actions

    return policy


@pytest.fixture(scope="module")
def env():
    env = VelocityEnv(num_envs=NUM_ENVS, cfg=small_rough_cfg(), seed=1)
    yield env
    env.close()


def robot_levels() -> np.ndarray:
    """Level of every robot in the evaluation's layout: blocks of PER_CELL robots, type-major then level."""
    return (np.arange(NUM_ENVS) // PER_CELL) % LEVELS


def test_robots_start_on_their_cells_and_the_curriculum_stays(env):
    generator = env.terrain_generator
    starts = []

    def recording_policy(obs):
        if not starts:
            starts.append(env.robot.root_pos_w.copy())
        return zero_policy(obs)

    evaluate_rough_policy(env, recording_policy, seeds=[0], episode_length_s=3.0, warmup_s=0.5)
    start = starts[0]
    curriculum = env.terrain_curriculum
    names = generator.sub_terrain_names
    for robot in range(NUM_ENVS):
        kind = list(TERRAIN_TYPES)[robot // (LEVELS * PER_CELL)]
        level, column = curriculum.terrain_levels[robot], curriculum.terrain_types[robot]
        assert level == robot_levels()[robot]
        assert names[generator.sub_terrain_index[level, column]] in TERRAIN_TYPES[kind]
        # the spawn point: the cell's origin plus the reset offset (x, y within +-0.5 m, no z offset)
        origin = generator.terrain_origins[level, column]
        assert np.all(np.abs(start[robot, :2] - origin[:2]) <= 0.5 + 1e-9)
        assert start[robot, 2] == pytest.approx(origin[2] + env.robot.default_root_pos[2], abs=1e-6)
    # a cell's robots spread over its type's columns (two columns of each type, two robots per cell)
    columns = type_columns(generator, TERRAIN_TYPES)
    for index, kind in enumerate(TERRAIN_TYPES):
        for level in range(LEVELS):
            robots = slice((index * LEVELS + level) * PER_CELL, (index * LEVELS + level + 1) * PER_CELL)
            assert sorted(curriculum.terrain_types[robots]) == sorted(columns[kind][:PER_CELL])

    # every robot timed out at the end of the evaluation and was reset: the frozen curriculum kept the levels (the
    # standing robots walked less than half of the commanded 1.5 m, which sends them one level down)
    assert np.array_equal(curriculum.terrain_levels, robot_levels())
    # the live curriculum is back: one more episode with the same command moves the robots above level 0 down
    command = env.command_manager["base_velocity"]
    command.set_fixed_command(np.tile([0.5, 0.0, 0.0], (NUM_ENVS, 1)))
    try:
        for _ in range(env.max_episode_length):
            env.step(np.zeros((NUM_ENVS, 12), dtype=np.float32))
    finally:
        command.set_fixed_command(None)
    assert np.array_equal(curriculum.terrain_levels, np.maximum(robot_levels() - 1, 0))


def test_passed_levels_and_scores_end_to_end(env):
    # zero command: standing robots track it; the robots above level 0 fold their legs and fall
    results = evaluate_rough_policy(
        env, folding_policy(robot_levels() >= 1), seeds=[0, 1], command=(0.0, 0.0, 0.0), episode_length_s=3.0
    )
    assert [kind["name"] for kind in results["terrain_types"]] == list(TERRAIN_TYPES)
    for kind in results["terrain_types"]:
        rates = [row["fall_rate"] for row in kind["levels"]]
        assert rates == [0.0, 1.0, 1.0]
        assert kind["levels"][0]["lin_vel_error"] < 0.1
        assert [row["passed"] for row in kind["levels"]] == [True, False, False]
        assert kind["highest_level_passed"] == 0
        assert kind["score"] == pytest.approx(1 / LEVELS)
        assert kind["fall_rate"] == pytest.approx(2 / 3)
        assert all(row["episodes"] == PER_CELL * 2 for row in kind["levels"])
    assert results["overall"]["score"] == pytest.approx(1 / LEVELS)
    assert results["num_envs"] == NUM_ENVS and results["robots_per_cell"] == PER_CELL

    # the JSON is strict and the CLI's markdown shows the per-type tables after the command table
    text = json.dumps(results, allow_nan=False)
    markdown = to_markdown(json.loads(text))
    assert "| (+0.00, +0.00, +0.00) |" in markdown
    for name in TERRAIN_TYPES:
        assert f"| {name} |" in markdown
    assert markdown.count("| --- |") == 3


def test_standing_robots_track_the_forward_command_with_its_speed_as_error(env):
    results = evaluate_rough_policy(env, zero_policy, seeds=[0], episode_length_s=2.0)
    for kind in results["terrain_types"]:
        for row in kind["levels"]:
            assert row["lin_vel_error"] == pytest.approx(0.5, abs=0.05)
            assert not row["passed"] and row["crossed_rate"] == 0.0
        assert kind["highest_level_passed"] is None and kind["score"] == 0.0


def test_measurement_ends_when_a_robot_leaves_its_region(env):
    wrapped = GymnasiumVecEnvWrapper(env)
    obs, _ = wrapped.reset(seed=0)
    pinned = np.zeros((NUM_ENVS, 3))
    outside = np.arange(NUM_ENVS) % 2 == 0
    episodes = measure_episodes(wrapped, env, zero_policy, obs, pinned, 50, 0, "cpu", leaves=lambda: outside)
    # the robots that "left" are measured for exactly the first step, the others for all 50; none fell
    assert np.array_equal(episodes["samples"], np.where(outside, 1, 50))
    assert np.array_equal(episodes["left"], outside.astype(np.int64))
    assert np.all(episodes["no_fall"] == 1)


def test_type_columns_follow_the_sub_terrain_names(env):
    generator = env.terrain_generator
    columns = type_columns(generator, TERRAIN_TYPES)
    names = generator.sub_terrain_names
    for kind, cols in columns.items():
        assert cols and all(names[generator.sub_terrain_index[0, col]] in TERRAIN_TYPES[kind] for col in cols)
    covered = sorted(col for cols in columns.values() for col in cols)
    assert covered == list(range(10))  # the five types cover every column of ROUGH_TERRAINS_CFG's six sub-terrains
    levels, cols = cell_layout({"a": [3, 7, 9]}, [0, 2], 4)
    assert levels.tolist() == [0, 0, 0, 0, 2, 2, 2, 2]
    assert cols.tolist() == [3, 7, 9, 3, 3, 7, 9, 3]
    with pytest.raises(ValueError, match="'stairs'.*the terrain has"):
        type_columns(generator, {"stairs": ("stairs_of_doom",)})


def test_invalid_arguments_are_refused(env):
    with pytest.raises(ValueError, match="multiple of the number of .terrain type, level. cells .15."):
        evaluate_rough_policy("RslSim/Go2-Rough-v0", zero_policy, num_envs=7, levels=[0, 1, 2])
    with pytest.raises(ValueError, match="distinct ascending terrain rows in \\[0, 2\\]"):
        evaluate_rough_policy(env, zero_policy, levels=[2, 1])
    with pytest.raises(ValueError, match="distinct ascending terrain rows"):
        evaluate_rough_policy(env, zero_policy, levels=[0, 3])
    with pytest.raises(ValueError, match="seeds is empty"):
        evaluate_rough_policy(env, zero_policy, seeds=[])
    flat_cfg = UnitreeGo2FlatEnvCfg()
    flat = VelocityEnv(num_envs=5, cfg=flat_cfg, seed=0)
    try:
        with pytest.raises(ValueError, match="needs a height-field terrain"):
            evaluate_rough_policy(flat, zero_policy)
    finally:
        flat.close()


def test_registered_entry_point_fixes_an_unseeded_terrain():
    entry = gymnasium.spec("RslSim/Go2-Rough-v0").kwargs["rsl_sim_evaluation_entry_point"]
    assert resolve_callable(entry) is evaluate_task
    assert gymnasium.spec("RslSim/Go2-Rough-Depth-v0").kwargs["rsl_sim_evaluation_entry_point"] == entry
    used = []

    def make_env(count):
        # the CLI's env: the run's config without a terrain seed (a fresh random terrain on every build)
        return VelocityEnv(num_envs=count, cfg=small_rough_cfg(episode_length_s=1.0, seed=None))

    def make_policy(built):
        used.append((built.terrain_generator.cfg["seed"], built.terrain_generator.height_field.copy()))
        return zero_policy

    for _ in range(2):
        results = evaluate_task(make_env, make_policy, num_envs=15, seeds=[0], episode_length_s=1.0, warmup_s=0.5)
        assert results["robots_per_cell"] == 1
    assert used[0][0] == used[1][0] == EVALUATION_TERRAIN_SEED
    assert np.array_equal(used[0][1], used[1][1])


def test_task_id_builds_the_fixed_terrain_of_the_registered_task(monkeypatch):
    built = []
    make = rough_evaluation.make_rough_evaluation_env

    def recording(*args, **kwargs):
        built.append(make(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(rough_evaluation, "make_rough_evaluation_env", recording)
    results = evaluate_rough_policy(
        "RslSim/Go2-Rough-v0", zero_policy, num_envs=50, seeds=[0], episode_length_s=0.2, warmup_s=0.1
    )
    assert built[0].terrain_generator.cfg["seed"] == EVALUATION_TERRAIN_SEED
    assert results["num_levels"] == 10 and results["robots_per_cell"] == 1
    assert [len(kind["levels"]) for kind in results["terrain_types"]] == [10] * 5
    assert results["task"] == "RslSim/Go2-Rough-v0"


def test_cli_evaluates_a_rough_run_per_terrain_type(tmp_path):
    from rsl_sim.cli import run_command

    # a one-iteration run on a 3-level terrain (an env override the evaluation applies again)
    run = run_command(
        ["train", "--task", "RslSim/Go2-Rough-v0", "--num_envs", "2", "--max_iterations", "1"]
        + ["--log_root", str(tmp_path), "agent.num_steps_per_env=4", "env.scene.terrain.terrain_generator.num_rows=3"]
    )
    results = run_command(["evaluate", run, "--num_envs", "15", "--seeds", "0", "--episode_length_s", "1.5"])
    saved = json.loads((tmp_path / run / "evaluation.json").read_text())
    assert saved["num_levels"] == 3 and saved["robots_per_cell"] == 1 and saved["overall"] == results["overall"]
    assert [kind["name"] for kind in saved["terrain_types"]] == list(TERRAIN_TYPES)
    assert len(saved["commands"]) == 1 and saved["commands"][0]["command"] == [0.5, 0.0, 0.0]
    assert "**Per level" in to_markdown(saved)
