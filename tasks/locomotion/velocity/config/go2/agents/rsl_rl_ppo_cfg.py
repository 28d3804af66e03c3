"""PPO configs of the Go2 velocity tasks (Isaac Lab's ``UnitreeGo2RoughPPORunnerCfg`` / ``UnitreeGo2FlatPPORunnerCfg``).

The values are Isaac Lab's (``isaaclab_tasks/core/velocity/config/go2/agents/rsl_rl_ppo_cfg.py``): 24 steps per env and
iteration, ELU MLPs of [512, 256, 128] (rough) or [128, 128, 128] (flat), no observation normalization, Gaussian actions
with initial std 1, PPO with 5 epochs of 4 mini-batches, learning rate 1e-3 with the adaptive KL schedule (target
0.01), gamma 0.99, lambda 0.95, clip 0.2, entropy 0.01. Deliberate differences:

- the critic reads the env's privileged ``critic`` group (noise-free terms, feet contact forces, friction, added mass)
  where Isaac Lab's Go2 task has only the ``policy`` group;
- actions are clipped to +-100 (``clip_actions``, legged_gym's value; Isaac Lab's Go2 config sets none). The policy
  observes its last action, and an unbounded policy can feed it back with a gain above one: in a measured run the
  actions of every robot grew to 1e18 within 20 iterations, ``action_rate_l2`` reached -1e32 and the critic became NaN.
  With the action scale 0.25, +-100 is a +-25 rad joint target, far beyond what the joints reach, so the clip changes
  nothing for a sane policy;
- the flat task trains for 1200 iterations instead of 300: its CPU env runs 1024 robots by default (Isaac Lab: 4096),
  so an iteration holds a quarter of the samples and 1200 iterations see Isaac Lab's 29.5 million (measured: the Go2
  walks after 500-550 iterations, ``tasks/locomotion/velocity/README.md``, "Training on 2 CPU cores").

The ``*_with_symmetry_cfg`` variants add left-right data augmentation with
:func:`~rsl_sim.tasks.locomotion.velocity.config.go2.mirror.go2_mirror` and lower the entropy coefficient to 0.005, as
Isaac Lab's symmetry configs of the velocity task do.
"""

from __future__ import annotations

from typing import Any

from rsl_sim.tasks.locomotion.velocity.agent_cfgs import mlp_model_cfg

GO2_MIRROR_FUNC = "rsl_sim.tasks.locomotion.velocity.config.go2.mirror:go2_mirror"
"""The symmetry function of the Go2 tasks, as a ``"module:function"`` name."""


def unitree_go2_rough_ppo_cfg() -> dict[str, Any]:
    """PPO for ``RslSim/Go2-Rough-v0`` (Isaac Lab's ``UnitreeGo2RoughPPORunnerCfg``)."""
    return {
        "class_name": "OnPolicyRunner",
        "seed": 42,
        "num_steps_per_env": 24,
        "max_iterations": 1500,
        "save_interval": 50,
        "experiment_name": "unitree_go2_rough",
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
            "entropy_coef": 0.01,
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


def unitree_go2_flat_ppo_cfg() -> dict[str, Any]:
    """PPO for ``RslSim/Go2-Flat-v0`` (Isaac Lab's ``UnitreeGo2FlatPPORunnerCfg``; 1200 iterations, see the module)."""
    cfg = unitree_go2_rough_ppo_cfg()
    cfg["max_iterations"] = 1200
    cfg["experiment_name"] = "unitree_go2_flat"
    cfg["actor"]["hidden_dims"] = [128, 128, 128]
    cfg["critic"]["hidden_dims"] = [128, 128, 128]
    return cfg


def _with_symmetry(cfg: dict[str, Any]) -> dict[str, Any]:
    """Add left-right data augmentation (entropy coefficient 0.005, as Isaac Lab's symmetry configs)."""
    cfg["algorithm"]["entropy_coef"] = 0.005
    cfg["algorithm"]["symmetry_cfg"] = {
        "use_data_augmentation": True,
        "use_mirror_loss": False,
        "mirror_loss_coeff": 0.0,
        "data_augmentation_func": GO2_MIRROR_FUNC,
    }
    return cfg


def unitree_go2_rough_ppo_with_symmetry_cfg() -> dict[str, Any]:
    """PPO with left-right symmetry augmentation for ``RslSim/Go2-Rough-v0``."""
    return _with_symmetry(unitree_go2_rough_ppo_cfg())


def unitree_go2_flat_ppo_with_symmetry_cfg() -> dict[str, Any]:
    """PPO with left-right symmetry augmentation for ``RslSim/Go2-Flat-v0``."""
    return _with_symmetry(unitree_go2_flat_ppo_cfg())
