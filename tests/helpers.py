"""Helpers shared by several test modules: small Pendulum configs, CLI arguments, learner-state comparison, and
calling a test module's function in a fresh Python process (import it with ``from helpers import ...``)."""

from __future__ import annotations

import os
import subprocess
import sys

import torch

from rsl_sim.cli.default_agent import default_ppo_cfg
from rsl_sim.runners import OnPolicyRunner

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# ``rsl-sim`` arguments for a 2-env Pendulum-v1 run on the CPU
PENDULUM_CLI = ["--task", "Pendulum-v1", "--num_envs", "2", "--device", "cpu"]


def pendulum_cfg(recurrent: bool, rnd: bool = False) -> dict:
    """A small PPO config for Pendulum-v1 (24 steps per iteration, 2 epochs of 2 mini-batches), optionally with RND."""
    cfg = default_ppo_cfg("Pendulum-v1")
    cfg.update(num_steps_per_env=24, save_interval=100, device="cpu")
    for model in ("actor", "critic"):
        cfg[model]["hidden_dims"] = [32, 32]
        if recurrent:
            cfg[model].update(class_name="RNNModel", rnn_type="gru", rnn_hidden_dim=16, rnn_num_layers=1)
    cfg["algorithm"].update(num_learning_epochs=2, num_mini_batches=2)
    if rnd:
        cfg["obs_groups"]["rnd_state"] = ["policy"]
        cfg["algorithm"]["rnd_cfg"] = {
            "num_outputs": 8,
            "predictor_hidden_dims": [16],
            "target_hidden_dims": [16],
            "weight": 10.0,
            "reward_normalization": True,
            "weight_schedule": {"mode": "linear", "initial_step": 0, "final_step": 500, "final_value": 1.0},
        }
    return cfg


def run_in_subprocess(module: str, function: str, *args: object) -> None:
    """Call ``<module>.<function>(*args)`` (a module in tests/) in a fresh Python process; fail with its stderr.

    ``args`` must be literals (their ``repr`` is the call's source).
    """
    code = f"import sys; sys.path.insert(0, {TESTS_DIR!r}); import {module}; {module}.{function}(*{args!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def learner_state(runner: OnPolicyRunner) -> dict[str, torch.Tensor]:
    """Every parameter, buffer and optimizer state tensor, by name."""
    state = {f"actor.{k}": v for k, v in runner.alg.get_policy().state_dict().items()}
    state.update({f"critic.{k}": v for k, v in runner.alg.critic.state_dict().items()})
    optimizer = runner.alg.optimizer.state_dict()
    for index, entry in optimizer["state"].items():
        state.update({f"optimizer.{index}.{k}": v for k, v in entry.items() if isinstance(v, torch.Tensor)})
    return {key: value.clone() for key, value in state.items()}


def assert_bit_identical(a: OnPolicyRunner, b: OnPolicyRunner) -> None:
    """The two runners' learner states, learning rates and iteration counters are equal bit for bit."""
    state_a, state_b = learner_state(a), learner_state(b)
    assert state_a.keys() == state_b.keys()
    differing = [key for key in state_a if not torch.equal(state_a[key], state_b[key])]
    assert not differing, f"differ: {differing[:5]}"
    assert a.alg.learning_rate == b.alg.learning_rate
    assert a.current_learning_iteration == b.current_learning_iteration
