"""Config values that used to be accepted silently (or failed deep inside torch) are refused by name."""

from __future__ import annotations

import copy

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.modules.distribution import GaussianDistribution, HeteroscedasticGaussianDistribution
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils import resolve_obs_groups

NUM_ENVS = 4


class TinyEnv(VecEnv):
    """Four envs with a 'policy' and a 'critic' group; constant rewards."""

    def __init__(self) -> None:
        self.num_envs, self.num_actions, self.max_episode_length = NUM_ENVS, 2, 10
        self.episode_length_buf = torch.zeros(NUM_ENVS, dtype=torch.long)
        self.device, self.cfg = "cpu", {}

    def get_observations(self) -> TensorDict:
        groups = {"policy": torch.randn(NUM_ENVS, 3), "critic": torch.randn(NUM_ENVS, 5)}
        return TensorDict(groups, batch_size=[NUM_ENVS])

    def step(self, actions):
        dones = torch.zeros(NUM_ENVS, dtype=torch.bool)
        return self.get_observations(), torch.ones(NUM_ENVS), dones, {"time_outs": dones, "log": {}}


BASE_CFG = {
    "num_steps_per_env": 2,
    "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
    "actor": {
        "class_name": "MLPModel",
        "hidden_dims": [8],
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
    },
    "critic": {"class_name": "MLPModel", "hidden_dims": [8]},
    "algorithm": {"class_name": "PPO", "num_mini_batches": 1, "num_learning_epochs": 1},
}


def cfg_with(path: str, value) -> dict:
    cfg = copy.deepcopy(BASE_CFG)
    *parents, key = path.split(".")
    node = cfg
    for parent in parents:
        node = node[parent]
    node[key] = value
    return cfg


def test_the_base_config_is_valid():
    OnPolicyRunner(TinyEnv(), copy.deepcopy(BASE_CFG)).learn(1)


@pytest.mark.parametrize("set_name", ["critc", "privileged"])
def test_unknown_obs_groups_set_is_refused_with_the_valid_sets(set_name):
    cfg = copy.deepcopy(BASE_CFG)
    cfg["obs_groups"][set_name] = ["policy"]
    with pytest.raises(ValueError, match=rf"Unknown observation set '{set_name}'.*'actor', 'critic', 'student'"):
        OnPolicyRunner(TinyEnv(), cfg)


def test_rsl_rl_3_policy_set_feeds_the_acting_model_with_a_warning():
    # 5.5.1 ignores a "policy" set (the actor falls back to the "policy" group, dropping "critic"); 3.x meant the actor
    cfg = copy.deepcopy(BASE_CFG)
    cfg["obs_groups"] = {"policy": ["policy", "critic"], "critic": ["critic"]}
    with pytest.warns(FutureWarning, match="'policy', RSL-RL 3.x's name .* used as 'actor'"):
        runner = OnPolicyRunner(TinyEnv(), cfg)
    assert runner.cfg["obs_groups"] == {"actor": ["policy", "critic"], "critic": ["critic"]}
    assert runner.alg.actor.obs_dim == 8
    obs = TinyEnv().get_observations()
    with pytest.warns(FutureWarning, match="used as 'student'"):
        assert resolve_obs_groups(obs, {"policy": ["critic"]}, ["student"], [])["student"] == ["critic"]
    with pytest.raises(ValueError, match="both 'policy' .* and 'actor'"):
        resolve_obs_groups(obs, {"policy": ["critic"], "actor": ["policy"]}, ["actor", "critic"])
    with pytest.raises(ValueError, match="Unknown observation set 'policy'"):
        resolve_obs_groups(obs, {"policy": ["critic"]}, ["world_model"])


def test_every_set_the_learner_reads_is_accepted_and_custom_sets_can_be_declared():
    obs = TinyEnv().get_observations()
    sets = {name: ["policy"] for name in ("actor", "critic", "student", "teacher", "rnd_state")}
    assert resolve_obs_groups(obs, sets, ["actor", "critic"]) == sets
    # A custom algorithm declares its own sets through default_sets or valid_sets
    assert resolve_obs_groups(obs, {"world_model": ["critic"]}, ["world_model"])["world_model"] == ["critic"]
    assert resolve_obs_groups(obs, {"aux": ["critic"]}, [], valid_sets=["aux"]) == {"aux": ["critic"]}
    with pytest.raises(ValueError, match="Unknown observation set 'aux'"):
        resolve_obs_groups(obs, {"aux": ["critic"]}, [])


@pytest.mark.parametrize("init_std", [-0.5, -1e-9, float("nan"), float("inf"), "1.0", True])
def test_invalid_init_std_is_refused_naming_the_value(init_std):
    cfg = cfg_with("actor.distribution_cfg.init_std", init_std)
    with pytest.raises(ValueError, match=r"GaussianDistribution: 'init_std' .* must be a finite number >= 0, got"):
        OnPolicyRunner(TinyEnv(), cfg)
    with pytest.raises(ValueError, match=r"HeteroscedasticGaussianDistribution: 'init_std'"):
        HeteroscedasticGaussianDistribution(2, init_std=init_std)


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_valid_init_std_starts_the_policy_there(std_type):
    distribution = GaussianDistribution(3, init_std=0.3, std_type=std_type)
    distribution.update(torch.zeros(2, 3))
    assert torch.allclose(distribution.std, torch.full((2, 3), 0.3))
    # Zero, as RSL-RL 5.x accepts it (e.g. the teacher of a converted pre-4.0 distillation config): the lower bound
    distribution = GaussianDistribution(3, init_std=0.0, std_type=std_type, std_range=(1e-3, 10.0))
    distribution.update(torch.zeros(2, 3))
    assert torch.allclose(distribution.std, torch.full((2, 3), 1e-3))


@pytest.mark.parametrize("key", ["check_for_nan", "init_at_random_ep_len"])
@pytest.mark.parametrize("value", ["no", 0, None])
def test_runner_flags_must_be_bools(key, value):
    cfg = cfg_with(key, value)
    with pytest.raises(ValueError, match=rf"'{key}' must be True or False, got {value!r}"):
        OnPolicyRunner(TinyEnv(), cfg)


class NotAnAlgorithm:
    """A class without construct_algorithm."""


def test_algorithm_class_without_construct_algorithm_is_refused():
    cfg = cfg_with("algorithm", {"class_name": NotAnAlgorithm})
    with pytest.raises(ValueError, match="construct_algorithm"):
        OnPolicyRunner(TinyEnv(), cfg)


@pytest.mark.parametrize("length", [0.0, -5.0, float("nan"), "20"])
def test_go2_env_refuses_a_non_positive_episode_length(length):
    pytest.importorskip("mujoco")
    import importlib

    import gymnasium as gym

    import rsl_sim.tasks  # noqa: F401  (registers the tasks)

    module, name = gym.spec("RslSim/Go2-Flat-v0").kwargs["cfg_entry_point"].split(":")
    cfg = getattr(importlib.import_module(module), name)()
    cfg.episode_length_s = length
    with pytest.raises(
        ValueError, match=rf"episode_length_s .* must be a finite number of seconds > 0, got {length!r}"
    ):
        gym.make_vec("RslSim/Go2-Flat-v0", num_envs=1, vectorization_mode="vector_entry_point", cfg=cfg)
