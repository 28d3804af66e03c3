"""The Isaac Lab adapter without Isaac Lab: lazy import, refusal of other envs, observation layout, config conversion.

The tests on real Isaac Lab envs live in tests/isaaclab_integration/ (run by scripts/run_isaaclab_tests.sh).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import pytest
import torch
from tensordict import TensorDict

from rsl_sim.wrappers.isaaclab import ACCEPTED_ENV_TYPES, IsaacLabVecEnvWrapper, to_channels_first
from rsl_sim.wrappers.isaaclab_cfg import ISAACLAB_RUNNER_KEYS, agent_cfg_to_dict


def test_import_does_not_need_isaaclab():
    # A fresh interpreter: importing the adapter modules must not import Isaac Lab (nor need it installed)
    code = (
        "import sys, rsl_sim.wrappers, rsl_sim.wrappers.isaaclab, rsl_sim.wrappers.isaaclab_cfg; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('isaaclab', 'isaaclab_tasks', 'warp', 'pxr')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("wrap", [False, True])
def test_refuses_non_isaaclab_env(wrap):
    env = gym.make("CartPole-v1")  # a gymnasium env inside gymnasium's default wrappers
    if wrap:
        env = gym.wrappers.RecordEpisodeStatistics(env)
    with pytest.raises(TypeError) as error:
        IsaacLabVecEnvWrapper(env)
    message = str(error.value)
    # The error names the accepted types and the type it got (the env under the gymnasium wrappers)
    for accepted in ACCEPTED_ENV_TYPES:
        assert accepted in message
    assert "CartPoleEnv" in message
    env.close()


def test_refuses_a_plain_object():
    with pytest.raises(TypeError, match="ManagerBasedRLEnv.*DirectRLEnv.*builtins.dict"):
        IsaacLabVecEnvWrapper({"num_envs": 4})


def test_channels_last_images_become_channels_first():
    image = torch.arange(2 * 3 * 5 * 4, dtype=torch.float32).reshape(2, 3, 5, 4)  # [N, H, W, C]
    vector = torch.randn(2, 7)
    history = torch.randn(2, 3, 7)
    obs = {"policy": vector, "history": history, "camera": image, "terms": {"depth": image[..., :1], "v": vector}}
    converted = to_channels_first(obs)

    assert converted["camera"].shape == (2, 4, 3, 5)
    # element [n, c, h, w] of the result is element [n, h, w, c] of the input
    assert converted["camera"][1, 2, 0, 3] == image[1, 0, 3, 2]
    assert converted["camera"].is_contiguous()
    assert converted["terms"]["depth"].shape == (2, 1, 3, 5)
    # Vectors and rank-3 tensors are left alone (the same objects)
    assert converted["policy"] is vector and converted["history"] is history and converted["terms"]["v"] is vector
    # The input dict is not modified
    assert obs["camera"].shape == (2, 3, 5, 4)


def test_final_observation_rows():
    obs = TensorDict({"policy": torch.zeros(4, 3), "camera": torch.zeros(4, 1, 2, 2)}, batch_size=[4])
    final = TensorDict({"policy": torch.ones(4, 3), "camera": torch.ones(4, 1, 2, 2)}, batch_size=[4])
    done = torch.tensor([True, False, False, True])
    merged = IsaacLabVecEnvWrapper._merge_final_obs(final, obs, done)
    for key in ("policy", "camera"):
        per_env = merged[key].flatten(1)
        assert torch.all(per_env[done] == 1.0) and torch.all(per_env[~done] == 0.0)


def _go2_agent_dict() -> dict:
    """The ``to_dict()`` of Isaac Lab 3.0's ``UnitreeGo2FlatPPORunnerCfg``, as Isaac Lab writes it ({} = unset)."""
    model = {
        "activation": "elu",
        "class_name": "MLPModel",
        "hidden_dims": [128, 128, 128],
        "init_noise_std": {},
        "noise_std_type": "scalar",
        "obs_normalization": False,
        "state_dependent_std": False,
        "stochastic": {},
    }
    actor = dict(
        model,
        distribution_cfg={
            "class_name": "GaussianDistribution",
            "init_std": 1.0,
            "std_range": (1e-06, 1000000.0),
            "std_type": "scalar",
        },
    )
    critic = dict(model, distribution_cfg=None)
    algorithm = {
        "class_name": "PPO",
        "clip_param": 0.2,
        "desired_kl": 0.01,
        "entropy_coef": 0.01,
        "gamma": 0.99,
        "lam": 0.95,
        "learning_rate": 0.001,
        "max_grad_norm": 1.0,
        "normalize_advantage_per_mini_batch": False,
        "num_learning_epochs": 5,
        "num_mini_batches": 4,
        "optimizer": "adam",
        "rnd_cfg": None,
        "schedule": "adaptive",
        "share_cnn_encoders": False,
        "symmetry_cfg": None,
        "use_clipped_value_loss": True,
        "use_mixed_precision": False,
        "value_loss_coef": 1.0,
    }
    return {
        "actor": actor,
        "algorithm": algorithm,
        "check_for_nan": True,
        "class_name": "OnPolicyRunner",
        "clip_actions": None,
        "critic": critic,
        "device": "cuda:0",
        "empirical_normalization": {},
        "experiment_name": "unitree_go2_flat",
        "init_at_random_ep_len": True,
        "load_checkpoint": "model_.*.pt",
        "load_run": ".*",
        "logger": "tensorboard",
        "max_iterations": 300,
        "neptune_project": "isaaclab",
        "num_steps_per_env": 24,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "policy": {},
        "resume": False,
        "run_name": "",
        "save_interval": 50,
        "seed": 42,
        "torch_compile_mode": None,
        "wandb_project": "isaaclab",
    }


