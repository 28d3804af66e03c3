"""Training scenarios for tests/test_distributed.py: run as one process each by ``torchrun``, or in-process alone.

``python -m torch.distributed.run --standalone --nproc_per_node 2 tests/distributed_worker.py <out_dir> <envs>``
trains on every rank (PPO, PPO with RND, Distillation through the runners; RND on its own) and writes each rank's
results to ``<out_dir>/<scenario>_rank<r>.pt``. The same functions, called in one process with twice the
environments, give the single-process reference the tests compare against.

Same data in both set-ups: :class:`IndexedVecEnv` makes every environment's dynamics a function of its *global* index
(rank ``r`` of ``W`` owns the indices ``[r * N, (r + 1) * N)``), and :class:`IndexedNoiseGaussian` draws the
exploration noise of global environment ``g`` at rollout step ``k`` from a table that depends only on ``(k, g)``
(common random numbers), so a rank sees exactly the rows of the single-process run that belong to its environments.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
from tensordict import TensorDict

from rsl_sim.algorithms.distributed import all_reduce_gradients, broadcast_module_states, normalize_over_processes
from rsl_sim.env import VecEnv
from rsl_sim.extensions import RandomNetworkDistillation
from rsl_sim.modules import GaussianDistribution
from rsl_sim.runners import DistillationRunner, OnPolicyRunner
from rsl_sim.utils.distributed import rank_seed, read_launcher_env

SEED = 7
OBS_DIM = 3
NUM_ACTIONS = 2
NUM_STEPS = 6
ITERATIONS = 2
NOISE_SEED = 1234


class IndexedVecEnv(VecEnv):
    """Deterministic synthetic env: the dynamics of env ``g`` depend only on ``g``, the time and its actions.

    Observations ``"policy"`` ``[N, 3]`` (the state) and ``"critic"`` ``[N, 1]`` (a clock feature). The state relaxes
    towards a drive set by the actions plus a forcing term; the reward penalizes the state and the actions. Episodes
    of env ``g`` last ``4 + g % 5`` steps; even envs time out, odd envs terminate. ``extras`` holds ``time_outs``,
    ``final_observation`` and a ``log`` entry.

    Args:
        num_envs: Environments of this process ``N``.
        first_env: Global index of the first one (``rank * N``).
    """

    def __init__(self, num_envs: int, first_env: int = 0) -> None:
        self.num_envs = num_envs
        self.num_actions = NUM_ACTIONS
        self.device = "cpu"
        self.cfg = {"name": "indexed", "num_envs": num_envs, "first_env": first_env}
        self.step_dt = 0.02
        self.max_episode_length = 8
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self.ids = torch.arange(first_env, first_env + num_envs, dtype=torch.float32)
        self.limits = 4 + torch.arange(first_env, first_env + num_envs) % 5
        self.mixing = torch.tensor([[0.9, -0.4, 0.3], [0.2, 0.7, -0.8]])
        self.time = 0
        self.state = self._initial_state()

    def _initial_state(self) -> torch.Tensor:
        return torch.sin(self.ids[:, None] * 0.7 + torch.arange(OBS_DIM) * 1.3)

    def get_observations(self) -> TensorDict:
        clock = torch.sin(self.ids * 0.1 + self.time * 0.3)[:, None]
        return TensorDict({"policy": self.state.clone(), "critic": clock}, batch_size=[self.num_envs])

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        self.time += 1
        drive = (torch.tanh(actions)[:, :, None] * self.mixing[None]).sum(dim=1)
        forcing = torch.cos(self.ids[:, None] * 0.37 + self.time * 0.5 + torch.arange(OBS_DIM))
        self.state = 0.8 * self.state + 0.3 * drive + 0.2 * forcing
        rewards = -self.state.square().sum(dim=1) - 0.05 * actions.square().sum(dim=1) + 0.1 * torch.cos(self.ids)
        self.episode_length_buf += 1
        dones = self.episode_length_buf >= self.limits
        time_outs = dones & (self.ids.long() % 2 == 0)
        final_obs = self.get_observations()
        self.state[dones] = self._initial_state()[dones]
        self.episode_length_buf[dones] = 0
        extras = {"time_outs": time_outs, "final_observation": final_obs, "log": {"state_norm": self.state.norm()}}
        return self.get_observations(), rewards, dones, extras


class IndexedNoiseGaussian(GaussianDistribution):
    """Gaussian policy whose rollout noise of global env ``g`` at rollout step ``k`` is table ``k``'s row ``g``.

    Samples of a batch of ``num_envs`` rows (a rollout step) are ``mean + std * noise[k][first_env:first_env + N]``
    with ``noise[k]`` ``[total_envs, num_actions]`` drawn from a generator seeded with ``NOISE_SEED + k``; other
    batches (the update's forward passes, whose samples are not used) sample as usual.
    """

    def __init__(self, output_dim: int, first_env: int = 0, num_envs: int = 1, total_envs: int = 1, **kwargs: Any):
        super().__init__(output_dim, **kwargs)
        self.first_env = first_env
        self.num_envs = num_envs
        self.total_envs = total_envs
        self.calls = 0

    def sample(self) -> torch.Tensor:
        distribution = self._current()
        if distribution.mean.shape[0] != self.num_envs:
            return super().sample()
        generator = torch.Generator().manual_seed(NOISE_SEED + self.calls)
        self.calls += 1
        noise = torch.randn(self.total_envs, self.output_dim, generator=generator)
        rows = noise[self.first_env : self.first_env + self.num_envs]
        return (distribution.mean + distribution.stddev * rows).detach()


def ppo_cfg(num_envs: int, first_env: int, total_envs: int, rnd: bool = False) -> dict:
    """A PPO train config with normalizers, the adaptive schedule and one mini-batch of the whole rollout per epoch."""
    noise = {"first_env": first_env, "num_envs": num_envs, "total_envs": total_envs}
    cfg = {
        "num_steps_per_env": NUM_STEPS,
        "save_interval": 1,
        "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [16, 16],
            "activation": "elu",
            "obs_normalization": True,
            "distribution_cfg": {"class_name": IndexedNoiseGaussian, "init_std": 0.8, **noise},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [16, 16], "activation": "elu", "obs_normalization": True},
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": 2,
            "num_mini_batches": 1,
            "learning_rate": 3e-3,
            "schedule": "adaptive",
            "desired_kl": 0.01,
            "entropy_coef": 0.01,
            "max_grad_norm": 1.0,
        },
    }
    if rnd:
        cfg["obs_groups"]["rnd_state"] = ["policy"]
        cfg["algorithm"]["rnd_cfg"] = {
            "num_outputs": 4,
            "predictor_hidden_dims": [8],
            "target_hidden_dims": [8],
            "state_normalization": True,
            "reward_normalization": True,
            "weight": 5.0,
        }
    return cfg


def distillation_cfg() -> dict:
    """A distillation config: a deterministic student (so rollouts need no noise) learning from the PPO actor."""
    return {
        "class_name": "DistillationRunner",
        "num_steps_per_env": NUM_STEPS,
        "save_interval": 1,
        "obs_groups": {"student": ["policy"], "teacher": ["policy"]},
        "student": {"class_name": "MLPModel", "hidden_dims": [8], "activation": "elu", "obs_normalization": True},
        "teacher": {"class_name": "MLPModel", "hidden_dims": [16, 16], "activation": "elu", "obs_normalization": True},
        "algorithm": {"class_name": "Distillation", "num_learning_epochs": 2, "gradient_length": 3},
    }


def run_ppo(num_envs: int, rank: int, world_size: int, log_dir: str | None, rnd: bool = False) -> dict:
    """Train PPO for ``ITERATIONS`` iterations on this process' envs; return the states to compare."""
    torch.manual_seed(rank_seed(SEED, rank))
    env = IndexedVecEnv(num_envs, first_env=rank * num_envs)
    runner = OnPolicyRunner(env, ppo_cfg(num_envs, rank * num_envs, world_size * num_envs, rnd), log_dir, "cpu")
    initial = {key: value.clone() for key, value in runner.alg.save()["actor_state_dict"].items()}
    runner.learn(ITERATIONS)
    return {"initial_actor": initial, **runner.alg.save(), "learning_rate": runner.alg.learning_rate}


def run_distillation(num_envs: int, rank: int, teacher_path: str, log_dir: str | None) -> dict:
    """Distill the PPO actor of ``teacher_path`` into a student; return the states to compare."""
    torch.manual_seed(rank_seed(SEED, rank))
    env = IndexedVecEnv(num_envs, first_env=rank * num_envs)
    runner = DistillationRunner(env, distillation_cfg(), log_dir, "cpu")
    initial = {key: value.clone() for key, value in runner.alg.save()["student_state_dict"].items()}
    runner.load(teacher_path)
    runner.learn(ITERATIONS)
    return {"initial_student": initial, **runner.alg.save()}


def run_rnd(num_envs: int, rank: int, world_size: int) -> dict:
    """RND on its own: 3 steps of intrinsic rewards (normalized), then one predictor step on the visited states."""
    torch.manual_seed(rank_seed(SEED, rank))
    env = IndexedVecEnv(num_envs, first_env=rank * num_envs)
    rnd = RandomNetworkDistillation(
        num_states=OBS_DIM,
        obs_groups={"rnd_state": ["policy"]},
        num_outputs=4,
        predictor_hidden_dims=[8],
        target_hidden_dims=[8],
        state_normalization=True,
        reward_normalization=True,
        weight=1.0,
    )
    initial = {key: value.clone() for key, value in rnd.state_dict().items()}
    if world_size > 1:
        broadcast_module_states([rnd], src=0)

    # Rollout: intrinsic rewards (the reward normalizer updates from every step)
    observations, rewards = [], []
    with torch.inference_mode():
        for step in range(3):
            obs, _, _, _ = env.step(torch.full((num_envs, NUM_ACTIONS), 0.1 * step))
            rewards.append(rnd.get_intrinsic_reward(obs))
            observations.append(obs)
    batch = torch.cat(observations).clone()

    # Update: state statistics, then one predictor step on gradients averaged over the processes
    rnd.update_normalization(batch)
    rnd.optimizer.zero_grad()
    rnd.compute_loss(batch).backward()
    if world_size > 1:
        all_reduce_gradients(rnd.predictor.parameters(), world_size)
    rnd.optimizer.step()
    return {"initial": initial, "state": rnd.state_dict(), "rewards": torch.stack(rewards)}


def rank_values(rank: int, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Values that differ per rank and per entry: ``(rank + 1) * sin(1 + index)``."""
    return (rank + 1) * torch.sin(1.0 + torch.arange(torch.Size(shape).numel(), dtype=dtype)).reshape(shape)


def run_collectives(rank: int) -> dict:
    """Gradients averaged in many small buckets (mixed dtypes, one gradient missing) and advantages normalized."""
    params = [
        torch.nn.Parameter(torch.zeros(7, 5)),
        torch.nn.Parameter(torch.zeros(3, dtype=torch.float64)),
        torch.nn.Parameter(torch.zeros(40)),  # larger than a bucket: a bucket of its own
        torch.nn.Parameter(torch.zeros(2)),  # no gradient: skipped
        torch.nn.Parameter(torch.zeros(4, 4)),
    ]
    for i, param in enumerate(params):
        if i != 3:
            param.grad = rank_values(rank, tuple(param.shape), param.dtype) + i
    all_reduce_gradients(params, world_size=2, bucket_mb=100 / 2**20)  # 100-byte buckets
    advantages = rank_values(rank, (6, 4, 1)) + rank
    return {
        "grads": [param.grad for param in params],
        "advantages": advantages,
        "normalized": normalize_over_processes(advantages),
    }


def main(out_dir: str, num_envs: int) -> None:
    """Run every scenario on this rank of a ``torchrun`` job and save its results under ``out_dir``."""
    torch.set_num_threads(1)
    settings = read_launcher_env()
    rank, world_size = settings.global_rank, settings.world_size

    def save(name: str, results: dict) -> None:
        torch.save(results, os.path.join(out_dir, f"{name}_rank{rank}.pt"))

    # Each rank gets its own log folder; only rank 0's may receive files. The first runner starts the process group.
    ppo_logs = os.path.join(out_dir, f"ppo_logs_rank{rank}")
    save("ppo", run_ppo(num_envs, rank, world_size, ppo_logs))
    save("collectives", run_collectives(rank))
    save("ppo_rnd", run_ppo(num_envs, rank, world_size, os.path.join(out_dir, f"rnd_logs_rank{rank}"), rnd=True))
    save("rnd", run_rnd(num_envs, rank, world_size))

    # Distillation from rank 0's last PPO checkpoint (written before the barrier)
    torch.distributed.barrier()
    teacher = os.path.join(out_dir, "ppo_logs_rank0", f"model_{ITERATIONS - 1}.pt")
    distill_logs = os.path.join(out_dir, f"distill_logs_rank{rank}")
    save("distillation", run_distillation(num_envs, rank, teacher, distill_logs))
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
