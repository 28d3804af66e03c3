"""rsl-sim plot: learning curves from the event files of real short runs, and the evaluation table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rsl_sim.cli import run_command
from rsl_sim.cli.errors import CliError
from rsl_sim.cli.plot_curves import moving_average, read_run
from rsl_sim.cli.plot_table import table_rows, to_markdown

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

# matplotlib's first two colours (C0 blue, C1 orange) as RGB in [0, 1]
BLUE, ORANGE = np.array([0.122, 0.467, 0.706]), np.array([1.0, 0.498, 0.055])

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two Pendulum runs (3 iterations of 2 x 100 steps: episodes end from iteration 1 on) and a Go2 run whose
    episodes last 0.1 s (so that Isaac Lab's Episode_Reward / Metrics terms are logged every iteration)."""
    root = tmp_path_factory.mktemp("logs")
    common = ["--num_envs", "2", "--max_iterations", "3", "--log_root", str(root), "--device", "cpu"]
    pendulum = ["train", "--task", "Pendulum-v1", *common, "agent.num_steps_per_env=100"]
    first = run_command([*pendulum, "--run_name", "a"])
    second = run_command([*pendulum, "--run_name", "b", "--seed", "3"])
    go2 = run_command(
        ["train", "--task", "RslSim/Go2-Flat-v0", *common, "agent.num_steps_per_env=8", "env.episode_length_s=0.1"]
    )
    return {"a": Path(first), "b": Path(second), "go2": Path(go2)}


def _image(path: Path) -> np.ndarray:
    image = imread(str(path))
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image[..., :3]


def _pixels_near(image: np.ndarray, color: np.ndarray, tolerance: float = 0.08) -> int:
    return int((np.abs(image - color).max(axis=-1) < tolerance).sum())


def test_read_run_gives_the_logged_scalars(runs):
    scalars = read_run(str(runs["a"])).scalars
    steps, returns = scalars["Train/mean_reward"]
    assert list(steps) == [1, 2]  # no episode ended in iteration 0
    assert np.all(returns <= 0.0) and np.all(returns >= -3255.0)
    lengths = scalars["Train/mean_episode_length"][1]
    np.testing.assert_allclose(lengths, 200.0)
    assert list(scalars["Loss/learning_rate"][0]) == [0, 1, 2]
    go2 = read_run(str(runs["go2"])).scalars
    assert "Episode_Reward/track_lin_vel_xy_exp" in go2 and "Metrics/base_velocity/error_vel_xy" in go2


def test_plot_writes_nontrivial_pngs_with_runs_overlaid(runs, tmp_path):
    written = run_command(["plot", str(runs["a"]), str(runs["b"]), "--out", str(tmp_path)])
    names = {Path(path).name for path in written}
    assert {"return.png", "episode_length.png", "losses.png"} <= names
    assert "episode_rewards.png" not in names  # Pendulum logs no reward terms

    image = _image(tmp_path / "return.png")
    assert image.shape[:2] == (400, 640)  # 6.4 x 4.0 in at 100 dpi
    assert image.std() > 0.05 and (image.min(axis=-1) < 0.9).mean() > 0.01  # not blank
    # One curve per run: both colours are drawn, each far more than its legend entry alone (about 50 pixels)
    assert _pixels_near(image, BLUE) > 300 and _pixels_near(image, ORANGE) > 300


def test_plot_draws_one_panel_per_reward_term(runs, tmp_path):
    written = run_command(["plot", str(runs["go2"]), "--out", str(tmp_path), "--smooth", "2"])
    assert {"episode_rewards.png", "metrics.png", "terminations.png"} <= {Path(path).name for path in written}
    terms = [tag for tag in read_run(str(runs["go2"])).scalars if tag.startswith("Episode_Reward/")]
    assert len(terms) >= 10
    # Panels in rows of 4, 3.0 in per row + 0.6 in, at 100 dpi
    image = _image(tmp_path / "episode_rewards.png")
    rows = math.ceil(len(terms) / 4)
    assert image.shape[:2] == (round((3.0 * rows + 0.6) * 100), round((4.2 * 4 + 0.6) * 100))
    assert image.std() > 0.05
    # The default output folder of a single run is <run>/plots
    run_command(["plot", str(runs["go2"]), "--tags", "Policy/.*"])
    assert (runs["go2"] / "plots" / "custom.png").is_file()
    # An experiment folder stands for its runs (Pendulum: runs a and b)
    written = run_command(["plot", str(runs["a"].parent), "--out", str(tmp_path / "experiment")])
    assert _pixels_near(_image(tmp_path / "experiment" / "return.png"), ORANGE) > 300


def test_evaluation_table_as_markdown_and_png(tmp_path):
    results = {
        "task": "RslSim/Go2-Flat-v0",
        "num_envs": 16,
        "seeds": [0, 1],
        "episode_length_s": 20.0,
        "warmup_s": 1.0,
        "commands": [
            {"command": [0.5, 0.0, 0.0], "lin_vel_error": 0.1234, "yaw_rate_error": 0.05, "no_fall_rate": 1.0,
             "episodes": 16, "samples": 100},
            {"command": [0.0, 0.0, 1.0], "lin_vel_error": None, "yaw_rate_error": None, "no_fall_rate": 0.5,
             "episodes": 16, "samples": 0},
        ],
        "overall": {"lin_vel_error": 0.1234, "yaw_rate_error": 0.05, "no_fall_rate": 0.75, "episodes": 32,
                    "samples": 100},
    }  # fmt: skip
    assert table_rows(results) == [
        ("(+0.50, +0.00, +0.00)", "0.123", "0.050", "100.0 %", "16"),
        ("(+0.00, +0.00, +1.00)", "-", "-", "50.0 %", "16"),
        ("overall (mean)", "0.123", "0.050", "75.0 %", "32"),
    ]
    markdown = to_markdown(results).splitlines()
    assert markdown[2].startswith("| command (vx, vy, wz) |") and len(markdown) == 2 + 2 + 3
    assert markdown[-1] == "| overall (mean) | 0.123 | 0.050 | 75.0 % | 32 |"

    # A run folder holding only an evaluation gets the table files
    run = tmp_path / "run"
    run.mkdir()
    (run / "evaluation.json").write_text(json.dumps(results))
    written = run_command(["plot", str(run), "--out", str(tmp_path / "out")])
    assert sorted(Path(path).name for path in written) == ["evaluation.md", "evaluation.png"]
    assert _image(tmp_path / "out" / "evaluation.png").std() > 0.05


def test_plot_errors(tmp_path):
    with pytest.raises(CliError, match="no TensorBoard event files and no evaluation.json"):
        run_command(["plot", str(tmp_path)])
    with pytest.raises(CliError, match="neither a run folder nor"):
        run_command(["plot", str(tmp_path / "missing")])


def test_moving_average_is_the_trailing_mean():
    values = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(moving_average(values, 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(moving_average(values, 10), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(moving_average(values, 1), values)
