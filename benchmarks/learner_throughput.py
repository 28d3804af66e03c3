"""Learner throughput: rsl_sim's PPO runner vs rsl-rl-lib 5.5.1's, same config, same process, same synthetic env.

The env is cheap and synthetic (a 48-d ``policy`` group, a 235-d ``critic`` group, 12 actions, random episode ends), so
the measurement is the learner: acting, storing, GAE and the PPO update (actor/critic 512-256-128 ELU, 24 steps per
env, 5 epochs x 4 mini-batches). Both runners train from the same seed; the first update's losses are compared, so a
speed-up cannot come from doing less work.

Usage::

    pip install -e ".[benchmark]"   # rsl-rl-lib==5.5.1
    python benchmarks/learner_throughput.py [--num_envs 512 4096] [--iterations 5] [--threads N] [--compile default]

Prints the machine (CPU model, AVX-512 or not, a one-thread GEMM rate, load average), then samples/s of each learner
and the ratio (goal: rsl_sim >= 1.3x rsl-rl-lib on CPU), from wall time and from the process' CPU time. The timed
iterations alternate between the learners. On a loaded machine the wall-time figures vary with the load; the CPU-time
figures (exact with ``--threads 1``; with more threads they include OpenMP's spin-waiting) vary much less. Figures for
the README come from a quiet machine. rsl_sim's linear layers compute their float32 CPU products with oneDNN
(``rsl_sim.modules.linear``; ``RSL_SIM_ONEDNN_LINEAR=0`` runs PyTorch's / RSL-RL's arithmetic bit for bit instead, for
comparison), so the first-update losses are equal to float32 rounding. ``benchmarks/learner_profile.py`` shows where the
time goes, op by op.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

import torch
from tensordict import TensorDict

from rsl_sim.utils.machine import cpu_info, vector_extensions

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


COMPILE_MODE: str | None = None
"""``torch_compile_mode`` of both learners (``--compile``), None for eager."""


def train_cfg() -> dict:
    """The same RSL-RL 5.x config for both learners."""
    model = {"hidden_dims": [512, 256, 128], "activation": "elu", "obs_normalization": True}
    return {
        "torch_compile_mode": COMPILE_MODE,
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


def machine_summary() -> str:
    """CPU model, its vector extensions, torch threads, load average and a measured float32 GEMM rate (MKL, oneDNN).

    The GEMM is one ``[3072, 512] x [512, 256]`` product (the size of the update's widest layers) on one thread, best
    of 20, timed with the thread's CPU time (so a loaded machine does not lower it much).
    """
    model, flags = cpu_info()
    vector = vector_extensions(flags)
    from rsl_sim.modules.linear import onednn_linear_available

    a, b = torch.randn(3072, 512), torch.randn(256, 512)
    products = {"MKL": lambda: torch.mm(a, b.t())}
    if onednn_linear_available():
        products["oneDNN"] = lambda: torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], "")
    threads, rates = torch.get_num_threads(), {}
    torch.set_num_threads(1)
    for name, product in products.items():
        product()
        best = min(_cpu_seconds(product) for _ in range(20))
        rates[name] = 2 * 3072 * 512 * 256 / best / 1e9
    torch.set_num_threads(threads)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    gemm = ", ".join(f"{name} {rate:.0f}" for name, rate in rates.items())
    return (
        f"machine: {model} ({os.cpu_count()} CPUs, {vector}), torch {torch.__version__}, {threads} torch threads,"
        f" load average {load}\nfloat32 GEMM [3072, 512] x [512, 256] on one thread, GFLOP/s: {gemm}"
    )


def _cpu_seconds(function) -> float:
    """CPU seconds of the calling thread spent in one call."""
    start = time.thread_time()
    function()
    return time.thread_time() - start


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


def iteration(runner, env) -> tuple[float, float, dict]:
    """One learning iteration (rollout + update) as the runners run it; returns wall and CPU seconds and the losses.

    The CPU seconds are those of the whole process (all its threads); with one thread they are the time the learner
    ran, without the time it waited for the CPU on a loaded machine.
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    rollout(runner, env)
    losses = runner.alg.update()
    return time.perf_counter() - start, time.process_time() - start_cpu, losses


def rollout(runner, env) -> None:
    """One iteration's rollout as the runners collect it: ``num_steps_per_env`` steps, then the returns."""
    alg, steps = runner.alg, runner.cfg["num_steps_per_env"]
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(steps):
            actions = alg.act(obs)
            obs, rewards, dones, extras = env.step(actions)
            alg.process_env_step(obs, rewards, dones, extras)
        alg.compute_returns(obs)


def measure(num_envs: int, iterations: int) -> dict[str, tuple[float, float, dict, float]]:
    """Samples per second of both learners (wall and CPU time, best of ``iterations``), their first update's losses and
    the wall seconds of their first iteration (which includes compiling with ``--compile``).

    Each learner runs its first iteration right after being built from the same seed (so both draw the same random
    numbers and their first-update losses can be compared); the timed iterations then alternate between the learners,
    so a change of machine load affects both alike.
    """
    runners, first_losses, first_seconds = {}, {}, {}
    for library in LIBRARIES:
        runner, env = make_runner(library, num_envs)
        runner.alg.train_mode()
        first_seconds[library], _, first_losses[library] = iteration(runner, env)
        runners[library] = (runner, env)
    wall = {library: [] for library in LIBRARIES}
    cpu = {library: [] for library in LIBRARIES}
    for _ in range(iterations):
        for library in LIBRARIES:
            seconds, cpu_seconds, _ = iteration(*runners[library])
            wall[library].append(seconds)
            cpu[library].append(cpu_seconds)
    samples = num_envs * train_cfg()["num_steps_per_env"]
    return {
        library: (
            samples / min(wall[library]),
            samples / min(cpu[library]),
            first_losses[library],
            first_seconds[library],
        )
        for library in LIBRARIES
    }


LIBRARIES = ("rsl_sim", "rsl_rl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_envs", type=int, nargs="+", default=[512, 4096])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--compile", default=None, help="torch_compile_mode of both learners, e.g. default")
    args = parser.parse_args()
    global COMPILE_MODE
    COMPILE_MODE = args.compile
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        import rsl_rl  # noqa: F401
    except ImportError as error:
        raise SystemExit("rsl-rl-lib is not installed: pip install -e '.[benchmark]'") from error

    from rsl_sim.modules.linear import onednn_linear_enabled, onednn_weight_gradient_enabled

    print(machine_summary())
    # measured once here (or set by RSL_SIM_ONEDNN_WEIGHT_GRADIENT); used only on the oneDNN path
    weight_gradient = "oneDNN" if onednn_linear_enabled() and onednn_weight_gradient_enabled() else "BLAS"
    print(f"rsl_sim linear layers on oneDNN: {onednn_linear_enabled()}, weight gradients on: {weight_gradient}")
    print(
        f"{'envs':>6} {'rsl_sim samples/s':>18} {'rsl-rl-lib samples/s':>21} {'ratio':>6} {'(CPU time:':>10}"
        f" {'rsl_sim':>8} {'rsl-rl-lib':>10} {'ratio)':>6}  first-update losses equal"
    )
    for num_envs in args.num_envs:
        results = measure(num_envs, args.iterations)
        (ours, ours_cpu, our_losses, our_first), (theirs, theirs_cpu, their_losses, their_first) = (
            results["rsl_sim"],
            results["rsl_rl"],
        )
        same = all(
            abs(our_losses[key] - their_losses[key]) <= 1e-5 * max(1.0, abs(their_losses[key]))
            for key in ("value", "surrogate", "entropy")
        )
        print(
            f"{num_envs:>6} {ours:>18,.0f} {theirs:>21,.0f} {ours / theirs:>6.2f} {'':>10} {ours_cpu:>8,.0f}"
            f" {theirs_cpu:>10,.0f} {ours_cpu / theirs_cpu:>6.2f}  {same}"
        )
        if args.compile:
            print(f"{'':>6} first iteration (compiling), wall s: rsl_sim {our_first:.1f}, rsl-rl-lib {their_first:.1f}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average after the run: {load}")


if __name__ == "__main__":
    main()
