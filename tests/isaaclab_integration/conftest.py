"""Isaac Lab integration tests: real Isaac Lab 3.0 (kit-less, Newton MJWarp physics, device cpu).

Every test here is skipped, with the reason shown, when ``isaaclab`` cannot be imported or the local asset root is
missing. Set them up with ``bash scripts/install_isaaclab.sh``; run them with ``bash scripts/run_isaaclab_tests.sh``.
This file points Isaac Lab at the local asset root (``ISAACSIM_ASSET_ROOT``) and warp at a kept kernel cache
(``WARP_CACHE_PATH``) before anything imports them; values already set in the environment win.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ASSET_ROOT = os.environ.get("RSL_SIM_ISAACLAB_ASSETS", str(REPO_ROOT / ".isaaclab-assets"))
os.environ.setdefault("ISAACSIM_ASSET_ROOT", DEFAULT_ASSET_ROOT)
os.environ.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))

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
def isaaclab_env(task: str, num_envs: int, **cfg_changes: object) -> Iterator[object]:
    """Build a registered Isaac Lab task on the CPU (kit-less launch) and close it afterwards.

    Args:
        task: Registered gymnasium id, e.g. ``"Isaac-Velocity-Flat-UnitreeGo2"``.
        num_envs: Number of parallel environments.
        **cfg_changes: Attributes set on the parsed env config before the env is built.

    Yields:
        The env as ``gymnasium.make`` returns it (``env.unwrapped`` is the Isaac Lab env).
    """
    import gymnasium as gym
    import isaaclab.sim as sim_utils
    import isaaclab_tasks  # noqa: F401  (registers the tasks)
    from isaaclab.app.sim_launcher import launch_simulation
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    env_cfg = parse_env_cfg(task, device="cpu", num_envs=num_envs)
    for name, value in cfg_changes.items():
        setattr(env_cfg, name, value)
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
