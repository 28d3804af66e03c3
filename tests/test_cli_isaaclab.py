"""rsl-sim on a real Isaac Lab task: train (with an env override), then export from the run folder alone.

Needs Isaac Lab (scripts/install_isaaclab.sh; run in its venv, e.g. ``.venv-isaaclab/bin/python -m pytest
tests/test_cli_isaaclab.py``); skipped with the reason elsewhere. The commands run as subprocesses: Isaac Lab's
simulation launch stays out of the test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rsl_sim.cli.tasks import isaaclab_available

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSET_ROOT = Path(os.environ.get("ISAACSIM_ASSET_ROOT", REPO_ROOT / ".isaaclab-assets"))
TASK = "Isaac-Velocity-Flat-UnitreeGo2"

pytestmark = [
    pytest.mark.isaaclab,
    pytest.mark.skipif(not isaaclab_available(), reason="isaaclab is not installed: scripts/install_isaaclab.sh"),
    pytest.mark.skipif(not ASSET_ROOT.is_dir(), reason=f"no Isaac Lab asset root at {ASSET_ROOT}"),
]


def _rsl_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ISAACSIM_ASSET_ROOT": str(ASSET_ROOT)}
    env.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))
    command = [sys.executable, "-m", "rsl_sim.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_train_and_export_an_isaaclab_task(tmp_path):
    train = _rsl_sim(
        "train", "--task", TASK, "--num_envs", "4", "--max_iterations", "2", "--device", "cpu", "--headless",
        "agent.num_steps_per_env=8", "env.rewards.feet_air_time.weight=0.5", cwd=tmp_path,
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    runs = list((tmp_path / "logs").glob("*/*"))
    assert len(runs) == 1 and (runs[0] / "model_1.pt").is_file()
    env_cfg = yaml.safe_load((runs[0] / "params" / "env.yaml").read_text())
    assert env_cfg["rewards"]["feet_air_time"]["weight"] == 0.5

    export = _rsl_sim("export", str(runs[0]), cwd=tmp_path)
    assert export.returncode == 0, export.stdout[-3000:] + export.stderr[-3000:]
    assert (runs[0] / "exported" / "policy.onnx").is_file() and "checked with onnxruntime" in export.stdout
