"""The evaluation table (``evaluation.json`` of ``rsl-sim evaluate``) as markdown and as a PNG image.

Rows: one per command ``(v_x, v_y, omega_z)`` and the overall mean; columns: linear-velocity tracking error [m/s],
yaw-rate error [rad/s], share of episodes without a fall, number of episodes (the columns of
:func:`rsl_sim.tasks.locomotion.velocity.evaluation.format_table`). An evaluation may add further tables as text
cells (``"tables"``: a list of ``{"title", "header", "rows"}``, e.g. the rough-terrain evaluation's per terrain type
and level); the markdown shows them below the main table, the PNG shows the main table only.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from .errors import CliError, require_module

HEADER = ("command (vx, vy, wz)", "lin. vel. error [m/s]", "yaw rate error [rad/s]", "no fall", "episodes")
"""Column titles."""


def load_evaluation(path: str) -> dict[str, Any]:
    """Read an ``evaluation.json``.

    Raises:
        CliError: If the file is missing, not JSON, or lacks the ``commands`` / ``overall`` entries.
    """
    if not os.path.isfile(path):
        raise CliError(f"no evaluation file '{path}': run 'rsl-sim evaluate' on the run first.")
    try:
        with open(path, encoding="utf-8") as file:
            results = json.load(file)
    except json.JSONDecodeError as error:
        raise CliError(f"'{path}' is not valid JSON: {error}.") from error
    if not isinstance(results, dict) or "commands" not in results or "overall" not in results:
        raise CliError(f"'{path}' is not an evaluation of 'rsl-sim evaluate' (no 'commands' / 'overall').")
    return results


def table_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    """The table's rows of cells (header not included); the last row is the overall mean."""
    rows = [_row("({:+.2f}, {:+.2f}, {:+.2f})".format(*row["command"]), row) for row in results["commands"]]
    rows.append(_row("overall (mean)", results["overall"]))
    return rows


def to_markdown(results: dict[str, Any], title: str | None = None) -> str:
    """The table as GitHub markdown (numbers right-aligned), with a caption line of the evaluation's settings."""
    lines = [f"**{title}**", ""] if title else []
    lines.append(_caption(results))
    lines.append("")
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in HEADER[1:]) + " |")
    for row in table_rows(results):
        lines.append("| " + " | ".join(row) + " |")
    # Further tables an evaluation adds as text cells (e.g. the rough-terrain evaluation's per-type tables)
    for extra in results.get("tables", []):
        lines += ["", f"**{extra['title']}**", "", "| " + " | ".join(extra["header"]) + " |"]
        lines.append("| --- | " + " | ".join("---:" for _ in extra["header"][1:]) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in extra["rows"]]
    return "\n".join(lines) + "\n"


def to_png(results: dict[str, Any], path: str, title: str | None = None) -> str:
    """Draw the table into a PNG (matplotlib, Agg; the overall row in bold); returns the path.

    Raises:
        CliError: If matplotlib is not installed.
    """
    require_module("matplotlib", "plotting the evaluation table")
    from matplotlib.figure import Figure

    rows = table_rows(results)
    figure = Figure(figsize=(9.0, 0.3 * (len(rows) + 1) + 0.5), dpi=120)
    axis = figure.add_subplot()
    axis.axis("off")
    table = axis.table(cellText=rows, colLabels=HEADER, loc="center", cellLoc="right", colLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(list(range(len(HEADER))))
    table.scale(1.0, 1.3)
    for (row, column), cell in table.get_celld().items():
        if row == 0 or row == len(rows):
            cell.set_text_props(fontweight="bold")
        if row == 0:
            cell.set_facecolor("#e6e6e6")
        elif column == 0:
            cell.set_text_props(horizontalalignment="left", family="monospace")
    figure.suptitle((f"{title}\n" if title else "") + _caption(results), fontsize=10)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, bbox_inches="tight")
    return path


def _caption(results: dict[str, Any]) -> str:
    """One line: task, robots, seeds, episode length."""
    return (
        f"{results.get('task', '?')}: {results.get('num_envs', '?')} robots x seeds {results.get('seeds', '?')}, "
        f"{results.get('episode_length_s', 0):g} s episodes (first {results.get('warmup_s', 0):g} s not measured)"
    )


def _row(label: str, row: dict[str, Any]) -> tuple[str, ...]:
    """Cells of one row."""

    def number(value: float | None, digits: int) -> str:
        return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"

    return (
        label,
        number(row.get("lin_vel_error"), 3),
        number(row.get("yaw_rate_error"), 3),
        f"{100.0 * row['no_fall_rate']:.1f} %" if row.get("no_fall_rate") is not None else "-",
        str(row.get("episodes", "-")),
    )
