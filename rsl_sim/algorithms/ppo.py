"""Proximal Policy Optimization (PPO) of an actor model and a critic model, with the RSL-RL 5.x interface."""

from __future__ import annotations

import contextlib
import inspect
from typing import TYPE_CHECKING, Any

import torch
from tensordict import TensorDict
from torch import nn

from rsl_sim.algorithms.config import (
    check_extensions,
    check_mini_batch_count,
    check_multi_gpu_cfg,
    check_ppo_settings,
    check_unknown_keys,
)
from rsl_sim.algorithms.construction import construct_actor_critic
from rsl_sim.algorithms.distributed import (
    broadcast_float,
    mean_over_processes,
    normalize_over_processes,
)
from rsl_sim.algorithms.gae import compute_gae, normalize_advantages
from rsl_sim.algorithms.losses import adaptive_learning_rate, clipped_surrogate_loss, value_function_loss
from rsl_sim.algorithms.mini_batches import shuffled_mini_batches
from rsl_sim.algorithms.ppo_state import PPOStateMixin
from rsl_sim.algorithms.time_outs import bootstrap_time_outs
from rsl_sim.extensions import RandomNetworkDistillation, Symmetry
from rsl_sim.models import MLPModel
from rsl_sim.storage import RolloutStorage
from rsl_sim.utils import resolve_optimizer

if TYPE_CHECKING:
    from rsl_sim.env import VecEnv

__all__ = ["FINAL_OBSERVATION_KEY", "PPO"]

FINAL_OBSERVATION_KEY = "final_observation"
"""Key of ``extras`` holding the observations before the auto-reset (see :class:`~rsl_sim.env.VecEnv`)."""