def test_modern_agent_cfg_keeps_every_value():
    source = _go2_agent_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to migrate: no warning
        cfg = agent_cfg_to_dict(source)
    assert source == _go2_agent_dict()  # the input is not modified
    # Unset fields are gone, every set value is kept as it is
    assert "policy" not in cfg and "empirical_normalization" not in cfg
    for key, value in source.items():
        if key not in ("policy", "empirical_normalization", "actor", "critic"):
            assert cfg[key] == value
    assert cfg["actor"] == {
        "activation": "elu",
        "class_name": "MLPModel",
        "hidden_dims": [128, 128, 128],
        "obs_normalization": False,
        "distribution_cfg": source["actor"]["distribution_cfg"],
    }
    assert cfg["critic"]["distribution_cfg"] is None and "stochastic" not in cfg["critic"]
    assert set(ISAACLAB_RUNNER_KEYS) - {"empirical_normalization"} <= set(cfg)


def test_converted_cfg_passes_the_runner_config_check():
    runner_config = pytest.importorskip("rsl_sim.runners.runner_config")
    cfg = agent_cfg_to_dict(_go2_agent_dict())
    resolved = runner_config.resolve_runner_config(cfg)
    assert resolved["num_steps_per_env"] == 24 and resolved["actor"] == cfg["actor"]
    # Every runner-level key of Isaac Lab's configs is accepted by the runner
    assert set(ISAACLAB_RUNNER_KEYS) <= set(runner_config.VALID_KEYS)


def test_legacy_stochastic_fields_become_a_distribution():
    source = _go2_agent_dict()
    source["actor"].update(distribution_cfg=None, stochastic=True, init_noise_std=0.8, noise_std_type="log")
    source["critic"].update(stochastic=False)
    with pytest.warns(FutureWarning, match="'actor'.*distribution_cfg"):
        cfg = agent_cfg_to_dict(source)
    assert cfg["actor"]["distribution_cfg"] == {
        "class_name": "GaussianDistribution",
        "init_std": 0.8,
        "std_type": "log",
    }
    assert cfg["critic"]["distribution_cfg"] is None
    for model in (cfg["actor"], cfg["critic"]):
        assert not {"stochastic", "init_noise_std", "noise_std_type", "state_dependent_std"} & set(model)

    source["actor"].update(state_dependent_std=True)
    with pytest.warns(FutureWarning):
        cfg = agent_cfg_to_dict(source)
    assert cfg["actor"]["distribution_cfg"]["class_name"] == "HeteroscedasticGaussianDistribution"


