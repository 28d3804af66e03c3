"""Nothing non-finite is ever saved: every input of the update, the losses and the checkpoints are checked, and the
error names the true source (the final observations of the time-out bootstrap, a rollout buffer, a loss, a parameter).
"""

from __future__ import annotations

import os

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils.nan_check import (
    NonFiniteEnvOutputError,
    NonFiniteTrainingError,
    check_checkpoint,
    check_losses,
    check_nan,
)

NUM_ENVS = 8
EPISODE_LENGTH = 5
NUM_STEPS = 8

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class TimeOutEnv(VecEnv):
    """Toy task with time-outs every ``EPISODE_LENGTH`` steps and ``extras["final_observation"]``.

    ``nan_final_obs_at_step``: the final observation of env 3 (which times out at that step) gets a NaN, the returned
    observation stays finite. ``huge_rewards_from_step``: rewards of 3e38 from that step on (finite, but their
    returns overflow).
    """

    def __init__(self, nan_final_obs_at_step: int | None = None, huge_rewards_from_step: int | None = None) -> None:
        self.num_envs = NUM_ENVS
        self.num_actions = 2
        self.max_episode_length = EPISODE_LENGTH
        self.device = "cpu"
        self.cfg = {"task": "time-out"}
        self.episode_length_buf = torch.zeros(NUM_ENVS, dtype=torch.long)
        self.generator = torch.Generator().manual_seed(0)
        self.nan_final_obs_at_step = nan_final_obs_at_step
        self.huge_rewards_from_step = huge_rewards_from_step
        self.num_steps = 0
        self._obs = self._sample_obs()

    def _sample_obs(self) -> TensorDict:
        return TensorDict({"policy": torch.randn(NUM_ENVS, 3, generator=self.generator)}, batch_size=[NUM_ENVS])

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor):
        self.num_steps += 1
        rewards = -(actions**2).sum(dim=-1)
        if self.huge_rewards_from_step is not None and self.num_steps >= self.huge_rewards_from_step:
            rewards = torch.full_like(rewards, 3e38)
        self.episode_length_buf += 1
        dones = self.episode_length_buf >= self.max_episode_length
        final_obs = self._sample_obs()
        self._obs = final_obs.clone()
        self._obs[dones] = self._sample_obs()[dones]  # the auto-reset
        self.episode_length_buf[dones] = 0
        if self.num_steps == self.nan_final_obs_at_step:
            final_obs["policy"][3, 0] = float("nan")
        extras = {"time_outs": dones.clone(), "final_observation": final_obs}
        return self._obs, rewards, dones.long(), extras


def make_runner(env: VecEnv, log_dir: str | None = None, check_for_nan: bool = True) -> OnPolicyRunner:
    torch.manual_seed(0)
    cfg = {
        "num_steps_per_env": NUM_STEPS,
        "save_interval": 1,
        "check_for_nan": check_for_nan,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [16],
            "obs_normalization": True,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [16], "obs_normalization": True},
        "algorithm": {"class_name": "PPO", "num_learning_epochs": 1, "num_mini_batches": 2},
    }
    return OnPolicyRunner(env, cfg, log_dir=log_dir, device="cpu")


def checkpoints(folder) -> list[str]:
    return sorted((n for n in os.listdir(folder) if n.endswith(".pt")), key=lambda n: int(n[6:-3]))


def test_nan_in_final_observation_is_named_at_its_step(tmp_path):
    # Step 15 (iteration 1) ends the episodes of all envs (15 = 3 * EPISODE_LENGTH): env 3's final observation is NaN
    runner = make_runner(TimeOutEnv(nan_final_obs_at_step=15), log_dir=str(tmp_path))
    with pytest.raises(NonFiniteEnvOutputError) as info:
        runner.learn(5)
    assert info.value.source == "extras['final_observation']['policy']"
    assert info.value.iteration == 1 and info.value.env_ids == [3]
    assert "extras['final_observation']['policy']" in str(info.value) and "indices: 3" in str(info.value)
    assert checkpoints(tmp_path) == ["model_0.pt"]


