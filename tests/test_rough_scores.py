"""Rough-terrain scores on hand-made results: passed levels at the thresholds, highest level passed, per-type and
overall scores, pooled errors, the climbing criterion and a student against its teacher (analytic values, no
simulation)."""

from __future__ import annotations

import json

import pytest

from rsl_sim.tasks.locomotion.velocity.rough_scores import (
    climbing_summary,
    compare_to_teacher,
    format_markdown,
    highest_level_passed,
    meets_climbing_criterion,
    score_results,
    terrain_score,
)


def level(index: int, error: float | None, no_fall: float, samples: int = 100) -> dict:
    return {
        "level": index,
        "lin_vel_error": error,
        "yaw_rate_error": None if error is None else error / 2,
        "no_fall_rate": no_fall,
        "fall_rate": 1.0 - no_fall,
        "crossed_rate": 0.5,
        "episodes": 10,
        "samples": samples if error is not None else 0,
    }


def results(types: dict[str, list[dict]], num_levels: int = 10) -> dict:
    return {
        "task": "hand-made",
        "num_envs": 10 * sum(len(rows) for rows in types.values()),
        "seeds": [0],
        "episode_length_s": 20.0,
        "warmup_s": 1.0,
        "robots_per_cell": 10,
        "command": [0.5, 0.0, 0.0],
        "num_levels": num_levels,
        "terrain_types": [{"name": name, "sub_terrains": [name], "levels": rows} for name, rows in types.items()],
    }


def test_passed_levels_highest_level_and_scores():
    scored = score_results(
        results(
            {
                # every level passed, at the bounds exactly (error 0.3 m/s, no-fall 90 %)
                "all": [level(i, 0.3, 0.9) for i in range(10)],
                # level 3 fails on the error: 0, 1, 2 count even though 4 passes again
                "gap": [level(i, 0.31 if i == 3 else 0.1, 1.0) for i in range(5)],
                # the easiest level fails on falls
                "none": [level(0, 0.1, 0.89), level(1, 0.1, 1.0)],
                # a level whose robots all fell in the warm-up has no samples and is not passed
                "empty": [level(0, 0.2, 1.0), level(1, None, 0.0)],
            }
        )
    )
    kinds = {kind["name"]: kind for kind in scored["terrain_types"]}
    assert all(row["passed"] for row in kinds["all"]["levels"])
    assert [row["passed"] for row in kinds["gap"]["levels"]] == [True, True, True, False, True]
    assert (kinds["all"]["highest_level_passed"], kinds["all"]["score"]) == (9, 1.0)
    assert (kinds["gap"]["highest_level_passed"], kinds["gap"]["score"]) == (2, pytest.approx(0.3))
    assert (kinds["none"]["highest_level_passed"], kinds["none"]["score"]) == (None, 0.0)
    assert (kinds["empty"]["highest_level_passed"], kinds["empty"]["score"]) == (0, pytest.approx(0.1))
    assert scored["overall"]["score"] == pytest.approx((1.0 + 0.3 + 0.0 + 0.1) / 4)
    assert scored["criterion"] == {"max_lin_vel_error": 0.3, "min_no_fall_rate": 0.9}
    # the plot-compatible command row holds the overall means
    assert scored["commands"][0]["command"] == [0.5, 0.0, 0.0]
    assert scored["commands"][0]["lin_vel_error"] == scored["overall"]["lin_vel_error"]
    json.dumps(scored, allow_nan=False)


def test_pooled_errors_are_sample_weighted_and_rates_averaged():
    scored = score_results(results({"a": [level(0, 0.1, 1.0, samples=300), level(1, 0.5, 0.5, samples=100)]}))
    kind = scored["terrain_types"][0]
    assert kind["lin_vel_error"] == pytest.approx((0.1 * 300 + 0.5 * 100) / 400)
    assert kind["yaw_rate_error"] == pytest.approx((0.05 * 300 + 0.25 * 100) / 400)
    assert kind["no_fall_rate"] == pytest.approx(0.75) and kind["fall_rate"] == pytest.approx(0.25)
    assert (kind["episodes"], kind["samples"]) == (20, 400)
    # levels without samples do not count in the pooled error
    empty = score_results(results({"a": [level(0, 0.2, 1.0), level(1, None, 0.0)]}))["terrain_types"][0]
    assert empty["lin_vel_error"] == pytest.approx(0.2)


