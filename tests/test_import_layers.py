"""The import graph of rsl_sim/, wrappers/ and tasks/: no cycles between folders and no import that runs back up.

Every ``import`` / ``from ... import`` in every module is read with ``ast`` (imports inside functions included, so lazy
imports count); imports under ``if TYPE_CHECKING:`` are left out (type hints only, never executed). Each module belongs
to a folder unit (a folder, or a subtree that is one unit: a robot's ``config/<robot>/`` with its ``agents/`` and
``isaaclab/``); units sit on the floors of ``docs/architecture.md``, top to bottom. An import may go to the same unit,
to a unit on a lower floor, or (same-floor units) sideways without a cycle; a package's ``__init__.py`` may import its
own subpackages (registration, as ``isaaclab_tasks`` does). Robot folders never import each other.
"""

from __future__ import annotations

import ast
import fnmatch
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"rsl_sim": "rsl_sim", "rsl_sim.wrappers": "wrappers", "rsl_sim.tasks": "tasks"}

FLOORS: list[tuple[str, ...]] = [
    ("rsl_sim/cli",),
    ("tasks/locomotion/*/config/*",),
    ("tasks/locomotion/*",),
    ("tasks/locomotion/*/mdp",),
    ("tasks/mujoco/envs",),
    ("tasks/mujoco/managers",),
    ("tasks/mujoco",),
    ("tasks/assets",),
    ("tasks", "tasks/locomotion", "tasks/locomotion/*/config"),
    ("wrappers",),
    ("rsl_sim/runners",),
    ("rsl_sim/algorithms",),
    ("rsl_sim/extensions",),
    ("rsl_sim/models",),
    ("rsl_sim/storage",),
    ("rsl_sim/modules",),
    ("rsl_sim/env", "rsl_sim/utils", "rsl_sim"),
]
"""Folder units per floor, top floor first (patterns over folder paths relative to the repository root)."""

UNIT_ROOTS = ("tasks/locomotion/*/config/*", "tasks/locomotion/*/mdp", "rsl_sim/modules")
"""Subtrees that form one unit with everything below them."""


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three packages."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _modules()


def _unit(path: Path) -> str:
    """The folder unit of a module file."""
    folder = path.parent.relative_to(ROOT).as_posix()
    for pattern in UNIT_ROOTS:
        depth = pattern.count("/") + 1
        head = "/".join(folder.split("/")[:depth])
        if folder.count("/") + 1 >= depth and fnmatch.fnmatchcase(head, pattern):
            return head
    return folder


def _floor(unit: str) -> int:
    """Floor index of a unit (0 = top)."""
    for index, patterns in enumerate(FLOORS):
        if any(fnmatch.fnmatchcase(unit, pattern) and unit.count("/") == pattern.count("/") for pattern in patterns):
            return index
    raise AssertionError(f"folder {unit!r} is on no floor of FLOORS: add it (docs/architecture.md)")


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """``(imported rsl_sim module, line)`` for every import of a module, lazy ones included, TYPE_CHECKING left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            # "from package import module" imports the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            # the deepest known module of a dotted name (``import rsl_sim.tasks.mujoco.spatial``)
            while target and target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != name:
                found.append((target, node.lineno))
    return found


def _edges() -> list[tuple[str, str, str, int]]:
    """``(importer, imported, source, line)`` between different units, a package's imports of its subtree left out."""
    edges = []
    for name, path in sorted(MODULES.items()):
        for target, line in _imports(name, path):
            source, destination = _unit(path), _unit(MODULES[target])
            if source == destination:
                continue
            if path.name == "__init__.py" and target.startswith(f"{name}."):
                continue  # a package registering or re-exporting its own subpackages
            edges.append((source, destination, f"{path.relative_to(ROOT)}:{line} imports {target}", line))
    return edges


def test_every_folder_is_on_a_floor():
    units = {_unit(path) for path in MODULES.values()}
    assert all(_floor(unit) >= 0 for unit in units)
    # the task layout: task family / mdp / robot folders, and the MuJoCo machinery below the tasks
    assert {"tasks/locomotion/velocity/mdp", "tasks/locomotion/velocity/config/go2", "tasks/mujoco/envs"} <= units


def test_no_import_runs_back_up():
    upward = [where for source, destination, where, _ in _edges() if _floor(destination) < _floor(source)]
    assert upward == []


def test_robot_folders_do_not_import_each_other():
    robots = "tasks/locomotion/*/config/*"
    crossing = [
        where
        for source, destination, where, _ in _edges()
        if fnmatch.fnmatchcase(source, robots) and fnmatch.fnmatchcase(destination, robots)
    ]
    assert crossing == []


def test_no_cycles_between_folders():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, destination, _, _ in _edges():
        graph[source].add(destination)
    # depth-first search for a back edge; report the cycle as a path of folders
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(unit: str, stack: list[str]) -> None:
        state[unit] = 1
        for nxt in sorted(graph[unit]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt] if nxt in stack else [unit, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[unit] = 2

    for unit in sorted(graph):
        if unit not in state:
            visit(unit, [unit])
    assert cycles == []


def test_the_graph_sees_lazy_imports():
    # A lazy import inside a function is an edge too (the Go2 video records through the CPU env's wrapper)
    where = [where for _, _, where, _ in _edges() if where.startswith("tasks/locomotion/velocity/video.py")]
    assert any("rsl_sim.wrappers.gymnasium" in text for text in where)
