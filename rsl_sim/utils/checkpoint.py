"""Checkpoint files: atomic writing, safe loading, and finding the latest checkpoint of a run.

Checkpoints are files users share, and unpickling a file can run arbitrary code, so :func:`load_checkpoint` unpickles
with ``torch.load(..., weights_only=True)``: tensors and plain Python data (dict, list, tuple, str, int, float, bool,
None) load, any other object is refused with :class:`UntrustedCheckpointError`. Checkpoints written by rsl_sim's and
RSL-RL 5.x's runners hold nothing else (model and optimizer state dicts, ``iter``, ``infos``), and
:func:`save_checkpoint` refuses to write one that would not load this way. For an old file you made yourself that
holds other objects, ``load_checkpoint(path, trusted=True)`` (CLI: ``--trust_checkpoint``) unpickles it fully.
"""

from __future__ import annotations

import os
import pickle
import re
import secrets
from typing import Any

import torch

TEMP_SUFFIX = ".tmp"
"""Suffix of the temporary files :func:`save_checkpoint` writes before the atomic rename."""

# Temporary files of save_checkpoint: ".<name>.<pid>.<12 hex digits>.tmp", and ".<name>.<8 characters>.tmp" of older
# versions (tempfile.mkstemp's names)
_TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.(?:(?P<pid>\d+)\.[0-9a-f]{12}|[a-z0-9_]{8})\.tmp$")

TRUST_HINT = "load_checkpoint(path, trusted=True) / runner.load(path, trusted=True), CLI: --trust_checkpoint"
"""How to load a trusted file holding more than tensors and plain data (named by :class:`UntrustedCheckpointError`)."""


class CheckpointError(ValueError):
    """A checkpoint file cannot be used: empty, corrupt or truncated, not a checkpoint dict, or not loadable safely."""


class UntrustedCheckpointError(CheckpointError):
    """A checkpoint holds objects other than tensors and plain data; unpickling them could run code."""


