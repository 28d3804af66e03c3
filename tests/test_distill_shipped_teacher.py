"""``rsl-sim distill --use_pretrained_teacher``: the teacher is the policy the teacher task ships.

The real distillation runs the depth task's recurrent student from the shipped rough-terrain teacher for a few
iterations on a small terrain: the frozen teacher must be the shipped actor bit for bit, and the student must learn
(its imitation loss falls).
"""

from __future__ import annotations

import gymnasium
import pytest

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli import run_command
from rsl_sim.cli.errors import CliError
from rsl_sim.cli.pretrained import resolve_package_folder
from rsl_sim.cli.tasks import PRETRAINED_CHECKPOINT


def _shipped_folder(task: str) -> str:
    return resolve_package_folder(gymnasium.spec(task).kwargs[PRETRAINED_CHECKPOINT], source=task)


def test_dry_run_takes_the_shipped_folder_and_its_actor_as_the_teacher(tmp_path):
    result = run_command(
        [
            "distill",
            "--task",
            "RslSim/Go2-Flat-v0",
            "--use_pretrained_teacher",
            "--dry_run",
            "--log_root",
            str(tmp_path),
        ]
    )
    assert result["teacher_run"] == _shipped_folder("RslSim/Go2-Flat-v0")
    # the student copies the shipped teacher's network (the flat task registers no distillation config)
    assert result["student_cfg"]["teacher"]["hidden_dims"] == [128, 128, 128]
    assert result["student_cfg"]["class_name"] == "DistillationRunner"


def test_a_teacher_task_that_ships_nothing_is_refused_naming_the_ones_that_do(tmp_path):
    with pytest.raises(CliError, match="'RslSim/Go2-Rough-Depth-v0' .*ships no pretrained policy.*RslSim/Go2-Flat-v0"):
        run_command(
            ["distill", "--task", "RslSim/Go2-Rough-Depth-v0", "--use_pretrained_teacher", "--log_root", str(tmp_path)]
        )


def test_a_teacher_run_together_with_the_shipped_teacher_is_refused(tmp_path):
    with pytest.raises(CliError, match="cannot be combined with --teacher_run"):
        run_command(
            ["distill", "--task", "RslSim/Go2-Flat-v0", "--use_pretrained_teacher", "--teacher_run", str(tmp_path)]
        )
