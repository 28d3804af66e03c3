"""Resume of a recurrent distillation run is the same run, on a user-written env that saves its state.

The env implements the optional ``get_env_state`` / ``set_env_state`` pair of the VecEnv contract: its generator,
observations and episode counters. The student is a GRU, so the recurrent states (and Distillation's
``last_hidden_states`` and update counter) must travel with the checkpoint too.
"""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.models import MLPModel
from rsl_sim.runners import DistillationRunner

NUM_ENVS, STEPS = 8, 8

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class StatefulEnv(VecEnv):
    """Random proprioceptive and privileged groups from the env's own generator; episodes end at random."""

    num_actions = 3
    max_episode_length = 50
    device = "cpu"
    cfg = {"task": "stateful"}

    def __init__(self, seed: int) -> None:
        self.num_envs = NUM_ENVS
        self.generator = torch.Generator().manual_seed(seed)
        self.episode_length_buf = torch.zeros(NUM_ENVS, dtype=torch.long)
        self._obs = self._sample()

    def _sample(self) -> TensorDict:
        policy = torch.randn(NUM_ENVS, 4, generator=self.generator)
        privileged = torch.randn(NUM_ENVS, 2, generator=self.generator)
        return TensorDict({"policy": policy, "privileged": privileged}, [NUM_ENVS])

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor):
        self.episode_length_buf += 1
        dones = (torch.rand(NUM_ENVS, generator=self.generator) < 0.1) | (self.episode_length_buf >= 50)
        self.episode_length_buf[dones] = 0
        self._obs = self._sample()
        rewards = -actions.square().sum(dim=-1)
        return self._obs, rewards, dones.long(), {"time_outs": torch.zeros(NUM_ENVS, dtype=torch.bool)}

    # The optional resume pair
    def get_env_state(self) -> dict:
        return {
            "generator": self.generator.get_state(),
            "obs": {name: value.clone() for name, value in self._obs.items()},
            "episode_length_buf": self.episode_length_buf.clone(),
        }

    def set_env_state(self, state: dict) -> None:
        if state["episode_length_buf"].shape != self.episode_length_buf.shape:
            raise ValueError(f"the state is of {state['episode_length_buf'].shape[0]} envs, not {NUM_ENVS}.")
        self.generator.set_state(state["generator"])
        self._obs = TensorDict(dict(state["obs"]), [NUM_ENVS])
        self.episode_length_buf = state["episode_length_buf"].clone()


def distillation_cfg() -> dict:
    return {
        "class_name": "DistillationRunner",
        "num_steps_per_env": STEPS,
        "save_interval": 100,
        "obs_groups": {"student": ["policy"], "teacher": ["policy", "privileged"]},
        "student": {"class_name": "RNNModel", "hidden_dims": [16], "rnn_type": "gru", "rnn_hidden_dim": 8},
        "teacher": {"class_name": "MLPModel", "hidden_dims": [16]},
        "algorithm": {"class_name": "Distillation", "num_learning_epochs": 2, "gradient_length": 4},
    }


def teacher_checkpoint(path: str) -> str:
    """A PPO-style checkpoint whose actor fills the teacher."""
    torch.manual_seed(42)
    actor = MLPModel(
        StatefulEnv(0).get_observations(),
        {"actor": ["policy", "privileged"]},
        "actor",
        3,
        hidden_dims=[16],
        distribution_cfg={"class_name": "GaussianDistribution", "init_std": 1.0},
    )
    torch.save({"actor_state_dict": actor.state_dict(), "critic_state_dict": {}, "optimizer_state_dict": {}}, path)
    return path


def runner(seed: int, log_dir: str | None, load: str) -> DistillationRunner:
    torch.manual_seed(seed)
    result = DistillationRunner(StatefulEnv(seed), distillation_cfg(), log_dir=log_dir, device="cpu")
    result.load(load)
    return result


def test_recurrent_distillation_resume_equals_uninterrupted_run(tmp_path):
    teacher = teacher_checkpoint(str(tmp_path / "teacher.pt"))
    reference = runner(0, None, teacher)
    reference.learn(4)

    first = runner(0, str(tmp_path / "first"), teacher)
    first.learn(2)
    resumed = runner(7, None, teacher)  # other weights, env seed and generator state: all replaced below
    resumed.load(str(tmp_path / "first" / "model_1.pt"))
    resumed.learn(2)

    for name, value in reference.alg.student.state_dict().items():
        assert torch.equal(value, resumed.alg.student.state_dict()[name]), name
    assert torch.equal(reference.alg.student.get_hidden_state(), resumed.alg.student.get_hidden_state())
    assert resumed.alg.num_updates == reference.alg.num_updates == 4
    reference_optimizer = reference.alg.optimizer.state_dict()["state"]
    for index, state in resumed.alg.optimizer.state_dict()["state"].items():
        assert all(torch.equal(value, reference_optimizer[index][key]) for key, value in state.items())