def test_overflowing_returns_are_named_before_the_update(tmp_path):
    runner = make_runner(TimeOutEnv(huge_rewards_from_step=2 * NUM_STEPS + 1), log_dir=str(tmp_path))
    with pytest.raises(NonFiniteTrainingError, match="rollout's 'returns'.*iteration 2") as info:
        runner.learn(5)
    assert info.value.source == "rollout 'returns'" and info.value.env_ids == list(range(NUM_ENVS))
    assert checkpoints(tmp_path) == ["model_0.pt", "model_1.pt"]


def test_non_finite_loss_stops_training_without_a_checkpoint(tmp_path):
    # Without check_for_nan the rollout goes unchecked; the loss check still stops before anything is saved
    env = TimeOutEnv(huge_rewards_from_step=2 * NUM_STEPS + 1)
    runner = make_runner(env, log_dir=str(tmp_path), check_for_nan=False)
    with pytest.raises(NonFiniteTrainingError, match=r"loss '\w+' is (nan|inf) at learning iteration 2"):
        runner.learn(5)
    assert checkpoints(tmp_path) == ["model_0.pt", "model_1.pt"]
    assert torch.load(tmp_path / "model_1.pt", weights_only=True)["iter"] == 1


def test_diverged_critic_is_named_by_the_rollout_check(tmp_path):
    runner = make_runner(TimeOutEnv(), log_dir=str(tmp_path))
    runner.learn(1)
    with torch.no_grad():
        runner.alg.critic.mlp[0].weight[0, 0] = float("inf")
    with pytest.raises(NonFiniteTrainingError, match="rollout's 'values'"):
        runner.learn(1)
    assert checkpoints(tmp_path) == ["model_0.pt"]


def test_checkpoint_with_non_finite_state_is_not_written(tmp_path):
    runner = make_runner(TimeOutEnv(), log_dir=str(tmp_path))
    update = runner.alg.update

    def update_then_corrupt_normalizer():
        losses = update()
        if runner.current_learning_iteration == 1:  # the update of iteration 2 (losses are finite)
            runner.alg.get_policy().obs_normalizer._mean[0, 1] = float("nan")
        return losses

    runner.alg.update = update_then_corrupt_normalizer
    with pytest.raises(NonFiniteTrainingError) as info:
        runner.learn(5)
    assert info.value.source == "parameter actor.obs_normalizer._mean" and info.value.iteration == 2
    # model_1.pt stays the newest file, and nothing half-written is left
    assert checkpoints(tmp_path) == ["model_0.pt", "model_1.pt"]
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]

    # An explicit save refuses too, naming the entry
    with pytest.raises(NonFiniteTrainingError, match="parameter actor.obs_normalizer._mean"):
        runner.save(str(tmp_path / "manual.pt"))
    assert not os.path.exists(tmp_path / "manual.pt")


def test_check_functions_name_their_sources():
    obs = TensorDict({"policy": torch.zeros(4, 2)}, batch_size=[4])
    final = TensorDict({"policy": torch.zeros(4, 2)}, batch_size=[4])
    final["policy"][1, 1] = float("-inf")
    with pytest.raises(NonFiniteEnvOutputError, match=r"extras\['final_observation'\]\['policy'\].*0 NaN and 1 Inf"):
        check_nan(obs, torch.zeros(4), torch.zeros(4), iteration=3, extras={"final_observation": final})
    check_nan(obs, torch.zeros(4), torch.zeros(4), extras={"time_outs": torch.zeros(4, dtype=torch.bool)})
    with pytest.raises(NonFiniteTrainingError, match="loss 'surrogate' is nan at learning iteration 12"):
        check_losses({"value": 1.0, "surrogate": float("nan")}, iteration=12)
    state = {"optimizer_state_dict": {"state": {0: {"exp_avg": torch.tensor([float("nan")])}}}}
    with pytest.raises(NonFiniteTrainingError, match="optimizer state state.0.exp_avg"):
        check_checkpoint(state)
    check_checkpoint({"actor_state_dict": {"count": torch.tensor(3)}, "iter": 5})
