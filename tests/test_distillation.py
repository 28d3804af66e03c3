from __future__ import annotations

import copy
import warnings

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.algorithms.distillation import Distillation, TeacherMismatchError
from rsl_sim.models import MLPModel

NUM_ENVS, STEPS = 16, 8


class _Env:
    """A synthetic env: random proprioception and privileged groups, random episode ends."""

    num_envs, num_actions, device = NUM_ENVS, 3, "cpu"

    def __init__(self, seed=0):
        self.generator = torch.Generator().manual_seed(seed)

    def get_observations(self):
        return TensorDict(
            {
                "policy": torch.randn(NUM_ENVS, 4, generator=self.generator),
                "privileged": torch.randn(NUM_ENVS, 2, generator=self.generator),
            },
            [NUM_ENVS],
        )

    def step(self, actions):
        dones = (torch.rand(NUM_ENVS, generator=self.generator) < 0.1).long()
        return self.get_observations(), torch.zeros(NUM_ENVS), dones, {"time_outs": torch.zeros(NUM_ENVS)}


def _cfg(student="MLPModel", gradient_length=4, epochs=2, **alg):
    student_cfg = {"class_name": student, "hidden_dims": [32, 32], "activation": "elu"}
    if student == "RNNModel":
        student_cfg.update(rnn_type="gru", rnn_hidden_dim=16)
    return {
        "num_steps_per_env": STEPS,
        "obs_groups": {"student": ["policy"], "teacher": ["policy", "privileged"]},
        "student": student_cfg,
        "teacher": {"class_name": "MLPModel", "hidden_dims": [16], "activation": "elu"},
        "algorithm": {
            "class_name": "Distillation",
            "num_learning_epochs": epochs,
            "gradient_length": gradient_length,
            "learning_rate": 3e-3,
            **alg,
        },
    }


def _build(cfg, env=None):
    torch.manual_seed(0)
    env = env or _Env()
    alg = Distillation.construct_algorithm(env.get_observations(), env, cfg, "cpu")
    return alg, env


def _rollout(alg, env):
    obs = env.get_observations()
    for _ in range(STEPS):
        actions = alg.act(obs)
        obs, rewards, dones, extras = env.step(actions)
        alg.process_env_step(obs, rewards, dones, extras)
    alg.compute_returns(obs)


def _teacher_that_ignores_privileged(alg):
    # A teacher whose action depends on the student's groups only, so the student can match it exactly
    with torch.no_grad():
        alg.teacher.mlp[0].weight[:, 4:] = 0.0
    alg.teacher_loaded = True


@pytest.mark.parametrize("student", ["MLPModel", "RNNModel"])
def test_behavior_loss_falls_and_teacher_never_changes(student):
    alg, env = _build(_cfg(student=student))
    _teacher_that_ignores_privileged(alg)
    teacher_state = copy.deepcopy(alg.teacher.state_dict())
    alg.train_mode()
    assert not alg.teacher.training
    losses = []
    for _ in range(40):
        _rollout(alg, env)
        losses.append(alg.update()["behavior"])
    assert losses[-1] < 0.2 * losses[0]
    for key, value in alg.teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key]), key
    assert all(not p.requires_grad for p in alg.teacher.parameters())


@pytest.mark.parametrize(("gradient_length", "epochs", "expected"), [(4, 2, 4), (8, 1, 1), (2, 3, 12)])
def test_optimizer_steps_every_gradient_length_steps(gradient_length, epochs, expected):
    alg, env = _build(_cfg(gradient_length=gradient_length, epochs=epochs))
    alg.teacher_loaded = True
    steps = []
    original = alg.optimizer.step

    def counting_step(*args, **kwargs):
        steps.append(1)
        return original(*args, **kwargs)

    alg.optimizer.step = counting_step
    _rollout(alg, env)
    alg.update()
    assert len(steps) == expected == STEPS * epochs // gradient_length