def test_highest_level_and_score_helpers():
    assert highest_level_passed([{"level": 2, "passed": True}, {"level": 0, "passed": True}]) == 2  # sorted by level
    assert highest_level_passed([]) is None
    assert terrain_score(None, 10) == 0.0 and terrain_score(4, 10) == 0.5 and terrain_score(9, 10) == 1.0


def test_climbing_criterion_uses_the_levels_up_to_the_climb_level():
    # errors 0.2 up to level 4, 1.0 above: the climb error is 0.2 whatever the harder levels do
    rows = [level(i, 0.2 if i <= 4 else 1.0, 1.0 if i <= 4 else 0.0) for i in range(10)]
    scored = score_results(results({"a": rows, "b": [dict(row) for row in rows]}))
    summary = climbing_summary(scored)
    assert summary == {"lin_vel_error": pytest.approx(0.2), "no_fall_rate": 1.0, "levels": [0, 1, 2, 3, 4]}
    assert meets_climbing_criterion(scored, mean_terrain_level=4.0)
    assert not meets_climbing_criterion(scored, mean_terrain_level=3.99)
    assert not meets_climbing_criterion(scored, mean_terrain_level=4.0, max_lin_vel_error=0.19)
    assert not meets_climbing_criterion(scored, mean_terrain_level=6.0, min_terrain_level=6)  # levels 5, 6 err 1.0
    with pytest.raises(ValueError, match="no evaluated level is <= 4"):
        climbing_summary(score_results(results({"a": [level(5, 0.1, 1.0)]})))


def test_markdown_lists_every_type_and_level():
    scored = score_results(
        results({"stairs_up": [level(0, 0.1, 1.0), level(1, 0.4, 0.8)], "boxes": [level(0, 0.2, 1.0)]})
    )
    text = format_markdown(scored)
    assert "| stairs_up | stairs_up | 0.250 | 0.125 | 10.0 % | 50.0 % | 0 | 0.10 |" in text
    assert "| stairs_up | 0.10 / 0 % * | 0.40 / 20 % |" in text
    assert "| boxes | 0.20 / 0 % * |  |" in text
    assert "| overall (mean) |" in text


def test_student_keeps_a_type_at_90_percent_of_the_teachers_score():
    def scored(highest: dict[str, int]) -> dict:
        # levels up to ``highest`` pass, the next one fails on falls
        return score_results(
            results(
                {name: [level(i, 0.1, 1.0 if i <= top else 0.5) for i in range(10)] for name, top in highest.items()}
            )
        )

    teacher = scored({"stairs": 9, "boxes": 4, "slopes": -1})
    student = scored({"stairs": 8, "boxes": 3, "slopes": -1})
    compared = compare_to_teacher(student, teacher)
    by_type = {kind["name"]: kind for kind in compared["types"]}
    # 9 of 10 levels against 10: exactly 90 %, kept; 4 of 5: 80 %, not kept; a type the teacher fails is kept
    assert by_type["stairs"]["ratio"] == pytest.approx(0.9) and by_type["stairs"]["kept"]
    assert by_type["boxes"]["ratio"] == pytest.approx(0.8) and not by_type["boxes"]["kept"]
    assert by_type["slopes"]["ratio"] is None and by_type["slopes"]["kept"]
    assert by_type["slopes"]["teacher_score"] == 0.0 and by_type["stairs"]["student_score"] == pytest.approx(0.9)
    assert not compared["all_kept"]
    assert compared["overall_ratio"] == pytest.approx((0.9 + 0.4) / (1.0 + 0.5))
    assert compare_to_teacher(student, teacher, min_ratio=0.8)["all_kept"]
    assert compare_to_teacher(teacher, teacher)["all_kept"]


def test_student_and_teacher_must_share_the_protocol():
    teacher = score_results(results({"stairs": [level(0, 0.1, 1.0)], "boxes": [level(0, 0.1, 1.0)]}))
    other_types = score_results(results({"stairs": [level(0, 0.1, 1.0)]}))
    with pytest.raises(ValueError, match="different terrain types"):
        compare_to_teacher(other_types, teacher)
    other_levels = score_results(results({"stairs": [level(1, 0.1, 1.0)], "boxes": [level(0, 0.1, 1.0)]}))
    with pytest.raises(ValueError, match="levels"):
        compare_to_teacher(other_levels, teacher)
    other_command = {**teacher, "command": [1.0, 0.0, 0.0]}
    with pytest.raises(ValueError, match="command"):
        compare_to_teacher(other_command, teacher)
    with pytest.raises(ValueError, match="min_ratio"):
        compare_to_teacher(teacher, teacher, min_ratio=1.5)
