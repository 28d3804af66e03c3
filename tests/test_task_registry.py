"""Tasks offer agent configs, evaluation and video through their gymnasium registration; the CLI names no robot."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gymnasium
import pytest

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli.errors import CliError
from rsl_sim.cli.evaluate import evaluation_function
from rsl_sim.cli.tasks import EVALUATION_ENTRY_POINT, VIDEO_ENTRY_POINT, task_function
from rsl_sim.tasks.locomotion.velocity import rough_evaluation
from rsl_sim.tasks.locomotion.velocity.evaluation import evaluate_task
from rsl_sim.tasks.locomotion.velocity.video import record_velocity_video

ROOT = Path(__file__).resolve().parents[1]
MUJOCO_IDS = ["RslSim/Go2-Flat-v0", "RslSim/Go2-Rough-v0", "RslSim/Go2-Rough-Depth-v0"]
EVALUATIONS = {  # the rough tasks are evaluated per terrain type and level
    "RslSim/Go2-Flat-v0": evaluate_task,
    "RslSim/Go2-Rough-v0": rough_evaluation.evaluate_task,
    "RslSim/Go2-Rough-Depth-v0": rough_evaluation.evaluate_task,
}


def _probe_evaluation(make_env, make_policy, **kwargs):
    return {"called_with": sorted(kwargs)}


@pytest.mark.parametrize("task", MUJOCO_IDS)
def test_velocity_tasks_register_their_evaluation_and_video(task):
    assert task_function(task, EVALUATION_ENTRY_POINT, "evaluate") is EVALUATIONS[task]
    assert task_function(task, VIDEO_ENTRY_POINT, "--video_command") is record_velocity_video


def test_the_cli_calls_what_a_task_registers():
    # A task of no known robot: the CLI finds its evaluation through the registration alone
    task = "RslSimTest/RegistryProbe-v0"
    if task not in gymnasium.registry:
        gymnasium.register(
            id=task,
            entry_point="gymnasium.envs.classic_control:PendulumEnv",
            kwargs={EVALUATION_ENTRY_POINT: f"{__name__}:_probe_evaluation"},
        )
    evaluate = evaluation_function(task)
    assert evaluate is _probe_evaluation
    assert evaluate(None, None, num_envs=None, seeds=[0]) == {"called_with": ["num_envs", "seeds"]}


def test_tasks_without_an_evaluation_are_refused_by_name():
    with pytest.raises(CliError, match="evaluate is not available for task 'Pendulum-v1'.*evaluation_entry_point"):
        evaluation_function("Pendulum-v1")
    with pytest.raises(CliError, match="--video_command is not available for task 'Pendulum-v1'"):
        task_function("Pendulum-v1", VIDEO_ENTRY_POINT, "--video_command")


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings, with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_learner_and_the_cli_name_no_robot_and_no_task_module():
    # Messages may show example task ids (``RslSim/Go2-Flat-v0``) and run folders; code may not depend on a robot
    # (a name in a condition, a module path) or on a task module
    examples = re.compile(r"RslSim/Go2-[\w-]+|unitree_go2\w*")
    offending = []
    for path in sorted((ROOT / "rsl_sim").rglob("*.py")):
        for line, text in _code_strings(path):
            if "rsl_sim.tasks." in text or "go2" in examples.sub("", text).lower():
                offending.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert offending == []
