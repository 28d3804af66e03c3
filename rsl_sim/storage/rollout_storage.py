"""Rollout buffer for on-policy learning (PPO) and for student-teacher distillation."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import torch
from tensordict import TensorDict

from rsl_sim.utils.trajectories import split_and_pad_trajectories

__all__ = ["RolloutStorage"]

HiddenState = torch.Tensor | tuple[torch.Tensor, ...] | None
"""Recurrent state of one model: a GRU tensor ``[num_layers, N, hidden]``, an LSTM tuple ``(h, c)``, or None."""

TRAINING_TYPES = ("rl", "distillation")


class RolloutStorage:
    """Fixed-size buffer of ``num_transitions_per_env`` steps from ``num_envs`` environments.

    Same interface as the ``RolloutStorage`` of RSL-RL 5.x: the algorithm fills a :class:`Transition` per env step and
    hands it to :meth:`add_transition`; after the rollout it writes ``returns`` / ``advantages`` (GAE is computed by
    the algorithm, not here) and draws :class:`Batch` objects from a generator; :meth:`clear` starts the next rollout.

    Buffers (``T = num_transitions_per_env``, ``N = num_envs``), all on ``device``:

    - ``observations``: TensorDict, batch size ``[T, N]``, one entry per observation group, each group keeping the
      dtype of the example observation (``uint8`` images stay ``uint8``).
    - ``actions`` ``[T, N, *actions_shape]`` float32, ``rewards`` ``[T, N, 1]`` float32, ``dones`` ``[T, N, 1]`` uint8.
    - ``"rl"`` only: ``values``, ``actions_log_prob``, ``returns``, ``advantages`` ``[T, N, 1]`` float32;
      ``distribution_params``: tuple of float32 tensors ``[T, *param_shape]`` (any number, e.g. Gaussian mean/std or
      Beta alpha/beta), allocated from the first transition.
    - ``"distillation"`` only: ``privileged_actions`` ``[T, N, *actions_shape]`` float32.
    - ``saved_hidden_state_a`` / ``saved_hidden_state_c``: lists (one entry per state tensor: 1 for GRU, 2 for LSTM)
      of ``[T, num_layers, N, hidden]`` float32, the actor's / critic's state *before* each step; allocated from the
      first transition that carries one, None for feedforward models.

    Args:
        training_type: ``"rl"`` (PPO) or ``"distillation"``.
        num_envs: Number of environments ``N``.
        num_transitions_per_env: Rollout length ``T``.
        obs: Example observations, a TensorDict with batch size ``[N]``: fixes the groups, shapes and dtypes.
        actions_shape: Shape of one env's action, e.g. ``[num_actions]``.
        device: Device of the buffers.

    Raises:
        ValueError: For an unknown ``training_type``, non-positive sizes or observations whose batch size is not
            ``[num_envs]``.
    """

    class Transition:
        """One env step of data, filled field by field by the algorithm before :meth:`RolloutStorage.add_transition`.

        Attributes:
            observations: TensorDict ``[N]`` seen before the step.
            actions: ``[N, *actions_shape]`` actions taken.
            rewards: ``[N]`` rewards received.
            dones: ``[N]`` episode-end flags of the step.
            values: ``[N, 1]`` critic values (rl).
            actions_log_prob: ``[N]`` or ``[N, 1]`` log-probabilities of the actions (rl).
            distribution_params: tuple of ``[N, ...]`` action-distribution parameters (rl).
            privileged_actions: ``[N, *actions_shape]`` teacher actions (distillation).
            hidden_states: ``(actor, critic)`` recurrent states before the step, each a :data:`HiddenState`.
        """

        def __init__(self) -> None:
            self.clear()

        def clear(self) -> None:
            """Empty every field (called by the algorithm after each :meth:`RolloutStorage.add_transition`)."""
            self.observations: TensorDict | None = None
            self.actions: torch.Tensor | None = None
            self.rewards: torch.Tensor | None = None
            self.dones: torch.Tensor | None = None
            self.values: torch.Tensor | None = None
            self.actions_log_prob: torch.Tensor | None = None
            self.distribution_params: tuple[torch.Tensor, ...] | None = None
            self.privileged_actions: torch.Tensor | None = None
            self.hidden_states: tuple[HiddenState, HiddenState] = (None, None)

    @dataclass
    class Batch:
        """One mini-batch drawn from the storage; fields that do not apply to the generator are None.

        Feedforward batches hold ``B`` samples (``[B, ...]``); recurrent batches are time-major (``[T, n_envs, ...]``
        for actions, values, ...; observations ``[T, n_trajectories]`` padded, with ``masks``); distillation batches
        are one time step (``[N, ...]``).

        Attributes:
            observations: TensorDict of observation groups.
            actions: Actions taken.
            values: Critic values at collection time.
            advantages: Advantages written by the algorithm.
            returns: Return targets written by the algorithm.
            old_actions_log_prob: Log-probabilities at collection time.
            old_distribution_params: Tuple of distribution parameters at collection time.
            hidden_states: ``(actor, critic)`` states at each trajectory start, ``[num_layers, n_trajectories, hidden]``
                (a tuple of two for LSTM), or None.
            masks: Bool ``[T, n_trajectories]`` valid-step masks of the padded trajectories (recurrent only).
            privileged_actions: Teacher actions (distillation only).
            dones: Episode-end flags ``[N, 1]`` (distillation only).
        """

        observations: TensorDict | None = None
        actions: torch.Tensor | None = None
        values: torch.Tensor | None = None
        advantages: torch.Tensor | None = None
        returns: torch.Tensor | None = None
        old_actions_log_prob: torch.Tensor | None = None
        old_distribution_params: tuple[torch.Tensor, ...] | None = None
        hidden_states: tuple[HiddenState, HiddenState] = (None, None)
        masks: torch.Tensor | None = None
        privileged_actions: torch.Tensor | None = None
        dones: torch.Tensor | None = None

    def __init__(
        self,
        training_type: str,
        num_envs: int,
        num_transitions_per_env: int,
        obs: TensorDict,
        actions_shape: tuple[int, ...] | list[int],
        device: str = "cpu",
    ) -> None:
        # Check the arguments
        if training_type not in TRAINING_TYPES:
            raise ValueError(f"Unknown training_type {training_type!r}; valid choices are {list(TRAINING_TYPES)}.")
        if int(num_envs) < 1 or int(num_transitions_per_env) < 1:
            raise ValueError(
                f"num_envs ({num_envs}) and num_transitions_per_env ({num_transitions_per_env}) must be positive."
            )
        if not isinstance(obs, TensorDict) or obs.batch_size[:1] != torch.Size([num_envs]):
            raise ValueError(
                f"obs must be a TensorDict with batch size [num_envs] = [{num_envs}], got "
                f"{type(obs).__name__} with batch size {list(getattr(obs, 'batch_size', []))}."
            )
        self.training_type = training_type
        self.device = device
        self.num_envs = int(num_envs)
        self.num_transitions_per_env = int(num_transitions_per_env)
        self.actions_shape = tuple(actions_shape)
        steps, envs = self.num_transitions_per_env, self.num_envs

        # Core buffers; observations keep each group's dtype
        self.observations = obs.apply(
            lambda x: torch.zeros(steps, *x.shape, dtype=x.dtype, device=device), batch_size=[steps, envs]
        ).to(device)
        self.actions = torch.zeros(steps, envs, *self.actions_shape, device=device)
        self.rewards = torch.zeros(steps, envs, 1, device=device)
        self.dones = torch.zeros(steps, envs, 1, dtype=torch.uint8, device=device)

        # Distillation buffers
        if training_type == "distillation":
            self.privileged_actions = torch.zeros(steps, envs, *self.actions_shape, device=device)

        # Reinforcement learning buffers; distribution parameters are allocated from the first transition
        if training_type == "rl":
            self.values = torch.zeros(steps, envs, 1, device=device)
            self.actions_log_prob = torch.zeros(steps, envs, 1, device=device)
            self.returns = torch.zeros(steps, envs, 1, device=device)
            self.advantages = torch.zeros(steps, envs, 1, device=device)
            self.distribution_params: tuple[torch.Tensor, ...] | None = None

        # Recurrent states (allocated from the first transition that carries one)
        self.saved_hidden_state_a: list[torch.Tensor] | None = None
        self.saved_hidden_state_c: list[torch.Tensor] | None = None

        # Write cursor
        self.step = 0

    def add_transition(self, transition: Transition) -> None:
        """Copy one step of data into the buffers at the write cursor and advance it.

        Args:
            transition: The filled :class:`Transition` (shapes in its docstring).

        Raises:
            OverflowError: If the storage already holds ``num_transitions_per_env`` steps (call :meth:`clear` first).
            ValueError: If a field the training type needs is missing.
        """
        # Refuse to write past the end
        if self.step >= self.num_transitions_per_env:
            raise OverflowError(
                f"RolloutStorage is full ({self.num_transitions_per_env} transitions per env); call clear() before "
                "adding the next rollout."
            )
        t = self.step

        # Core data
        self.observations[t].copy_(transition.observations)
        self.actions[t].copy_(transition.actions)
        self.rewards[t].copy_(transition.rewards.reshape(-1, 1))
        self.dones[t].copy_(transition.dones.reshape(-1, 1))

        # Distillation data
        if self.training_type == "distillation":
            self.privileged_actions[t].copy_(transition.privileged_actions)

        # Reinforcement learning data
        if self.training_type == "rl":
            if transition.distribution_params is None:
                raise ValueError("Transition.distribution_params is None; the 'rl' storage needs them every step.")
            self.values[t].copy_(transition.values.reshape(-1, 1))
            self.actions_log_prob[t].copy_(transition.actions_log_prob.reshape(-1, 1))
            if self.distribution_params is None:
                self.distribution_params = tuple(
                    torch.zeros(self.num_transitions_per_env, *p.shape, device=self.device)
                    for p in transition.distribution_params
                )
            for buffer, param in zip(self.distribution_params, transition.distribution_params, strict=True):
                buffer[t].copy_(param)

        # Recurrent states
        actor_state, critic_state = transition.hidden_states
        self.saved_hidden_state_a = self._save_hidden_state(self.saved_hidden_state_a, actor_state, t)
        self.saved_hidden_state_c = self._save_hidden_state(self.saved_hidden_state_c, critic_state, t)

        self.step += 1

    def clear(self) -> None:
        """Rewind the write cursor; the next rollout overwrites the buffers."""
        self.step = 0

    # Distillation
    def generator(self) -> Generator[Batch, None, None]:
        """Yield the rollout one time step at a time, in order (for distillation).

        Yields:
            :class:`Batch` with ``observations`` ``[N]``, ``privileged_actions`` ``[N, *actions_shape]`` and ``dones``
            ``[N, 1]`` of step ``t = 0 .. T-1``.

        Raises:
            ValueError: If the storage is not a ``"distillation"`` storage or not full.
        """
        self._check_ready("distillation")
        for t in range(self.num_transitions_per_env):
            yield RolloutStorage.Batch(
                observations=self.observations[t], privileged_actions=self.privileged_actions[t], dones=self.dones[t]
            )

    # Reinforcement learning, feedforward models
    def mini_batch_generator(self, num_mini_batches: int, num_epochs: int = 8) -> Generator[Batch, None, None]:
        """Yield shuffled mini-batches of single samples, ``num_mini_batches`` per epoch.

        Each epoch draws a fresh random permutation of all ``T * N`` samples and cuts it into ``num_mini_batches``
        contiguous pieces, so every sample is used exactly once per epoch (when ``T * N`` is not divisible, piece
        sizes differ by one; RSL-RL 5.x instead reuses one permutation for all epochs and drops the remainder).

        Args:
            num_mini_batches: Mini-batches per epoch (at least 1, at most ``T * N``).
            num_epochs: Passes over the data.

        Yields:
            :class:`Batch` with ``observations`` ``[B]``, ``actions`` ``[B, *actions_shape]``, ``values``,
            ``advantages``, ``returns``, ``old_actions_log_prob`` ``[B, 1]`` and ``old_distribution_params``.

        Raises:
            ValueError: If the storage is not an ``"rl"`` storage or not full, or for invalid counts.
        """
        self._check_ready("rl")
        batch_size = self.num_envs * self.num_transitions_per_env
        self._check_counts(num_mini_batches, num_epochs, batch_size, "T * N samples")

        # Flatten time and env dimensions once (views)
        observations = self.observations.flatten(0, 1)
        fields = [t.flatten(0, 1) for t in (self.actions, self.values, self.advantages, self.returns)]
        fields.append(self.actions_log_prob.flatten(0, 1))
        params = [p.flatten(0, 1) for p in self.distribution_params]
        bounds = [i * batch_size // num_mini_batches for i in range(num_mini_batches + 1)]

        for _ in range(num_epochs):
            permutation = torch.randperm(batch_size, device=self.device)
            for start, stop in zip(bounds[:-1], bounds[1:]):
                idx = permutation[start:stop]
                actions, values, advantages, returns, log_prob = (f[idx] for f in fields)
                yield RolloutStorage.Batch(
                    observations=observations[idx],
                    actions=actions,
                    values=values,
                    advantages=advantages,
                    returns=returns,
                    old_actions_log_prob=log_prob,
                    old_distribution_params=tuple(p[idx] for p in params),
                )

    # Reinforcement learning, recurrent models
    def recurrent_mini_batch_generator(
        self, num_mini_batches: int, num_epochs: int = 8
    ) -> Generator[Batch, None, None]:
        """Yield mini-batches of whole trajectories from contiguous slices of environments.

        The rollout is cut at episode ends (:func:`~rsl_sim.utils.split_and_pad_trajectories`); mini-batch ``i``
        holds envs ``[i * n, (i + 1) * n)`` with ``n = N // num_mini_batches`` (the same slices every epoch, as in
        RSL-RL 5.x; the last ``N % num_mini_batches`` envs are not used) and the trajectories of those envs, with the
        recurrent states stored at each trajectory's first step.

        Args:
            num_mini_batches: Mini-batches per epoch (at least 1, at most ``N``).
            num_epochs: Passes over the data.

        Yields:
            :class:`Batch` with padded ``observations`` ``[T, n_traj]`` and ``masks`` ``[T, n_traj]``; ``actions``,
            ``values``, ``advantages``, ``returns``, ``old_actions_log_prob`` ``[T, n, ...]`` and
            ``old_distribution_params`` ``[T, n, ...]`` time-major; ``hidden_states`` ``(actor, critic)`` each
            ``[num_layers, n_traj, hidden]`` (a tuple of two for LSTM) or None.

        Raises:
            ValueError: If the storage is not an ``"rl"`` storage or not full, or for invalid counts.
        """
        self._check_ready("rl")
        self._check_counts(num_mini_batches, num_epochs, self.num_envs, "environments")
        envs_per_batch = self.num_envs // num_mini_batches

        # Cut the rollout into padded trajectories (env-major order)
        padded_obs, masks = split_and_pad_trajectories(self.observations, self.dones)

        # First trajectory of every env slice: trajectories start at step 0 and after every done
        starts = torch.zeros(self.num_transitions_per_env, self.num_envs, dtype=torch.bool, device=self.device)
        starts[0] = True
        starts[1:] = self.dones[:-1, :, 0].bool()
        first_traj = torch.cat([starts.new_zeros(1, dtype=torch.long), starts.sum(0).cumsum(0)]).tolist()

        # Recurrent states at trajectory starts, [num_layers, num_trajectories, hidden] in trajectory order
        start_states_a = self._states_at_starts(self.saved_hidden_state_a, starts)
        start_states_c = self._states_at_starts(self.saved_hidden_state_c, starts)

        for _ in range(num_epochs):
            for i in range(num_mini_batches):
                env_start, env_stop = i * envs_per_batch, (i + 1) * envs_per_batch
                traj_start, traj_stop = first_traj[env_start], first_traj[env_stop]
                yield RolloutStorage.Batch(
                    observations=padded_obs[:, traj_start:traj_stop],
                    actions=self.actions[:, env_start:env_stop],
                    values=self.values[:, env_start:env_stop],
                    advantages=self.advantages[:, env_start:env_stop],
                    returns=self.returns[:, env_start:env_stop],
                    old_actions_log_prob=self.actions_log_prob[:, env_start:env_stop],
                    old_distribution_params=tuple(p[:, env_start:env_stop] for p in self.distribution_params),
                    hidden_states=(
                        self._slice_states(start_states_a, traj_start, traj_stop),
                        self._slice_states(start_states_c, traj_start, traj_stop),
                    ),
                    masks=masks[:, traj_start:traj_stop],
                )

    # Helpers
    def _check_ready(self, training_type: str) -> None:
        """Raise ValueError unless this is a full storage of the given training type."""
        if self.training_type != training_type:
            raise ValueError(
                f"This generator serves training_type {training_type!r}; the storage was built for "
                f"{self.training_type!r}."
            )
        if self.step != self.num_transitions_per_env:
            raise ValueError(
                f"The storage holds {self.step} of {self.num_transitions_per_env} transitions per env; fill it with "
                "add_transition() before drawing batches."
            )

    @staticmethod
    def _check_counts(num_mini_batches: int, num_epochs: int, available: int, what: str) -> None:
        """Raise ValueError for mini-batch / epoch counts that cannot be served."""
        if not 1 <= num_mini_batches <= available:
            raise ValueError(f"num_mini_batches ({num_mini_batches}) must be between 1 and the {available} {what}.")
        if num_epochs < 1:
            raise ValueError(f"num_epochs ({num_epochs}) must be at least 1.")

    def _save_hidden_state(
        self, buffers: list[torch.Tensor] | None, state: HiddenState, t: int
    ) -> list[torch.Tensor] | None:
        """Copy one model's recurrent state into the step-``t`` slot, allocating the buffers on first use."""
        # Feedforward model so far: nothing to keep
        if state is None and buffers is None:
            return None
        # No state yet although earlier steps had one (e.g. right after a full reset): the state is zero
        if state is None:
            for buffer in buffers:
                buffer[t].zero_()
            return buffers
        # GRU states are one tensor, LSTM states a tuple
        tensors = state if isinstance(state, tuple) else (state,)
        if buffers is None:
            buffers = [
                torch.zeros(self.num_transitions_per_env, *s.shape, dtype=s.dtype, device=self.device) for s in tensors
            ]
        for buffer, tensor in zip(buffers, tensors, strict=True):
            buffer[t].copy_(tensor)
        return buffers

    @staticmethod
    def _states_at_starts(buffers: list[torch.Tensor] | None, starts: torch.Tensor) -> list[torch.Tensor] | None:
        """Gather stored states ``[T, L, N, H]`` at trajectory starts ``[T, N]`` into ``[L, num_traj, H]``."""
        if buffers is None:
            return None
        return [b.permute(2, 0, 1, 3)[starts.t()].transpose(0, 1) for b in buffers]

    @staticmethod
    def _slice_states(states: list[torch.Tensor] | None, start: int, stop: int) -> HiddenState:
        """Take trajectories ``[start, stop)`` of the start states: a tensor for GRU, a tuple for LSTM, or None."""
        if states is None:
            return None
        sliced = tuple(s[:, start:stop].contiguous() for s in states)
        return sliced[0] if len(sliced) == 1 else sliced
