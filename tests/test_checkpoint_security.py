"""Checkpoint files are untrusted input: weights-only loading, the explicit opt-in, clear errors, file hygiene.

A crafted ``model_*.pt`` whose unpickling runs a command must be refused (and the command must not run) by
``load_checkpoint``, ``OnPolicyRunner.load`` and the CLI's loader; checkpoints of rsl_sim and of RSL-RL 5.5.1's own
runner still load. Corrupt, truncated and empty files give one-line errors naming the path. Saved files get the
permissions of any new file, and temporary files of interrupted saves are removed by the next save.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from tracking_env import TrackingEnv, make_cfg

from rsl_sim.cli.agent_config import load_checkpoint as cli_load_checkpoint
from rsl_sim.cli.errors import CliError
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils.checkpoint import (
    CheckpointError,
    UntrustedCheckpointError,
    load_checkpoint,
    remove_stale_temp_files,
    save_checkpoint,
)


def make_runner(seed: int = 0) -> OnPolicyRunner:
    """A small PPO runner on the toy tracking task of ``test_runner``."""
    torch.manual_seed(seed)
    return OnPolicyRunner(TrackingEnv(seed=seed), make_cfg(), log_dir=None, device="cpu")


def parameters(runner: OnPolicyRunner) -> dict[str, torch.Tensor]:
    """Copies of the actor's and critic's parameters and buffers."""
    state = {f"actor.{k}": v for k, v in runner.alg.get_policy().state_dict().items()}
    state.update({f"critic.{k}": v for k, v in runner.alg.critic.state_dict().items()})
    return {k: v.clone() for k, v in state.items()}


class RunsCommand:
    """Unpickling this object runs a shell command (what a crafted checkpoint does)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class ExecsCode:
    """Unpickling this object runs Python code through ``builtins.exec``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@dataclass
class Note:
    """A harmless custom object, as an old trusted checkpoint's ``infos`` might hold."""

    text: str


def _real_checkpoint(tmp_path: Path) -> Path:
    """A checkpoint written by rsl_sim's runner after one iteration."""
    runner = make_runner()
    runner.learn(1)
    path = tmp_path / "model_0.pt"
    runner.save(str(path))
    return path


def _crafted_checkpoint(tmp_path: Path, payload: type, legacy: bool = False) -> tuple[Path, Path]:
    """A checkpoint with valid state dicts whose ``infos`` runs code when unpickled; returns (file, marker)."""
    marker = tmp_path / "code_ran"
    data = torch.load(_real_checkpoint(tmp_path), weights_only=True)
    data["infos"] = payload(marker)
    path = tmp_path / "model_7.pt"
    if legacy:
        with open(path, "wb") as file:
            pickle.dump(data, file)  # plain pickle, not torch.save's zip format
    else:
        torch.save(data, path)
    return path, marker


# ----------------------------------------------------------------------------------------------------- refusal


