"""Scores of a rough-terrain evaluation: passed levels, highest level passed per terrain type, score, tables.

Pure functions of the results of
:func:`~rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_rough_policy` (no simulator), so that a student's
evaluation can be scored and compared with its teacher's from the JSON alone.

- A level is **passed** when its no-fall rate is at least :data:`MIN_NO_FALL_RATE` (90 %) and its ``lin_vel_error`` is
  at most :data:`MAX_LIN_VEL_ERROR` (0.3 m/s); a level without samples is not passed.
- The **highest level passed** of a terrain type is the highest evaluated level that is passed together with every
  easier evaluated level (None when the easiest one fails).
- The **score** of a type is ``(highest level passed + 1) / number of terrain levels``, in [0, 1] (0: none passed,
  1: all ten levels); the overall score is the mean over the types.
- **Climbing** (``benchmarks/time_to_climb.py``): the training curriculum's mean level is at least :data:`CLIMB_LEVEL`
  and the evaluation's ``lin_vel_error`` over the levels up to :data:`CLIMB_LEVEL` (pooled per type, mean over the
  types) is at most :data:`MAX_LIN_VEL_ERROR`.
- A **student keeps** a teacher's skill on a terrain type when its score there is at least :data:`MIN_SCORE_RATIO`
  (90 %) of the teacher's, both measured with the same protocol (:func:`compare_to_teacher`,
  ``benchmarks/distill_depth.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MAX_LIN_VEL_ERROR = 0.3
"""A level is passed with ``lin_vel_error`` at most this [m/s]; also the climbing criterion's error."""

MIN_NO_FALL_RATE = 0.9
"""A level is passed with a no-fall rate of at least this (at most 10 % of its robots fell)."""

CLIMB_LEVEL = 4
"""Climbing criterion (``benchmarks/time_to_climb.py``): mean training terrain level at least this, and the rough
evaluation's error pooled over the levels up to this one within :data:`MAX_LIN_VEL_ERROR`."""


def score_results(
    results: dict[str, Any], max_lin_vel_error: float = MAX_LIN_VEL_ERROR, min_no_fall_rate: float = MIN_NO_FALL_RATE
) -> dict[str, Any]:
    """Add the passed levels, the per-type and overall summaries and the tables to per-level results (in place).

    Args:
        results: A dict with ``num_levels``, ``command`` and ``terrain_types`` (per type ``name`` and ``levels``: rows
            with ``level``, ``lin_vel_error`` (or None without samples), ``yaw_rate_error``, ``no_fall_rate``,
            ``episodes``, ``samples``).
        max_lin_vel_error: Largest ``lin_vel_error`` [m/s] of a passed level.
        min_no_fall_rate: Smallest no-fall rate of a passed level.

    Returns:
        ``results`` with ``criterion``, per level ``passed``, per type the pooled metrics, ``highest_level_passed``
        and ``score``, and ``overall``, ``commands``, ``tables``.
    """
    results["criterion"] = {"max_lin_vel_error": float(max_lin_vel_error), "min_no_fall_rate": float(min_no_fall_rate)}
    for kind in results["terrain_types"]:
        for row in kind["levels"]:
            row["passed"] = level_passed(row, max_lin_vel_error, min_no_fall_rate)
        kind.update(pool_levels(kind["levels"]))
        kind["highest_level_passed"] = highest_level_passed(kind["levels"])
        kind["score"] = terrain_score(kind["highest_level_passed"], results["num_levels"])
    kinds = results["terrain_types"]
    overall = {key: _mean([kind[key] for kind in kinds]) for key in ("lin_vel_error", "yaw_rate_error")}
    for key in ("no_fall_rate", "fall_rate", "crossed_rate", "score"):
        overall[key] = float(np.mean([kind[key] for kind in kinds]))
    overall["episodes"] = sum(kind["episodes"] for kind in kinds)
    overall["samples"] = sum(kind["samples"] for kind in kinds)
    results["overall"] = overall
    results["commands"] = [
        {"command": list(results["command"])}
        | {key: overall[key] for key in ("lin_vel_error", "yaw_rate_error", "no_fall_rate", "episodes", "samples")}
    ]
    results["tables"] = terrain_tables(results)
    return results


def level_passed(row: Mapping[str, Any], max_lin_vel_error: float, min_no_fall_rate: float) -> bool:
    """Whether one level is passed: no-fall rate at least ``min_no_fall_rate``, error at most ``max_lin_vel_error``.

    A level without samples (every robot fell during the warm-up) is not passed.
    """
    error = row["lin_vel_error"]
    return error is not None and error <= max_lin_vel_error and row["no_fall_rate"] >= min_no_fall_rate


