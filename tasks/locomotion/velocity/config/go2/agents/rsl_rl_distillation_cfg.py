"""Distillation configs of ``RslSim/Go2-Rough-Depth-v0``: the rough PPO policy teaches a depth-camera student.

Teacher: the actor of
:func:`~rsl_sim.tasks.locomotion.velocity.config.go2.agents.rsl_rl_ppo_cfg.unitree_go2_rough_ppo_cfg` (ELU MLP [512,
256, 128] on the ``policy`` group: proprioception + height scan), deterministic (``init_std`` 0). Load a rough PPO
checkpoint into the distillation runner to fill it (the runner reads the checkpoint's ``actor_state_dict``); the
experiment name is the rough task's, so ``--resume --load_run <rough run>`` finds the teacher.

Student: the ``student`` group (proprioception with noise, no height scan) and the ``depth`` image ``[N, 1, 32, 32]``:

- :func:`unitree_go2_rough_depth_distillation_cfg`: ``CNNModel``, a 3-layer convolutional encoder (16, 32, 64
  channels, kernels 5/3/3, stride 2: 32 x 32 -> 2 x 2 x 64 = 256 features) beside the 48 proprioceptive values, into
  an ELU MLP [512, 256, 128];
- :func:`unitree_go2_rough_depth_distillation_recurrent_cfg`: ``CNNRNNModel``, the same encoder followed by an LSTM
  (256 units), so the student can remember terrain that left the field of view (under the body).

Algorithm: RSL-RL 5.x ``Distillation`` with Isaac Lab's distillation values (2 epochs, learning rate 1e-3, gradient
length 15, 120 steps per env and iteration), gradients clipped at norm 1, MSE between student and teacher actions.
"""

from __future__ import annotations

from typing import Any

from rsl_sim.tasks.locomotion.velocity.config.go2.agents.rsl_rl_ppo_cfg import unitree_go2_rough_ppo_cfg

DEPTH_CNN_CFG: dict[str, Any] = {
    "output_channels": [16, 32, 64],
    "kernel_size": [5, 3, 3],
    "stride": [2, 2, 2],
    "activation": "elu",
    "padding": "none",
    "norm": "none",
    "max_pool": False,
    "global_pool": "none",
    "flatten": True,
}
"""Encoder of the 32 x 32 depth image (``rsl_sim.modules.CNN`` arguments)."""


def unitree_go2_rough_depth_distillation_cfg() -> dict[str, Any]:
    """Distillation of the rough PPO teacher into a CNN depth student (``DistillationRunner``)."""
    teacher = unitree_go2_rough_ppo_cfg()["actor"]
    teacher["distribution_cfg"]["init_std"] = 0.0
    return {
        "class_name": "DistillationRunner",
        "seed": 42,
        "num_steps_per_env": 120,
        "max_iterations": 300,
        "save_interval": 50,
        "experiment_name": "unitree_go2_rough",
        "run_name": "depth_student",
        "logger": "tensorboard",
        "obs_groups": {"student": ["student", "depth"], "teacher": ["policy"]},
        "student": {
            "class_name": "CNNModel",
            "hidden_dims": [512, 256, 128],
            "activation": "elu",
            "obs_normalization": False,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.1, "std_type": "scalar"},
            "cnn_cfg": dict(DEPTH_CNN_CFG),
        },
        "teacher": teacher,
        "algorithm": {
            "class_name": "Distillation",
            "num_learning_epochs": 2,
            "gradient_length": 15,
            "learning_rate": 1.0e-3,
            "max_grad_norm": 1.0,
            "loss_type": "mse",
        },
    }


def unitree_go2_rough_depth_distillation_recurrent_cfg() -> dict[str, Any]:
    """Distillation into a recurrent CNN depth student (``CNNRNNModel``, LSTM with 256 units)."""
    cfg = unitree_go2_rough_depth_distillation_cfg()
    cfg["run_name"] = "depth_student_recurrent"
    cfg["student"].update({"class_name": "CNNRNNModel", "rnn_type": "lstm", "rnn_hidden_dim": 256, "rnn_num_layers": 1})
    return cfg