@pytest.mark.parametrize(
    ("payload", "legacy", "named"),
    [(RunsCommand, False, "posix.system"), (ExecsCode, False, "builtins.exec"), (RunsCommand, True, "")],
    ids=["os.system", "exec", "plain-pickle"],
)
def test_crafted_checkpoint_is_refused_and_its_code_never_runs(tmp_path, payload, legacy, named):
    path, marker = _crafted_checkpoint(tmp_path, payload, legacy)

    with pytest.raises(UntrustedCheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "trusted=True" in message and "--trust_checkpoint" in message
    assert named in message and "\n" not in message
    assert not marker.exists()

    # Through the runner: refused, the models keep their parameters
    runner = make_runner()
    before = parameters(runner)
    with pytest.raises(UntrustedCheckpointError):
        runner.load(str(path))
    assert not marker.exists()
    after = parameters(runner)
    assert all(torch.equal(before[key], after[key]) for key in before)

    # Through the loader of play / evaluate / export / train --resume: a one-line CliError naming path and opt-in
    with pytest.raises(CliError) as cli_info:
        cli_load_checkpoint(runner, str(path), "cpu")
    assert str(path) in str(cli_info.value) and "--trust_checkpoint" in str(cli_info.value)
    assert not marker.exists()


def test_trusted_opt_in_loads_an_old_file_with_custom_objects(tmp_path):
    data = torch.load(_real_checkpoint(tmp_path), weights_only=True)
    data["infos"] = {"note": Note("made by me")}
    path = tmp_path / "model_3.pt"
    torch.save(data, path)

    # Refused by default, naming the object; loads with the explicit opt-in only
    with pytest.raises(UntrustedCheckpointError, match="test_checkpoint_security.Note"):
        load_checkpoint(path)
    assert load_checkpoint(path, trusted=True)["infos"] == {"note": Note("made by me")}
    runner = make_runner()
    assert runner.load(str(path), trusted=True) == {"note": Note("made by me")}
    assert torch.equal(runner.alg.get_policy().state_dict()["mlp.0.weight"], data["actor_state_dict"]["mlp.0.weight"])


def test_rsl_sim_checkpoint_loads_weights_only_and_restores_the_models(tmp_path):
    trained = make_runner(seed=1)
    trained.learn(2)
    path = tmp_path / "model_1.pt"
    trained.save(str(path))
    fresh = make_runner(seed=2)
    fresh.load(str(path))
    expected, loaded = parameters(trained), parameters(fresh)
    assert all(torch.equal(expected[key], loaded[key]) for key in expected)
    assert fresh.current_learning_iteration == 1


def test_rsl_rl_5_5_1_checkpoint_saved_by_its_own_runner_loads(tmp_path):
    reference = pytest.importorskip("rsl_rl.runners")
    torch.manual_seed(0)
    theirs = reference.OnPolicyRunner(TrackingEnv(), make_cfg(), log_dir=None, device="cpu")
    theirs.learn(1)
    path = tmp_path / "model_0.pt"
    theirs.save(str(path))  # rsl-rl-lib's OnPolicyRunner.save: plain torch.save of its state dicts

    ours = make_runner(seed=5)
    assert ours.load(str(path)) is None  # RSL-RL stores infos=None
    their_actor = theirs.alg.actor.state_dict()
    our_actor = ours.alg.get_policy().state_dict()
    assert their_actor.keys() == our_actor.keys()
    assert all(torch.equal(their_actor[key], our_actor[key]) for key in their_actor)
    assert ours.current_learning_iteration == theirs.current_learning_iteration


# ----------------------------------------------------------------------------------------------------- bad files


def _corrupt_files(tmp_path: Path) -> dict[str, Path]:
    real = _real_checkpoint(tmp_path).read_bytes()
    files = {
        "empty": b"",
        "truncated": real[: len(real) // 2],
        "garbage": b"this is not a checkpoint at all\n" * 4,
        "flipped": real[:100] + bytes(b ^ 0xFF for b in real[100:400]) + real[400:],
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"model_{name}.pt"
        paths[name].write_bytes(content)
    return paths


def test_corrupt_truncated_and_empty_files_give_one_line_errors_with_the_path(tmp_path):
    for name, path in _corrupt_files(tmp_path).items():
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message, name
        with pytest.raises(CliError) as cli_info:
            cli_load_checkpoint(make_runner(), str(path), "cpu")
        assert str(path) in str(cli_info.value), name
    assert "empty" in str(pytest.raises(CheckpointError, load_checkpoint, tmp_path / "model_empty.pt").value)


def test_a_file_that_is_not_a_checkpoint_dict_is_refused(tmp_path):
    path = tmp_path / "model_1.pt"
    torch.save([torch.ones(2)], path)
    with pytest.raises(CheckpointError, match="holds a list, not a checkpoint dict"):
        load_checkpoint(path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="model_9.pt"):
        load_checkpoint(tmp_path / "model_9.pt")


# ----------------------------------------------------------------------------------------------------- saving


def test_save_refuses_data_that_would_not_load_weights_only(tmp_path):
    path = tmp_path / "model_1.pt"
    with pytest.raises(ValueError, match="numpy") as info:
        save_checkpoint({"iter": 1, "infos": {"rng": np.random.get_state()}}, path)
    assert "torch.from_numpy" in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoint_permissions_follow_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        save_checkpoint({"iter": 1}, tmp_path / "model_1.pt")
        save_checkpoint({"iter": 2}, tmp_path / "model_1.pt")  # overwriting keeps the same rule
    finally:
        os.umask(previous)
    assert (tmp_path / "model_1.pt").stat().st_mode & 0o777 == mode


def _dead_pid() -> int:
    """A process id that no process has (above the largest pid Linux hands out)."""
    return 2**22 + 17


def test_next_save_removes_temp_files_of_interrupted_saves(tmp_path):
    stale = [
        tmp_path / f".model_5.pt.{_dead_pid()}.0a1b2c3d4e5f.tmp",  # killed process
        tmp_path / ".model_3.pt.x8k2j1qz.tmp",  # older versions' name (tempfile.mkstemp), no pid
    ]
    in_progress = tmp_path / f".model_6.pt.{os.getppid()}.abcdef012345.tmp"  # a save of a running process
    unrelated = [tmp_path / name for name in (".hidden.tmp", ".model_4.pt.tmp", ".notes.txt.tmp", "model_4.pt.tmp")]
    for path in [*stale, in_progress, *unrelated]:
        path.write_bytes(b"partial")

    save_checkpoint({"iter": 7}, tmp_path / "model_7.pt")

    assert not any(path.exists() for path in stale)
    assert in_progress.exists() and all(path.exists() for path in unrelated)
    assert load_checkpoint(tmp_path / "model_7.pt")["iter"] == 7
    assert remove_stale_temp_files(tmp_path) == []


def test_interrupt_during_save_leaves_no_temp_file(tmp_path, monkeypatch):
    def interrupted_save(obj, file, *args, **kwargs):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"iter": 1}, tmp_path / "model_1.pt")
    assert os.listdir(tmp_path) == []
