"""rsl-sim command line: parsing, overrides reaching agent and env configs, one-line errors, list, distill configs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rsl_sim.cli import main, run_command
from rsl_sim.cli.envs import EnvRequest, open_env
from rsl_sim.cli.errors import CliError, MissingDependencyError, require_module
from rsl_sim.cli.overrides import apply_overrides, parse_overrides, parse_value
from rsl_sim.cli.tasks import get_spec, isaaclab_available


def _cli_error(argv: list[str]) -> str:
    with pytest.raises(CliError) as info:
        run_command(argv)
    return str(info.value)


# ----------------------------------------------------------------------------------------------------- parsing


def test_unknown_command_is_one_line_with_exit_code_2(capsys):
    assert main(["trian", "--task", "Pendulum-v1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("rsl-sim: error: unknown command 'trian'") and "Did you mean 'train'?" in err[0]


def test_usage_errors_are_one_line(capsys):
    assert main(["train", "--task", "Pendulum-v1", "--num_envs"]) == 2
    assert main(["train", "--task", "Pendulum-v1", "--no_such_flag"]) == 2
    assert main(["train"]) == 2  # --task is required
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("rsl-sim train: error: ") for line in lines)
    assert "--num_envs" in lines[0] and "--no_such_flag" in lines[1] and "--task" in lines[2]


def test_unknown_task_suggests_close_ids(capsys):
    assert main(["train", "--task", "Pendulm-v1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown task 'Pendulm-v1'" in err and "Pendulum-v1" in err and "rsl-sim list" in err


def test_parse_value_reads_yaml_and_python_style_numbers():
    assert parse_value("3e-4") == pytest.approx(3e-4) and isinstance(parse_value("3e-4"), float)
    assert parse_value("1E5") == 100000.0
    assert parse_value("12") == 12 and isinstance(parse_value("12"), int)
    assert parse_value("[-1, 1.5]") == [-1, 1.5]
    assert parse_value("None") is None and parse_value("null") is None
    assert parse_value("true") is True and parse_value("elu") == "elu"
    assert parse_value("{a: 1e-3}") == {"a": 1e-3}
    with pytest.raises(CliError, match="cannot read the value"):
        parse_value("[1, 2")


def test_override_values_fit_the_replaced_value():
    cfg = {"n": 4, "lr": 1e-3, "flag": True, "name": "x", "dims": [64, 64], "range": (0.0, 1.0), "sub": {"a": 1}}
    overrides = parse_overrides(
        ["agent.n=1e3", "agent.lr=1", "agent.flag=false", "agent.name=2024", "agent.dims=[8]", "agent.range=[-1,1]"],
        ("agent",),
    )
    new = apply_overrides(cfg, overrides)
    assert new["n"] == 1000 and isinstance(new["n"], int)
    assert new["lr"] == 1.0 and isinstance(new["lr"], float)
    assert new["flag"] is False and new["name"] == "2024" and new["dims"] == [8]
    assert new["range"] == (-1.0, 1.0) and isinstance(new["range"], tuple)
    assert cfg["n"] == 4  # the input is not modified

    def fails(token: str) -> str:
        with pytest.raises(CliError) as info:
            apply_overrides(cfg, parse_overrides([token], ("agent",)))
        return str(info.value)

    assert "is an int" in fails("agent.n=1.5")
    assert "is a bool" in fails("agent.flag=3")
    assert "2-tuple" in fails("agent.range=[1,2,3]")
    assert "is a list" in fails("agent.dims=3")
    assert "unknown key 'b' in agent.sub" in fails("agent.sub.b=1") and "+agent.sub.b" in fails("agent.sub.b=1")
    assert apply_overrides(cfg, parse_overrides(["+agent.sub.b=2"], ("agent",)))["sub"] == {"a": 1, "b": 2}
    with pytest.raises(CliError, match="keys start with one of"):
        parse_overrides(["agnt.lr=1"], ("agent", "env"))
    with pytest.raises(CliError, match="written key=value"):
        parse_overrides(["agent.lr"], ("agent",))


def test_unknown_agent_key_is_rejected_with_the_valid_keys():
    message = _cli_error(["train", "--task", "Pendulum-v1", "--dry_run", "agent.algorithm.learning_rat=1e-4"])
    assert "unknown key 'learning_rat' in agent.algorithm" in message
    assert "'gamma'" in message and "Did you mean 'learning_rate'?" in message


def test_unknown_env_key_is_rejected_with_the_valid_keys():
    message = _cli_error(["train", "--task", "RslSim/Go2-Flat-v0", "--dry_run", "env.scene.num_env=3"])
    assert "unknown key 'num_env' in env.scene" in message and "'num_envs'" in message and "'terrain'" in message
    message = _cli_error(["train", "--task", "RslSim/Go2-Flat-v0", "--dry_run", "env.scene=3"])
    assert "config group (SceneCfg)" in message
    message = _cli_error(["train", "--task", "RslSim/Go2-Flat-v0", "--dry_run", "env.decimation=null"])
    assert "cannot be null" in message


def test_user_errors_write_no_run_folder(tmp_path, capsys):
    base = ["train", "--task", "RslSim/Go2-Flat-v0", "--max_iterations", "1", "--log_root", str(tmp_path)]
    assert main([*base, "env.scene.num_env=3"]) == 2
    assert main([*base, "--logger", "neptune"]) == 2
    assert main([*base, "--max_iterations", "0"]) == 2
    assert list(tmp_path.iterdir()) == []
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and "neptune" in lines[1] and "max_iterations must be an integer >= 1" in lines[2]


def test_env_overrides_are_refused_for_plain_gymnasium_ids():
    message = _cli_error(["train", "--task", "Pendulum-v1", "--dry_run", "env.g=9.0"])
    assert "has no env config object" in message and "agent.*" in message


def test_overrides_and_flags_reach_agent_and_env_configs(capsys):
    result = run_command(
        ["train", "--task", "RslSim/Go2-Flat-v0", "--dry_run", "--seed", "7", "--max_iterations", "11"]
        + ["agent.algorithm.learning_rate=3e-4", "agent.actor.hidden_dims=[64,32]", "env.scene.num_envs=256"]
        + ["env.commands.base_velocity.ranges.lin_vel_x=[-0.5,0.5]", "env.rewards.feet_air_time.weight=0.5"]
        + [
            "+agent.algorithm.normalize_advantage_per_mini_batch=true",
            "--agent",
            "rsl_sim_with_symmetry_cfg_entry_point",
        ]
    )
    agent, env = result["agent_cfg"], result["env_cfg"]
    assert agent["algorithm"]["learning_rate"] == 3e-4 and agent["actor"]["hidden_dims"] == [64, 32]
    assert agent["algorithm"]["normalize_advantage_per_mini_batch"] is True
    assert (agent["seed"], agent["max_iterations"]) == (7, 11)
    assert agent["algorithm"]["symmetry_cfg"]["use_data_augmentation"] is True  # --agent picked the symmetry config
    assert env.scene.num_envs == 256
    assert env.commands["base_velocity"].ranges.lin_vel_x == (-0.5, 0.5)
    assert env.rewards["feet_air_time"].weight == 0.5
    assert "learning_rate: 0.0003" in capsys.readouterr().out  # --dry_run prints the configs


def test_env_cfg_override_reaches_the_built_env():
    overrides = parse_overrides(
        ["env.commands.base_velocity.ranges.lin_vel_x=[0.25,0.75]", "env.episode_length_s=2.0"], ("env",)
    )
    with open_env(EnvRequest(task="RslSim/Go2-Flat-v0", num_envs=16, env_overrides=overrides)) as env:
        velocity_env = env.env
        assert velocity_env.num_envs == 16
        assert velocity_env.cfg.commands["base_velocity"].ranges.lin_vel_x == (0.25, 0.75)
        assert velocity_env.max_episode_length == 100  # 2 s at 0.02 s per step
        # Sampled forward commands lie in the new range (0 for the few standing robots); with the default range
        # (-1, 1) all 16 would land there with probability 0.25^16
        v_x = velocity_env.command_manager["base_velocity"].command[:, 0]
        assert (((v_x >= 0.25) & (v_x <= 0.75)) | (v_x == 0.0)).all() and (v_x > 0.0).sum() >= 12


# ----------------------------------------------------------------------------------------------------- list, errors


def test_list_shows_the_go2_tasks_and_their_agent_configs(capsys):
    rows = run_command(["list", "Go2"])
    by_task = {row["task"]: row for row in rows}
    assert {"RslSim/Go2-Flat-v0", "RslSim/Go2-Rough-v0", "RslSim/Go2-Rough-Depth-v0"} <= set(by_task)
    assert "rsl_sim_with_symmetry_cfg_entry_point" in by_task["RslSim/Go2-Flat-v0"]["agents"]
    assert "rsl_sim_distillation_recurrent_cfg_entry_point" in by_task["RslSim/Go2-Rough-Depth-v0"]["agents"]
    assert "RslSim/Go2-Rough-Depth-v0" in capsys.readouterr().out
    all_rows = run_command(["list", "--all", "Pendulum"])
    assert any(row["task"] == "Pendulum-v1" and row["agents"] == ["(built-in PPO)"] for row in all_rows)


def test_missing_run_and_missing_dependency_are_clear(tmp_path, capsys):
    assert main(["export", "--task", "Pendulum-v1", "--log_root", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no runs in" in err[0] and "Train first" in err[0]
    assert main(["play", str(tmp_path / "nope")]) == 2
    assert "neither a run folder nor a checkpoint file" in capsys.readouterr().err
    with pytest.raises(MissingDependencyError, match="pip install"):
        require_module("rsl_sim_no_such_package", "testing")
    if not isaaclab_available():
        with pytest.raises(MissingDependencyError, match="install_isaaclab.sh"):
            get_spec("Isaac-Velocity-Flat-UnitreeGo2")


def test_python_m_entry_point():
    ok = subprocess.run([sys.executable, "-m", "rsl_sim.cli", "list"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "RslSim/Go2-Flat-v0" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "rsl_sim.cli", "train", "--task", "Pendulum-v1", "agent.nope=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()] and "unknown key 'nope' in agent" in bad.stderr


# ----------------------------------------------------------------------------------------------------- distill configs


def test_distill_configs_of_the_go2_depth_task():
    result = run_command(
        ["distill", "--task", "RslSim/Go2-Rough-Depth-v0", "--teacher_task", "RslSim/Go2-Rough-v0", "--dry_run"]
        + ["--teacher_iterations", "5", "teacher.algorithm.learning_rate=5e-4", "agent.algorithm.gradient_length=10"]
    )
    teacher, student = result["teacher_cfg"], result["student_cfg"]
    assert teacher["class_name"] == "OnPolicyRunner" and teacher["max_iterations"] == 5
    assert teacher["algorithm"]["learning_rate"] == 5e-4 and teacher["run_name"] == "teacher"
    assert student["class_name"] == "DistillationRunner" and student["student"]["class_name"] == "CNNModel"
    assert student["algorithm"]["gradient_length"] == 10
    # The teacher entry is the teacher's actor, on the teacher's observation set
    assert student["teacher"] == teacher["actor"] and student["obs_groups"]["teacher"] == teacher["obs_groups"]["actor"]
    assert student["obs_groups"]["student"] == ["student", "depth"]


def test_distill_on_the_depth_task_needs_a_ppo_teacher():
    message = _cli_error(["distill", "--task", "RslSim/Go2-Rough-Depth-v0", "--dry_run"])
    assert "--teacher_task" in message and "RslSim/Go2-Rough-v0" in message
    message = _cli_error(["train", "--task", "RslSim/Go2-Rough-Depth-v0", "--max_iterations", "1"])
    assert "rsl-sim distill" in message
