"""agent_cfg_to_dict on Isaac Lab 3.0's real RSL-RL agent configclasses (no env is built)."""

from __future__ import annotations

import warnings

import pytest

from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

GO2_FLAT_TASK = "Isaac-Velocity-Flat-UnitreeGo2"


def mirror_nothing(env=None, obs=None, actions=None):
    """A symmetry function for the config test."""
    return obs, actions


def test_registered_go2_agent_cfg():
    import isaaclab_tasks  # noqa: F401
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners.runner_config import resolve_runner_config

    agent_cfg = load_cfg_from_registry(GO2_FLAT_TASK, "rsl_rl_cfg_entry_point")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # a 5.x config: nothing to migrate
        cfg = agent_cfg_to_dict(agent_cfg)
    assert cfg["actor"] == {
        "class_name": "MLPModel",
        "hidden_dims": [128, 128, 128],
        "activation": "elu",
        "obs_normalization": False,
        "distribution_cfg": {
            "class_name": "GaussianDistribution",
            "init_std": 1.0,
            "std_type": "scalar",
            "std_range": (1e-6, 1e6),
        },
    }
    assert cfg["critic"]["distribution_cfg"] is None
    assert cfg["algorithm"]["learning_rate"] == 1e-3 and cfg["algorithm"]["schedule"] == "adaptive"
    assert cfg["obs_groups"] == {"actor": ["policy"], "critic": ["policy"]}
    assert cfg["max_iterations"] == 300 and cfg["experiment_name"] == "unitree_go2_flat"
    assert "policy" not in cfg and "empirical_normalization" not in cfg
    # The runner accepts it as it is
    assert resolve_runner_config(cfg)["num_steps_per_env"] == 24
    # The config object is unchanged
    assert agent_cfg.actor.hidden_dims == [128, 128, 128]


def test_legacy_ppo_cfg_with_symmetry_and_rnd():
    from isaaclab_rl.rsl_rl import (
        RslRlOnPolicyRunnerCfg,
        RslRlPpoActorCriticCfg,
        RslRlPpoAlgorithmCfg,
        RslRlRndCfg,
        RslRlSymmetryCfg,
    )

    agent_cfg = RslRlOnPolicyRunnerCfg(
        num_steps_per_env=16,
        max_iterations=10,
        save_interval=5,
        experiment_name="legacy",
        empirical_normalization=True,
        obs_groups={"actor": ["policy"], "critic": ["policy"]},
        policy=RslRlPpoActorCriticCfg(
            init_noise_std=0.7,
            actor_hidden_dims=[64, 64],
            critic_hidden_dims=[32],
            activation="elu",
        ),
        algorithm=RslRlPpoAlgorithmCfg(
            num_learning_epochs=2,
            num_mini_batches=2,
            learning_rate=3e-4,
            schedule="fixed",
            gamma=0.99,
            lam=0.95,
            entropy_coef=0.0,
            desired_kl=0.01,
            max_grad_norm=1.0,
            value_loss_coef=1.0,
            use_clipped_value_loss=True,
            clip_param=0.2,
            rnd_cfg=RslRlRndCfg(weight=0.5),
            symmetry_cfg=RslRlSymmetryCfg(use_data_augmentation=True, data_augmentation_func=mirror_nothing),
        ),
    )
    with pytest.warns(FutureWarning, match="policy"):
        cfg = agent_cfg_to_dict(agent_cfg)
    assert "policy" not in cfg and "empirical_normalization" not in cfg
    assert cfg["actor"] == {
        "class_name": "MLPModel",
        "hidden_dims": [64, 64],
        "activation": "elu",
        "obs_normalization": True,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.7, "std_type": "scalar"},
    }
    assert cfg["critic"]["hidden_dims"] == [32] and cfg["critic"]["obs_normalization"] is True
    # Nested configs become dicts with every value; the symmetry function becomes a "module:name" string
    assert cfg["algorithm"]["rnd_cfg"]["weight"] == 0.5 and cfg["algorithm"]["rnd_cfg"]["weight_schedule"] is None
    assert cfg["algorithm"]["symmetry_cfg"]["data_augmentation_func"].endswith(":mirror_nothing")
    assert cfg["algorithm"]["symmetry_cfg"]["use_data_augmentation"] is True


def test_distillation_cfg():
    from isaaclab_rl.rsl_rl import RslRlDistillationAlgorithmCfg, RslRlDistillationRunnerCfg, RslRlMLPModelCfg

    agent_cfg = RslRlDistillationRunnerCfg(
        num_steps_per_env=24,
        save_interval=10,
        obs_groups={"student": ["policy"], "teacher": ["critic"]},
        student=RslRlMLPModelCfg(
            hidden_dims=[32],
            activation="elu",
            distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.1),
        ),
        teacher=RslRlMLPModelCfg(hidden_dims=[64], activation="elu"),
        algorithm=RslRlDistillationAlgorithmCfg(num_learning_epochs=1, learning_rate=1e-3, gradient_length=15),
    )
    cfg = agent_cfg_to_dict(agent_cfg)
    assert cfg["class_name"] == "DistillationRunner"
    assert cfg["algorithm"] == {
        "class_name": "Distillation",
        "num_learning_epochs": 1,
        "learning_rate": 1e-3,
        "gradient_length": 15,
        "max_grad_norm": None,
        "optimizer": "adam",
        "loss_type": "mse",
    }
    assert cfg["student"]["distribution_cfg"]["init_std"] == 0.1 and cfg["teacher"]["distribution_cfg"] is None
    # Fields the config leaves unset are left out, not passed on as {}
    assert "experiment_name" not in cfg and "max_iterations" not in cfg
