"""PPO configs of the G1 velocity tasks (Isaac Lab's ``G1RoughPPORunnerCfg`` / ``G1FlatPPORunnerCfg``).

The values are Isaac Lab's (``isaaclab_tasks/core/velocity/config/g1/agents/rsl_rl_ppo_cfg.py``): 24 steps per env and
iteration, ELU MLPs of [512, 256, 128] (rough) or [256, 128, 128] (flat), no observation normalization, Gaussian
actions with initial std 1, PPO with 5 epochs of 4 mini-batches, learning rate 1e-3 with the adaptive KL schedule
(target 0.01), gamma 0.99, lambda 0.95, clip 0.2, entropy 0.008; 5000 (rough) and 1500 (flat) iterations.
Deliberate differences, as for the Go2 (``config/go2/agents/rsl_rl_ppo_cfg.py``):

- the critic reads the env's privileged ``critic`` group (noise-free terms, feet contact forces, friction, added torso
  mass) where Isaac Lab's critic reads ``policy``;
- actions are clipped to +-100 (``clip_actions``): the policy observes its last action, and an unbounded feedback
  loop was measured to blow up the Go2's training; +-100 is a +-50 rad joint target at the action scale 0.5, so the
  clip changes nothing for a sane policy.

The ``*_with_symmetry_cfg`` variants add left-right data augmentation with
:func:`~rsl_sim.tasks.locomotion.velocity.config.g1.mirror.g1_mirror` (Isaac Lab has no G1 symmetry config; the
entropy coefficient stays 0.008).
"""

from __future__ import annotations

from typing import Any

from rsl_sim.tasks.locomotion.velocity.agent_cfgs import mlp_model_cfg

G1_MIRROR_FUNC = "rsl_sim.tasks.locomotion.velocity.config.g1.mirror:g1_mirror"
"""The symmetry function of the G1 tasks, as a ``"module:function"`` name."""


def unitree_g1_rough_ppo_cfg() -> dict[str, Any]:
    """PPO for ``RslSim/G1-Rough-v0`` (Isaac Lab's ``G1RoughPPORunnerCfg``)."""
    return {
        "class_name": "OnPolicyRunner",
        "seed": 42,
        "num_steps_per_env": 24,
        "max_iterations": 5000,
        "save_interval": 50,
        "experiment_name": "g1_rough",
        "run_name": "",
        "logger": "tensorboard",
        "init_at_random_ep_len": True,
        "clip_actions": 100.0,
        "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
        "actor": mlp_model_cfg([512, 256, 128], init_std=1.0),
        "critic": mlp_model_cfg([512, 256, 128], init_std=None),
        "algorithm": {
            "class_name": "PPO",
            "value_loss_coef": 1.0,
            "use_clipped_value_loss": True,
            "clip_param": 0.2,
            "entropy_coef": 0.008,
            "num_learning_epochs": 5,
            "num_mini_batches": 4,
            "learning_rate": 1.0e-3,
            "schedule": "adaptive",
            "gamma": 0.99,
            "lam": 0.95,
            "desired_kl": 0.01,
            "max_grad_norm": 1.0,
        },
    }


def unitree_g1_flat_ppo_cfg() -> dict[str, Any]:
    """PPO for ``RslSim/G1-Flat-v0`` (Isaac Lab's ``G1FlatPPORunnerCfg``)."""
    cfg = unitree_g1_rough_ppo_cfg()
    cfg["max_iterations"] = 1500
    cfg["experiment_name"] = "g1_flat"
    cfg["actor"]["hidden_dims"] = [256, 128, 128]
    cfg["critic"]["hidden_dims"] = [256, 128, 128]
    return cfg


def _with_symmetry(cfg: dict[str, Any]) -> dict[str, Any]:
    """Add left-right data augmentation with the G1 mirror."""
    cfg["algorithm"]["symmetry_cfg"] = {
        "use_data_augmentation": True,
        "use_mirror_loss": False,
        "mirror_loss_coeff": 0.0,
        "data_augmentation_func": G1_MIRROR_FUNC,
    }
    return cfg


def unitree_g1_rough_ppo_with_symmetry_cfg() -> dict[str, Any]:
    """PPO with left-right symmetry augmentation for ``RslSim/G1-Rough-v0``."""
    return _with_symmetry(unitree_g1_rough_ppo_cfg())


def unitree_g1_flat_ppo_with_symmetry_cfg() -> dict[str, Any]:
    """PPO with left-right symmetry augmentation for ``RslSim/G1-Flat-v0``."""
    return _with_symmetry(unitree_g1_flat_ppo_cfg())
