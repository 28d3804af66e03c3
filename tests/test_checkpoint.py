"""Checkpoint files: atomic writes survive a crash mid-save, loading, and finding the newest checkpoint of a run."""

from __future__ import annotations

import os

import pytest
import torch

from rsl_sim.utils import checkpoint as checkpoint_module
from rsl_sim.utils.checkpoint import checkpoint_iteration, find_checkpoint, load_checkpoint, save_checkpoint


def _crashing_save(obj, file, *args, **kwargs):
    """Stand-in for torch.save that writes part of a file and then dies (as a killed process or full disk would)."""
    file.write(b"\x80\x02partial checkpoint bytes")
    file.flush()
    raise RuntimeError("simulated crash during torch.save")


def test_round_trip_keeps_tensors_and_python_objects(tmp_path):
    data = {"actor_state_dict": {"w": torch.arange(6.0).reshape(2, 3)}, "iter": 7, "infos": {"note": "hello"}}
    path = tmp_path / "model_7.pt"
    save_checkpoint(data, path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["actor_state_dict"]["w"], data["actor_state_dict"]["w"])
    assert loaded["iter"] == 7 and loaded["infos"] == {"note": "hello"}
    # Only the checkpoint itself is left in the folder (no temporary file)
    assert os.listdir(tmp_path) == ["model_7.pt"]


def test_crash_during_save_keeps_previous_file_and_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "model_3.pt"
    save_checkpoint({"iter": 3, "w": torch.ones(4)}, path)
    before = path.read_bytes()

    monkeypatch.setattr(checkpoint_module.torch, "save", _crashing_save)
    with pytest.raises(RuntimeError, match="simulated crash"):
        save_checkpoint({"iter": 4, "w": torch.zeros(4)}, path)
    monkeypatch.undo()

    # The old file is byte-identical and still loads; no temporary file remains
    assert path.read_bytes() == before
    assert load_checkpoint(path)["iter"] == 3
    assert os.listdir(tmp_path) == ["model_3.pt"]


def test_crash_during_first_save_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint_module.torch, "save", _crashing_save)
    with pytest.raises(RuntimeError):
        save_checkpoint({"iter": 0}, tmp_path / "model_0.pt")
    assert os.listdir(tmp_path) == []


def test_save_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "model_1.pt"
    save_checkpoint({"iter": 1}, path)
    assert load_checkpoint(path)["iter"] == 1


def test_load_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(tmp_path / "nope.pt")


def test_checkpoint_iteration_parses_the_number():
    assert checkpoint_iteration("model_1500.pt") == 1500
    assert checkpoint_iteration("/x/run_3/model_42.pt") == 42
    assert checkpoint_iteration("policy.pt") == -1


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_find_checkpoint_takes_newest_run_and_highest_iteration(tmp_path):
    for name in ["model_0.pt", "model_999.pt", "model_1000.pt", "notes.txt"]:
        _touch(tmp_path / "2026-01-02_10-00-00_b" / name)
    _touch(tmp_path / "2026-01-01_10-00-00_a" / "model_5000.pt")
    found = find_checkpoint(tmp_path)
    # Numeric, not alphabetical, order of iterations: 1000 beats 999
    assert found == str(tmp_path / "2026-01-02_10-00-00_b" / "model_1000.pt")


def test_find_checkpoint_exact_names_and_patterns(tmp_path):
    _touch(tmp_path / "2026-01-01_10-00-00_a" / "model_5.pt")
    _touch(tmp_path / "2026-01-01_10-00-00_a" / "model_50.pt")
    _touch(tmp_path / "2026-01-02_10-00-00_b" / "model_7.pt")
    assert find_checkpoint(tmp_path, "2026-01-01_10-00-00_a", "model_5.pt").endswith("_a/model_5.pt")
    assert find_checkpoint(tmp_path, ".*_a").endswith("_a/model_50.pt")
    assert find_checkpoint(tmp_path, load_checkpoint=r"model_7\.pt").endswith("_b/model_7.pt")


def test_find_checkpoint_errors_name_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="No log folder"):
        find_checkpoint(tmp_path / "missing")
    _touch(tmp_path / "run_a" / "model_1.pt")
    with pytest.raises(FileNotFoundError, match="load_run='run_z'"):
        find_checkpoint(tmp_path, "run_z")
    with pytest.raises(FileNotFoundError, match="load_checkpoint='model_9.pt'"):
        find_checkpoint(tmp_path, "run_a", "model_9.pt")
