"""The VecEnv contract is checked when a runner is built and on every step, with messages naming the culprit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.env.contract import VecEnvContract, VecEnvContractError
from rsl_sim.runners import OnPolicyRunner

NUM_ENVS = 4


class FakeEnv(VecEnv):
    """A small env whose observations, rewards and dones are made by the test's hooks.

    ``make_obs(step)`` builds the groups of step ``step`` (0: the first observations); ``make_step(step, obs)``
    may replace ``(rewards, dones)``.
    """

    def __init__(self, make_obs=None, make_step=None, num_envs=NUM_ENVS, batch=None) -> None:
        self.num_envs = num_envs
        self.num_actions = 2
        self.max_episode_length = 10
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self.device = "cpu"
        self.cfg = {}
        self.steps = 0
        self._batch = batch if batch is not None else num_envs
        self._make_obs = make_obs or (lambda step, n: {"policy": torch.randn(n, 3)})
        self._make_step = make_step
        self._obs = self._build(0)

    def _build(self, step: int) -> TensorDict:
        groups = self._make_obs(step, self._batch)
        return TensorDict(groups, batch_size=[self._batch])

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor):
        self.steps += 1
        self._obs = self._build(self.steps)
        rewards = torch.ones(self.num_envs)
        dones = torch.zeros(self.num_envs, dtype=torch.long)
        extras = {"time_outs": torch.zeros(self.num_envs, dtype=torch.bool), "log": {}}
        if self._make_step is not None:
            rewards, dones = self._make_step(self.steps, rewards, dones)
        return self._obs, rewards, dones, extras


def train_cfg() -> dict:
    return {
        "num_steps_per_env": 3,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [8],
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [8]},
        "algorithm": {"class_name": "PPO", "num_mini_batches": 2, "num_learning_epochs": 1},
    }


def learn(env: FakeEnv) -> OnPolicyRunner:
    runner = OnPolicyRunner(env, train_cfg())
    runner.learn(1)
    return runner


def test_a_well_behaved_env_trains_and_every_step_was_checked():
    env = FakeEnv()
    runner = learn(env)
    assert env.steps == 3
    assert runner.env_contract.layout == {"policy": ((3,), torch.float32)}


@pytest.mark.parametrize("dtype", [torch.float64, torch.int64, torch.float16])
def test_non_float32_group_is_refused_when_the_runner_is_built(dtype):
    env = FakeEnv(make_obs=lambda step, n: {"policy": torch.zeros(n, 3, dtype=dtype)})
    name = str(dtype).replace("torch.", "")
    with pytest.raises(VecEnvContractError, match=rf"group 'policy' has dtype {name}.*expected float32"):
        OnPolicyRunner(env, train_cfg())


def test_uint8_image_group_is_accepted_but_a_uint8_vector_group_is_not():
    images = {"policy": torch.zeros(NUM_ENVS, 3), "camera": torch.zeros(NUM_ENVS, 1, 8, 8, dtype=torch.uint8)}
    contract = VecEnvContract(NUM_ENVS, TensorDict(images, batch_size=[NUM_ENVS]))
    assert contract.layout["camera"] == ((1, 8, 8), torch.uint8)
    vector = TensorDict({"policy": torch.zeros(NUM_ENVS, 3, dtype=torch.uint8)}, batch_size=[NUM_ENVS])
    with pytest.raises(VecEnvContractError, match="group 'policy' has dtype uint8.*expected float32"):
        VecEnvContract(NUM_ENVS, vector)
    image64 = TensorDict({"camera": torch.zeros(NUM_ENVS, 1, 8, 8, dtype=torch.float64)}, batch_size=[NUM_ENVS])
    with pytest.raises(VecEnvContractError, match="image group .* 'camera' has dtype float64.*float32 or uint8"):
        VecEnvContract(NUM_ENVS, image64)


def test_batch_size_other_than_num_envs_is_refused():
    env = FakeEnv(batch=NUM_ENVS + 1)
    with pytest.raises(VecEnvContractError, match=r"batch size \[5\], but env.num_envs is 4"):
        OnPolicyRunner(env, train_cfg())


def test_observations_that_are_not_a_tensordict_are_refused():
    with pytest.raises(VecEnvContractError, match="must be a tensordict.TensorDict.*got dict"):
        VecEnvContract(NUM_ENVS, {"policy": torch.zeros(NUM_ENVS, 3)})


def test_shape_change_after_a_reset_names_the_group_and_both_shapes():
    # Step 2 plays the auto-reset that returns a differently sized observation
    env = FakeEnv(make_obs=lambda step, n: {"policy": torch.zeros(n, 3 if step < 2 else 5)})
    with pytest.raises(VecEnvContractError, match=r"group 'policy' changed .* shape \[4, 5\].*expected \[4, 3\]"):
        learn(env)
    assert env.steps == 2  # caught at the step that broke it


def test_dtype_change_during_training_is_refused():
    env = FakeEnv(
        make_obs=lambda step, n: {"policy": torch.zeros(n, 3, dtype=torch.float32 if step < 1 else torch.float64)}
    )
    with pytest.raises(VecEnvContractError, match="group 'policy' changed.*float64.*float32"):
        learn(env)


def test_a_group_that_disappears_is_named():
    env = FakeEnv(
        make_obs=lambda step, n: {"policy": torch.zeros(n, 3), **({"extra": torch.zeros(n, 1)} if step == 0 else {})}
    )
    cfg = train_cfg()
    runner = OnPolicyRunner(env, cfg)
    with pytest.raises(VecEnvContractError, match=r"missing: \['extra'\]"):
        runner.learn(1)


def test_numpy_rewards_are_refused_with_the_type_named():
    env = FakeEnv(make_step=lambda step, rewards, dones: (rewards.numpy(), dones))
    with pytest.raises(VecEnvContractError, match=r"rewards returned by env.step must be .* \[4\], got ndarray"):
        learn(env)


@pytest.mark.parametrize(
    "make_step, match",
    [
        (lambda s, r, d: (r.reshape(-1, 1), d), r"rewards .* shape \[4\], got shape \[4, 1\]"),
        (lambda s, r, d: (r.long(), d), r"rewards .* floating-point .* dtype int64"),
        (lambda s, r, d: (r, d[:2]), r"dones .* shape \[4\], got shape \[2\]"),
        (lambda s, r, d: (r, d.reshape(-1, 1)), r"dones .* shape \[4\], got shape \[4, 1\]"),
        (lambda s, r, d: (r, np.zeros(4, dtype=bool)), r"dones .* got ndarray"),
    ],
)
def test_wrong_rewards_or_dones_are_refused(make_step, match):
    with pytest.raises(VecEnvContractError, match=match):
        learn(FakeEnv(make_step=make_step))


@pytest.mark.parametrize("dones_dtype", [torch.bool, torch.long, torch.uint8, torch.float32])
def test_dones_may_be_bool_or_numbers(dones_dtype):
    env = FakeEnv(make_step=lambda s, r, d: (r, d.to(dones_dtype)))
    learn(env)
    assert env.steps == 3


def test_wrong_time_outs_shape_is_refused():
    contract = VecEnvContract(NUM_ENVS, TensorDict({"policy": torch.zeros(NUM_ENVS, 3)}, batch_size=[NUM_ENVS]))
    obs = TensorDict({"policy": torch.zeros(NUM_ENVS, 3)}, batch_size=[NUM_ENVS])
    rewards, dones = torch.zeros(NUM_ENVS), torch.zeros(NUM_ENVS, dtype=torch.bool)
    contract.check_step(obs, rewards, dones, {"time_outs": torch.zeros(NUM_ENVS, dtype=torch.bool)})
    with pytest.raises(VecEnvContractError, match=r"extras\['time_outs'\] .* got shape \[4, 1\]"):
        contract.check_step(obs, rewards, dones, {"time_outs": torch.zeros(NUM_ENVS, 1, dtype=torch.bool)})


def test_contract_errors_are_value_errors():
    # Code written against RSL-RL catches ValueError for bad env output
    assert issubclass(VecEnvContractError, ValueError)


def test_the_cli_reports_a_contract_error_as_the_envs_fault():
    from rsl_sim.cli.agent_config import build_runner
    from rsl_sim.cli.errors import CliError

    env = FakeEnv(make_obs=lambda step, n: {"policy": torch.zeros(n, 3, dtype=torch.float64)})
    cfg = {**train_cfg(), "device": "cpu"}
    with pytest.raises(
        CliError, match="the env breaks the VecEnv contract: Observation group 'policy' has dtype float64"
    ):
        build_runner(env, cfg, log_dir=None)
