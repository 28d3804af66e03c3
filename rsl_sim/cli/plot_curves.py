"""Learning curves from TensorBoard event files: reading the scalars of runs and drawing them (matplotlib, Agg).

Figures (one PNG each, written only when some run has their tags; several runs share each axes, one colour per run):

- ``return.png``: ``Train/mean_reward`` (mean episode return) per iteration;
- ``episode_length.png``: ``Train/mean_episode_length`` [steps];
- ``episode_rewards.png``: one panel per ``Episode_Reward/<term>`` (Isaac Lab's per-term episode sums / s);
- ``metrics.png``: one panel per ``Metrics/...`` (e.g. velocity tracking errors, success rate);
- ``terminations.png``, ``curriculum.png``, ``losses.png``: ``Episode_Termination/*``, ``Curriculum/*``, ``Loss/*``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import CliError, require_module

SINGLE_FIGURES = {"return": "Train/mean_reward", "episode_length": "Train/mean_episode_length"}
"""Figures of one tag: file name -> tag."""

PANEL_FIGURES = {
    "episode_rewards": "Episode_Reward/",
    "metrics": "Metrics/",
    "terminations": "Episode_Termination/",
    "curriculum": "Curriculum/",
    "losses": "Loss/",
}
"""Figures with one panel per tag: file name -> tag prefix."""

MAX_COLUMNS = 4
"""Panels per row of a panel figure."""

MARKER_POINTS = 30
"""Curves with at most this many points show a marker at each point."""


@dataclass
class RunScalars:
    """The scalars of one run.

    Attributes:
        name: Label of the run (its folder name).
        scalars: Tag -> ``(steps [n], values [n])``, steps ascending.
    """

    name: str
    scalars: dict[str, tuple[np.ndarray, np.ndarray]]


def has_event_files(run_dir: str) -> bool:
    """Whether a folder holds TensorBoard event files."""
    return os.path.isdir(run_dir) and any(name.startswith("events.out.tfevents") for name in os.listdir(run_dir))


def read_run(run_dir: str) -> RunScalars:
    """Read every scalar of a run's event files (TensorBoard's ``EventAccumulator``, nothing dropped).

    Raises:
        CliError: If the folder holds no event files, or tensorboard is not installed.
    """
    if not has_event_files(run_dir):
        raise CliError(f"no TensorBoard event files in '{run_dir}': give a run folder (logs/<experiment>/<run>).")
    event_accumulator = require_module(
        "tensorboard.backend.event_processing.event_accumulator", "reading learning curves"
    )
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    scalars = {}
    for tag in accumulator.Tags().get("scalars", []):
        events = sorted(accumulator.Scalars(tag), key=lambda event: event.step)
        # a resumed or restarted writer may repeat steps: keep the last value of each step
        by_step = {event.step: event.value for event in events}
        steps = np.array(sorted(by_step), dtype=np.int64)
        scalars[tag] = (steps, np.array([by_step[step] for step in steps], dtype=np.float64))
    return RunScalars(os.path.basename(os.path.normpath(run_dir)), scalars)


def plot_runs(runs: Sequence[RunScalars], out_dir: str, smooth: int = 1, extra_tags: Sequence[str] = ()) -> list[str]:
    """Draw the learning-curve figures of the runs (see the module docstring); returns the files written.

    Args:
        runs: The runs (overlaid, one colour each).
        out_dir: Folder of the PNG files (created).
        smooth: Window of the trailing moving average (1: raw values).
        extra_tags: Regular expressions; matching tags go into an extra ``custom.png`` panel figure.

    Raises:
        CliError: If matplotlib is not installed, ``smooth`` < 1, or no run has any known tag.
    """
    import re

    if smooth < 1:
        raise CliError(f"--smooth must be >= 1, got {smooth}.")
    require_module("matplotlib", "plotting")
    os.makedirs(out_dir, exist_ok=True)
    all_tags = sorted({tag for run in runs for tag in run.scalars})
    written = []

    # One tag per figure
    for name, tag in SINGLE_FIGURES.items():
        if tag in all_tags:
            written.append(_figure(runs, [tag], os.path.join(out_dir, f"{name}.png"), smooth))

    # One panel per tag
    groups = dict(PANEL_FIGURES)
    for name, prefix in groups.items():
        tags = [tag for tag in all_tags if tag.startswith(prefix) and not tag.endswith("/time")]
        if tags:
            written.append(_figure(runs, tags, os.path.join(out_dir, f"{name}.png"), smooth, strip=prefix))
    if extra_tags:
        try:
            patterns = [re.compile(pattern) for pattern in extra_tags]
        except re.error as error:
            raise CliError(f"bad --tags regular expression: {error}.") from error
        tags = [tag for tag in all_tags if any(pattern.search(tag) for pattern in patterns)]
        if not tags:
            raise CliError(f"no tag matches --tags {list(extra_tags)}. Tags: {all_tags}.")
        written.append(_figure(runs, tags, os.path.join(out_dir, "custom.png"), smooth))
    if not written:
        raise CliError(f"the runs have none of the plotted tags. Their tags: {all_tags or 'none'}.")
    return written


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` values (shorter at the start), same length as ``values``."""
    if window <= 1 or values.size == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return (sums[1:] - sums[np.maximum(np.arange(1, values.size + 1) - window, 0)]) / counts


def _figure(runs: Sequence[RunScalars], tags: list[str], path: str, smooth: int, strip: str = "") -> str:
    """One figure: a panel per tag, every run that has the tag drawn in it; saved as PNG."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    columns = min(MAX_COLUMNS, len(tags))
    rows = math.ceil(len(tags) / columns)
    size = (6.4, 4.0) if len(tags) == 1 else (4.2 * columns + 0.6, 3.0 * rows + 0.6)
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    colors = [f"C{index % 10}" for index in range(len(runs))]
    for axis, tag in zip(axes, tags):
        for run, color in zip(runs, colors):
            if tag in run.scalars:
                steps, values = run.scalars[tag]
                marker = "o" if steps.size <= MARKER_POINTS else None
                axis.plot(
                    steps, moving_average(values, smooth), color=color, marker=marker, markersize=3, linewidth=1.4
                )
        axis.set_title(tag[len(strip) :] if strip else tag, fontsize=10)
        axis.set_xlabel("iteration", fontsize=9)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(True, alpha=0.3)
        axis.tick_params(labelsize=8)
    for axis in axes[len(tags) :]:
        axis.set_visible(False)
    # Legend: inside a lone panel, below a grid of panels
    if len(runs) > 1:
        handles = [Line2D([], [], color=color, label=run.name) for run, color in zip(runs, colors)]
        if len(tags) == 1:
            axes[0].legend(handles=handles, fontsize=8)
        else:
            figure.legend(handles=handles, loc="outside lower center", ncols=min(len(runs), 3), fontsize=9)
    if strip:
        figure.suptitle(strip.rstrip("/"), fontsize=12)
    figure.savefig(path)
    return path
