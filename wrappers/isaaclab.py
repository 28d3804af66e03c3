"""Adapter from an Isaac Lab RL environment to the rsl_sim :class:`~rsl_sim.env.VecEnv` contract.

Import as ``rsl_sim.wrappers.isaaclab``. Isaac Lab is imported lazily, inside :class:`IsaacLabVecEnvWrapper`'s
constructor, so importing this module never needs Isaac Lab (install it with ``scripts/install_isaaclab.sh``).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv

__all__ = ["ACCEPTED_ENV_TYPES", "IsaacLabVecEnvWrapper", "to_channels_first"]

ACCEPTED_ENV_TYPES = ("isaaclab.envs.ManagerBasedRLEnv", "isaaclab.envs.DirectRLEnv")
"""The Isaac Lab environment classes (and their subclasses) that :class:`IsaacLabVecEnvWrapper` accepts."""


class IsaacLabVecEnvWrapper(VecEnv):
    """Present an Isaac Lab ``ManagerBasedRLEnv`` or ``DirectRLEnv`` as an rsl_sim :class:`~rsl_sim.env.VecEnv`.

    Behaves like Isaac Lab's own RSL-RL wrapper (``isaaclab_rl.rsl_rl.RslRlVecEnvWrapper``), so a task and agent
    config written for Isaac Lab + RSL-RL 5.x train unchanged with rsl_sim's runners. Below, ``N = num_envs``.

    Observations: the env's observation groups (``"policy"``, ``"critic"``, ...) become a
    :class:`~tensordict.TensorDict` with batch size ``[N]``, names unchanged. A group that holds a dict of terms
    (``concatenate_terms=False``) becomes a nested TensorDict. Image observations are recognised by their rank: every
    rank-4 tensor is taken as a channels-last camera batch ``[N, H, W, C]`` (Isaac Lab's camera layout) and returned
    channels-first ``[N, C, H, W]`` (the layout of rsl_sim's CNN models), dtype unchanged.

    Step results: rewards float ``[N]`` as the env computes them; ``dones`` ``torch.long`` ``[N]``, 1 where
    ``terminated | truncated``; ``extras`` is a shallow copy of the env's extras dict with

    - ``"time_outs"``: bool ``[N]``, the env's ``truncated`` (time limit reached), unless the task is finite-horizon
      (``cfg.is_finite_horizon``), in which case it is left out and time-outs are treated as terminal;
    - ``"log"``: the env's episode statistics (``Episode_Reward/...``, ``Episode_Termination/...``, ``Metrics/...``),
      passed through unchanged;
    - ``"final_observation"``: only when the env computes its terminal observations (Isaac Lab's
      ``cfg.compute_final_obs``, see ``compute_final_obs`` below): TensorDict ``[N]`` holding, for envs whose episode
      ended at this step, the observation before the reset, and the returned observation elsewhere. The env's raw
      ``"final_obs"`` entry is taken out of the extras.

    Episode lengths: ``episode_length_buf`` reads and writes the env's own buffer, so the runner's random start
    lengths (``init_at_random_ep_len``) move the env's time-outs.

    Video: Isaac Lab 3.0 records clips itself through ``env_cfg.video_recorders`` (``VideoRecorderCfg``); its
    ``render()`` no longer returns frames. For Isaac Lab versions whose ``render()`` does return frames, build the
    env with ``render_mode="rgb_array"``, wrap it with ``gymnasium.wrappers.RecordVideo`` and hand the recorded env to
    this wrapper: any chain of ``gymnasium.Wrapper`` around the Isaac Lab env is accepted. Steps, resets, ``render``
    and ``close`` go through the outermost wrapper (so the recorder sees every step) while attributes
    (``num_envs``, ``episode_length_buf``, ``cfg``, ...) are read from the Isaac Lab env (``env.unwrapped``).

    The wrapper resets the env once when built (the runners never call ``reset``).

    Args:
        env: An Isaac Lab ``ManagerBasedRLEnv`` or ``DirectRLEnv`` (as returned by ``gymnasium.make``), optionally
            inside ``gymnasium.Wrapper`` layers such as ``RecordVideo``.
        clip_actions: If given, actions are clamped to ``[-clip_actions, clip_actions]`` before they reach the env
            and the env's ``single_action_space`` / ``action_space`` become that box. None: no clipping.
        compute_final_obs: Whether the env computes the terminal observation of finished episodes (written into the
            env's ``cfg.compute_final_obs``; costs one extra observation computation on steps where an episode ends).
            None: keep the env's setting (Isaac Lab's default is False).

    Raises:
        TypeError: If ``env`` (after unwrapping gymnasium wrappers) is not a ``ManagerBasedRLEnv`` or ``DirectRLEnv``
            (e.g. a ``ManagerBasedEnv`` without rewards, a ``DirectMARLEnv``, or a non-Isaac-Lab env).
        ValueError: If ``clip_actions`` is not a positive number.
    """

    def __init__(self, env: gym.Env, clip_actions: float | None = None, compute_final_obs: bool | None = None) -> None:
        # Check the env type before touching anything else
        _check_env_type(env)
        if clip_actions is not None and not _is_positive_number(clip_actions):
            raise ValueError(f"clip_actions must be a positive number or None, got {clip_actions!r}.")

        self.env = env
        self.clip_actions = None if clip_actions is None else float(clip_actions)
        base = self.unwrapped

        # Sizes and devices come from the Isaac Lab env
        self.num_envs: int = base.num_envs
        self.device: torch.device | str = base.device
        self.max_episode_length: int | torch.Tensor = base.max_episode_length
        if hasattr(base, "action_manager"):
            self.num_actions: int = base.action_manager.total_action_dim
        else:
            self.num_actions = gym.spaces.flatdim(base.single_action_space)

        # Terminal observations: switch the env's own capture on or off when asked
        if compute_final_obs is not None:
            base.cfg.compute_final_obs = bool(compute_final_obs)

        # Clipped actions: the action spaces show the clip box
        if self.clip_actions is not None:
            base.single_action_space = gym.spaces.Box(
                low=-self.clip_actions, high=self.clip_actions, shape=(self.num_actions,)
            )
            base.action_space = gym.vector.utils.batch_space(base.single_action_space, self.num_envs)

        # The runners never reset: reset once here
        self.env.reset()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} num_envs={self.num_envs} num_actions={self.num_actions} env={self.env}>"

    @property
    def unwrapped(self) -> Any:
        """The Isaac Lab env under all gymnasium wrappers (carries ``step_dt``, managers, buffers)."""
        return self.env.unwrapped

    @property
    def cfg(self) -> Any:
        """The Isaac Lab env's configuration object (``ManagerBasedRLEnvCfg`` / ``DirectRLEnvCfg``)."""
        return self.unwrapped.cfg

    @property
    def step_dt(self) -> float:
        """Seconds per env step: physics step times decimation."""
        return float(self.unwrapped.step_dt)

    @property
    def episode_length_buf(self) -> torch.Tensor:
        """The env's steps in the current episode, ``torch.long`` ``[num_envs]``."""
        return self.unwrapped.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        # Write into the env itself so that its time-out term sees the new lengths
        self.unwrapped.episode_length_buf = value

    @property
    def render_mode(self) -> str | None:
        """The render mode of the outermost env."""
        return self.env.render_mode

    @property
    def observation_space(self) -> gym.Space:
        """The batched observation space of the outermost env (channels-last for cameras, as Isaac Lab declares)."""
        return self.env.observation_space

    @property
    def action_space(self) -> gym.Space:
        """The batched action space of the outermost env (the clip box when ``clip_actions`` is set)."""
        return self.env.action_space

    def seed(self, seed: int = -1) -> int:
        """Seed Isaac Lab's random generators (torch, numpy, warp, ...).

        Args:
            seed: The seed; -1 draws one at random.

        Returns:
            The seed used.
        """
        return self.unwrapped.seed(seed)

    def reset(self) -> tuple[TensorDict, dict]:
        """Reset every env (not needed for training: the wrapper resets once when built).

        Returns:
            ``(obs, extras)``: observations TensorDict with batch size ``[num_envs]`` and the env's extras dict.
        """
        obs, extras = self.env.reset()
        return self._to_tensordict(obs), extras

    def get_observations(self) -> TensorDict:
        """Return the current observations without stepping or resetting.

        Returns:
            TensorDict of observation groups, batch size ``[num_envs]``, images ``[num_envs, C, H, W]``.
        """
        return self._to_tensordict(self.unwrapped.obs_buf)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Clip the actions (if asked), step every env once and translate the result.

        Args:
            actions: Float tensor ``[num_envs, num_actions]``.

        Returns:
            ``(obs, rewards, dones, extras)`` as described in the class docstring: observations TensorDict
            ``[num_envs]``, rewards ``[num_envs]``, dones ``torch.long`` ``[num_envs]``, extras dict.
        """
        # Clip the actions before the env sees them
        if self.clip_actions is not None:
            actions = torch.clamp(actions, -self.clip_actions, self.clip_actions)

        # Step through the outermost wrapper, so that gymnasium wrappers (video recorders) see the step
        obs_dict, rewards, terminated, truncated, env_extras = self.env.step(actions)
        obs = self._to_tensordict(obs_dict)
        dones = (terminated | truncated).to(dtype=torch.long)

        # The env keeps its extras dict between steps: take the terminal observations out (of the env's own dict too,
        # in case a gymnasium wrapper handed over a copy) so that they never go stale
        final_obs = env_extras.pop("final_obs", None)
        self.unwrapped.extras.pop("final_obs", None)
        extras = dict(env_extras)
        if not self.unwrapped.cfg.is_finite_horizon:
            extras["time_outs"] = truncated
        if final_obs is not None:
            extras["final_observation"] = self._merge_final_obs(self._to_tensordict(final_obs), obs, dones.bool())
        return obs, rewards, dones, extras

    def render(self, recompute: bool = False) -> Any:
        """Render through the outermost env (Isaac Lab 3.0 returns None: frames come from its video recorders).

        Args:
            recompute: Force a render even if the simulator already rendered this step.

        Returns:
            Whatever the env's ``render`` returns.
        """
        if self.env is self.unwrapped:
            return self.env.render(recompute=recompute)
        return self.env.render()

    def close(self) -> None:
        """Close the env (and every gymnasium wrapper around it, e.g. flushing a video recorder)."""
        self.env.close()

    def _to_tensordict(self, obs: Mapping[str, Any]) -> TensorDict:
        """Turn the env's observation dict into a TensorDict ``[num_envs]`` with images channels-first."""
        return TensorDict(to_channels_first(obs), batch_size=[self.num_envs], device=self.device)

    @staticmethod
    def _merge_final_obs(final_obs: TensorDict, obs: TensorDict, done: torch.Tensor) -> TensorDict:
        """Rows of finished envs from ``final_obs``, the other rows from ``obs`` (``done`` bool ``[num_envs]``)."""

        def pick(final: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
            mask = done.view(-1, *([1] * (current.dim() - 1)))
            return torch.where(mask, final, current)

        return final_obs.apply(pick, obs)


def to_channels_first(obs: Mapping[str, Any]) -> dict[str, Any]:
    """Copy an observation dict, turning every rank-4 tensor from ``[N, H, W, C]`` into ``[N, C, H, W]``.

    Nested dicts (groups of un-concatenated terms) are converted recursively; other values are kept as they are.

    Args:
        obs: Observation groups: name -> tensor ``[N, ...]`` or name -> dict of such tensors.

    Returns:
        A new dict with the same keys; rank-4 tensors are contiguous channels-first copies.
    """
    converted: dict[str, Any] = {}
    for name, value in obs.items():
        if isinstance(value, Mapping):
            converted[name] = to_channels_first(value)
        elif isinstance(value, torch.Tensor) and value.dim() == 4:
            converted[name] = value.permute(0, 3, 1, 2).contiguous()
        else:
            converted[name] = value
    return converted


def _is_positive_number(value: Any) -> bool:
    """Whether ``value`` is a real number > 0 (bools excluded)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0


def _check_env_type(env: Any) -> None:
    """Raise a TypeError unless ``env`` is (or wraps) an Isaac Lab ``ManagerBasedRLEnv`` or ``DirectRLEnv``."""
    base = getattr(env, "unwrapped", env)
    accepted = ", ".join(ACCEPTED_ENV_TYPES)
    message = (
        f"IsaacLabVecEnvWrapper accepts {accepted} (or a subclass, optionally inside gymnasium wrappers such as"
        f" RecordVideo), got {type(base).__module__}.{type(base).__qualname__}."
    )
    # Without Isaac Lab installed no object can be an Isaac Lab env
    try:
        from isaaclab.envs import DirectRLEnv, ManagerBasedRLEnv
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "isaaclab":
            raise  # Isaac Lab is there but one of its own dependencies is missing
        raise TypeError(f"{message} (Isaac Lab is not installed here: see scripts/install_isaaclab.sh.)") from None

    if not isinstance(base, (ManagerBasedRLEnv, DirectRLEnv)):
        hint = ""
        if any(cls.__name__ == "DirectMARLEnv" for cls in type(base).__mro__):
            hint = " For a multi-agent env, convert it first with isaaclab.envs.multi_agent_to_single_agent."
        raise TypeError(message + hint)