def test_unused_legacy_fields_are_announced():
    source = _go2_agent_dict()
    source["actor"].update(stochastic=True, init_noise_std=0.5)  # distribution_cfg is already set
    with pytest.warns(FutureWarning, match="not used.*distribution_cfg is set"):
        cfg = agent_cfg_to_dict(source)
    assert cfg["actor"]["distribution_cfg"]["init_std"] == 1.0


def test_legacy_actor_critic_policy():
    source = _go2_agent_dict()
    for key in ("actor", "critic"):
        source[key] = {}  # unset, as in a pre-4.0 config
    source["empirical_normalization"] = True
    source["policy"] = {
        "class_name": "ActorCriticRecurrent",
        "init_noise_std": 1.0,
        "noise_std_type": "scalar",
        "state_dependent_std": False,
        "actor_obs_normalization": {},
        "critic_obs_normalization": False,
        "actor_hidden_dims": [64, 64],
        "critic_hidden_dims": [32],
        "activation": "tanh",
        "rnn_type": "gru",
        "rnn_hidden_dim": 16,
        "rnn_num_layers": 1,
    }
    with pytest.warns(FutureWarning, match="policy"):
        cfg = agent_cfg_to_dict(source)
    assert "policy" not in cfg and "empirical_normalization" not in cfg
    rnn = {"rnn_type": "gru", "rnn_hidden_dim": 16, "rnn_num_layers": 1}
    assert cfg["actor"] == {
        "class_name": "RNNModel",
        "hidden_dims": [64, 64],
        "activation": "tanh",
        "obs_normalization": True,  # from empirical_normalization: the policy left it unset
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"},
        **rnn,
    }
    assert cfg["critic"] == {
        "class_name": "RNNModel",
        "hidden_dims": [32],
        "activation": "tanh",
        "obs_normalization": False,  # set by the policy: kept
        "distribution_cfg": None,
        **rnn,
    }


def test_legacy_student_teacher_policy():
    source = {
        "class_name": "DistillationRunner",
        "num_steps_per_env": 24,
        "algorithm": {"class_name": "Distillation", "num_learning_epochs": 1, "learning_rate": 1e-3},
        "policy": {
            "class_name": "StudentTeacherRecurrent",
            "init_noise_std": 0.1,
            "student_obs_normalization": True,
            "teacher_obs_normalization": False,
            "student_hidden_dims": [32],
            "teacher_hidden_dims": [64],
            "activation": "elu",
            "rnn_type": "lstm",
            "rnn_hidden_dim": 8,
            "rnn_num_layers": 1,
            "teacher_recurrent": False,
        },
    }
    with pytest.warns(FutureWarning):
        cfg = agent_cfg_to_dict(source)
    assert cfg["student"]["class_name"] == "RNNModel" and cfg["student"]["rnn_type"] == "lstm"
    assert cfg["student"]["distribution_cfg"]["init_std"] == 0.1
    # A non-recurrent teacher with a zero-std output
    assert cfg["teacher"] == {
        "class_name": "MLPModel",
        "hidden_dims": [64],
        "activation": "elu",
        "obs_normalization": False,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.0, "std_type": "scalar"},
    }


def test_bad_inputs():
    with pytest.raises(TypeError, match="RslRlOnPolicyRunnerCfg"):
        agent_cfg_to_dict(42)
    with pytest.raises(ValueError, match="ActorCritic"):
        agent_cfg_to_dict({"policy": {"class_name": "Transformer"}})
    with pytest.raises(ValueError, match="init_noise_std"):
        agent_cfg_to_dict({"actor": {"class_name": "MLPModel", "distribution_cfg": None, "stochastic": True}})