def save_checkpoint(data: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``data`` to ``path`` with :func:`torch.save`, atomically, readable like the other run files.

    The data is written to a hidden temporary file in the same directory, flushed and fsync'ed, then moved over
    ``path`` with :func:`os.replace` (atomic on POSIX and Windows). A crash or an exception while writing therefore
    leaves either the previous file at ``path`` or the complete new one, never a truncated file, and the temporary
    file is removed; temporary files left by saves of processes that were killed are removed by the next save into
    the same directory. The file gets the permissions of any new file (``0o666`` minus the umask: ``0644`` under the
    usual umask ``022``).

    Args:
        data: The checkpoint dict (e.g. ``actor_state_dict``, ``critic_state_dict``, ``optimizer_state_dict``,
            ``iter``, ``infos``): tensors and plain Python data only.
        path: Destination file. Missing parent directories are created.

    Raises:
        ValueError: If ``data`` holds objects that :func:`load_checkpoint` would refuse (e.g. numpy arrays or custom
            classes): convert them to tensors or plain data. The destination is untouched.
        Whatever :func:`torch.save` or the file system raises; the destination is untouched in that case.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temp_files(directory)

    # Write into a hidden temporary file next to the destination (same file system, so the rename is atomic)
    fd, tmp_path = _create_temp_file(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(data, file)
            file.flush()
            os.fsync(file.fileno())
        # Every checkpoint written here must load with weights_only=True
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path)
        if unsafe:
            raise ValueError(
                f"Not writing the checkpoint '{path}': it would hold objects that the weights-only loader refuses"
                f" ({', '.join(sorted(set(unsafe)))}). Store tensors and plain Python data only (dict, list, tuple,"
                " str, int, float, bool, None): e.g. torch.from_numpy(array), numpy_scalar.item()."
            )
        os.replace(tmp_path, path)
    except BaseException:
        # Leave no partial file behind; the destination still holds its previous content
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise

    # Persist the rename itself (directory entry); not possible on every platform
    _fsync_directory(directory)


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device | None = None, trusted: bool = False
) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (or by RSL-RL 5.x's runner), safely.

    The file is unpickled with ``weights_only=True``: tensors and plain Python data load, nothing else (no code can
    run). ``trusted=True`` is the explicit opt-in for an old file you made yourself that holds other objects; it
    unpickles with ``weights_only=False``, which runs whatever code the file names. There is no automatic fallback.

    Args:
        path: The checkpoint file.
        map_location: Device to map the tensors to (as in :func:`torch.load`).
        trusted: Unpickle without the weights-only restriction. Only for files from a source you trust.

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        UntrustedCheckpointError: If the file holds objects other than tensors and plain data (names them, and the
            opt-in).
        CheckpointError: If the file is empty, corrupt or truncated, cannot be mapped to ``map_location``, or does
            not hold a dict. Both errors are ``ValueError`` and their one-line message names the path.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Checkpoint file not found: '{path}'.")
    if os.path.getsize(path) == 0:
        raise CheckpointError(f"The checkpoint '{path}' is empty (0 bytes): use another checkpoint of the run.")
    try:
        data = torch.load(path, map_location=map_location, weights_only=not trusted)
    except pickle.UnpicklingError as error:
        if not trusted and "weights only load failed" in str(error).lower():
            raise UntrustedCheckpointError(
                f"Refused to load the checkpoint '{path}': it holds objects other than tensors and plain data"
                f" ({_refusal_detail(path, error)}), and unpickling them could run code. If you made this file"
                f" yourself or otherwise trust it: {TRUST_HINT}."
            ) from None
        raise CheckpointError(_unreadable_message(path, error)) from error
    except RuntimeError as error:
        if map_location is not None and "device" in str(error).lower():
            raise CheckpointError(
                f"Cannot load the checkpoint '{path}' onto device {map_location!r}: {_first_line(error)}"
            ) from error
        raise CheckpointError(_unreadable_message(path, error)) from error
    except Exception as error:  # corrupt files raise anything (EOFError, KeyError, OSError, ...)
        raise CheckpointError(_unreadable_message(path, error)) from error
    if not isinstance(data, dict):
        raise CheckpointError(
            f"The file '{path}' holds a {type(data).__name__}, not a checkpoint dict (actor_state_dict, iter, ...)."
        )
    return data


def remove_stale_temp_files(directory: str | os.PathLike) -> list[str]:
    """Remove the temporary files of interrupted :func:`save_checkpoint` calls in ``directory``.

    A temporary file is stale when the process that wrote it no longer runs (its id is in the file name; files of
    older versions without one are always stale). Files of saves still in progress in other processes are kept.

    Returns:
        The removed paths.
    """
    removed = []
    for name in os.listdir(directory):
        match = _TEMP_FILE.match(name)
        if match is None:
            continue
        pid = match.group("pid")
        if pid is not None and (int(pid) == os.getpid() or _process_exists(int(pid))):
            continue
        path = os.path.join(directory, name)
        try:
            os.remove(path)
        except OSError:
            continue  # removed by someone else meanwhile, or not ours to remove
        removed.append(path)
    return removed


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


def _create_temp_file(directory: str, basename: str) -> tuple[int, str]:
    """Create ``<directory>/.<basename>.<pid>.<random>.tmp`` exclusively, mode ``0o666`` minus the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = os.path.join(directory, f".{basename}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue


def _process_exists(pid: int) -> bool:
    """Whether a process with id ``pid`` runs (POSIX); where that cannot be checked, assume it does."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by another user
    return True


def _refusal_detail(path: str, error: Exception) -> str:
    """What the weights-only unpickler refused: the file's disallowed globals, else torch's reason."""
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # not a zip checkpoint (legacy format): fall back to torch's message
        unsafe = []
    if unsafe:
        return "disallowed: " + ", ".join(sorted(set(unsafe)))
    boilerplate = ("weights only load failed", "check the documentation", "please file an issue")
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    lines = [line for line in lines if not line.lower().startswith(boilerplate)]
    return " ".join(lines) or "unsupported content"


def _unreadable_message(path: str, error: Exception) -> str:
    """One line: the path is not a readable checkpoint, and why."""
    return (
        f"The checkpoint '{path}' cannot be read ({type(error).__name__}: {_first_line(error) or 'no details'}): the"
        " file is corrupt, truncated (e.g. copied before the save finished) or not a torch.save file. Use another"
        " checkpoint of the run."
    )


def _first_line(error: Exception) -> str:
    """The first non-empty line of an error's message."""
    return next((line.strip() for line in str(error).splitlines() if line.strip()), "")
