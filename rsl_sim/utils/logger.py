"""Training-run bookkeeping: episode statistics, metrics to the log writer, console summary, configs and code state."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections import deque
from collections.abc import Mapping
from typing import Any

import torch

from .console import ConsoleReporter
from .git_state import store_git_state
from .log_writers import LogWriter, WandbLogWriter, make_log_writer, write_yaml

# Number of finished episodes the rolling means of return and length are taken over
EPISODE_WINDOW = 100

# The rsl_sim package folder: its repository's code state is recorded by default (as RSL-RL records its own)
_RSL_SIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EpisodeStatistics:
    """Running sums of reward and length per environment, and rolling windows over finished episodes.

    Args:
        num_envs: Number of environments.
        device: Device of the per-environment sums.
        track_intrinsic: Also keep separate extrinsic / intrinsic returns (curiosity-driven training).
        window: Number of most recent finished episodes kept.
    """

    def __init__(self, num_envs: int, device: str, track_intrinsic: bool = False, window: int = EPISODE_WINDOW) -> None:
        self.track_intrinsic = track_intrinsic
        self.returns: deque[float] = deque(maxlen=window)
        self.lengths: deque[float] = deque(maxlen=window)
        self.extrinsic_returns: deque[float] = deque(maxlen=window)
        self.intrinsic_returns: deque[float] = deque(maxlen=window)
        self._return_sum = torch.zeros(num_envs, dtype=torch.float, device=device)
        self._length = torch.zeros(num_envs, dtype=torch.float, device=device)
        self._extrinsic_sum = torch.zeros(num_envs, dtype=torch.float, device=device)
        self._intrinsic_sum = torch.zeros(num_envs, dtype=torch.float, device=device)

    def add_step(self, rewards: torch.Tensor, dones: torch.Tensor, intrinsic_rewards: torch.Tensor | None) -> None:
        """Add one step of all environments; close the episodes of the environments that are done.

        Args:
            rewards: Extrinsic rewards, ``[num_envs]``.
            dones: Done flags (terminated or truncated), ``[num_envs]``.
            intrinsic_rewards: Intrinsic rewards ``[num_envs]`` or ``None``; added to the return when given.
        """
        rewards = rewards.reshape(-1)
        self._return_sum += rewards
        if intrinsic_rewards is not None:
            intrinsic_rewards = intrinsic_rewards.reshape(-1)
            self._return_sum += intrinsic_rewards
            self._extrinsic_sum += rewards
            self._intrinsic_sum += intrinsic_rewards
        self._length += 1

        # Move the finished episodes into the windows and restart their sums
        done_ids = (dones.reshape(-1) > 0).nonzero().flatten()
        if done_ids.numel() == 0:
            return
        self.returns.extend(self._return_sum[done_ids].tolist())
        self.lengths.extend(self._length[done_ids].tolist())
        self._return_sum[done_ids] = 0.0
        self._length[done_ids] = 0.0
        if self.track_intrinsic:
            self.extrinsic_returns.extend(self._extrinsic_sum[done_ids].tolist())
            self.intrinsic_returns.extend(self._intrinsic_sum[done_ids].tolist())
            self._extrinsic_sum[done_ids] = 0.0
            self._intrinsic_sum[done_ids] = 0.0

    def state_dict(self) -> dict[str, Any]:
        """The windows (lists of floats) and the running per-environment sums (tensors ``[num_envs]``)."""
        return {
            "returns": list(self.returns),
            "lengths": list(self.lengths),
            "extrinsic_returns": list(self.extrinsic_returns),
            "intrinsic_returns": list(self.intrinsic_returns),
            "return_sum": self._return_sum.clone(),
            "length": self._length.clone(),
            "extrinsic_sum": self._extrinsic_sum.clone(),
            "intrinsic_sum": self._intrinsic_sum.clone(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; running sums of another number of environments are left at zero."""
        for name in ("returns", "lengths", "extrinsic_returns", "intrinsic_returns"):
            window = getattr(self, name)
            window.clear()
            window.extend(float(value) for value in state.get(name, []))
        for name in ("return_sum", "length", "extrinsic_sum", "intrinsic_sum"):
            current = getattr(self, f"_{name}")
            saved = state.get(name)
            if isinstance(saved, torch.Tensor) and saved.shape == current.shape:
                current.copy_(saved)


