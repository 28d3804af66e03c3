"""The vectorized environment contract between simulators and the learner."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from tensordict import TensorDict

__all__ = ["VecEnv"]


class VecEnv(ABC):
    """A batch of ``num_envs`` copies of one task, stepped together: the interface the runners talk to.

    Same contract as RSL-RL 5.x's ``VecEnv`` (so Isaac Lab's ``RslRlVecEnvWrapper`` style envs plug in unchanged),
    with documented extensions. Below, ``N = num_envs``.

    Attributes:
        num_envs: Number of environments ``N``.
        num_actions: Size of the flat action vector of one environment.
        max_episode_length: Maximum number of steps of an episode (time-out limit): an int for all envs or a tensor of
            shape ``[N]`` for per-env limits. The runner draws random start lengths below it.
        episode_length_buf: Steps taken in the current episode of every env, integer tensor of shape ``[N]`` on
            ``device``. Settable: ``OnPolicyRunner.learn(init_at_random_ep_len=True)`` assigns random values in
            ``[0, max_episode_length)`` once, so that time-outs are spread over the iterations; an env must then end
            each episode ``max_episode_length - episode_length_buf`` steps later (at the latest).
        device: Device of every tensor the env returns.
        cfg: The env's configuration (a dict or a config object); stored with the run for reproducibility.
        step_dt: Duration of one env step (policy step, i.e. physics step times decimation) in seconds, or None when
            unknown. Optional; curiosity (RND) scales its weight by it, read as ``env.unwrapped.step_dt``.

    Observations:
        A :class:`~tensordict.TensorDict` with batch size ``[N]`` on ``device`` holding one entry per observation
        *group*, e.g. ``"policy"`` ``[N, obs_dim]`` float32, ``"critic"`` ``[N, priv_dim]`` float32,
        ``"camera"`` ``[N, C, H, W]`` (float32 or uint8). The runner config's ``obs_groups`` maps the observation
        sets used by the learner (``actor``, ``critic``, ``student``, ``teacher``, ``rnd_state``) to lists of group
        names.

    Step results:
        ``step(actions)`` returns ``(obs, rewards, dones, extras)``:

        - ``obs``: TensorDict as above, already *after* auto-reset for envs whose episode ended.
        - ``rewards``: float tensor ``[N]``.
        - ``dones``: tensor ``[N]``, nonzero where the episode ended with this step (termination or time-out); bool
          or integer (Isaac Lab returns ``torch.long`` 0/1); consumers test ``dones > 0`` / ``dones == 1``.
        - ``extras``: a dict with

          - ``"time_outs"``: bool tensor ``[N]``, True where the episode was *truncated* (time limit) rather than
            terminated; the learner bootstraps the value of those states. Absent for finite-horizon tasks.
          - ``"log"``: dict name -> float or tensor of values to log (a tensor is averaged). Names holding a ``/``
            are logged as given (``"Episode/return"``), others under ``"Episode/"``.
          - ``"final_observation"`` (rsl_sim extension, optional): TensorDict with batch size ``[N]``, the same groups
            as ``obs``; rows of envs with ``dones`` set hold the last observation of the finished episode (before the
            auto-reset), the other rows equal ``obs``. With it the learner bootstraps time-outs with the exact
            ``V(s_{t+1})`` instead of the reference's ``V(s_t)`` approximation. Treat it as read-only (it may be the
            very object returned as ``obs`` when no episode ended).

    There is no ``reset()`` in the contract: wrappers reset once when built, and envs auto-reset finished episodes.

    The runners check this contract (:class:`~rsl_sim.env.contract.VecEnvContract`): the first observations in full
    when the runner is built (float32 groups, ``uint8`` or float32 image groups, batch size ``N``), then the shapes
    and dtypes of every step's observations, rewards, dones and ``time_outs``; a violation is a
    :class:`~rsl_sim.env.contract.VecEnvContractError` (a ``ValueError``) naming the group and both values.

    Resume (rsl_sim extension, optional): an env that implements both methods below is saved with every checkpoint
    and restored by the next ``learn()`` after ``runner.load``, so that a resumed run continues the same run (see
    ``docs/resume.md``); an env without them resumes from its own state, with a warning.

    - ``get_env_state() -> dict``: everything the env's next steps depend on (simulator state, episode buffers,
      commands, timers, random generator states), as checkpoint data that ``torch.load(weights_only=True)`` reads:
      tensors, numbers, strings, lists, tuples, dicts. Raises ``NotImplementedError`` with the reason where the
      state cannot be saved.
    - ``set_env_state(state: dict) -> None``: restore such a state into an env built from the same config; raises
      ``ValueError`` when it does not fit (e.g. another ``num_envs``), before changing anything.
    """

    num_envs: int
    num_actions: int
    max_episode_length: int | torch.Tensor
    episode_length_buf: torch.Tensor
    device: torch.device | str
    cfg: dict | Any
    step_dt: float | None = None

    @property
    def unwrapped(self) -> VecEnv:
        """The innermost environment that carries the attributes above (``step_dt``); this env itself by default.

        Wrappers around a simulator env that owns these attributes (Isaac Lab) return that env instead.
        """
        return self

    @abstractmethod
    def get_observations(self) -> TensorDict:
        """Return the current observations without stepping or resetting anything.

        Returns:
            TensorDict of observation groups, batch size ``[num_envs]``, on ``device``.
        """
        raise NotImplementedError

    @abstractmethod
    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Apply one action per environment and advance every environment by one step.

        Args:
            actions: Float tensor of shape ``[num_envs, num_actions]``.

        Returns:
            ``(obs, rewards, dones, extras)``: observations TensorDict (batch size ``[num_envs]``, after auto-reset),
            rewards ``[num_envs]`` float, dones ``[num_envs]`` (bool or integer), and the extras dict described in the
            class docstring (``time_outs``, ``log``, optional ``final_observation``).
        """
        raise NotImplementedError
