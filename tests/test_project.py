"""Project-level checks: README commands, CI entry point, package layout and lint."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)\n```", text, flags=re.M | re.S)


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    # Nothing but the title may stand before the two commands.
    head = text.split("```bash", 1)[0].strip().splitlines()
    assert head == ["# rsl_sim"]
    blocks = _bash_blocks(text)
    assert len(blocks) >= 2
    train, test = blocks[0], blocks[1]
    for command in (train, test):
        assert "\n" not in command, "each command is one line"
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install torch==")
    assert "scripts/train.py --task RslSim/Go2-Flat-v0" in train
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    awk = shutil.which("awk")
    if awk is None:
        pytest.skip("awk is not installed")
    extracted = subprocess.run(
        [awk, "/^```bash$/{n++; getline; if (n == 2) {print; exit}}", str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == blocks[1]
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("name", ["rsl_sim", "rsl_sim.wrappers", "rsl_sim.tasks"])
def test_top_level_packages_import(name):
    module = importlib.import_module(name)
    folder = {"rsl_sim": "rsl_sim", "rsl_sim.wrappers": "wrappers", "rsl_sim.tasks": "tasks"}[name]
    assert Path(module.__file__).resolve().parent == ROOT / folder


def test_learner_never_imports_a_simulator():
    code = (
        "import sys, rsl_sim, rsl_sim.wrappers, rsl_sim.env, rsl_sim.modules, rsl_sim.models, rsl_sim.algorithms, "
        "rsl_sim.runners; print([m for m in ('mujoco', 'isaaclab', 'warp') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it comes with the test extra)")
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run([ruff, *command, str(ROOT)], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr


def test_readme_main_job_command_trains(tmp_path):
    """The README's main job, as written (after its set-up part), for one short iteration on a few robots."""
    train = _bash_blocks((ROOT / "README.md").read_text())[0]
    job = train.split(" && ")[-1]  # the part after the set-up: python scripts/train.py --task RslSim/Go2-Flat-v0
    assert job.startswith("python scripts/train.py ")
    argv = job.split()[1:]
    result = subprocess.run(
        [sys.executable, str(ROOT / argv[0]), *argv[1:], "--max_iterations", "1", "--num_envs", "32"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    checkpoints = list((tmp_path / "logs").glob("*/*/model_0.pt"))
    assert len(checkpoints) == 1, result.stdout[-2000:]
