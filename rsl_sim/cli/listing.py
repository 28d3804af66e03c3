"""``rsl-sim list``: the registered tasks, their agent config entry points and their shipped policies.

Examples::

    rsl-sim list                 # rsl_sim's tasks (and Isaac Lab's when isaaclab is installed)
    rsl-sim list Go2             # ids containing "Go2"
    rsl-sim list --all           # plus every gymnasium id (they train with the built-in PPO config)

A task that ships a trained policy (``rsl_sim_pretrained_checkpoint``, see :mod:`rsl_sim.cli.pretrained`) shows its
folder in the ``pretrained`` column: run it with ``rsl-sim play --task <id> --use_pretrained_checkpoint``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import arguments
from .pretrained import DEFAULT_NAME, pretrained_entries
from .tasks import PRETRAINED_CHECKPOINT, agent_entry_points, is_isaaclab_task, isaaclab_available, register_tasks


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim list``."""
    parser.add_argument("pattern", nargs="?", default=None, help="Show only ids containing this text (any case).")
    parser.add_argument("--all", action="store_true", help="Also list plain gymnasium ids.")
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Print the table; returns its rows (``task``, ``source``, ``agents``, ``pretrained``)."""
    rows = list_tasks(include_gymnasium=args.all, pattern=args.pattern)
    _print(rows)
    if not isaaclab_available():
        print(
            "(isaaclab is not installed: Isaac Lab's own tasks are not listed, and isaaclab tasks cannot run; install"
            " it with scripts/install_isaaclab.sh)"
        )
    return rows


def list_tasks(include_gymnasium: bool = False, pattern: str | None = None) -> list[dict[str, Any]]:
    """The registered tasks, rsl_sim's first, then Isaac Lab's, then (on request) the other gymnasium ids.

    Args:
        include_gymnasium: Also list ids that register no agent config (plain gymnasium ids).
        pattern: Keep ids containing this text (case-insensitive).

    Returns:
        Rows ``{"task": id, "source": "rsl_sim" | "isaaclab" | "gymnasium", "agents": [entry point kwargs],
        "pretrained": the shipped policy's "package:folder" or None}``.
    """
    import gymnasium as gym

    register_tasks(include_isaaclab=True)
    rows = []
    for task_id, spec in gym.registry.items():
        if pattern and pattern.lower() not in task_id.lower():
            continue
        agents = sorted(agent_entry_points(spec))
        if task_id.startswith("RslSim/"):
            source = "rsl_sim"
        elif is_isaaclab_task(spec):
            source = "isaaclab"
        elif include_gymnasium:
            source = "gymnasium"
            agents = agents or ["(built-in PPO)"]
        else:
            continue
        shipped = pretrained_entries(spec.kwargs)
        pretrained = spec.kwargs.get(PRETRAINED_CHECKPOINT) or None
        others = [name for name in shipped if name != DEFAULT_NAME]
        if others:
            pretrained = f"{pretrained or '-'} (named: {', '.join(others)})"
        rows.append({"task": task_id, "source": source, "agents": agents, "pretrained": pretrained})
    order = {"rsl_sim": 0, "isaaclab": 1, "gymnasium": 2}
    rows.sort(key=lambda row: (order[row["source"]], row["task"]))
    return rows


def _print(rows: list[dict[str, Any]]) -> None:
    """A rich table on a terminal, tab-free plain lines otherwise."""
    if getattr(sys.stdout, "isatty", lambda: False)():
        from rich.console import Console
        from rich.table import Table

        table = Table("task", "source", "agent configs (--agent)", "pretrained (--use_pretrained_checkpoint)")
        for row in rows:
            table.add_row(row["task"], row["source"], "\n".join(row["agents"]) or "-", row["pretrained"] or "-")
        Console().print(table)
        return
    width = max([len(row["task"]) for row in rows] + [4])
    for row in rows:
        shipped = f"  pretrained: {row['pretrained']}" if row["pretrained"] else ""
        print(f"{row['task']:<{width}}  {row['source']:<9}  {', '.join(row['agents']) or '-'}{shipped}")
