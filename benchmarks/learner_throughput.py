"""Learner throughput: rsl_sim's PPO runner vs rsl-rl-lib 5.5.1's, same config, same process, same synthetic env.

The env is cheap and synthetic (a 48-d ``policy`` group, a 235-d ``critic`` group, 12 actions, random episode ends), so
the measurement is the learner: acting, storing, GAE and the PPO update (actor/critic 512-256-128 ELU, 24 steps per
env, 5 epochs x 4 mini-batches). Both runners train from the same seed; the first update's losses are compared, so a
speed-up cannot come from doing less work.

Usage::

    pip install -e ".[benchmark]"   # rsl-rl-lib==5.5.1
    python benchmarks/learner_throughput.py [--num_envs 512 4096] [--iterations 5] [--threads N]

Prints samples/s of each learner and the ratio (goal: rsl_sim >= 1.3x rsl-rl-lib on CPU). rsl_sim's linear layers
compute their float32 CPU products with oneDNN (``rsl_sim.modules.linear``; ``RSL_SIM_ONEDNN_LINEAR=0`` runs
``nn.Linear``'s MKL products instead, for comparison); the first-update losses are then equal to float32 rounding.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import time

import torch
from tensordict import TensorDict

NUM_ACTIONS, POLICY_DIM, CRITIC_DIM = 12, 48, 235


class SyntheticEnv:
    """A VecEnv with random observations from a fixed pool (no simulation cost) and random episode ends."""

    def __init__(self, num_envs: int, seed: int = 0) -> None:
        self.num_envs, self.num_actions, self.device = num_envs, NUM_ACTIONS, "cpu"
        self.max_episode_length, self.cfg = 1000, {}
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        generator = torch.Generator().manual_seed(seed)
        self.pool = [
            TensorDict(
                {
                    "policy": torch.randn(num_envs, POLICY_DIM, generator=generator),
                    "critic": torch.randn(num_envs, CRITIC_DIM, generator=generator),
                },
                batch_size=[num_envs],
            )
            for _ in range(8)
        ]
        self.rewards = [torch.randn(num_envs, generator=generator) for _ in range(8)]
        self.dones = [torch.rand(num_envs, generator=generator) < 0.01 for _ in range(8)]
        self.t = 0

    def get_observations(self) -> TensorDict:
        return self.pool[self.t % 8]

    def step(self, actions: torch.Tensor):
        self.t += 1
        k = self.t % 8
        extras = {"time_outs": self.dones[k] & (self.rewards[k] > 0), "log": {}}
        return self.pool[k], self.rewards[k], self.dones[k].long(), extras


def train_cfg() -> dict:
    """The same RSL-RL 5.x config for both learners."""
    model = {"hidden_dims": [512, 256, 128], "activation": "elu", "obs_normalization": True}
    return {
        "num_steps_per_env": 24,
        "save_interval": 10_000,
        "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
        "actor": {
            "class_name": "MLPModel",
            **model,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"},
        },
        "critic": {"class_name": "MLPModel", **model},
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": 5,
            "num_mini_batches": 4,
            "learning_rate": 1e-3,
            "schedule": "adaptive",
            "gamma": 0.99,
            "lam": 0.95,
            "entropy_coef": 0.01,
            "desired_kl": 0.01,
            "max_grad_norm": 1.0,
            "value_loss_coef": 1.0,
            "use_clipped_value_loss": True,
            "clip_param": 0.2,
        },
    }


def make_runner(library: str, num_envs: int):
    """Build a runner of ``library`` ("rsl_sim" or "rsl_rl") on a fresh synthetic env, seeded identically."""
    torch.manual_seed(0)
    env = SyntheticEnv(num_envs)
    with contextlib.redirect_stdout(io.StringIO()):
        if library == "rsl_sim":
            from rsl_sim.runners import OnPolicyRunner
        else:
            from rsl_rl.runners import OnPolicyRunner
        runner = OnPolicyRunner(env, train_cfg(), log_dir=None, device="cpu")
    return runner, env


def iteration(runner, env) -> tuple[float, dict]:
    """One learning iteration (rollout + update) as the runners run it; returns wall seconds and the losses."""
    alg, steps = runner.alg, runner.cfg["num_steps_per_env"]
    start = time.perf_counter()
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(steps):
            actions = alg.act(obs)
            obs, rewards, dones, extras = env.step(actions)
            alg.process_env_step(obs, rewards, dones, extras)
        alg.compute_returns(obs)
    losses = alg.update()
    return time.perf_counter() - start, losses


def measure(library: str, num_envs: int, iterations: int) -> tuple[float, dict]:
    """Samples per second (best of ``iterations`` after one warm-up iteration) and the first update's losses."""
    runner, env = make_runner(library, num_envs)
    runner.alg.train_mode()
    _, first_losses = iteration(runner, env)
    best = min(iteration(runner, env)[0] for _ in range(iterations))
    return num_envs * runner.cfg["num_steps_per_env"] / best, first_losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_envs", type=int, nargs="+", default=[512, 4096])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        import rsl_rl  # noqa: F401
    except ImportError as error:
        raise SystemExit("rsl-rl-lib is not installed: pip install -e '.[benchmark]'") from error

    from rsl_sim.modules.linear import onednn_linear_enabled

    print(
        f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, rsl_sim linear layers on oneDNN: {onednn_linear_enabled()}"
    )
    print(f"{'envs':>6} {'rsl_sim samples/s':>18} {'rsl-rl-lib samples/s':>21} {'ratio':>6}  first-update losses equal")
    for num_envs in args.num_envs:
        ours, our_losses = measure("rsl_sim", num_envs, args.iterations)
        theirs, their_losses = measure("rsl_rl", num_envs, args.iterations)
        same = all(
            abs(our_losses[key] - their_losses[key]) <= 1e-5 * max(1.0, abs(their_losses[key]))
            for key in ("value", "surrogate", "entropy")
        )
        print(f"{num_envs:>6} {ours:>18,.0f} {theirs:>21,.0f} {ours / theirs:>6.2f}  {same}")


if __name__ == "__main__":
    main()
