"""End to end: a PPO teacher with privileged observations is distilled into a student that sees less.

The task is a batch of 2D double integrators (position p, velocity v, force actions) that must reach and hold a goal g.
Reward per step: ``exp(-|p - g|^2 / 0.1)`` (positive, at most 1). The teacher sees ``(p, v, g)``; the student sees only
``(p, g)`` and must infer its velocity from its memory (a GRU student).
"""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.runners import DistillationRunner, OnPolicyRunner, TeacherNotLoadedError

DT = 0.1


class DoubleIntegratorGoalEnv(VecEnv):
    def __init__(self, num_envs: int, seed: int, max_episode_length: int = 50):
        self.num_envs = num_envs
        self.num_actions = 2
        self.max_episode_length = max_episode_length
        self.device = "cpu"
        self.cfg = {"task": "double_integrator_goal"}
        self.step_dt = DT
        self.generator = torch.Generator().manual_seed(seed)
        self.pos = torch.zeros(num_envs, 2)
        self.vel = torch.zeros(num_envs, 2)
        self.goal = torch.zeros(num_envs, 2)
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self._reset(torch.ones(num_envs, dtype=torch.bool))

    def _reset(self, mask: torch.Tensor) -> None:
        n = int(mask.sum())
        self.pos[mask] = torch.rand(n, 2, generator=self.generator) * 2 - 1
        self.vel[mask] = torch.rand(n, 2, generator=self.generator) - 0.5
        self.goal[mask] = torch.rand(n, 2, generator=self.generator) * 2 - 1
        self.episode_length_buf[mask] = 0

    def get_observations(self) -> TensorDict:
        return TensorDict(
            {"policy": torch.cat([self.pos, self.goal], -1), "privileged": self.vel.clone()}, batch_size=[self.num_envs]
        )

    def step(self, actions: torch.Tensor):
        force = actions.clamp(-1.0, 1.0)
        self.vel = 0.95 * self.vel + DT * 2.0 * force
        self.pos = (self.pos + DT * self.vel).clamp(-2.0, 2.0)
        rewards = torch.exp(-((self.pos - self.goal) ** 2).sum(-1) / 0.1)
        self.episode_length_buf += 1
        time_outs = self.episode_length_buf >= self.max_episode_length
        self._reset(time_outs)
        return self.get_observations(), rewards, time_outs.long(), {"time_outs": time_outs, "log": {}}


def evaluate(policy, num_envs: int = 256, seed: int = 123, steps: int = 50) -> float:
    """Mean episode return of a policy (deterministic) over one episode of fresh envs."""
    env = DoubleIntegratorGoalEnv(num_envs, seed)
    if hasattr(policy, "reset"):
        policy.reset()
    total = torch.zeros(num_envs)
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(steps):
            obs, rewards, _, _ = env.step(policy(obs))
            total += rewards
    if hasattr(policy, "reset"):
        policy.reset()  # the policy goes back to training with another number of envs
    return total.mean().item()


TEACHER_CFG = {
    "num_steps_per_env": 50,
    "save_interval": 1000,
    "obs_groups": {"actor": ["policy", "privileged"], "critic": ["policy", "privileged"]},
    "actor": {
        "class_name": "MLPModel",
        "hidden_dims": [64, 64],
        "activation": "elu",
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.6},
    },
    "critic": {"class_name": "MLPModel", "hidden_dims": [64, 64], "activation": "elu"},
    "algorithm": {
        "class_name": "PPO",
        "learning_rate": 1e-3,
        "num_learning_epochs": 5,
        "num_mini_batches": 4,
        "entropy_coef": 0.0,
        "gamma": 0.95,
        "lam": 0.95,
    },
}


def student_cfg():
    teacher = {**TEACHER_CFG["actor"], "distribution_cfg": None}
    return {
        "class_name": "DistillationRunner",
        "num_steps_per_env": 50,
        "save_interval": 1000,
        "obs_groups": {"student": ["policy"], "teacher": ["policy", "privileged"]},
        "student": {
            "class_name": "RNNModel",
            "hidden_dims": [64],
            "activation": "elu",
            "rnn_type": "gru",
            "rnn_hidden_dim": 64,
            "distribution_cfg": None,
        },
        "teacher": teacher,
        "algorithm": {
            "class_name": "Distillation",
            "num_learning_epochs": 2,
            "gradient_length": 25,
            "learning_rate": 3e-3,
            "max_grad_norm": 1.0,
        },
    }


@pytest.mark.slow
def test_student_that_sees_less_reaches_80_percent_of_the_teacher(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    teacher_runner = OnPolicyRunner(DoubleIntegratorGoalEnv(128, seed=0), TEACHER_CFG, log_dir=str(tmp_path / "ppo"))
    teacher_runner.learn(60)
    teacher_return = evaluate(teacher_runner.get_inference_policy())
    random_return = evaluate(lambda obs: torch.rand(obs.batch_size[0], 2) * 2 - 1)
    assert teacher_return > 2.0 * random_return, (teacher_return, random_return)
    checkpoint = tmp_path / "ppo" / "model_59.pt"

    # Distill: refused without a teacher, then the PPO actor fills the teacher
    runner = DistillationRunner(DoubleIntegratorGoalEnv(128, seed=1), student_cfg(), log_dir=str(tmp_path / "dist"))
    with pytest.raises(TeacherNotLoadedError):
        runner.learn(1)
    runner.load(str(checkpoint))
    teacher_state = {k: v.clone() for k, v in runner.alg.teacher.state_dict().items()}
    untrained_student = evaluate(runner.get_inference_policy())
    runner.learn(80)
    student = runner.get_inference_policy()
    student_return = evaluate(student)
    assert all(torch.equal(v, runner.alg.teacher.state_dict()[k]) for k, v in teacher_state.items())
    assert student_return >= 0.8 * teacher_return, (student_return, teacher_return, untrained_student)
    assert untrained_student < 0.8 * teacher_return

    # The student exports like any policy
    runner.export_policy_to_jit(str(tmp_path / "exported"))
    assert (tmp_path / "exported" / "policy.pt").exists()
