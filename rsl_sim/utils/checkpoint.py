"""Checkpoint files: atomic writing, loading, and finding the latest checkpoint of a run."""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

import torch


def save_checkpoint(data: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``data`` to ``path`` with :func:`torch.save`, atomically.

    The data is written to a temporary file in the same directory, flushed and fsync'ed, then moved over ``path``
    with :func:`os.replace` (atomic on POSIX and Windows). A crash or an exception while writing therefore leaves
    either the previous file at ``path`` or the complete new one, never a truncated file, and the temporary file is
    removed.

    Args:
        data: The checkpoint dict (e.g. ``actor_state_dict``, ``critic_state_dict``, ``optimizer_state_dict``,
            ``iter``, ``infos``).
        path: Destination file. Missing parent directories are created.

    Raises:
        Whatever :func:`torch.save` or the file system raises; the destination is untouched in that case.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)

    # Write into a hidden temporary file next to the destination (same file system, so the rename is atomic)
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(data, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        # Leave no partial file behind; the destination still holds its previous content
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise

    # Persist the rename itself (directory entry); not possible on every platform
    _fsync_directory(directory)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device | None = None) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (or by RSL-RL's runner).

    Args:
        path: The checkpoint file.
        map_location: Device to map the tensors to (as in :func:`torch.load`).

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Checkpoint file not found: '{os.fspath(path)}'.")
    # Checkpoints hold plain Python objects besides tensors (``infos``), so the full unpickler is needed
    return torch.load(path, map_location=map_location, weights_only=False)


def checkpoint_iteration(filename: str) -> int:
    """The iteration number in a checkpoint file name such as ``model_1500.pt`` (``-1`` if it has none)."""
    numbers = re.findall(r"\d+", os.path.basename(filename))
    return int(numbers[-1]) if numbers else -1


def find_checkpoint(log_root: str | os.PathLike, load_run: str = ".*", load_checkpoint: str = r"model_.*\.pt") -> str:
    """Find a checkpoint in a folder of runs, as Isaac Lab's ``get_checkpoint_path`` does.

    Runs are the sub-folders of ``log_root`` whose name fully matches the regular expression ``load_run``; the last
    one in alphabetical order is taken (run folders start with a ``YYYY-MM-DD_HH-MM-SS`` time stamp, so this is the
    newest). In it, the files fully matching ``load_checkpoint`` are candidates and the one with the highest
    iteration number wins (``model_1000.pt`` after ``model_999.pt``).

    Args:
        log_root: The experiment folder, e.g. ``logs/<experiment_name>``.
        load_run: Regular expression for the run folder name, or its exact name.
        load_checkpoint: Regular expression for the checkpoint file name, or its exact name.

    Returns:
        The path of the checkpoint file.

    Raises:
        FileNotFoundError: If ``log_root`` does not exist, no run matches, or the run holds no matching checkpoint.
    """
    log_root = os.fspath(log_root)
    if not os.path.isdir(log_root):
        raise FileNotFoundError(f"No log folder '{log_root}' to load a run from.")

    # Pick the run: an exact name first, otherwise the newest match of the pattern
    runs = sorted(name for name in os.listdir(log_root) if os.path.isdir(os.path.join(log_root, name)))
    matching_runs = [name for name in runs if name == load_run] or [n for n in runs if re.fullmatch(load_run, n)]
    if not matching_runs:
        raise FileNotFoundError(f"No run folder in '{log_root}' matches load_run='{load_run}'. Runs there: {runs}.")
    run_dir = os.path.join(log_root, matching_runs[-1])

    # Pick the checkpoint: an exact name first, otherwise the match with the highest iteration
    files = [name for name in os.listdir(run_dir) if os.path.isfile(os.path.join(run_dir, name))]
    matching = [name for name in files if name == load_checkpoint] or [
        name for name in files if re.fullmatch(load_checkpoint, name)
    ]
    if not matching:
        raise FileNotFoundError(
            f"No checkpoint in '{run_dir}' matches load_checkpoint='{load_checkpoint}'. Files there: {sorted(files)}."
        )
    best = max(matching, key=lambda name: (checkpoint_iteration(name), name))
    return os.path.join(run_dir, best)


def _fsync_directory(directory: str) -> None:
    """Flush a directory entry to disk where the platform allows opening directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
