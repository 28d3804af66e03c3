"""Isaac Lab integration tests: real Isaac Lab 3.0 (kit-less, Newton MJWarp physics, device cpu).

Every test here is skipped, with the reason shown, when ``isaaclab`` cannot be imported or the local asset root is
missing. Set them up with ``bash scripts/install_isaaclab.sh``; run them with ``bash scripts/run_isaaclab_tests.sh``.
This file points Isaac Lab at the local asset root (``ISAACSIM_ASSET_ROOT``) and warp at a kept kernel cache
(``WARP_CACHE_PATH``) before anything imports them; values already set in the environment win.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ASSET_ROOT = os.environ.get("RSL_SIM_ISAACLAB_ASSETS", str(REPO_ROOT / ".isaaclab-assets"))
os.environ.setdefault("ISAACSIM_ASSET_ROOT", DEFAULT_ASSET_ROOT)
os.environ.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))

# One torch thread: the learner's networks here are tiny, and on a loaded 2-core machine two OpenMP threads that wait
# for each other make every small matrix product 10-100x slower
torch.set_num_threads(1)

ASSET_ROOT = Path(os.environ["ISAACSIM_ASSET_ROOT"])
GO2_USD = ASSET_ROOT / "Isaac/IsaacLab/Robots/Unitree/Go2/go2.usd"
GO2_FLAT_TASK = "Isaac-Velocity-Flat-UnitreeGo2"
ANT_DIRECT_TASK = "Isaac-Ant-Direct"

# A namespace package does not count: with pytest's default import mode this very folder is importable as "isaaclab"
ISAACLAB_SPEC = importlib.util.find_spec("isaaclab")
if ISAACLAB_SPEC is None or ISAACLAB_SPEC.origin in (None, "namespace"):
    SKIP_REASON: str | None = "isaaclab is not importable here: install it with scripts/install_isaaclab.sh"
elif not GO2_USD.is_file():
    SKIP_REASON = f"no local Isaac Lab asset root at {ASSET_ROOT}: run scripts/install_isaaclab.sh"
else:
    SKIP_REASON = None
# scripts/run_isaaclab_tests.sh asks for Isaac Lab: there a missing install is an error, not a skip
if SKIP_REASON is not None and os.environ.get("RSL_SIM_REQUIRE_ISAACLAB") == "1":
    raise RuntimeError(f"RSL_SIM_REQUIRE_ISAACLAB=1 but {SKIP_REASON}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``isaaclab`` and skip them with the reason when Isaac Lab is unavailable."""
    folder = Path(__file__).parent
    for item in items:
        if folder in Path(item.fspath).parents:
            item.add_marker(pytest.mark.isaaclab)
            if SKIP_REASON is not None:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@contextlib.contextmanager
def isaaclab_env(task: str, num_envs: int, overrides: Sequence[str] = (), **cfg_changes: object) -> Iterator[object]:
    """Build a registered Isaac Lab task on the CPU (kit-less launch) and close it afterwards.

    Args:
        task: Registered gymnasium id, e.g. ``"Isaac-Velocity-Flat-UnitreeGo2"``.
        num_envs: Number of parallel environments.
        overrides: Isaac Lab's Hydra-style overrides of the task config, e.g. ``["presets=newton_mjwarp"]`` for a task
            whose default physics is PhysX.
        **cfg_changes: Attributes set on the parsed env config before the env is built.

    Yields:
        The env as ``gymnasium.make`` returns it (``env.unwrapped`` is the Isaac Lab env).
    """
    import isaaclab_tasks  # noqa: F401  (registers the tasks)
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    env_cfg = parse_env_cfg(task, device="cpu", num_envs=num_envs, overrides=list(overrides))
    for name, value in cfg_changes.items():
        setattr(env_cfg, name, value)
    with _launched_env(task, env_cfg) as env:
        yield env


@contextlib.contextmanager
def _launched_env(task: str, env_cfg: object) -> Iterator[object]:
    """Launch the simulation for ``env_cfg`` (kit-less, seed 0), build ``task`` in a new stage, close it afterwards."""
    import gymnasium as gym
    import isaaclab.sim as sim_utils
    from isaaclab.app.sim_launcher import launch_simulation

    env_cfg.seed = 0
    with launch_simulation(env_cfg, {}):
        sim_utils.create_new_stage()
        env = gym.make(task, cfg=env_cfg)
        try:
            yield env
        finally:
            env.close()


@pytest.fixture(scope="session")
def make_isaaclab_env():
    """The :func:`isaaclab_env` context manager: ``with make_isaaclab_env(task, num_envs) as env: ...``."""
    return isaaclab_env


@pytest.fixture(scope="module")
def go2_env() -> Iterator[object]:
    """The flat-terrain Unitree Go2 velocity task (``ManagerBasedRLEnv``), 8 envs, one per test module."""
    with isaaclab_env(GO2_FLAT_TASK, num_envs=8) as env:
        yield env


