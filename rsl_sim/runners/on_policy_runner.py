"""The on-policy training loop: collect a rollout, update the policy, log, checkpoint."""

from __future__ import annotations

import copy
import os
import time
import warnings
from typing import TYPE_CHECKING, Any

import torch

from rsl_sim.algorithms.construction import ALGORITHM_KIND
from rsl_sim.env import VecEnv
from rsl_sim.env.contract import VecEnvContract
from rsl_sim.utils.callables import resolve_callable
from rsl_sim.utils.checkpoint import load_checkpoint, save_checkpoint
from rsl_sim.utils.distributed import init_process_group, read_launcher_env
from rsl_sim.utils.interrupts import deferred_keyboard_interrupt
from rsl_sim.utils.logger import Logger
from rsl_sim.utils.nan_check import check_checkpoint, check_losses, check_nan, check_rollout

from .resume_state import RESUME_STATE_KEY, capture_resume_state, restore_env_state, restore_learner_state
from .runner_config import resolve_runner_config

if TYPE_CHECKING:
    from rsl_sim.algorithms import PPO


class OnPolicyRunner:
    """Trains an on-policy algorithm (PPO by default) on a :class:`~rsl_sim.env.VecEnv`; RSL-RL 5.x interface.

    Each iteration of :meth:`learn` runs ``num_steps_per_env`` steps in every environment without gradients
    (``alg.act`` -> ``env.step`` -> ``alg.process_env_step``), computes the returns, updates the policy
    (``alg.update``), logs and, every ``save_interval`` iterations, writes ``model_<it>.pt`` into the log folder.

    The train config is a plain dict (see :func:`~rsl_sim.runners.runner_config.resolve_runner_config` for the
    top-level keys); it is copied, never modified.

    Multi-process runs (several GPUs, several nodes, or several CPU processes) are set up from the ``WORLD_SIZE``,
    ``RANK`` and ``LOCAL_RANK`` environment variables that ``torchrun`` sets, as in RSL-RL: the runner joins the
    process group (NCCL for ``cuda:<LOCAL_RANK>``, gloo for ``cpu``), :meth:`learn` copies rank 0's parameters to all
    processes before the first iteration, the algorithm averages the gradients, and only rank 0 writes logs and
    checkpoints (the other processes write no files, whatever ``log_dir`` they get). See ``docs/distributed.md``.

    Args:
        env: The vectorized environment.
        train_cfg: The train config.
        log_dir: Folder for event files, configs, git state and checkpoints; ``None`` writes nothing.
        device: Device of the learner (``"cpu"``, ``"cuda:0"``, ...).

    Raises:
        ValueError, TypeError: For an invalid train config (unknown keys, wrong types); see ``resolve_runner_config``.
    """

    alg: PPO
    """The algorithm (built by ``algorithm.class_name``'s ``construct_algorithm``)."""

    def __init__(self, env: VecEnv, train_cfg: dict, log_dir: str | None = None, device: str = "cpu") -> None:
        self.env = env
        self.cfg = resolve_runner_config(train_cfg)
        self.device = device
        self._configure_multi_gpu()

        # The algorithm sizes its models and storage from the first observations (checked against the VecEnv contract)
        obs = self.env.get_observations()
        self.env_contract = VecEnvContract(self.env.num_envs, obs)
        alg_class = resolve_callable(self.cfg["algorithm"]["class_name"], ALGORITHM_KIND, "algorithm.class_name")
        self.alg = alg_class.construct_algorithm(obs, self.env, self.cfg, self.device)
        if getattr(self.alg, "obs_groups", None) is not None:
            self.cfg["obs_groups"] = copy.deepcopy(self.alg.obs_groups)  # the resolved sets, as RSL-RL keeps them

        # Logging (files only with a log_dir, and only on the main process)
        self.logger = Logger(
            log_dir=log_dir,
            cfg=self.cfg,
            env_cfg=getattr(self.env, "cfg", None),
            num_envs=self.env.num_envs,
            is_distributed=self.is_distributed,
            gpu_world_size=self.gpu_world_size,
            gpu_global_rank=self.gpu_global_rank,
            device=self.device,
        )
        self.current_learning_iteration = 0
        self._iteration_done = False  # whether current_learning_iteration names a finished iteration
        self.last_checkpoint: str | None = None
        """The checkpoint file written last (by :meth:`save`, also on Ctrl-C), or None."""
        self.last_checkpoint_iteration: int | None = None
        """The iteration stored in :attr:`last_checkpoint`."""
        self._saved_iteration: int | None = None  # iteration of the last checkpoint written by learn
        self._pending_resume_state: dict[str, Any] | None = None  # applied when learn continues a loaded run
        self._loaded_without_resume_state: str | None = None  # a loaded checkpoint of RSL-RL or an older rsl_sim
        self._warned_env_state = False

    @property
    def log_dir(self) -> str | None:
        """The run's log folder (``None`` when nothing is written)."""
        return self.logger.log_dir

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """Train for ``num_learning_iterations`` iterations.

        A fresh runner starts at iteration 0; after :meth:`load` (or an earlier ``learn``) it continues with the
        iteration after the last finished one, so iteration numbers, checkpoint names and the learning rate carry on.
        After :meth:`load` of a checkpoint written by :meth:`save`, the first call also restores the resume state
        (random number generators, recurrent states, episode statistics, and the env's state when the env can take
        it; see :mod:`rsl_sim.runners.resume_state`): ``learn(N)``, ``save``, ``load`` in a new process and
        ``learn(N)`` then equal ``learn(2N)`` bit for bit on the CPU.

        Ctrl-C (``KeyboardInterrupt``) never cuts an update in half: the interrupt is held back until the update and
        its bookkeeping are done. Then, when the runner writes files, the last finished iteration is saved as
        ``model_<it>.pt`` (unless it was just saved; :attr:`last_checkpoint` names the file) and the interrupt
        propagates. Its resume state is the one at the interrupt: the rollout in progress is dropped.

        Args:
            num_learning_iterations: Number of iterations to run.
            init_at_random_ep_len: Write random integers in ``[0, max_episode_length)`` into
                ``env.episode_length_buf`` first, so that time-outs do not all happen at the same step (not when a
                resumed env got its saved episode lengths back).

        Raises:
            NonFiniteEnvOutputError: (a ``ValueError``) if ``check_for_nan`` is on and the env returns NaN/Inf
                (observations, ``extras["final_observation"]``, rewards, dones).
            NonFiniteTrainingError: (a ``ValueError``) if ``check_for_nan`` is on and the rollout's values, actions,
                returns or advantages hold NaN/Inf, if a loss is NaN/Inf, or if a checkpoint would hold NaN/Inf. In
                every case the checkpoints written so far are complete and untouched, the newest one is the last
                with finite values.
        """
        # Continue a loaded run where it stopped (or spread the episode starts of a fresh one)
        self._continue_loaded_run(init_at_random_ep_len)

        # Prepare: observations, train mode, identical parameters on every GPU, writer
        obs = self.env.get_observations()
        self.env_contract.check_layout(obs)
        obs = obs.to(self.device)
        self.train_mode()
        if self.is_distributed:
            self.alg.broadcast_parameters()
        self.logger.init_logging_writer()
        rnd_used = bool(self.cfg["algorithm"].get("rnd_cfg"))
        check_for_nan = self.cfg["check_for_nan"]
        self.alg.storage.clear()  # a rollout cut off by an earlier interrupt is dropped, with its log entries
        self.logger.ep_extras.clear()

        start_it = self.current_learning_iteration + int(self._iteration_done)
        total_it = start_it + num_learning_iterations
        try:
            for it in range(start_it, total_it):
                # Rollout: act, step, record (no gradients)
                start = time.perf_counter()
                with torch.inference_mode():
                    for _ in range(self.cfg["num_steps_per_env"]):
                        actions = self.alg.act(obs)
                        obs, rewards, dones, extras = self.env.step(actions.to(self.env.device))
                        self.env_contract.check_step(obs, rewards, dones, extras)
                        if check_for_nan:
                            check_nan(obs, rewards, dones, iteration=it, extras=extras)
                        obs, rewards, dones = obs.to(self.device), rewards.to(self.device), dones.to(self.device)
                        self.alg.process_env_step(obs, rewards, dones, extras)
                        intrinsic_rewards = self.alg.intrinsic_rewards if rnd_used else None
                        self.logger.process_env_step(rewards, dones, extras, intrinsic_rewards)
                    self.alg.compute_returns(obs)
                if check_for_nan:
                    check_rollout(self.alg.storage, iteration=it)
                collect_time = time.perf_counter() - start

                # Update the policy (Ctrl-C waits until the update is complete)
                start = time.perf_counter()
                with deferred_keyboard_interrupt():
                    loss_dict = self.alg.update()
                    check_losses(loss_dict, iteration=it)
                    self.current_learning_iteration = it
                    self._iteration_done = True
                learn_time = time.perf_counter() - start

                # Log and checkpoint
                self.logger.log(
                    it=it,
                    start_it=start_it,
                    total_it=total_it,
                    collect_time=collect_time,
                    learn_time=learn_time,
                    loss_dict=loss_dict,
                    learning_rate=self.alg.learning_rate,
                    action_std=self._action_std(),
                    rnd_weight=self.alg.rnd.weight if rnd_used else None,
                )
                is_last = it == total_it - 1
                if self.logger.writer is not None and (it % self.cfg["save_interval"] == 0 or is_last):
                    self.save(os.path.join(self.log_dir, f"model_{it}.pt"))
                    self._saved_iteration = it
        except KeyboardInterrupt:
            self._save_on_interrupt()
            raise
        finally:
            self.logger.stop_logging_writer()

    def save(self, path: str, infos: dict | None = None) -> None:
        """Write a checkpoint atomically (a crash mid-write leaves the previous file at ``path`` intact).

        Layout (RSL-RL 5.x): the algorithm's state dicts (``actor_state_dict``, ``critic_state_dict``,
        ``optimizer_state_dict``, ...), ``iter`` (the last finished iteration) and ``infos``; plus ``resume_state``
        (random number generator states, recurrent states, episode statistics and the env's state, see
        :mod:`rsl_sim.runners.resume_state`), which RSL-RL ignores. An env without ``get_env_state()`` is warned
        about once: its checkpoints restore the learner only.

        Args:
            path: Destination file, e.g. ``<log_dir>/model_100.pt``.
            infos: Any picklable extra data stored under ``infos``.
        """
        data = self.alg.save()
        check_checkpoint(data, iteration=self.current_learning_iteration)
        data["iter"] = self.current_learning_iteration
        data["infos"] = infos
        data[RESUME_STATE_KEY] = capture_resume_state(self)
        if data[RESUME_STATE_KEY]["env"] is None and not self._warned_env_state:
            self._warned_env_state = True
            warnings.warn(
                f"The env's state is not saved with the checkpoints ({data[RESUME_STATE_KEY]['env_missing_reason']}):"
                " resuming restores the learner exactly, but the env restarts from its reset. Implement"
                " get_env_state()/set_env_state() on the env (see rsl_sim.env.VecEnv) for resumes that continue the"
                " same run.",
                stacklevel=2,
            )
        save_checkpoint(data, path)
        self.last_checkpoint, self.last_checkpoint_iteration = path, self.current_learning_iteration
        self.logger.save_model(path, self.current_learning_iteration)

    def load(
        self,
        path: str,
        load_cfg: dict | None = None,
        strict: bool = True,
        map_location: str | None = None,
        trusted: bool = False,
    ) -> dict | None:
        """Load a checkpoint written by :meth:`save` (or by RSL-RL 5.x).

        Args:
            path: The checkpoint file.
            load_cfg: What to load, e.g. ``{"actor": True, "critic": True, "optimizer": True, "iteration": True}``
                (keys as the algorithm's ``load`` understands them); ``None`` loads everything. With ``iteration``,
                training resumes after the checkpoint's iteration and the learning rate is read back from the
                optimizer.
            strict: Whether the model state dicts must match exactly.
            map_location: Device to map the stored tensors to.
            trusted: Unpickle the file without the weights-only restriction (only for a file you trust: its pickle
                can run code); see :func:`rsl_sim.utils.checkpoint.load_checkpoint`.

        When the iteration is loaded (``load_cfg`` None or with ``"iteration"``), the checkpoint's resume state is
        kept and applied by the next :meth:`learn` (inference, export and evaluation after ``load`` do not see it).

        Returns:
            The ``infos`` stored with the checkpoint.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            CheckpointError: If the file is empty, corrupt or truncated, or (``UntrustedCheckpointError``) holds
                objects other than tensors and plain data (a ``ValueError``).
        """
        data = load_checkpoint(path, map_location=map_location, trusted=trusted)
        if self.alg.load(data, load_cfg, strict):
            self.current_learning_iteration = data["iter"]
            self._iteration_done = True
            self._saved_iteration = data["iter"]
            self._pending_resume_state = data.get(RESUME_STATE_KEY)
            self._loaded_without_resume_state = None if RESUME_STATE_KEY in data else str(path)
        return data.get("infos")

    def get_inference_policy(self, device: str | None = None) -> torch.nn.Module:
        """The policy in evaluation mode, for acting: ``policy(obs)`` maps a TensorDict to deterministic actions.

        Args:
            device: Device to move the policy to; ``None`` keeps it where it is.

        Returns:
            The actor model (shared with the algorithm, not a copy).
        """
        self.eval_mode()
        policy = self.alg.get_policy()
        return policy.to(device) if device is not None else policy

    def export_policy_to_jit(self, path: str, filename: str = "policy.pt") -> None:
        """Export the policy (normalizer and deterministic head included) as a TorchScript file ``path/filename``."""
        from rsl_sim.models.export import export_to_jit

        export_to_jit(self.alg.get_policy(), os.path.join(path, filename))

    def export_policy_to_onnx(self, path: str, filename: str = "policy.onnx", verbose: bool = False) -> None:
        """Export the policy (normalizer and deterministic head included) as an ONNX file ``path/filename``.

        Unlike RSL-RL 5.x (batch size fixed to 1), the batch dimension of the ONNX graph is dynamic.
        """
        from rsl_sim.models.export import export_to_onnx

        export_to_onnx(self.alg.get_policy(), os.path.join(path, filename), verbose=verbose)

    def add_git_repo_to_log(self, repo_file_path: str) -> None:
        """Also record the git state (commit, status, diff) of the repository holding ``repo_file_path``."""
        self.logger.git_status_repos.append(repo_file_path)

    def train_mode(self) -> None:
        """Put the algorithm's models in training mode."""
        self.alg.train_mode()

    def eval_mode(self) -> None:
        """Put the algorithm's models in evaluation mode."""
        self.alg.eval_mode()

    def _action_std(self) -> torch.Tensor | None:
        """Standard deviation of the policy's action distribution, or None for a deterministic policy."""
        policy = self.alg.get_policy()
        return policy.output_std if getattr(policy, "distribution", None) is not None else None

    def _continue_loaded_run(self, init_at_random_ep_len: bool) -> None:
        """Apply a loaded checkpoint's resume state: the env's state, then the learner's; randomize episode lengths.

        The episode lengths are drawn (when asked) only if the env did not get its saved state back, and before the
        random number generators are restored, so that nothing draws from them before the first iteration. On the
        ranks other than 0 of a multi-process run nothing is restored (the state is rank 0's).
        """
        resume, self._pending_resume_state = self._pending_resume_state, None
        if self._loaded_without_resume_state is not None:
            warnings.warn(
                f"'{self._loaded_without_resume_state}' has no '{RESUME_STATE_KEY}' (written by RSL-RL or an older"
                " rsl_sim): training continues from its models, optimizer and iteration, but not with the run's random"
                " number generators and env state, so not exactly as the run would have.",
                stacklevel=3,
            )
            self._loaded_without_resume_state = None
        if resume is not None and self.is_distributed and self.gpu_global_rank != 0:
            resume = None
        env_restored = resume is not None and restore_env_state(
            self.env, resume.get("env"), resume.get("env_missing_reason")
        )
        if init_at_random_ep_len and not env_restored:
            self._randomize_episode_lengths()
        if resume is not None:
            restore_learner_state(self, resume)

    def _save_on_interrupt(self) -> None:
        """On Ctrl-C: save the last finished iteration as ``model_<it>.pt`` unless it is saved already.

        Only when the runner writes files and some iteration has finished. A checkpoint that would hold non-finite
        values is not written (a warning says so).
        """
        if self.logger.writer is None or not self._iteration_done:
            return
        it = self.current_learning_iteration
        path = os.path.join(self.log_dir, f"model_{it}.pt")
        if self._saved_iteration == it and os.path.isfile(path):
            self.last_checkpoint, self.last_checkpoint_iteration = path, it
            return
        try:
            self.save(path)
        except ValueError as error:
            warnings.warn(f"Interrupted; the last finished iteration {it} is not saved: {error}", stacklevel=2)
            return
        self._saved_iteration = it

    def _randomize_episode_lengths(self) -> None:
        """Draw ``env.episode_length_buf`` uniformly from ``[0, max_episode_length)`` (per env for tensor limits)."""
        buf = self.env.episode_length_buf
        max_len = self.env.max_episode_length
        if isinstance(max_len, torch.Tensor):
            draws = torch.rand(buf.shape, device=buf.device) * max_len.to(device=buf.device, dtype=torch.float)
            self.env.episode_length_buf = draws.long().to(buf.dtype)
        else:
            self.env.episode_length_buf = torch.randint_like(buf, high=int(max_len))

    def _configure_multi_gpu(self) -> None:
        """Read the ``torchrun`` environment variables and join the process group of a multi-process run.

        With ``WORLD_SIZE > 1`` the run is distributed: ``RANK`` and ``LOCAL_RANK`` must be set, the device must be
        ``cuda:<LOCAL_RANK>`` (process group backend NCCL) or ``cpu`` (gloo), and the default process group is started
        unless one with the same ranks is already running. ``cfg["multi_gpu"]`` receives the algorithms'
        ``multi_gpu_cfg`` (None for a single process).

        Raises:
            ValueError: For malformed or inconsistent ranks, a device that does not fit the local rank, or a running
                process group that disagrees with the environment variables (see :mod:`rsl_sim.utils.distributed`).
        """
        settings = read_launcher_env()
        self.gpu_world_size = settings.world_size
        self.gpu_global_rank = settings.global_rank
        self.gpu_local_rank = settings.local_rank
        self.is_distributed = settings.is_distributed
        self.cfg["multi_gpu"] = settings.multi_gpu_cfg()

        # Single process: no group; a group running anyway would make the normalizers reduce over other processes
        if not self.is_distributed:
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                if torch.distributed.get_world_size() > 1:
                    raise ValueError(
                        f"A process group of {torch.distributed.get_world_size()} processes is running, but WORLD_SIZE"
                        " is not set (or 1): launch multi-process training with torchrun, which sets WORLD_SIZE, RANK"
                        " and LOCAL_RANK."
                    )
            return
        init_process_group(self.device, settings)
