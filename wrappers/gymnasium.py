"""Adapter from a ``gymnasium.vector.VectorEnv`` to the rsl_sim :class:`~rsl_sim.env.VecEnv` contract.

Import as ``rsl_sim.wrappers.gymnasium``. Needs gymnasium >= 1.1 (vector ``AutoresetMode``).
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv
from tensordict import TensorDict

from rsl_sim.env import VecEnv

from .gymnasium_state import get_vector_env_state, set_vector_env_state
from .gymnasium_utils import (
    check_autoreset_mode,
    env_attr,
    env_log_arrays,
    final_obs_rows,
    find_time_limit_wrapper,
    group_format,
    observation_groups,
    supported_autoreset_mode,
)

__all__ = ["GymnasiumVecEnvWrapper"]

POLICY_GROUP = "policy"
"""Observation group name given to a ``Box`` observation space."""


class GymnasiumVecEnvWrapper(VecEnv):
    """Present a gymnasium vector environment as an rsl_sim :class:`~rsl_sim.env.VecEnv`.

    Observations: a ``Box`` observation space becomes the group ``"policy"``; a ``Dict`` space of ``Box`` entries
    becomes one group per key, names unchanged. Every group is float32, except ``uint8`` images, which stay ``uint8``
    (the CNN models scale them to ``[0, 1]``): floating-point, integer and bool Boxes are converted, values unchanged.
    A 3-D Box is an image: gymnasium's channels-last ``H x W x C`` becomes ``[N, C, H, W]`` as the CNN models expect
    (as rsl_sim's Isaac Lab wrapper does with camera groups); a space whose first dimension is smaller than its last
    (``C x H x W``) is kept as it is. See :func:`~rsl_sim.wrappers.gymnasium_utils.group_format`. Everything returned
    lives on ``device``; ``single_observation_space`` stays the env's own.

    Step results (``N = num_envs``): rewards float32 ``[N]``; ``dones`` ``torch.long`` ``[N]`` (1 where
    ``terminated | truncated``, as Isaac Lab's RSL-RL wrapper); ``extras`` holds

    - ``"time_outs"``: bool ``[N]``, ``truncated & ~terminated`` (an episode that terminates on its last allowed step
      is terminal, its value is not bootstrapped);
    - ``"final_observation"``: TensorDict ``[N]``, the observation that ended each finished episode (taken from the
      env's ``infos["final_obs"]``), the returned observation elsewhere (the same object when no episode ended);
    - ``"log"``: ``"Episode/return"`` and ``"Episode/length"``, float32 tensors with one value per episode finished
      in this step (only present when some finished; the runner's logger averages them), plus any ``infos["log"]``
      entries the env reports (converted to tensors; a ``"_name"`` mask selects the envs that reported ``name``).

    Auto-reset: the env must reset finished sub-environments within the same step (gymnasium's
    ``AutoresetMode.SAME_STEP``, which :meth:`from_id` requests); ``AutoresetMode.DISABLED`` envs are also accepted,
    the wrapper then resets finished envs itself through ``reset(options={"reset_mask": dones})``. ``NEXT_STEP``
    envs are refused, since their step after a done returns a reset observation with no reward and would corrupt the
    rollout.

    Episode lengths: the wrapper keeps its own ``episode_length_buf`` (steps since each env's last reset). The time
    limit itself lives inside the gymnasium env, so assigning ``episode_length_buf`` (as
    ``OnPolicyRunner.learn(init_at_random_ep_len=True)`` does) is forwarded to it: to the env's own
    ``episode_length_buf`` when it has one (e.g. the rsl_sim Go2 VectorEnv), else to the ``TimeLimit`` wrapper of each
    sub-environment of a ``SyncVectorEnv``. Where neither exists (e.g. ``AsyncVectorEnv``) a warning says that only
    the wrapper's counter changed.

    Configuration: ``cfg`` is the env's own ``cfg`` attribute when it has one, else ``{"id", "kwargs"}`` from its spec.

    Args:
        env: The gymnasium vector environment (already built).
        device: Torch device of every returned tensor.
        clip_actions: If given, actions are clamped to ``[-clip_actions, clip_actions]`` before stepping and the
            wrapper's ``single_action_space`` / ``action_space`` become that box. None: no clipping.
        max_episode_length: Episode time limit in steps. None: taken from the env's ``max_episode_length`` attribute,
            else the sub-environments' ``TimeLimit`` (a per-env tensor if they differ), else the env spec's
            ``max_episode_steps``.
        step_dt: Seconds per env step. None: the env's ``step_dt`` attribute, else the sub-environments' ``dt``
            (MuJoCo and classic-control envs have it), else ``1 / metadata["render_fps"]``, else unknown (None).
        seed: Seed of the initial reset (None: unseeded).

    Raises:
        TypeError: If ``env`` is not a ``gymnasium.vector.VectorEnv``.
        ValueError: For an unsupported autoreset mode, a non-``Box`` action space, an observation space other than
            ``Box`` or ``Dict`` of ``Box``, a non-positive ``clip_actions``, or an unknown episode time limit.
    """

    def __init__(
        self,
        env: VectorEnv,
        device: str | torch.device = "cpu",
        clip_actions: float | None = None,
        max_episode_length: int | None = None,
        step_dt: float | None = None,
        seed: int | None = None,
    ) -> None:
        # Check the env type and its auto-reset behaviour
        if not isinstance(env, VectorEnv):
            raise TypeError(
                f"GymnasiumVecEnvWrapper wraps a gymnasium.vector.VectorEnv, got {type(env).__name__}; build one with "
                "gymnasium.make_vec(...) or use GymnasiumVecEnvWrapper.from_id(env_id, num_envs)."
            )
        self.env = env
        self.autoreset_mode = check_autoreset_mode(env)
        self.num_envs = int(env.num_envs)
        self.device = torch.device(device)

        # Actions: a Box of any shape, flattened to num_actions
        action_space = env.single_action_space
        if not isinstance(action_space, gym.spaces.Box):
            raise ValueError(
                f"GymnasiumVecEnvWrapper supports Box action spaces only, got {action_space} "
                f"({type(action_space).__name__})."
            )
        self._action_shape = tuple(action_space.shape)
        self._action_dtype = action_space.dtype
        self.num_actions = int(np.prod(self._action_shape, dtype=np.int64))
        self._single_action_space = action_space
        self._action_space = env.action_space
        self.clip_actions = clip_actions
        if clip_actions is not None:
            if not clip_actions > 0:
                raise ValueError(f"clip_actions must be a positive number or None, got {clip_actions}.")
            self._single_action_space = gym.spaces.Box(
                low=-clip_actions, high=clip_actions, shape=self._action_shape, dtype=self._action_dtype
            )
            self._action_space = gym.vector.utils.batch_space(self._single_action_space, self.num_envs)

        # Observations: group names from the space, and each group's dtype and layout (images become channels-first)
        self._obs_groups = observation_groups(env.single_observation_space)
        space = env.single_observation_space
        self._group_formats = (
            {POLICY_GROUP: group_format(space)}
            if self._obs_groups is None
            else {key: group_format(space[key]) for key in self._obs_groups}
        )

        # Episode time limit, step duration and configuration
        self.max_episode_length = max_episode_length if max_episode_length is not None else self._find_time_limit()
        self.step_dt = step_dt if step_dt is not None else self._find_step_dt()
        cfg = env_attr(env, "cfg")
        spec = env.spec
        self.cfg = (
            cfg if cfg is not None else {"id": spec.id if spec else None, "kwargs": dict(spec.kwargs) if spec else {}}
        )

        # Per-env counters: steps since reset (settable), true episode length and return (for logging)
        self._episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self._episode_steps = np.zeros(self.num_envs, dtype=np.int64)
        self._episode_return = np.zeros(self.num_envs, dtype=np.float64)

        # Reset once: the runner never calls reset
        self._obs: TensorDict
        self.reset(seed=seed)

    @classmethod
    def from_id(
        cls,
        env_id: str,
        num_envs: int,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        clip_actions: float | None = None,
        vectorization_mode: str | None = None,
        vector_kwargs: dict | None = None,
        wrappers: list | None = None,
        max_episode_length: int | None = None,
        step_dt: float | None = None,
        **make_kwargs: Any,
    ) -> GymnasiumVecEnvWrapper:
        """Build the vector env with ``gymnasium.make_vec`` (same-step auto-reset) and wrap it.

        Args:
            env_id: Registered gymnasium id, e.g. ``"Pendulum-v1"``.
            num_envs: Number of sub-environments.
            seed: Seed of the initial reset.
            device: Torch device of the returned tensors.
            clip_actions: See the class.
            vectorization_mode: ``"sync"``, ``"async"`` or ``"vector_entry_point"``; None: gymnasium's choice (the
                env's own vector entry point if registered, else ``"sync"``).
            vector_kwargs: Extra arguments of ``SyncVectorEnv`` / ``AsyncVectorEnv``; ``autoreset_mode`` is set to
                ``SAME_STEP`` (any other value is refused). Not allowed with ``"vector_entry_point"``.
            wrappers: Per-sub-environment gymnasium wrappers (see ``gymnasium.make_vec``).
            max_episode_length: See the class.
            step_dt: See the class.
            **make_kwargs: Keyword arguments of the env (``gymnasium.make``), e.g. ``max_episode_steps``.

        Returns:
            The wrapped environment, reset once.

        Raises:
            ValueError: For ``vector_kwargs`` asking another autoreset mode or given with a vector entry point.
        """
        # Resolve the vectorization mode the way gymnasium does
        wrapper_kwargs = {"clip_actions": clip_actions, "max_episode_length": max_episode_length, "step_dt": step_dt}
        auto = vectorization_mode is None
        if auto:
            vectorization_mode = "vector_entry_point" if gym.spec(env_id).vector_entry_point is not None else "sync"
        vectorization_mode = gym.VectorizeMode(vectorization_mode).value

        # A vector entry point decides its own auto-reset mode: use it if supported, else (auto mode) fall back to sync
        if vectorization_mode == "vector_entry_point":
            if vector_kwargs:
                raise ValueError(
                    f"vector_kwargs {vector_kwargs} cannot be used with the vector entry point of {env_id!r}; pass "
                    "the env's own options as keyword arguments."
                )
            env = gym.make_vec(env_id, num_envs, vectorization_mode, wrappers=wrappers, **make_kwargs)
            if not auto or supported_autoreset_mode(env) is not None:
                return cls(env, device=device, seed=seed, **wrapper_kwargs)
            warnings.warn(
                f"The vector entry point of {env_id!r} auto-resets in mode {env.metadata.get('autoreset_mode')}; "
                "building a SyncVectorEnv with AutoresetMode.SAME_STEP instead.",
                stacklevel=2,
            )
            env.close()
            vectorization_mode = "sync"

        # Sync / async vector envs: ask for same-step auto-reset
        vector_kwargs = dict(vector_kwargs or {})
        requested = AutoresetMode(vector_kwargs.get("autoreset_mode", AutoresetMode.SAME_STEP))
        if requested != AutoresetMode.SAME_STEP:
            raise ValueError(
                f"vector_kwargs['autoreset_mode'] = {requested} is not supported; GymnasiumVecEnvWrapper.from_id "
                "builds envs with AutoresetMode.SAME_STEP."
            )
        vector_kwargs["autoreset_mode"] = AutoresetMode.SAME_STEP
        env = gym.make_vec(
            env_id, num_envs, vectorization_mode, vector_kwargs=vector_kwargs, wrappers=wrappers, **make_kwargs
        )
        return cls(env, device=device, seed=seed, **wrapper_kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{self.env}>"

    # Spaces and forwarded properties
    @property
    def single_action_space(self) -> gym.spaces.Box:
        """Action space of one environment (the clip box when ``clip_actions`` is set)."""
        return self._single_action_space

    @property
    def action_space(self) -> gym.Space:
        """Batched action space ``[num_envs, *action_shape]`` (the clip box when ``clip_actions`` is set)."""
        return self._action_space

    @property
    def single_observation_space(self) -> gym.Space:
        """Observation space of one environment, as declared by the gymnasium env."""
        return self.env.single_observation_space

    @property
    def observation_space(self) -> gym.Space:
        """Batched observation space, as declared by the gymnasium env."""
        return self.env.observation_space

    @property
    def render_mode(self) -> str | None:
        """Render mode of the gymnasium env."""
        return self.env.render_mode

    @property
    def episode_length_buf(self) -> torch.Tensor:
        """Steps since each env's last reset, ``torch.long`` ``[num_envs]`` on ``device``."""
        return self._episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        # Keep our own counter and move the env's time limit along with it
        value = torch.as_tensor(value, device=self.device).long()
        if tuple(value.shape) != (self.num_envs,):
            raise ValueError(f"episode_length_buf must have shape [{self.num_envs}], got {list(value.shape)}.")
        with torch.inference_mode(False):  # a normal tensor, so that later in-place updates work in any mode
            self._episode_length_buf = value.clone()
        self._forward_episode_lengths(value)

    # Interface
    def get_observations(self) -> TensorDict:
        """Return the observations of the last step (or reset) without stepping.

        Returns:
            TensorDict of observation groups, batch size ``[num_envs]``, on ``device``.
        """
        return self._obs

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[TensorDict, dict]:
        """Reset every sub-environment and the episode counters.

        Args:
            seed: Seed passed to ``VectorEnv.reset`` (sub-env ``i`` gets ``seed + i``); None: unseeded.
            options: Reset options passed to the env.

        Returns:
            ``(obs, infos)``: the new observations (batch size ``[num_envs]``) and the env's reset infos as reported.
        """
        obs, infos = self.env.reset(seed=seed, options=options)
        self._obs = self._to_tensordict(obs)
        self._episode_length_buf.zero_()
        self._episode_steps[:] = 0
        self._episode_return[:] = 0.0
        return self._obs, infos

    def seed(self, seed: int | None = None) -> int | None:
        """Seed the env by resetting every sub-environment with ``seed`` (gymnasium seeds through ``reset``).

        Args:
            seed: The seed; two wrappers seeded alike and fed the same actions produce the same data.

        Returns:
            The seed used.
        """
        self.reset(seed=seed)
        return seed

    def get_env_state(self) -> dict[str, Any]:
        """The state a resumed run continues from: the env's and the wrapper's (counters, last observations).

        The env's part comes from :func:`~rsl_sim.wrappers.gymnasium_state.get_vector_env_state`: the env's own
        ``get_env_state()`` if it has one, else the attributes of classic-control sub-envs of a ``SyncVectorEnv``.

        Returns:
            Checkpoint data (tensors, numbers, strings, lists, dicts).

        Raises:
            NotImplementedError: If the env's state cannot be saved (the message says why).
        """
        return {
            "env": get_vector_env_state(self.env),
            "obs": {name: value.clone() for name, value in self._obs.items()},
            "episode_length_buf": self._episode_length_buf.clone(),
            "episode_steps": torch.from_numpy(self._episode_steps.copy()),
            "episode_return": torch.from_numpy(self._episode_return.copy()),
        }

    def set_env_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_env_state` (saved by a wrapper around an env built the same way).

        Raises:
            NotImplementedError: If the env's state cannot be restored.
            ValueError: If the state does not fit this env (kind, number of envs, observation groups).
        """
        obs = state["obs"]
        if sorted(obs) != sorted(self._obs.keys()) or int(state["episode_length_buf"].shape[0]) != self.num_envs:
            raise ValueError(
                f"the saved state has groups {sorted(obs)} of {int(state['episode_length_buf'].shape[0])} envs, this"
                f" env has {sorted(self._obs.keys())} of {self.num_envs}."
            )
        set_vector_env_state(self.env, state["env"])
        groups = {name: value.to(self.device) for name, value in obs.items()}
        self._obs = TensorDict(groups, batch_size=[self.num_envs], device=self.device)
        self._episode_length_buf = state["episode_length_buf"].to(self.device).clone()
        self._episode_steps = state["episode_steps"].numpy().copy()
        self._episode_return = state["episode_return"].numpy().copy()

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Step every environment once; see the class docstring for the returned tensors and extras.

        Args:
            actions: Float tensor ``[num_envs, num_actions]`` on any device.

        Returns:
            ``(obs, rewards, dones, extras)``.

        Raises:
            ValueError: If ``actions`` has the wrong shape, or a finished env reported no final observation.
        """
        # Clip and hand the actions to the env as numpy, in the action space's shape and dtype
        if tuple(actions.shape) != (self.num_envs, self.num_actions):
            raise ValueError(
                f"actions must have shape [{self.num_envs}, {self.num_actions}], got {list(actions.shape)}."
            )
        if self.clip_actions is not None:
            actions = torch.clamp(actions, -self.clip_actions, self.clip_actions)
        np_actions = actions.detach().cpu().numpy().reshape(self.num_envs, *self._action_shape)
        obs_np, rewards_np, terminated, truncated, infos = self.env.step(np_actions.astype(self._action_dtype))
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        done = terminated | truncated
        done_ids = np.flatnonzero(done)
        obs = self._to_tensordict(obs_np)
        final_obs = obs

        # Finished episodes: collect their last observation (and reset them when the env does not)
        if done_ids.size > 0:
            if self.autoreset_mode == AutoresetMode.SAME_STEP:
                final_rows = self._to_tensordict(final_obs_rows(infos, done_ids, self._obs_groups))
            else:
                final_rows = obs[torch.as_tensor(done_ids, device=self.device)]
                obs_np, _ = self.env.reset(options={"reset_mask": done})
                obs = self._to_tensordict(obs_np)
            final_obs = obs.clone()
            final_obs[torch.as_tensor(done_ids, device=self.device)] = final_rows
        self._obs = obs

        # Episode bookkeeping
        rewards_np = np.asarray(rewards_np, dtype=np.float64).reshape(self.num_envs)
        self._episode_return += rewards_np
        self._episode_steps += 1
        self._episode_length_buf += 1
        log = self._forward_env_log(infos)
        if done_ids.size > 0:
            log["Episode/return"] = torch.as_tensor(self._episode_return[done_ids], dtype=torch.float32).to(self.device)
            log["Episode/length"] = torch.as_tensor(self._episode_steps[done_ids], dtype=torch.float32).to(self.device)
            self._episode_return[done_ids] = 0.0
            self._episode_steps[done_ids] = 0
            self._episode_length_buf[torch.as_tensor(done_ids, device=self.device)] = 0

        # Convert the step results
        rewards = torch.as_tensor(rewards_np, dtype=torch.float32).to(self.device)
        dones = torch.as_tensor(done, dtype=torch.long).to(self.device)
        time_outs = torch.as_tensor(truncated & ~terminated).to(self.device)
        extras = {"time_outs": time_outs, "log": log, "final_observation": final_obs}
        return obs, rewards, dones, extras

    def render(self) -> Any:
        """Render through the gymnasium env (``render_mode`` chosen when the env was made)."""
        return self.env.render()

    def close(self) -> None:
        """Close the gymnasium env."""
        self.env.close()

    # Helpers
    def _to_tensordict(self, obs: Any) -> TensorDict:
        """Turn a batched gymnasium observation (array or dict of arrays) into a TensorDict of groups ``[N]``."""
        formats = self._group_formats
        if self._obs_groups is None:
            groups = {POLICY_GROUP: formats[POLICY_GROUP].to_tensor(obs, self.device)}
        else:
            groups = {key: formats[key].to_tensor(obs[key], self.device) for key in self._obs_groups}
        return TensorDict(groups, batch_size=[len(next(iter(groups.values())))], device=self.device)

    def _forward_env_log(self, infos: dict) -> dict:
        """The env's own ``infos["log"]`` entries as float32 tensors on ``device``."""
        arrays = env_log_arrays(infos)
        return {name: torch.as_tensor(value, dtype=torch.float32).to(self.device) for name, value in arrays.items()}

    def _sub_envs(self) -> list[gym.Env] | None:
        """The sub-environments of a ``SyncVectorEnv`` (possibly under vector wrappers), else None."""
        base = self.env.unwrapped
        return list(base.envs) if isinstance(base, SyncVectorEnv) else None

    def _find_time_limit(self) -> int | torch.Tensor:
        """Episode time limit in steps from the env's attributes, TimeLimit wrappers or spec (see the class)."""
        # An explicit attribute of the vector env
        value = env_attr(self.env, "max_episode_length")
        if value is not None:
            if np.ndim(value) == 0:
                return int(value)
            return torch.as_tensor(np.asarray(value), dtype=torch.long, device=self.device)

        # TimeLimit wrappers of the sub-environments (exact, also when overridden through make kwargs)
        sub_envs = self._sub_envs()
        if sub_envs is not None:
            limits = [find_time_limit_wrapper(sub_env) for sub_env in sub_envs]
            if all(limit is not None for limit in limits):
                limits = [limit._max_episode_steps for limit in limits]
                if len(set(limits)) == 1:
                    return int(limits[0])
                return torch.as_tensor(limits, dtype=torch.long, device=self.device)

        # The spec (make kwargs override the registered value)
        spec = self.env.spec
        if spec is not None:
            steps = spec.kwargs.get("max_episode_steps", spec.max_episode_steps)
            if steps is not None:
                return int(steps)
        raise ValueError(
            f"Cannot find the episode time limit of {self.env}: it has no max_episode_length attribute, no TimeLimit "
            "wrapper and no max_episode_steps in its spec; pass max_episode_length=... to the wrapper."
        )

    def _find_step_dt(self) -> float | None:
        """Seconds per env step from the env's attributes or metadata (see the class), None when unknown."""
        value = env_attr(self.env, "step_dt")
        if value is not None:
            return float(value)
        sub_envs = self._sub_envs()
        if sub_envs:
            dt = getattr(sub_envs[0].unwrapped, "dt", None)
            if dt is not None:
                return float(dt)
        fps = self.env.metadata.get("render_fps")
        return 1.0 / float(fps) if fps else None

    def _forward_episode_lengths(self, lengths: torch.Tensor) -> None:
        """Move the env's own step counters to ``lengths`` (``[num_envs]``); warn where they cannot be reached."""
        # The env keeps an episode_length_buf of its own (numpy array or tensor)
        for target in (self.env, self.env.unwrapped):
            current = getattr(target, "episode_length_buf", None)
            if current is None:
                continue
            if isinstance(current, torch.Tensor):
                new = lengths.to(device=current.device, dtype=current.dtype)
            else:
                new = lengths.cpu().numpy().astype(np.asarray(current).dtype)
            target.episode_length_buf = new
            return

        # The TimeLimit wrappers of synchronous sub-environments
        sub_envs = self._sub_envs()
        limits = [find_time_limit_wrapper(sub_env) for sub_env in sub_envs] if sub_envs is not None else []
        if limits and all(limit is not None for limit in limits):
            for limit, length in zip(limits, lengths.tolist()):
                limit._elapsed_steps = int(length)
            return
        warnings.warn(
            f"{type(self.env).__name__} exposes neither episode_length_buf nor TimeLimit wrappers in reach: only the "
            "wrapper's episode_length_buf changed, the env's own time limit still counts from its last reset.",
            stacklevel=3,
        )
