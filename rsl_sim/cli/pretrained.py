"""Policies shipped with a task: its ``rsl_sim_pretrained_checkpoint`` registration and where commands write for it.

A shipped policy is a run folder inside an installed package, e.g. ``rsl_sim/tasks/locomotion/velocity/config/go2/
policies/flat/``: one ``model_<it>.pt`` (actor, critic and optimizer state dicts, ``iter``, ``infos``; no
``resume_state``), ``params/agent.yaml``, ``params/env.yaml`` and ``params/cli.yaml`` as the training run wrote them,
and a ``README.md`` (how it was trained, its evaluation table). A task names the folder in its gymnasium registration
as ``"package.module:relative/folder"`` (found with :mod:`importlib.resources`, so it works from a wheel too)::

    kwargs={..., "rsl_sim_pretrained_checkpoint": "rsl_sim.tasks.locomotion.velocity.config.go2:policies/flat"}

``rsl-sim play / evaluate / export --task <id> --use_pretrained_checkpoint`` (the flag of Isaac Lab's ``play.py``)
load that folder as they load a run folder: its checkpoint, its agent config and the ``env.*`` overrides it was
trained with. The package folder is never written to: what the commands write (``evaluation.json``, ``exported/``,
``videos/play/``) goes to ``<log_root>/pretrained/<task>/`` (:func:`pretrained_output_dir`).

A task that ships more than one policy (the depth task's CNN and recurrent students) names the others with a suffix:
``rsl_sim_pretrained_checkpoint_<name>``; ``--use_pretrained_checkpoint <name>`` loads one of them (its outputs go to
``<log_root>/pretrained/<task>_<name>/``), the flag alone the unsuffixed one.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import pathlib

from .errors import CliError
from .tasks import PRETRAINED_CHECKPOINT, get_spec, register_tasks

DEFAULT_NAME = "default"
"""Name of the unsuffixed shipped policy (``--use_pretrained_checkpoint`` without a name)."""

PRETRAINED_LOG_DIR = "pretrained"
"""Folder under ``--log_root`` that receives the outputs of commands run on shipped policies."""


def add_pretrained_arg(parser: argparse.ArgumentParser) -> None:
    """``--use_pretrained_checkpoint`` (Isaac Lab's name): load the task's shipped policy instead of a run."""
    parser.add_argument(
        "--use_pretrained_checkpoint",
        nargs="?",
        const=DEFAULT_NAME,
        default=None,
        metavar="NAME",
        help=f"Use the policy shipped with the task (its {PRETRAINED_CHECKPOINT} registration) instead of a run from"
        f" --log_root; NAME picks another one the task ships ({PRETRAINED_CHECKPOINT}_<NAME>, see rsl-sim list)."
        f" Needs --task, excludes RUN, --load_run and --checkpoint. Outputs go to <log_root>/{PRETRAINED_LOG_DIR}/"
        "<task>[_<NAME>]/.",
    )


def tasks_with_pretrained() -> list[str]:
    """The registered task ids that ship a policy (register :data:`PRETRAINED_CHECKPOINT`), sorted."""
    import gymnasium as gym

    register_tasks()
    return sorted(task for task, spec in gym.registry.items() if pretrained_entries(spec.kwargs))


def pretrained_entries(kwargs: dict) -> dict[str, str]:
    """The shipped policies a registration's kwargs name: name -> ``"package.module:folder"``.

    The unsuffixed ``rsl_sim_pretrained_checkpoint`` comes first as :data:`DEFAULT_NAME`, then every
    ``rsl_sim_pretrained_checkpoint_<name>`` in name order.
    """
    entries = {DEFAULT_NAME: kwargs[PRETRAINED_CHECKPOINT]} if kwargs.get(PRETRAINED_CHECKPOINT) else {}
    prefix = f"{PRETRAINED_CHECKPOINT}_"
    for key in sorted(kwargs):
        if key.startswith(prefix) and kwargs[key]:
            entries[key[len(prefix) :]] = kwargs[key]
    return entries


def pretrained_run_dir(args: argparse.Namespace, run_arg: str | None) -> str:
    """The run folder of the policy the task ``args.task`` ships, for ``--use_pretrained_checkpoint``.

    Args:
        args: Parsed arguments with ``task``, ``load_run``, ``checkpoint`` and ``use_pretrained_checkpoint`` (the
            name of the shipped policy; True or :data:`DEFAULT_NAME` for the unsuffixed one).
        run_arg: The positional run folder or checkpoint file, or None.

    Returns:
        The absolute path of the shipped run folder.

    Raises:
        CliError: If ``--task`` is missing, a run is also named (RUN, ``--load_run``, ``--checkpoint``), the task
            registers no shipped policy (naming the tasks that do) or none of that name (naming the ones it has), or
            its folder cannot be found.
    """
    named = {"RUN": run_arg, "--load_run": args.load_run, "--checkpoint": args.checkpoint}
    clashes = [f"{flag} {value}" for flag, value in named.items() if value is not None]
    if clashes:
        raise CliError(
            f"--use_pretrained_checkpoint loads the task's shipped policy, so it cannot be combined with"
            f" {', '.join(clashes)}: pass one or the other."
        )
    if not args.task:
        raise CliError(f"--use_pretrained_checkpoint needs --task. Tasks that ship a policy: {_shipping()}.")
    entries = pretrained_entries(get_spec(args.task).kwargs)
    if not entries:
        raise CliError(
            f"task '{args.task}' ships no pretrained policy (its registration names no {PRETRAINED_CHECKPOINT})."
            f" Tasks that ship one: {_shipping()}."
        )
    name = pretrained_name(args)
    if name not in entries:
        raise CliError(
            f"--use_pretrained_checkpoint {name}: task '{args.task}' ships no policy of that name; it ships:"
            f" {', '.join(entries)} (the flag without a name takes '{DEFAULT_NAME}')."
        )
    key = PRETRAINED_CHECKPOINT if name == DEFAULT_NAME else f"{PRETRAINED_CHECKPOINT}_{name}"
    return resolve_package_folder(entries[name], source=f"the {key} of {args.task}")


def pretrained_name(args: argparse.Namespace) -> str:
    """The shipped policy's name from ``--use_pretrained_checkpoint`` (True: :data:`DEFAULT_NAME`)."""
    value = getattr(args, "use_pretrained_checkpoint", None)
    return DEFAULT_NAME if value is True or value is None else str(value)


def resolve_package_folder(entry: str, source: str) -> str:
    """The folder ``"package.module:relative/folder"`` names inside an installed package, as an absolute path.

    Args:
        entry: Package (importable module) and folder relative to it, separated by ``:``.
        source: Where the entry comes from, for the error message.

    Raises:
        CliError: If the entry is malformed, the package cannot be imported or the folder does not exist.
    """
    package, sep, relative = entry.partition(":") if isinstance(entry, str) else ("", "", "")
    if not sep or not package or not relative or os.path.isabs(relative):
        raise CliError(f"{source} is {entry!r}: expected 'package.module:relative/folder'.")
    try:
        root = importlib.resources.files(package)
    except (ImportError, TypeError) as error:
        raise CliError(f"{source} ({entry!r}): cannot find the package '{package}': {error}.") from error
    folder = root.joinpath(*relative.split("/"))
    if not isinstance(folder, pathlib.Path) or not folder.is_dir():
        raise CliError(f"{source} ({entry!r}): the folder '{folder}' does not exist in the installed package.")
    return str(folder.resolve())


def pretrained_output_dir(log_root: str, task: str, name: str = DEFAULT_NAME) -> str:
    """Where commands run on a task's shipped policy write: ``<log_root>/pretrained/<task>`` (absolute).

    A ``/`` in the task id (gymnasium namespaces, e.g. ``RslSim/Go2-Flat-v0``) becomes ``_``, so each task gets one
    folder; a named policy (not :data:`DEFAULT_NAME`) gets ``<task>_<name>``. It lies outside every
    ``<log_root>/<experiment>`` folder, so it is never taken for a task's newest run.
    """
    folder = task.replace("/", "_") + ("" if name == DEFAULT_NAME else f"_{name}")
    return os.path.abspath(os.path.join(log_root, PRETRAINED_LOG_DIR, folder))


def _shipping() -> str:
    """The tasks that ship a policy, for error messages."""
    return ", ".join(tasks_with_pretrained()) or "none"