def test_warning_when_steps_are_not_a_multiple_of_gradient_length():
    with pytest.warns(UserWarning, match="not a multiple of gradient_length"):
        _build(_cfg(gradient_length=3, epochs=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _build(_cfg(gradient_length=4, epochs=1))


def test_huber_loss_and_unknown_loss_type():
    alg, _ = _build(_cfg(loss_type="huber"))
    assert alg.loss_fn is torch.nn.functional.huber_loss
    with pytest.raises(ValueError, match="'l1'.*mse"):
        _build(_cfg(loss_type="l1"))
    with pytest.raises(ValueError, match="not_a_key"):
        _build(_cfg(not_a_key=1))
    with pytest.raises(ValueError, match="RND or symmetry"):
        _build(_cfg(rnd_cfg={"weight": 1.0}))


def test_ppo_checkpoint_fills_the_teacher_and_says_so(capsys):
    alg, env = _build(_cfg())
    obs = env.get_observations()
    ppo_actor = MLPModel(
        obs,
        {"actor": ["policy", "privileged"]},
        "actor",
        3,
        hidden_dims=[16],
        distribution_cfg={"class_name": "GaussianDistribution", "init_std": 1.0},
    )
    checkpoint = {"actor_state_dict": ppo_actor.state_dict(), "critic_state_dict": {}, "optimizer_state_dict": {}}
    assert alg.load(checkpoint) is False
    assert alg.teacher_loaded
    out = capsys.readouterr().out
    assert "actor_state_dict" in out and "distribution.std_param" in out
    torch.testing.assert_close(alg.teacher(obs), ppo_actor(obs))


def test_teacher_mismatch_lists_the_differing_keys():
    alg, env = _build(_cfg())
    obs = env.get_observations()
    wider = MLPModel(obs, {"actor": ["policy", "privileged"]}, "actor", 3, hidden_dims=[16, 16])
    with pytest.raises(TeacherMismatchError, match=r"mlp\.4\.weight") as error:
        alg.load({"actor_state_dict": wider.state_dict()})
    assert "Not in the teacher config" in str(error.value)
    assert not alg.teacher_loaded


def test_distillation_checkpoint_round_trip_resumes():
    alg, env = _build(_cfg())
    _teacher_that_ignores_privileged(alg)
    _rollout(alg, env)
    alg.update()
    other, _ = _build(_cfg())
    assert other.load(alg.save()) is True
    obs = env.get_observations()
    torch.testing.assert_close(other.student(obs), alg.student(obs))
    torch.testing.assert_close(other.teacher(obs), alg.teacher(obs))
    assert other.teacher_loaded


class _CameraEnv(_Env):
    """The synthetic env plus a depth-like image group."""

    def get_observations(self):
        obs = super().get_observations()
        obs["depth"] = torch.rand(NUM_ENVS, 1, 12, 12, generator=self.generator)
        return obs


@pytest.mark.parametrize("student", ["CNNModel", "CNNRNNModel"])
def test_camera_students_learn_and_export(student, tmp_path):
    cfg = _cfg()
    cfg["obs_groups"]["student"] = ["policy", "depth"]
    cfg["student"] = {
        "class_name": student,
        "hidden_dims": [32],
        "activation": "elu",
        "cnn_cfg": {"output_channels": [4, 8], "kernel_size": 3, "stride": 2},
    }
    if student == "CNNRNNModel":
        cfg["student"].update(rnn_type="lstm", rnn_hidden_dim=16)
    alg, env = _build(cfg, _CameraEnv())
    _teacher_that_ignores_privileged(alg)
    alg.train_mode()
    losses = []
    for _ in range(15):
        _rollout(alg, env)
        losses.append(alg.update()["behavior"])
    assert losses[-1] < 0.5 * losses[0]
    from rsl_sim.models.export import export_to_jit, export_to_onnx

    assert export_to_jit(alg.get_policy(), tmp_path / "student.pt")
    assert export_to_onnx(alg.get_policy(), tmp_path / "student.onnx", verify=True)
