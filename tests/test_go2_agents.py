"""Go2 agent configs: every registered entry point gives a valid RSL-RL 5.x train config with Isaac Lab's values, and
its models build against the real env's observations (PPO through ``PPO.construct_algorithm``, symmetry through the
symmetry extension, distillation students and teacher through the models)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import gymnasium
import pytest
import torch

import rsl_sim.algorithms
import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.algorithms import PPO
from rsl_sim.extensions import Symmetry, resolve_symmetry_config
from rsl_sim.runners import resolve_runner_config
from rsl_sim.tasks.locomotion.velocity.config.go2.agents import (
    unitree_go2_flat_ppo_cfg,
    unitree_go2_flat_ppo_with_symmetry_cfg,
    unitree_go2_rough_depth_distillation_cfg,
    unitree_go2_rough_depth_distillation_recurrent_cfg,
    unitree_go2_rough_ppo_cfg,
)
from rsl_sim.tasks.locomotion.velocity.config.go2.mirror import go2_mirror
from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import (
    UnitreeGo2FlatEnvCfg,
    UnitreeGo2RoughDepthEnvCfg,
    UnitreeGo2RoughEnvCfg,
)
from rsl_sim.utils import resolve_class, resolve_obs_groups
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

TASKS = ("RslSim/Go2-Flat-v0", "RslSim/Go2-Rough-v0", "RslSim/Go2-Rough-Depth-v0")
# RSL-RL 5.x Distillation keyword arguments
DISTILLATION_KEYS = {
    "class_name",
    "num_learning_epochs",
    "gradient_length",
    "learning_rate",
    "max_grad_norm",
    "loss_type",
    "optimizer",
    "use_mixed_precision",
    "grad_reduce_bucket_mb",
}


def small(cfg):
    if cfg.scene.terrain.terrain_generator is not None:
        cfg.scene.terrain.terrain_generator.update({"num_rows": 2, "num_cols": 4, "border_width": 4.0})
    return cfg


def wrapped(task: str, cfg, num_envs: int = 4) -> GymnasiumVecEnvWrapper:
    return GymnasiumVecEnvWrapper.from_id(task, num_envs=num_envs, seed=0, cfg=small(cfg))


def load_entry_point(entry: str) -> dict:
    module_name, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module_name), attr)()


def test_every_registered_agent_cfg_is_a_valid_train_config():
    names = {}
    for task in TASKS:
        kwargs = gymnasium.spec(task).kwargs
        keys = sorted(key for key in kwargs if key.endswith("_cfg_entry_point") and key != "cfg_entry_point")
        names[task] = keys
        for key in keys:
            cfg = load_entry_point(kwargs[key])
            resolved = resolve_runner_config(cfg)
            assert resolved["num_steps_per_env"] > 0 and resolved["algorithm"]["class_name"] in ("PPO", "Distillation")
    assert names == {
        "RslSim/Go2-Flat-v0": ["rsl_sim_agent_cfg_entry_point", "rsl_sim_with_symmetry_cfg_entry_point"],
        "RslSim/Go2-Rough-v0": ["rsl_sim_agent_cfg_entry_point", "rsl_sim_with_symmetry_cfg_entry_point"],
        "RslSim/Go2-Rough-Depth-v0": [
            "rsl_sim_agent_cfg_entry_point",
            "rsl_sim_distillation_cfg_entry_point",
            "rsl_sim_distillation_recurrent_cfg_entry_point",
        ],
    }


def test_ppo_values_are_isaac_labs():
    rough, flat = unitree_go2_rough_ppo_cfg(), unitree_go2_flat_ppo_cfg()
    assert rough["experiment_name"] == "unitree_go2_rough" and flat["experiment_name"] == "unitree_go2_flat"
    assert rough["num_steps_per_env"] == flat["num_steps_per_env"] == 24
    assert rough["actor"]["hidden_dims"] == rough["critic"]["hidden_dims"] == [512, 256, 128]
    assert flat["actor"]["hidden_dims"] == flat["critic"]["hidden_dims"] == [128, 128, 128]
    assert rough["actor"]["distribution_cfg"]["init_std"] == 1.0 and rough["actor"]["activation"] == "elu"
    assert rough["algorithm"] == {
        "class_name": "PPO",
        "value_loss_coef": 1.0,
        "use_clipped_value_loss": True,
        "clip_param": 0.2,
        "entropy_coef": 0.01,
        "num_learning_epochs": 5,
        "num_mini_batches": 4,
        "learning_rate": 1.0e-3,
        "schedule": "adaptive",
        "gamma": 0.99,
        "lam": 0.95,
        "desired_kl": 0.01,
        "max_grad_norm": 1.0,
    }
    # the functions return new dicts
    flat["algorithm"]["learning_rate"] = 5.0
    assert unitree_go2_flat_ppo_cfg()["algorithm"]["learning_rate"] == 1.0e-3
    # CPU default of the flat env: 1024 robots, 1200 iterations = Isaac Lab's 300 x 4096 x 24 samples
    assert UnitreeGo2FlatEnvCfg().scene.num_envs * flat["max_iterations"] == 4096 * 300
    # actions clipped far outside the joints' reach (a guard against a runaway of the last-action feedback)
    assert rough["clip_actions"] == flat["clip_actions"] == 100.0


@pytest.mark.parametrize(
    ("task", "cfg_class", "cfg_func", "dims"),
    [
        ("RslSim/Go2-Flat-v0", UnitreeGo2FlatEnvCfg, unitree_go2_flat_ppo_cfg, (48, 62)),
        ("RslSim/Go2-Rough-v0", UnitreeGo2RoughEnvCfg, unitree_go2_rough_ppo_cfg, (235, 249)),
    ],
)
def test_ppo_cfg_builds_against_the_env(task, cfg_class, cfg_func, dims):
    env = wrapped(task, cfg_class())
    obs = env.get_observations()
    alg = PPO.construct_algorithm(obs, env, cfg_func(), "cpu")
    assert alg.obs_groups == {"actor": ["policy"], "critic": ["critic"]}
    assert alg.actor.mlp[0].in_features == dims[0] and alg.critic.mlp[0].in_features == dims[1]
    actions = alg.act(obs)
    assert actions.shape == (4, 12)
    obs, rewards, dones, extras = env.step(actions)
    assert rewards.shape == (4,)
    env.close()


def test_symmetry_cfg_augments_env_batches_and_gives_a_mirror_loss():
    cfg = unitree_go2_flat_ppo_with_symmetry_cfg()
    assert cfg["algorithm"]["entropy_coef"] == 0.005
    env = wrapped("RslSim/Go2-Flat-v0", UnitreeGo2FlatEnvCfg())
    obs = env.get_observations()
    symmetry_cfg = resolve_symmetry_config(cfg["algorithm"], env)["symmetry_cfg"]
    symmetry = Symmetry(**symmetry_cfg)
    # a mini-batch of env samples, extended in place with the mirrored ones
    batch = SimpleNamespace(
        observations=obs,
        actions=torch.randn(4, 12),
        old_actions_log_prob=torch.zeros(4, 1),
        values=torch.zeros(4, 1),
        advantages=torch.ones(4, 1),
        returns=torch.zeros(4, 1),
    )
    expected_obs, expected_actions = go2_mirror(env, obs, batch.actions)
    symmetry.augment_batch(batch, original_batch_size=4)
    assert batch.observations.batch_size[0] == 8 and batch.advantages.shape == (8, 1)
    torch.testing.assert_close(batch.observations["policy"], expected_obs["policy"])
    torch.testing.assert_close(batch.actions, expected_actions)
    # the mirror loss of the configured actor on env observations
    actor_class, actor_cfg = resolve_class(cfg["actor"])
    actor = actor_class(obs, cfg["obs_groups"], "actor", 12, **actor_cfg)
    loss = symmetry.compute_loss(actor, batch, original_batch_size=4)
    assert loss.ndim == 0 and torch.isfinite(loss) and loss > 0.0
    env.close()


def test_symmetry_cfg_builds_ppo_when_the_extension_is_wired():
    env = wrapped("RslSim/Go2-Flat-v0", UnitreeGo2FlatEnvCfg())
    obs = env.get_observations()
    try:
        alg = PPO.construct_algorithm(obs, env, unitree_go2_flat_ppo_with_symmetry_cfg(), "cpu")
    except NotImplementedError as error:
        env.close()
        pytest.skip(f"rsl_sim's PPO does not take symmetry_cfg yet: {error}")
    assert alg.act(obs).shape == (4, 12)
    env.close()


@pytest.mark.parametrize(
    ("cfg_func", "student_class"),
    [
        (unitree_go2_rough_depth_distillation_cfg, "CNNModel"),
        (unitree_go2_rough_depth_distillation_recurrent_cfg, "CNNRNNModel"),
    ],
)
def test_distillation_cfg_builds_student_and_a_teacher_that_loads_the_rough_actor(cfg_func, student_class):
    cfg = cfg_func()
    assert cfg["class_name"] == "DistillationRunner" and cfg["experiment_name"] == "unitree_go2_rough"
    algorithm = cfg["algorithm"]
    assert algorithm["class_name"] == "Distillation" and set(algorithm) <= DISTILLATION_KEYS
    # every collected step takes part in a gradient (the reference warns otherwise)
    assert algorithm["num_learning_epochs"] * cfg["num_steps_per_env"] % algorithm["gradient_length"] == 0
    env = wrapped("RslSim/Go2-Rough-Depth-v0", UnitreeGo2RoughDepthEnvCfg())
    obs = env.get_observations()
    obs_groups = resolve_obs_groups(obs, cfg["obs_groups"], ["student", "teacher"])
    assert obs_groups == {"student": ["student", "depth"], "teacher": ["policy"]}

    student_cls, student_cfg = resolve_class(cfg["student"])
    assert student_cls.__name__ == student_class
    student = student_cls(obs, obs_groups, "student", 12, **student_cfg)
    assert student(obs).shape == (4, 12) and student.is_recurrent == (student_class == "CNNRNNModel")

    # the teacher has the rough PPO actor's layout: a rough checkpoint's actor loads into it
    teacher_cls, teacher_cfg = resolve_class(cfg["teacher"])
    teacher = teacher_cls(obs, obs_groups, "teacher", 12, **teacher_cfg)
    rough_env = wrapped("RslSim/Go2-Rough-v0", UnitreeGo2RoughEnvCfg())
    rough_cfg = unitree_go2_rough_ppo_cfg()
    rough_actor = PPO.construct_algorithm(rough_env.get_observations(), rough_env, rough_cfg, "cpu").actor
    teacher.load_state_dict(rough_actor.state_dict(), strict=True)
    torch.testing.assert_close(teacher(obs), rough_actor(obs))

    # with rsl_sim's Distillation in place, the whole algorithm builds too
    if hasattr(rsl_sim.algorithms, "Distillation"):
        full = dict(cfg, multi_gpu=None)
        alg = rsl_sim.algorithms.Distillation.construct_algorithm(obs, env, full, "cpu")
        assert alg.act(obs).shape == (4, 12)
    rough_env.close()
    env.close()