class PPO(PPOStateMixin):
    """Proximal Policy Optimization with a clipped surrogate objective, an actor model and a critic model.

    Schulman et al., "Proximal Policy Optimization Algorithms", arXiv:1707.06347 (2017), with the choices of RSL-RL 5.x
    (Rudin et al., "Learning to Walk in Minutes Using Massively Parallel Deep Reinforcement Learning", CoRL 2021):
    GAE targets, clipped value loss, entropy bonus, advantage normalization, a KL-adaptive learning rate, separate
    gradient clipping of actor and critic and one optimizer over both. The arithmetic and the use of random numbers
    follow the reference step for step, so that with the same seed and models the losses match.

    One iteration (driven by the runner): ``act(obs)`` -> ``env.step`` -> ``process_env_step(...)``,
    ``num_steps_per_env`` times; then ``compute_returns(obs)`` and ``update()``. The current learning rate is
    :attr:`learning_rate`. With ``rnd_cfg``, :attr:`rnd` (Burda et al. 2018) adds a curiosity reward, exposed as
    :attr:`intrinsic_rewards` after each step; with ``symmetry_cfg``, :attr:`symmetry` (Mittal et al. 2024) augments
    mini-batches and/or adds a mirror loss.

    Options beyond RSL-RL 5.x: ``bootstrap_time_outs_from_final_obs`` (exact time-out bootstrap from
    ``extras["final_observation"]``; on by default, which differs from 5.x wherever the env reports final
    observations, see ``docs/architecture.md``) and ``torch_compile_mode`` (off by default). Unknown keyword arguments
    are errors, not warnings; more mini-batches than the storage holds samples are reduced with a warning.
    """

    actor: MLPModel
    """The policy model (a compiled wrapper when compiling)."""

    critic: MLPModel
    """The value model (a compiled wrapper when compiling)."""

    def __init__(
        self,
        actor: MLPModel,
        critic: MLPModel,
        storage: RolloutStorage,
        num_learning_epochs: int = 5,
        num_mini_batches: int = 4,
        clip_param: float = 0.2,
        gamma: float = 0.99,
        lam: float = 0.95,
        value_loss_coef: float = 1.0,
        entropy_coef: float = 0.01,
        learning_rate: float = 0.001,
        max_grad_norm: float = 1.0,
        optimizer: str = "adam",
        use_clipped_value_loss: bool = True,
        schedule: str = "adaptive",
        desired_kl: float | None = 0.01,
        normalize_advantage_per_mini_batch: bool = False,
        use_mixed_precision: bool = False,
        device: str = "cpu",
        rnd_cfg: dict | None = None,
        symmetry_cfg: dict | None = None,
        multi_gpu_cfg: dict | None = None,
        grad_reduce_bucket_mb: float = 25,
        torch_compile_mode: str | None = None,
        bootstrap_time_outs_from_final_obs: bool = True,
        **kwargs: Any,
    ) -> None:
        """Set up the models, the optimizer and the hyperparameters.

        Args:
            actor: Stochastic policy model (with a ``distribution_cfg``), output ``[num_envs, num_actions]``.
            critic: Value model, output ``[num_envs, 1]``.
            storage: An ``"rl"`` rollout storage of ``num_steps_per_env`` transitions of ``num_envs`` envs.
            num_learning_epochs: Passes over the rollout per update.
            num_mini_batches: Mini-batches per epoch (of samples; of environments for recurrent models).
            clip_param: Clip range epsilon of the probability ratio (and of the value change in the clipped value
                loss).
            gamma: Discount factor.
            lam: GAE lambda.
            value_loss_coef: Weight of the value loss.
            entropy_coef: Weight of the entropy bonus.
            learning_rate: Initial learning rate.
            max_grad_norm: Largest gradient norm, applied to the actor and to the critic separately.
            optimizer: ``"adam"``, ``"adamw"``, ``"sgd"`` or ``"rmsprop"``.
            use_clipped_value_loss: Clip the value change around the rollout values in the value loss (PPO2).
            schedule: ``"adaptive"`` (KL-driven learning rate) or ``"fixed"``.
            desired_kl: KL target of the adaptive schedule (None: no adaptation).
            normalize_advantage_per_mini_batch: Normalize advantages per mini-batch instead of over the rollout.
            use_mixed_precision: Run the forward passes under bfloat16 autocast (CPU or CUDA), in the rollout and in
                the update alike (so the first ratio stays 1).
            device: Device of the models and the storage.
            rnd_cfg: Keyword arguments of :class:`~rsl_sim.extensions.RandomNetworkDistillation` (as completed by
                :func:`~rsl_sim.extensions.resolve_rnd_config`), or None.
            symmetry_cfg: Keyword arguments of :class:`~rsl_sim.extensions.Symmetry` (with ``env``), or None.
            multi_gpu_cfg: ``{"global_rank", "local_rank", "world_size"}`` for multi-GPU training, or None.
            grad_reduce_bucket_mb: Bucket size in MB of the multi-GPU gradient all-reduce (RSL-RL 5.5).
            torch_compile_mode: ``torch.compile`` mode of the models (``"default"`` or
                ``"max-autotune-no-cudagraphs"``), or None.
            bootstrap_time_outs_from_final_obs: Bootstrap time-outs with ``V`` of ``extras["final_observation"]`` when
                the env provides it (see :meth:`process_env_step`).
            **kwargs: Nothing else is accepted.

        Raises:
            ValueError: For unknown keyword arguments (the message lists the valid ones), out-of-range values,
                unknown choices, or symmetry with recurrent models. More mini-batches than the storage can fill are
                reduced with a warning (see :func:`~rsl_sim.algorithms.config.check_mini_batch_count`).
            TypeError: For values of the wrong type.
        """
        # Refuse unknown arguments and invalid values before touching anything
        check_unknown_keys(kwargs, PPO_ARGUMENTS, "PPO")
        arguments = locals()
        check_ppo_settings({name: arguments[name] for name in PPO_ARGUMENTS})
        check_multi_gpu_cfg(multi_gpu_cfg)
        recurrent = actor.is_recurrent or critic.is_recurrent
        num_mini_batches = check_mini_batch_count(num_mini_batches, storage, recurrent)  # fewer for a tiny storage

        # Extensions: curiosity (RND, with its own optimizer) and symmetry (augmentation and/or mirror loss)
        check_extensions(rnd_cfg, symmetry_cfg, recurrent)
        self.rnd = RandomNetworkDistillation(device=device, **rnd_cfg) if rnd_cfg else None
        self.symmetry = Symmetry(**symmetry_cfg) if symmetry_cfg else None
        self.intrinsic_rewards: torch.Tensor | None = None

        # Device and multi-GPU settings
        self.device = device
        self.is_multi_gpu = multi_gpu_cfg is not None
        self.gpu_global_rank = multi_gpu_cfg["global_rank"] if multi_gpu_cfg is not None else 0
        self.gpu_world_size = multi_gpu_cfg["world_size"] if multi_gpu_cfg is not None else 1
        self.grad_reduce_bucket_mb = grad_reduce_bucket_mb

        # Models: the plain modules are kept for state dicts and export; actor/critic may become compiled wrappers
        self._raw_actor = actor.to(device)
        self._raw_critic = critic.to(device)
        self.actor = self._raw_actor
        self.critic = self._raw_critic
        self.compile(torch_compile_mode)

        # One optimizer over actor and critic (a parameter shared by both, e.g. a shared CNN encoder, appears once).
        # The multi-tensor implementation computes exactly what the per-parameter loop computes, only faster.
        self._actor_params = list(self._raw_actor.parameters())
        self._critic_params = list(self._raw_critic.parameters())
        self._params = list({id(p): p for p in self._actor_params + self._critic_params}.values())
        self._foreach = True if all(p.device.type in ("cpu", "cuda") for p in self._params) else None
        self.optimizer = resolve_optimizer(optimizer)(self._params, lr=learning_rate, foreach=self._foreach)

        # Rollout storage and the transition filled step by step
        self.storage = storage
        self.transition = RolloutStorage.Transition()

        # Hyperparameters
        self.num_learning_epochs = num_learning_epochs
        self.num_mini_batches = num_mini_batches
        self.clip_param = clip_param
        self.gamma = gamma
        self.lam = lam
        self.value_loss_coef = value_loss_coef
        self.entropy_coef = entropy_coef
        self.learning_rate = learning_rate
        self.max_grad_norm = max_grad_norm
        self.use_clipped_value_loss = use_clipped_value_loss
        self.schedule = schedule
        self.desired_kl = desired_kl
        self.normalize_advantage_per_mini_batch = normalize_advantage_per_mini_batch
        self.use_mixed_precision = use_mixed_precision
        self.bootstrap_time_outs_from_final_obs = bootstrap_time_outs_from_final_obs

        # Context of every forward pass: bfloat16 autocast, or nothing
        self._device_type = torch.device(device).type
        self._no_autocast = contextlib.nullcontext()

    # Rollout

    def act(self, obs: TensorDict) -> torch.Tensor:
        """Sample actions for the current observations and record what the update needs.

        Records the observations, the recurrent states before the step, the actions, their log-probabilities, the
        distribution parameters and the critic's values in the pending transition.

        Args:
            obs: Observations, TensorDict of groups with batch size ``[num_envs]``.

        Returns:
            Sampled actions ``[num_envs, num_actions]``.
        """
        transition = self.transition
        transition.hidden_states = (self.actor.get_hidden_state(), self.critic.get_hidden_state())
        with torch.no_grad(), self._autocast():
            actions = self.actor(obs, stochastic_output=True)
            transition.values = self.critic(obs)
            transition.actions_log_prob = self.actor.get_output_log_prob(actions)
            transition.distribution_params = tuple(self.actor.output_distribution_params)
        transition.actions = actions
        transition.observations = obs
        return actions

    def process_env_step(
        self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict[str, Any]
    ) -> None:
        """Complete the pending transition with the step's results, store it, and reset the done recurrent states.

        Time-outs (``extras["time_outs"]``) are bootstrapped (:func:`~rsl_sim.algorithms.time_outs.bootstrap_time_outs`)
        with ``V(s_t)`` recorded in :meth:`act` (RSL-RL 5.x), or, when ``bootstrap_time_outs_from_final_obs`` is True
        and the env provides ``extras["final_observation"]``, with ``V(s_{t+1})`` of the final observations. A
        recurrent critic evaluates those from its current state, i.e. the state after ``s_t`` of the same episode (not
        yet reset for the done envs), which is exactly the state it would have used for ``s_{t+1}``; that state is
        restored afterwards, so the extra evaluation does not advance the critic.

        Args:
            obs: Observations after the step (after auto-reset); not used by PPO itself.
            rewards: Rewards ``[num_envs]``.
            dones: Done flags ``[num_envs]`` (terminations and time-outs).
            extras: The env's extras; ``"time_outs"`` (bool ``[num_envs]``) and ``"final_observation"`` (TensorDict
                ``[num_envs]``) are used when present.
        """
        transition = self.transition
        transition.dones = dones
        transition.rewards = rewards

        # Curiosity: the intrinsic reward of the new observations is added (a new tensor)
        if self.rnd is not None:
            self.intrinsic_rewards = self.rnd.get_intrinsic_reward(obs)
            transition.rewards = rewards + self.intrinsic_rewards

        # Bootstrap the cut-off future of time-outs (a new tensor: the env's rewards stay untouched)
        time_outs = extras.get("time_outs")
        if time_outs is not None:
            time_outs = time_outs.to(self.device)
            final_obs = extras.get(FINAL_OBSERVATION_KEY) if self.bootstrap_time_outs_from_final_obs else None
            if final_obs is None:
                transition.rewards = bootstrap_time_outs(transition.rewards, time_outs, transition.values, self.gamma)
            elif bool(time_outs.any()):
                final_values = self._evaluate_critic(final_obs.to(self.device))
                transition.rewards = bootstrap_time_outs(transition.rewards, time_outs, final_values, self.gamma)

        # Store the transition, then start new episodes with fresh recurrent states
        self.storage.add_transition(transition)
        transition.clear()
        self.actor.reset(dones)
        self.critic.reset(dones)

    def compute_returns(self, obs: TensorDict) -> None:
        """Compute the return and advantage targets of the stored rollout (GAE, see :func:`compute_gae`).

        The critic's recurrent state is saved before and restored after evaluating the last observations, so the
        next rollout continues from the state of the last step. Unless ``normalize_advantage_per_mini_batch`` is set,
        the advantages are normalized over the whole rollout here.

        Args:
            obs: Observations after the last step, TensorDict with batch size ``[num_envs]``.
        """
        # Value of the state after the last step, without advancing a recurrent critic
        last_values = self._evaluate_critic(obs)

        # GAE targets, written into the storage's buffers
        st = self.storage
        last_values = last_values.to(st.values.dtype)
        compute_gae(st.rewards, st.values, st.dones, last_values, self.gamma, self.lam, st.returns, st.advantages)
        if not self.normalize_advantage_per_mini_batch:
            st.advantages.copy_(self._normalize_advantages(st.advantages))

    # Update

    def update(self) -> dict[str, float]:
        """Optimize actor and critic on the stored rollout, update the normalizers and clear the storage.

        ``num_learning_epochs * num_mini_batches`` gradient steps on ``L = L_surrogate + value_loss_coef * L_value -
        entropy_coef * mean(entropy)`` (:func:`~rsl_sim.algorithms.losses.clipped_surrogate_loss`,
        :func:`~rsl_sim.algorithms.losses.value_function_loss`). Before each step the adaptive schedule sets the
        learning rate from ``mean(KL(old || new))`` (:func:`~rsl_sim.algorithms.losses.adaptive_learning_rate`).
        Gradients are clipped to ``max_grad_norm`` for actor and critic separately. The observation normalizers are
        updated once afterwards from the stored observations, so the rollout and the first mini-batch see the same
        statistics (the first probability ratio is exactly 1).

        With RND, its predictor takes a step on its own loss per mini-batch, and its state normalizer is updated with
        the others. With symmetry, mini-batches are augmented with mirrored samples and/or the mirror loss is added
        (:class:`~rsl_sim.extensions.Symmetry`); the KL and the entropy use the original samples only.

        Returns:
            Mean losses over all mini-batches: ``{"value", "surrogate", "entropy"}``, plus ``"rnd"`` and
            ``"symmetry"`` when those extensions are used.
        """
        # Mini-batches: padded trajectories for recurrent models, shuffled samples otherwise
        if self.actor.is_recurrent or self.critic.is_recurrent:
            batches = self.storage.recurrent_mini_batch_generator(self.num_mini_batches, self.num_learning_epochs)
        else:
            batches = shuffled_mini_batches(self.storage, self.num_mini_batches, self.num_learning_epochs)
        losses = [self._optimization_step(batch) for batch in batches]

        # Normalizer statistics from the whole rollout
        with torch.no_grad():
            observations = self.storage.observations.flatten(0, 1)
            self.actor.update_normalization(observations)
            self.critic.update_normalization(observations)
            if self.rnd is not None:
                self.rnd.update_normalization(observations)

        # Means over the mini-batches, summed in order in double precision (as the reference)
        names = ["value", "surrogate", "entropy"]
        names += ["rnd"] if self.rnd is not None else []
        names += ["symmetry"] if self.symmetry is not None else []
        sums = [0.0] * len(names)
        for row in torch.stack(losses).tolist():
            for i, value in enumerate(row):
                sums[i] += value
        num_updates = self.num_learning_epochs * self.num_mini_batches
        self.storage.clear()
        return {name: total / num_updates for name, total in zip(names, sums)}

    def _optimization_step(self, batch: RolloutStorage.Batch) -> torch.Tensor:
        """Take one gradient step on a mini-batch (see :meth:`update`).

        Args:
            batch: Feed-forward samples ``[B, ...]`` or padded trajectories with masks and hidden states.

        Returns:
            Detached ``[value_loss, surrogate_loss, mean_entropy]`` (float32) of the mini-batch, then the RND and the
            symmetry loss when those extensions are used.
        """
        original_batch_size = batch.observations.batch_size[0]
        if self.normalize_advantage_per_mini_batch:
            with torch.no_grad():
                batch.advantages = self._normalize_advantages(batch.advantages)

        # Mirrored copies appended to the mini-batch (rollout tensors repeated to match)
        if self.symmetry is not None:
            self.symmetry.augment_batch(batch, original_batch_size)

        with self._autocast():
            # Current policy and values on the mini-batch
            self.actor(
                batch.observations, masks=batch.masks, hidden_state=batch.hidden_states[0], stochastic_output=True
            )
            log_prob = self.actor.get_output_log_prob(batch.actions)
            values = self.critic(batch.observations, masks=batch.masks, hidden_state=batch.hidden_states[1])
            distribution_params = self.actor.output_distribution_params
            entropy = self.actor.output_entropy
            if self.symmetry is not None:
                distribution_params = tuple(p[:original_batch_size] for p in distribution_params)
                entropy = entropy[:original_batch_size]
            entropy = entropy.mean()

            # KL-adaptive learning rate, set before this step
            if self.schedule == "adaptive" and self.desired_kl is not None:
                self._adapt_learning_rate(batch.old_distribution_params, distribution_params)

            # Clipped surrogate objective and (clipped) value loss
            surrogate_loss = clipped_surrogate_loss(
                log_prob, batch.old_actions_log_prob, batch.advantages, self.clip_param
            )
            value_loss = value_function_loss(
                values, batch.values, batch.returns, self.clip_param, self.use_clipped_value_loss
            )
            loss = surrogate_loss + self.value_loss_coef * value_loss - self.entropy_coef * entropy
            extension_losses = []

            # Mirror loss (added when use_mirror_loss, else only reported)
            if self.symmetry is not None:
                symmetry_loss = self.symmetry.compute_loss(
                    self.actor, batch, original_batch_size, mean_actions=self.actor.output_mean
                )
                if self.symmetry.use_mirror_loss:
                    loss = loss + self.symmetry.mirror_loss_coeff * symmetry_loss
                extension_losses.append(symmetry_loss)

        # RND predictor loss on the original samples (its own optimizer)
        rnd_loss = None
        if self.rnd is not None:
            rnd_loss = self.rnd.compute_loss(batch.observations[:original_batch_size])
            extension_losses.insert(0, rnd_loss)

        # Gradient step: average over processes, clip actor and critic separately, apply
        self.optimizer.zero_grad()
        loss.backward()
        if rnd_loss is not None:
            self.rnd.optimizer.zero_grad()
            rnd_loss.backward()
        if self.is_multi_gpu:
            self.reduce_parameters()
        nn.utils.clip_grad_norm_(self._actor_params, self.max_grad_norm)
        nn.utils.clip_grad_norm_(self._critic_params, self.max_grad_norm)
        self.optimizer.step()
        if rnd_loss is not None:
            self.rnd.optimizer.step()
        losses = [value_loss.float(), surrogate_loss.float(), entropy.float()]
        return torch.stack(losses + [x.detach().float() for x in extension_losses]).detach()

    def _adapt_learning_rate(self, old_params: tuple[torch.Tensor, ...], new_params: tuple[torch.Tensor, ...]) -> None:
        """Adapt the learning rate to the mean KL divergence between the rollout policy and the current policy.

        Args:
            old_params: Distribution parameters recorded in the rollout, each ``[B, ...]``.
            new_params: Distribution parameters of the current policy on the same samples.
        """
        with torch.inference_mode():
            kl_mean = torch.mean(self.actor.get_kl_divergence(old_params, new_params))
            if self.is_multi_gpu:
                kl_mean = mean_over_processes(kl_mean, self.gpu_world_size)
            # The main process decides, the others take its value
            if self.gpu_global_rank == 0:
                self.learning_rate = adaptive_learning_rate(self.learning_rate, kl_mean, self.desired_kl)
            if self.is_multi_gpu:
                self.learning_rate = broadcast_float(self.learning_rate, self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate

    def _normalize_advantages(self, advantages: torch.Tensor) -> torch.Tensor:
        """Normalize advantages to zero mean and unit std: over this process' data, or over all processes' data."""
        if self.is_multi_gpu:
            return normalize_over_processes(advantages)
        return normalize_advantages(advantages)

    def _evaluate_critic(self, obs: TensorDict) -> torch.Tensor:
        """Critic values ``[num_envs, 1]`` of ``obs``, restoring a recurrent critic's state afterwards."""
        with torch.no_grad(), self._autocast():
            hidden_state = self.critic.get_hidden_state()
            values = self.critic(obs)
            self.critic.reset(hidden_state=hidden_state)
        return values

    def _autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast on the algorithm's device when mixed precision is on, else a no-op context."""
        if self.use_mixed_precision:
            return torch.autocast(device_type=self._device_type, dtype=torch.bfloat16)
        return self._no_autocast

    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> PPO:
        """Build actor, critic, storage and the algorithm from a train config, which is not modified.

        Args:
            obs: Example observations, TensorDict with batch size ``[num_envs]``.
            env: The environment (``num_envs``, ``num_actions``).
            cfg: The train config (entries read: see :func:`~rsl_sim.algorithms.construction.construct_actor_critic`).
            device: Device of the models and the storage.

        Returns:
            The algorithm (of class ``cfg["algorithm"]["class_name"]``), with the resolved ``obs_groups`` attribute.

        Raises:
            ValueError: As ``construct_actor_critic`` and :class:`PPO`.
        """
        return construct_actor_critic(obs, env, cfg, device, PPO_ARGUMENTS)


PPO_ARGUMENTS = tuple(
    name
    for name in inspect.signature(PPO.__init__).parameters
    if name not in ("self", "actor", "critic", "storage", "kwargs")
)
"""Names of the hyperparameter keyword arguments of :class:`PPO`."""
