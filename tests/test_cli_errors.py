"""rsl-sim with bad run files: one-line errors naming the path, nothing from a file runs, no empty run folders.

Corrupt, truncated, empty and crafted checkpoints, ``params/agent.yaml`` naming system callables, ``--num_envs`` below
1, and a train that fails before learning (which must not leave a run folder that the next ``play`` would pick).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml
from helpers import PENDULUM_CLI

from rsl_sim.cli import main, run_command


class RunsCommand:
    """Unpickling this object runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@dataclass
class Note:
    """A harmless custom object in an old, trusted checkpoint."""

    text: str


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def pendulum_run(tmp_path_factory) -> Path:
    """A 2-iteration Pendulum run (model_0.pt, model_1.pt) trained through the CLI."""
    root = tmp_path_factory.mktemp("logs")
    return Path(
        run_command(
            ["train", *PENDULUM_CLI, "--max_iterations", "2", "--log_root", str(root), "agent.num_steps_per_env=8"]
        )
    )


@pytest.fixture
def run(pendulum_run, tmp_path) -> Path:
    """A private copy of the run in ``<tmp>/logs/Pendulum-v1/<run>``."""
    return Path(shutil.copytree(pendulum_run, tmp_path / "logs" / "Pendulum-v1" / pendulum_run.name))


def _error_line(capsys) -> str:
    """The single stderr line of a failed command."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _bad_files(run: Path) -> dict[str, Path]:
    real = (run / "model_1.pt").read_bytes()
    contents = {"empty": b"", "truncated": real[: len(real) // 2], "garbage": b"not a checkpoint\n" * 8}
    paths = {}
    for name, content in contents.items():
        paths[name] = run / f"model_{name}.pt"
        paths[name].write_bytes(content)
    return paths


# ----------------------------------------------------------------------------------------------------- checkpoints


def test_corrupt_truncated_and_empty_checkpoints_are_one_line_errors_with_the_path(run, capsys):
    root = str(run.parents[1])
    for name, path in _bad_files(run).items():
        assert main(["play", str(path), "--num_steps", "1", "--no_export"]) == 2, name
        assert str(path) in _error_line(capsys)
        assert main(["export", str(path), "--no_verify", "--out", str(run / "out")]) == 2, name
        assert str(path) in _error_line(capsys)
        resume = ["train", *PENDULUM_CLI, "--resume", "--checkpoint", str(path), "--max_iterations", "1"]
        assert main([*resume, "--log_root", root]) == 2, name
        assert str(path) in _error_line(capsys)
    assert sorted(os.listdir(run.parent)) == [run.name]  # the failed resumes left no run folder


def test_crafted_checkpoint_is_refused_by_play_export_and_resume(run, tmp_path, capsys):
    marker = tmp_path / "code_ran"
    data = torch.load(run / "model_1.pt", weights_only=True)
    data["infos"] = RunsCommand(marker)
    evil = run / "model_5.pt"  # the newest checkpoint: what play/export pick by default
    torch.save(data, evil)

    commands = [
        ["play", str(run), "--num_steps", "1", "--no_export"],
        ["export", str(run), "--no_verify", "--out", str(tmp_path / "out")],
        ["train", *PENDULUM_CLI, "--resume", "--load_run", run.name, "--max_iterations", "1"]
        + ["--log_root", str(run.parents[1])],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        line = _error_line(capsys)
        assert str(evil) in line and "--trust_checkpoint" in line and "posix.system" in line
        assert not marker.exists()
    assert sorted(os.listdir(run.parent)) == [run.name]


def test_trust_checkpoint_is_the_opt_in_for_an_old_trusted_file(run, capsys):
    data = torch.load(run / "model_1.pt", weights_only=True)
    data["infos"] = {"note": Note("mine")}
    old = run / "model_7.pt"
    torch.save(data, old)
    assert main(["play", str(old), "--num_steps", "2", "--no_export"]) == 2
    assert "test_cli_errors.Note" in _error_line(capsys)
    stats = run_command(["play", str(old), "--num_steps", "2", "--no_export", "--trust_checkpoint"])
    assert stats["checkpoint"] == str(old)


# ----------------------------------------------------------------------------------------------------- agent.yaml


@pytest.mark.parametrize(
    ("entry", "name", "expected"),
    [
        ("actor", "os:system", "actor.class_name 'os:system' resolved to the function posix.system"),
        ("critic", "subprocess:Popen", "critic.class_name 'subprocess:Popen' resolved to the class subprocess.Popen"),
        ("algorithm", "os:system", "algorithm.class_name 'os:system'"),
        (None, "subprocess:Popen", "class_name 'subprocess:Popen' does not name a runner"),
    ],
)
def test_agent_yaml_naming_system_callables_is_refused(run, capsys, entry, name, expected):
    path = run / "params" / "agent.yaml"
    agent = yaml.safe_load(path.read_text())
    if entry is None:
        agent["class_name"] = name
    else:
        agent[entry]["class_name"] = name
    path.write_text(yaml.safe_dump(agent))
    assert main(["play", str(run), "--num_steps", "1", "--no_export"]) == 2
    assert expected in _error_line(capsys)


# ----------------------------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_num_envs_below_one_is_refused(run, capsys, value):
    for command in (
        ["play", str(run)],
        ["evaluate", str(run)],
        ["export", str(run)],
        ["train", "--task", "Pendulum-v1"],
    ):
        assert main([*command, "--num_envs", value]) == 2, command
        line = _error_line(capsys)
        assert "--num_envs" in line and "expected an integer >= 1" in line


# ----------------------------------------------------------------------------------------------------- run folders


def test_failed_train_leaves_no_run_folder_and_play_still_finds_the_last_run(run, capsys):
    root = str(run.parents[1])
    base = ["train", *PENDULUM_CLI, "--max_iterations", "1", "--log_root", root]
    # Refused when the models are built, i.e. after the env was opened and the run folder named
    assert main([*base, "agent.actor.activation=no_such_activation"]) == 2
    assert "no_such_activation" in _error_line(capsys)
    assert main([*base, "agent.actor.class_name=os:system"]) == 2
    assert "actor.class_name 'os:system'" in _error_line(capsys)
    assert sorted(os.listdir(run.parent)) == [run.name]

    stats = run_command(["play", "--task", "Pendulum-v1", "--log_root", root, "--num_steps", "2", "--no_export"])
    assert stats["checkpoint"] == str(run / "model_1.pt")
