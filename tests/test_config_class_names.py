"""Config strings are code: a ``class_name`` (or function name) is refused before it is called unless it names the kind
of object expected there (model, algorithm, distribution, log writer, runner, symmetry function).

``leave_marker`` stands for any callable an attacker could name in a shared ``params/agent.yaml``: before these checks
it was called with the config's arguments (a marker file appeared); now it is refused and never runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from tracking_env import TrackingEnv, make_cfg

from rsl_sim.cli.agent_config import runner_class_of
from rsl_sim.cli.errors import CliError
from rsl_sim.extensions import Symmetry
from rsl_sim.models import MLPModel
from rsl_sim.runners import DistillationRunner, OnPolicyRunner
from rsl_sim.utils import (
    UnexpectedKindError,
    function_with_parameters,
    resolve_callable,
    resolve_class,
    subclass_of,
)

MARKER_ENV = "RSL_SIM_TEST_CLASS_NAME_MARKER"


def leave_marker(*args, **kwargs):
    """A callable that should never be called from a config: it leaves a file behind."""
    Path(os.environ[MARKER_ENV]).write_text("called")
    return torch.nn.Identity()


class UserModel(MLPModel):
    """A user's model class: a proper subclass, accepted by name."""


def user_mirror(env, obs=None, actions=None):
    """A user's symmetry function (RSL-RL's signature): accepted by name."""
    return obs, actions


@pytest.fixture
def marker(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "called"
    monkeypatch.setenv(MARKER_ENV, str(path))
    return path


def _runner(cfg: dict, log_dir: str | None = None, runner_class: type = OnPolicyRunner) -> OnPolicyRunner:
    torch.manual_seed(0)
    return runner_class(TrackingEnv(), cfg, log_dir=log_dir, device="cpu")


# ----------------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("entry", ["actor", "critic"])
def test_model_class_name_of_another_kind_is_refused_and_not_called(marker, entry):
    cfg = make_cfg()
    cfg[entry] = {"class_name": f"{__name__}:leave_marker", "hidden_dims": [8]}
    with pytest.raises(UnexpectedKindError) as info:
        _runner(cfg)
    message = str(info.value)
    assert f"{entry}.class_name" in message and "leave_marker" in message and "the function" in message
    assert "torch.nn.modules.module.Module" in message and "was not called" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "resolved"),
    [("os:system", "the function posix.system"), ("subprocess:Popen", "the class subprocess.Popen")],
)
def test_system_callables_are_refused_everywhere_a_class_name_is_read(name, resolved):
    for entry in ("actor", "critic", "algorithm"):
        cfg = make_cfg()
        cfg[entry] = {**cfg[entry], "class_name": name}
        with pytest.raises(UnexpectedKindError, match=f"{entry}.class_name '{name}' resolved to {resolved}"):
            _runner(cfg)
    cfg = make_cfg()
    cfg["actor"]["distribution_cfg"] = {"class_name": name, "init_std": 1.0}
    with pytest.raises(ValueError, match="rsl_sim.modules.distribution.base.Distribution"):
        _runner(cfg)
    with pytest.raises(CliError, match="does not name a runner.*OnPolicyRunner"):
        runner_class_of({"class_name": name})


def test_algorithm_class_name_must_have_construct_algorithm(marker):
    cfg = make_cfg()
    cfg["algorithm"]["class_name"] = f"{__name__}:UserModel"
    with pytest.raises(UnexpectedKindError, match="algorithm.class_name.*'construct_algorithm' method"):
        _runner(cfg)


def test_distribution_class_name_of_another_kind_is_refused_and_not_called(marker):
    cfg = make_cfg()
    cfg["actor"]["distribution_cfg"] = {"class_name": f"{__name__}:leave_marker"}
    with pytest.raises(ValueError, match="distribution_cfg.class_name"):
        _runner(cfg)
    assert not marker.exists()


def test_log_writer_class_name_of_another_kind_is_refused_and_not_called(marker, tmp_path):
    runner = _runner(make_cfg(logger={"class_name": f"{__name__}:leave_marker"}), log_dir=str(tmp_path / "run"))
    with pytest.raises(UnexpectedKindError, match="logger.class_name.*rsl_sim.utils.log_writers.LogWriter"):
        runner.learn(1)
    assert not marker.exists()


def test_distillation_model_class_names_are_checked(marker):
    model = {"class_name": "MLPModel", "hidden_dims": [8]}
    cfg = {
        "num_steps_per_env": 4,
        "obs_groups": {"student": ["policy"], "teacher": ["policy", "critic"]},
        "student": {**model, "class_name": f"{__name__}:leave_marker"},
        "teacher": model,
        "algorithm": {"class_name": "Distillation"},
    }
    with pytest.raises(UnexpectedKindError, match="student.class_name"):
        _runner(cfg, runner_class=DistillationRunner)
    cfg["student"], cfg["teacher"] = model, {**model, "class_name": "subprocess:Popen"}
    with pytest.raises(UnexpectedKindError, match="teacher.class_name 'subprocess:Popen'"):
        _runner(cfg, runner_class=DistillationRunner)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["os:system", "subprocess:run", "subprocess:Popen", f"{__name__}:leave_marker"])
def test_symmetry_function_must_name_env_obs_and_actions(marker, name):
    with pytest.raises(UnexpectedKindError, match="symmetry_cfg.data_augmentation_func.*'env', 'obs', 'actions'"):
        Symmetry(env=None, data_augmentation_func=name, use_data_augmentation=True)
    # Through the whole construction path, too
    cfg = make_cfg()
    cfg["algorithm"]["symmetry_cfg"] = {"data_augmentation_func": name, "use_data_augmentation": True}
    with pytest.raises(UnexpectedKindError):
        _runner(cfg)
    assert not marker.exists()


def test_objects_of_the_wrong_kind_are_refused_like_names():
    with pytest.raises(UnexpectedKindError, match="actor.class_name 'dict' resolved to the class builtins.dict"):
        resolve_class({"class_name": dict}, subclass_of(torch.nn.Module, "a model"), "actor")


# ----------------------------------------------------------------------------------------------------- still accepted


def test_the_expected_kinds_resolve_by_name_and_as_objects():
    model_kind = subclass_of(torch.nn.Module, "a model")
    assert resolve_class({"class_name": "MLPModel"}, model_kind, "actor")[0] is MLPModel
    assert resolve_class({"class_name": f"{__name__}:UserModel"}, model_kind, "actor")[0] is UserModel
    assert resolve_class({"class_name": UserModel}, model_kind, "actor")[0] is UserModel
    symmetry_kind = function_with_parameters(("env", "obs", "actions"), "a symmetry function")
    assert resolve_callable(f"{__name__}:user_mirror", symmetry_kind) is user_mirror
    # Without an expected kind, any callable (the RSL-RL-compatible helper for code, not for configs)
    assert resolve_callable("os:system") is os.system


def test_user_model_and_symmetry_function_train_through_the_runner(tmp_path):
    cfg = make_cfg()
    cfg["actor"]["class_name"] = f"{__name__}:UserModel"
    cfg["algorithm"]["symmetry_cfg"] = {"data_augmentation_func": f"{__name__}:user_mirror", "use_mirror_loss": True}
    runner = _runner(cfg)
    assert isinstance(runner.alg.get_policy(), UserModel)
    assert runner.alg.symmetry.data_augmentation_func is user_mirror