def highest_level_passed(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """The highest level passed together with every easier one (rows with ``level`` and ``passed``), or None."""
    best = None
    for row in sorted(rows, key=lambda row: row["level"]):
        if not row["passed"]:
            break
        best = int(row["level"])
    return best


MIN_SCORE_RATIO = 0.9
"""A student keeps a teacher's skill on a terrain type when its score is at least this share of the teacher's."""


def terrain_score(highest: int | None, num_levels: int) -> float:
    """A type's score in [0, 1]: ``(highest level passed + 1) / num_levels``; 0 when no level is passed."""
    return 0.0 if highest is None else (highest + 1) / num_levels


def pool_levels(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Metrics pooled over levels: errors weighted by the samples, rates averaged (equal episodes per level).

    Returns:
        ``lin_vel_error`` / ``yaw_rate_error`` (None without samples), ``no_fall_rate``, ``fall_rate``,
        ``crossed_rate`` (0 where rows lack it), ``episodes`` and ``samples``.
    """
    samples = sum(row["samples"] for row in rows)

    def pooled(key: str) -> float | None:
        if not samples:
            return None
        return float(sum(row[key] * row["samples"] for row in rows if row["samples"]) / samples)

    no_fall = float(np.mean([row["no_fall_rate"] for row in rows]))
    return {
        "lin_vel_error": pooled("lin_vel_error"),
        "yaw_rate_error": pooled("yaw_rate_error"),
        "no_fall_rate": no_fall,
        "fall_rate": 1.0 - no_fall,
        "crossed_rate": float(np.mean([row.get("crossed_rate", 0.0) for row in rows])),
        "episodes": int(sum(row["episodes"] for row in rows)),
        "samples": int(samples),
    }


def climbing_summary(results: Mapping[str, Any], max_level: int = CLIMB_LEVEL) -> dict[str, Any]:
    """The evaluation restricted to the levels up to ``max_level``: per type pooled, then the mean over the types.

    Returns:
        ``lin_vel_error`` [m/s] (None without samples), ``no_fall_rate`` and ``levels`` (the levels used).

    Raises:
        ValueError: If no evaluated level is at most ``max_level``.
    """
    pooled = []
    for kind in results["terrain_types"]:
        rows = [row for row in kind["levels"] if row["level"] <= max_level]
        if not rows:
            raise ValueError(f"climbing_summary: no evaluated level is <= {max_level}; evaluate level 0 upwards.")
        pooled.append(pool_levels(rows))
    used = sorted({row["level"] for kind in results["terrain_types"] for row in kind["levels"]})
    return {
        "lin_vel_error": _mean([entry["lin_vel_error"] for entry in pooled]),
        "no_fall_rate": float(np.mean([entry["no_fall_rate"] for entry in pooled])),
        "levels": [level for level in used if level <= max_level],
    }


def meets_climbing_criterion(
    results: Mapping[str, Any],
    mean_terrain_level: float,
    min_terrain_level: float = CLIMB_LEVEL,
    max_lin_vel_error: float = MAX_LIN_VEL_ERROR,
    min_no_fall_rate: float = 0.0,
) -> bool:
    """Whether a rough policy climbs: training curriculum level and rough-evaluation tracking within the bounds.

    Args:
        results: The dict of :func:`evaluate_rough_policy`.
        mean_terrain_level: The training curriculum's mean level (``Curriculum/terrain_levels``).
        min_terrain_level: Smallest mean level (also the highest level of :func:`climbing_summary`).
        max_lin_vel_error: Largest ``lin_vel_error`` [m/s] over the levels up to ``min_terrain_level``.
        min_no_fall_rate: Smallest no-fall rate over those levels (0: not checked, the issue's criterion).

    Returns:
        True when all three bounds hold.
    """
    summary = climbing_summary(results, int(math.floor(min_terrain_level)))
    error = summary["lin_vel_error"]
    return (
        mean_terrain_level >= min_terrain_level
        and error is not None
        and error <= max_lin_vel_error
        and summary["no_fall_rate"] >= min_no_fall_rate
    )


def terrain_tables(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-type summary and the per-type-and-level table as text cells (``title``, ``header``, ``rows``)."""
    summary_rows = []
    for kind in [*results["terrain_types"], {"name": "overall (mean)", **results["overall"]}]:
        highest = kind.get("highest_level_passed", "")
        summary_rows.append(
            [
                kind["name"],
                ", ".join(kind.get("sub_terrains", [])),
                _number(kind["lin_vel_error"], 3),
                _number(kind["yaw_rate_error"], 3),
                f"{100.0 * kind['fall_rate']:.1f} %",
                f"{100.0 * kind['crossed_rate']:.1f} %",
                "-" if highest is None else str(highest),
                f"{kind['score']:.2f}",
            ]
        )
    levels = sorted({row["level"] for kind in results["terrain_types"] for row in kind["levels"]})
    level_rows = []
    for kind in results["terrain_types"]:
        cells = {row["level"]: row for row in kind["levels"]}
        level_rows.append([kind["name"]] + [_cell(cells.get(level)) for level in levels])
    criterion = results["criterion"]
    return [
        {
            "title": (
                f"Rough terrain, command {tuple(results['command'])}: per terrain type (passed: no fall >= "
                f"{100 * criterion['min_no_fall_rate']:g} % and error <= {criterion['max_lin_vel_error']:g} m/s at a"
                f" level and every easier one; score = (highest passed + 1) / {results['num_levels']})"
            ),
            "header": [
                "terrain type",
                "sub-terrains",
                "lin. vel. error [m/s]",
                "yaw rate error [rad/s]",
                "falls",
                "crossed",
                "highest level passed",
                "score",
            ],
            "rows": summary_rows,
        },
        {
            "title": "Per level: lin. vel. error [m/s] / falls (* = passed)",
            "header": ["terrain type", *[f"level {level}" for level in levels]],
            "rows": level_rows,
        },
    ]


def compare_to_teacher(
    student: Mapping[str, Any], teacher: Mapping[str, Any], min_ratio: float = MIN_SCORE_RATIO
) -> dict[str, Any]:
    """Per terrain type, the student's score against the teacher's.

    Args:
        student: Results of :func:`~rsl_sim.tasks.locomotion.velocity.rough_evaluation.evaluate_rough_policy` for
            the student (on its own task, e.g. the depth task).
        teacher: The teacher's results on the same terrain types, levels and command.
        min_ratio: Share of the teacher's score the student must reach on a type.

    Returns:
        ``types`` (per type: ``name``, ``teacher_score``, ``student_score``, ``ratio`` = student / teacher, None when
        the teacher scores 0, and ``kept``: student >= ``min_ratio`` x teacher), ``overall_ratio`` (overall scores,
        None when the teacher's is 0), ``min_ratio`` and ``all_kept`` (every type kept).

    Raises:
        ValueError: If the two evaluations do not cover the same terrain types, levels and command, or
            ``min_ratio`` is outside [0, 1].
    """
    if not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio must be in [0, 1], got {min_ratio}.")
    for key in ("command", "num_levels"):
        if list(np.atleast_1d(student[key])) != list(np.atleast_1d(teacher[key])):
            raise ValueError(
                f"student and teacher were evaluated with different {key}: {student[key]} vs {teacher[key]}."
            )
    student_types = {kind["name"]: kind for kind in student["terrain_types"]}
    teacher_types = {kind["name"]: kind for kind in teacher["terrain_types"]}
    if list(student_types) != list(teacher_types):
        raise ValueError(
            f"student and teacher were evaluated on different terrain types: {list(student_types)} vs"
            f" {list(teacher_types)}."
        )
    types = []
    for name, kind in teacher_types.items():
        levels = [[row["level"] for row in k["levels"]] for k in (kind, student_types[name])]
        if levels[0] != levels[1]:
            raise ValueError(
                f"terrain type '{name}': student and teacher were evaluated on levels {levels[1]} vs {levels[0]}."
            )
        teacher_score, student_score = kind["score"], student_types[name]["score"]
        types.append(
            {
                "name": name,
                "teacher_score": teacher_score,
                "student_score": student_score,
                "ratio": student_score / teacher_score if teacher_score > 0 else None,
                "kept": student_score >= min_ratio * teacher_score,
            }
        )
    teacher_overall = teacher["overall"]["score"]
    return {
        "types": types,
        "overall_ratio": student["overall"]["score"] / teacher_overall if teacher_overall > 0 else None,
        "min_ratio": min_ratio,
        "all_kept": all(kind["kept"] for kind in types),
    }


def format_markdown(results: Mapping[str, Any]) -> str:
    """The tables of :func:`terrain_tables` as GitHub markdown (with a caption line of the evaluation's settings)."""
    lines = [
        f"{results['task']}: {results['num_envs']} robots ({results['robots_per_cell']} per cell) x seeds "
        f"{results['seeds']}, episodes up to {results['episode_length_s']:g} s (first {results['warmup_s']:g} s not "
        "measured; a robot is measured until it leaves its sub-terrain)"
    ]
    for table in terrain_tables(results):
        lines += ["", f"**{table['title']}**", "", "| " + " | ".join(table["header"]) + " |"]
        lines.append("| --- | " + " | ".join("---:" for _ in table["header"][1:]) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in table["rows"]]
    return "\n".join(lines) + "\n"


def _mean(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None if there are none)."""
    present = [value for value in values if value is not None]
    return float(sum(present) / len(present)) if present else None


def _number(value: float | None, digits: int) -> str:
    """A table number, ``-`` for None."""
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _cell(row: Mapping[str, Any] | None) -> str:
    """One cell of the per-level table: error / falls, ``*`` when passed."""
    if row is None:
        return ""
    return f"{_number(row['lin_vel_error'], 2)} / {100.0 * row['fall_rate']:.0f} %" + (" *" if row["passed"] else "")
