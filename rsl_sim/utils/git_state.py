"""Recording the code state (git commit, status, diff) of the repositories a run depends on."""

from __future__ import annotations

import os
import subprocess

# Seconds any single git command may take before it is abandoned (large repositories, network file systems)
_GIT_TIMEOUT_S = 30.0


def store_git_state(repo_paths: list[str], out_dir: str) -> list[str]:
    """Write one ``<repo_name>.diff`` file per git repository into ``out_dir``.

    Each path may be any file or folder inside a repository (e.g. a module's ``__file__``); the enclosing repository
    is found with ``git rev-parse --show-toplevel``. The file holds the ``HEAD`` commit, ``git status`` and the diff of
    the working tree against ``HEAD`` (against the empty tree if the repository has no commit yet). Paths outside a
    repository, or a machine without ``git``, are reported on the console and skipped; a repository named twice is
    written once; an existing file is kept (a resumed run keeps the state it started from).

    Args:
        repo_paths: Files or folders inside the repositories to record.
        out_dir: Folder for the ``.diff`` files (created if missing), usually ``<log_dir>/git``.

    Returns:
        The paths of the files written.
    """
    written: list[str] = []
    seen_roots: set[str] = set()
    for repo_path in repo_paths:
        # Find the repository that holds this path
        start = repo_path if os.path.isdir(repo_path) else os.path.dirname(os.path.abspath(repo_path))
        root = _git(["rev-parse", "--show-toplevel"], cwd=start)
        if root is None:
            print(f"[rsl_sim] No git repository found at '{repo_path}'; its code state is not recorded.")
            continue
        root = root.strip()
        if root in seen_roots:
            continue
        seen_roots.add(root)

        # Skip repositories recorded before (e.g. by an earlier run in the same folder)
        out_file = os.path.join(out_dir, f"{os.path.basename(root)}.diff")
        if os.path.exists(out_file):
            continue

        # Gather commit, status and diff; a repository without commits has no HEAD to diff against
        commit = _git(["rev-parse", "HEAD"], cwd=root)
        status = _git(["status"], cwd=root) or ""
        if commit is None:
            commit_text = "(no commit yet)"
            diff = _git(["diff", "--cached"], cwd=root) or ""
            diff += _git(["diff"], cwd=root) or ""
        else:
            commit_text = commit.strip()
            diff = _git(["diff", "HEAD"], cwd=root) or ""

        # Write the record
        os.makedirs(out_dir, exist_ok=True)
        with open(out_file, "w", encoding="utf-8") as file:
            file.write(f"--- git commit ---\n{commit_text}\n\n--- git status ---\n{status}\n--- git diff ---\n{diff}")
        written.append(out_file)
    return written


def _git(args: list[str], cwd: str) -> str | None:
    """Run ``git <args>`` in ``cwd`` and return its stdout, or ``None`` if git is missing or the command fails."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None