# rsl_sim's Isaac Lab Go2 tasks (tasks/locomotion/velocity/config/go2/isaaclab), and the CPU MuJoCo tasks they must
# match
GO2_TASKS = {
    "flat": ("RslSim-Isaac-Velocity-Flat-Go2-v0", "RslSim/Go2-Flat-v0"),
    "rough": ("RslSim-Isaac-Velocity-Rough-Go2-v0", "RslSim/Go2-Rough-v0"),
    "depth": ("RslSim-Isaac-Velocity-Rough-Depth-Go2-v0", "RslSim/Go2-Rough-Depth-v0"),
}
"""Per variant: (Isaac Lab task id, CPU MuJoCo task id)."""

CPU_PYTHON = Path(os.environ.get("RSL_SIM_CPU_PYTHON", str(REPO_ROOT / ".venv" / "bin" / "python")))
"""Interpreter of the CPU MuJoCo tasks (the README's .venv), which describes their layout for the comparison tests."""


def small_terrain(env_cfg: object) -> None:
    """Shrink a generated terrain to 2 levels x 3 types (scene building time): the MDP and its layout stay the same."""
    generator = env_cfg.scene.terrain.terrain_generator
    if generator is not None:
        generator.num_rows = 2
        generator.num_cols = 3


@contextlib.contextmanager
def go2_task_env(task: str, num_envs: int, edit_cfg: Callable[[object], None] | None = None) -> Iterator[object]:
    """Build one of rsl_sim's Isaac Lab Go2 tasks on the CPU (kit-less launch) and close it afterwards.

    Args:
        task: A ``RslSim-Isaac-*`` gymnasium id (registered by importing ``rsl_sim.tasks``).
        num_envs: Number of parallel environments.
        edit_cfg: Called with the parsed env config before the env is built (default: :func:`small_terrain`).

    Yields:
        The env as ``gymnasium.make`` returns it.
    """
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    import rsl_sim.tasks  # noqa: F401  (registers the RslSim-Isaac-* ids)

    env_cfg = parse_env_cfg(task, device="cpu", num_envs=num_envs)
    (edit_cfg or small_terrain)(env_cfg)
    with _launched_env(task, env_cfg) as env:
        yield env


@pytest.fixture(scope="session")
def cpu_go2_layouts() -> dict[str, dict]:
    """The CPU MuJoCo Go2 tasks' layouts (:func:`rsl_sim.tasks.locomotion.velocity.layout.describe_layout`), by task id.

    Computed once per session in the CPU tasks' interpreter (``RSL_SIM_CPU_PYTHON``, default ``.venv/bin/python``):
    MuJoCo and the Go2 model files live there, not in the Isaac Lab venv. Skips with the reason when it is missing.
    """
    if not CPU_PYTHON.is_file():
        pytest.skip(f"no CPU MuJoCo interpreter at {CPU_PYTHON} (set RSL_SIM_CPU_PYTHON) to describe the CPU tasks")
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    command = [
        str(CPU_PYTHON),
        "-m",
        "rsl_sim.tasks.locomotion.velocity.layout",
        *(cpu for _, cpu in GO2_TASKS.values()),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def make_go2_task_env():
    """The :func:`go2_task_env` context manager: ``with make_go2_task_env(task, num_envs) as env: ...``."""
    return go2_task_env


def _assert_close(ours: object, theirs: object, where: str) -> None:
    """Recursive equality of JSON-like values, numbers within 1e-6 (float32 settings, float64 grids)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            _assert_close(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours} != {theirs}"
        for index, (a, b) in enumerate(zip(ours, theirs)):
            _assert_close(a, b, f"{where}[{index}]")
    elif isinstance(theirs, float) and not isinstance(ours, (str, type(None))):
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6), f"{where}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def assert_same_layout(ours: dict, theirs: dict) -> None:
    """Assert two :func:`~rsl_sim.tasks.locomotion.velocity.layout.describe_layout` results are equal, term by term.

    Group and term names are compared first (in order), then every term's function, width, noise, clip and scale, then
    the joint order, feet, scan grids, camera offsets and mirror; the message names the first difference.
    """
    assert list(ours["groups"]) == list(theirs["groups"]), "observation groups differ"
    for group, spec in theirs["groups"].items():
        names = [term["name"] for term in ours["groups"][group]["terms"]]
        assert names == [term["name"] for term in spec["terms"]], f"observations.{group}: term names differ"
        for ours_term, term in zip(ours["groups"][group]["terms"], spec["terms"]):
            _assert_close(ours_term, term, f"observations.{group}.{term['name']}")
        assert ours["groups"][group]["shape"] == spec["shape"], f"observations.{group}: shape differs"
    for key in theirs:
        _assert_close(ours[key], theirs[key], key)


@pytest.fixture(scope="session")
def assert_layouts_equal():
    """The :func:`assert_same_layout` check."""
    return assert_same_layout