class Logger:
    """Collects what happens during training and writes it out, with RSL-RL 5.x's tags and call signatures.

    Per environment step it accumulates episode returns/lengths and the entries of ``extras["log"]`` (or
    ``extras["episode"]``); per iteration it writes the metrics to the log writer (TensorBoard by default) and prints a
    summary. Tags: ``Loss/<name>``, ``Loss/learning_rate``, ``Policy/mean_std``, ``Perf/total_fps``,
    ``Perf/collection_time``, ``Perf/learning_time``, ``Train/mean_reward``, ``Train/mean_episode_length`` (rolling
    over the last 100 finished episodes, plus ``.../time`` variants over whole seconds of training time),
    ``Episode/<name>`` for ``extras["log"]`` names without ``"/"`` (names with one are used as given) and
    ``Rnd/...`` with curiosity. The alias ``Policy/mean_noise_std`` (RSL-RL 2.x/3.x name) is written as well.

    Files (only when ``log_dir`` is given, and only on the main process of a multi-GPU run): event files,
    ``params/agent.yaml`` (the resolved train config), ``params/env.yaml`` (if the environment config is a dict,
    dataclass or has ``to_dict()``), ``git/<repo>.diff`` for each repository in :attr:`git_status_repos`.

    Args:
        log_dir: The run's log folder, or ``None`` for no files (console only).
        cfg: The resolved train config.
        env_cfg: The environment's ``cfg`` (any type; written out when it is a dict or a dataclass-like config).
        num_envs: Number of environments.
        is_distributed: Whether this is a multi-process run.
        gpu_world_size: Number of processes (each collects ``num_envs`` environments).
        gpu_global_rank: This process' rank; only rank 0 logs.
        device: Device of the episode sums.
    """

    def __init__(
        self,
        log_dir: str | None,
        cfg: dict,
        env_cfg: Any,
        num_envs: int,
        is_distributed: bool = False,
        gpu_world_size: int = 1,
        gpu_global_rank: int = 0,
        device: str = "cpu",
    ) -> None:
        self.log_dir = log_dir
        self.cfg = cfg
        self.env_cfg = env_cfg
        self.num_envs = num_envs
        self.gpu_world_size = gpu_world_size
        self.device = device
        self.git_status_repos: list[str] = [_RSL_SIM_DIR]
        self.disable_logs = is_distributed and gpu_global_rank != 0
        self.writer: LogWriter | None = None
        self.console: ConsoleReporter | None = None
        self.tot_timesteps = 0
        self.tot_time = 0.0
        self.uses_rnd = bool(cfg["algorithm"].get("rnd_cfg"))
        self.episodes = EpisodeStatistics(num_envs, device, track_intrinsic=self.uses_rnd)
        self.ep_extras: list[Mapping[str, Any]] = []

    def init_logging_writer(self) -> None:
        """Create the log writer and write the configs and the code state (no-op without ``log_dir``)."""
        if self.log_dir is None or self.disable_logs or self.writer is not None:
            return
        os.makedirs(self.log_dir, exist_ok=True)
        self.writer = make_log_writer(self.cfg.get("logger", "tensorboard"), self.log_dir, self.cfg)

        # Configs as YAML, so a run can be reproduced from its folder
        write_yaml(self.cfg, os.path.join(self.log_dir, "params", "agent.yaml"))
        if _is_config_like(self.env_cfg):
            write_yaml(self.env_cfg, os.path.join(self.log_dir, "params", "env.yaml"))

        # Code state of the involved repositories; external services get the configs and these files
        files = store_git_state(self.git_status_repos, os.path.join(self.log_dir, "git"))
        self.writer.store_config(self.env_cfg, self.cfg)
        for path in files:
            self.writer.save_file(path)

    def process_env_step(
        self,
        rewards: torch.Tensor,
        dones: torch.Tensor,
        extras: Mapping[str, Any],
        intrinsic_rewards: torch.Tensor | None = None,
    ) -> None:
        """Account one environment step.

        Args:
            rewards: Rewards, ``[num_envs]``.
            dones: Done flags, ``[num_envs]``.
            extras: The env's extras; ``extras["log"]`` (or Isaac Lab's older ``extras["episode"]``) is averaged
                over the iteration and logged.
            intrinsic_rewards: Curiosity rewards ``[num_envs]``, if any.
        """
        if self.disable_logs:
            return
        if "episode" in extras:
            self.ep_extras.append(extras["episode"])
        elif "log" in extras:
            self.ep_extras.append(extras["log"])
        self.episodes.add_step(rewards.to(self.device), dones.to(self.device), intrinsic_rewards)

    def log(
        self,
        it: int,
        start_it: int,
        total_it: int,
        collect_time: float,
        learn_time: float,
        loss_dict: Mapping[str, float],
        learning_rate: float,
        action_std: torch.Tensor | None,
        rnd_weight: float | None = None,
    ) -> None:
        """Write the metrics of iteration ``it`` and print its summary.

        Args:
            it: The finished iteration.
            start_it: First iteration of this ``learn`` call.
            total_it: One past the last iteration of this ``learn`` call.
            collect_time: Rollout duration in seconds.
            learn_time: Update duration in seconds.
            loss_dict: Loss name -> mean value over the update.
            learning_rate: Current learning rate.
            action_std: Standard deviation of the action distribution, ``[num_actions]`` (or any shape); None for a
                deterministic policy (e.g. a distillation student without a distribution).
            rnd_weight: Current curiosity weight, if any.
        """
        if self.disable_logs:
            return
        collection_size = self.cfg["num_steps_per_env"] * self.num_envs * self.gpu_world_size
        iteration_time = collect_time + learn_time
        self.tot_timesteps += collection_size
        self.tot_time += iteration_time
        fps = int(collection_size / max(iteration_time, 1e-9))
        if action_std is None:
            mean_std = None
        elif isinstance(action_std, torch.Tensor):
            mean_std = float(action_std.detach().float().mean())
        else:
            mean_std = float(action_std)
        episodes = self.episodes

        # Scalars for the writer (computed even without a writer: the console shows some of them)
        scalars: dict[str, float] = {}
        scalars.update(self._mean_extras())
        scalars.update({f"Loss/{name}": float(value) for name, value in loss_dict.items()})
        scalars["Loss/learning_rate"] = float(learning_rate)
        if mean_std is not None:
            scalars["Policy/mean_std"] = mean_std
            scalars["Policy/mean_noise_std"] = mean_std
        scalars["Perf/total_fps"] = fps
        scalars["Perf/collection_time"] = collect_time
        scalars["Perf/learning_time"] = learn_time
        if episodes.returns:
            if self.uses_rnd:
                scalars["Rnd/mean_extrinsic_reward"] = _mean(episodes.extrinsic_returns)
                scalars["Rnd/mean_intrinsic_reward"] = _mean(episodes.intrinsic_returns)
                if rnd_weight is not None:
                    scalars["Rnd/weight"] = float(rnd_weight)
            scalars["Train/mean_reward"] = _mean(episodes.returns)
            scalars["Train/mean_episode_length"] = _mean(episodes.lengths)

        # Writer: everything per iteration; the ".../time" curves use whole seconds of training time as x axis
        if self.writer is not None:
            for tag, value in scalars.items():
                self.writer.add_scalar(tag, value, it)
            if episodes.returns and not isinstance(self.writer, WandbLogWriter):
                self.writer.add_scalar("Train/mean_reward/time", scalars["Train/mean_reward"], int(self.tot_time))
                self.writer.add_scalar(
                    "Train/mean_episode_length/time", scalars["Train/mean_episode_length"], int(self.tot_time)
                )
            self._upload_videos(it)

        # Console
        if self.console is None or self.console.start_iteration != start_it:
            if self.console is not None:
                self.console.stop()
            self.console = ConsoleReporter(start_it, total_it, run_name=self.cfg.get("run_name") or None)
        # Time per iteration split into rollout and update (as RSL-RL prints it)
        summary: dict[str, float | int | str] = {"steps": self.tot_timesteps, "steps/s": fps}
        summary["collect"] = f"{collect_time:.2f}s"
        summary["learn"] = f"{learn_time:.2f}s"
        if episodes.returns:
            summary["reward"] = scalars["Train/mean_reward"]
            summary["ep_len"] = scalars["Train/mean_episode_length"]
        summary.update({name: float(value) for name, value in loss_dict.items()})
        if mean_std is not None:
            summary["std"] = mean_std
        summary["lr"] = f"{learning_rate:.2e}"
        self.console.report(it, iteration_time, summary)
        self.ep_extras.clear()

    def state_dict(self) -> dict[str, Any]:
        """What the logged curves continue from after a resume: episode statistics, total steps and time."""
        return {"episodes": self.episodes.state_dict(), "tot_timesteps": self.tot_timesteps, "tot_time": self.tot_time}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` (e.g. from a checkpoint's resume state)."""
        self.episodes.load_state_dict(state.get("episodes", {}))
        self.tot_timesteps = int(state.get("tot_timesteps", 0))
        self.tot_time = float(state.get("tot_time", 0.0))

    def save_model(self, path: str, it: int) -> None:
        """Hand a written checkpoint to the writer (uploaded by external services, ignored by TensorBoard)."""
        if self.writer is not None:
            self.writer.save_model(path, it)

    def stop_logging_writer(self) -> None:
        """Close the writer and the console display."""
        if self.console is not None:
            self.console.stop()
            self.console = None
        if self.writer is not None:
            self.writer.stop()
            self.writer = None

    def _mean_extras(self) -> dict[str, float]:
        """Mean of each ``extras["log"]`` entry over the iteration, under its logging tag."""
        collected: dict[str, list[torch.Tensor]] = {}
        for entry in self.ep_extras:
            for key, value in entry.items():
                tensor = value if isinstance(value, torch.Tensor) else torch.tensor(value)
                collected.setdefault(key, []).append(tensor.detach().float().reshape(-1).to(self.device))
        means = {}
        for key, tensors in collected.items():
            tag = key if "/" in key else f"Episode/{key}"
            means[tag] = float(torch.cat(tensors).mean())
        return means

    def _upload_videos(self, it: int) -> None:
        """Give the videos in the log folder to writers that upload them."""
        if type(self.writer).save_video is LogWriter.save_video:
            return
        for video in pathlib.Path(self.log_dir).rglob("*.mp4"):  # type: ignore[arg-type]
            self.writer.save_video(video, it)  # type: ignore[union-attr]


def _mean(values: deque[float]) -> float:
    """Mean of a non-empty window."""
    return sum(values) / len(values)


def _is_config_like(obj: Any) -> bool:
    """Whether ``obj`` is a config worth writing out: a dict, a dataclass or an object with ``to_dict()``."""
    return isinstance(obj, dict) or dataclasses.is_dataclass(obj) or callable(getattr(obj, "to_dict", None))
