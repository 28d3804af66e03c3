"""The Go2 flat policy shipped in the package (trained on CPU MuJoCo) walks on the Isaac Lab flat task too.

``rsl-sim evaluate --task RslSim-Isaac-Velocity-Flat-Go2-v0 --use_pretrained_checkpoint`` with a small protocol
(16 robots, one seed, 4 s episodes, no push yet): the forward commands are tracked well within their speed (a
standing robot's error is the speed itself, see test_isaaclab_evaluate.py) and at most one robot of 16 falls (on this
backend the policy falls more often than on MuJoCo: 5 of 32 episodes in 20 s with pushes, see the policy's README);
the results go to ``<log_root>/pretrained/<task>/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

TASK = "RslSim-Isaac-Velocity-Flat-Go2-v0"


def test_the_shipped_flat_policy_walks_on_isaaclab(tmp_path):
    command = [
        sys.executable, "-m", "rsl_sim.cli", "evaluate", "--task", TASK, "--use_pretrained_checkpoint", "--headless",
        "--num_envs", "16", "--seeds", "0", "--episode_length_s", "4", "--log_root", str(tmp_path / "logs"),
    ]  # fmt: skip
    env = {**os.environ, "ISAACSIM_ASSET_ROOT": os.environ["ISAACSIM_ASSET_ROOT"]}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "logs" / "pretrained" / TASK / "evaluation.json").read_text())
    by_command = {tuple(row["command"]): row for row in results["commands"]}
    for speed in (0.5, 1.0):
        row = by_command[(speed, 0.0, 0.0)]
        assert row["lin_vel_error"] < 0.3, row
    assert results["overall"]["lin_vel_error"] < 0.25 and results["overall"]["no_fall_rate"] >= 15 / 16
    assert results["checkpoint"].endswith(os.path.join("go2", "policies", "flat", "model_624.pt"))
