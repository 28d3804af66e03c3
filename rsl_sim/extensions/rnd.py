"""Random Network Distillation (RND): an intrinsic curiosity reward from the error of predicting a random network.

References:
    Burda et al. "Exploration by Random Network Distillation." arXiv:1810.12894 (2018).
    Schwarke et al. "Curiosity-Driven Learning of Joint Locomotion and Manipulation Tasks." CoRL (2023).
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

import torch
from tensordict import TensorDict
from torch import nn

from rsl_sim.modules import MLP, EmpiricalDiscountedVariationNormalization, EmpiricalNormalization

WEIGHT_SCHEDULE_KEYS = {
    "constant": (),
    "step": ("final_step", "final_value"),
    "linear": ("initial_step", "final_step", "final_value"),
}
"""Weight schedule modes and the keys each one requires (besides ``mode``)."""

RND_CFG_KEYS = (
    "num_outputs",
    "predictor_hidden_dims",
    "target_hidden_dims",
    "activation",
    "state_normalization",
    "reward_normalization",
    "weight",
    "weight_schedule",
    "learning_rate",
)
"""Keys a user may give in ``algorithm.rnd_cfg`` (``num_states`` and ``obs_groups`` are filled in from the obs)."""


def rnd_weight(schedule: dict | None, initial_weight: float, step: int) -> float:
    """Intrinsic-reward weight at a given step of a schedule.

    Args:
        schedule: ``{"mode": "constant"}``, ``{"mode": "step", "final_step", "final_value"}`` or
            ``{"mode": "linear", "initial_step", "final_step", "final_value"}``; None means constant.
        initial_weight: The weight before the schedule acts.
        step: Number of environment steps (calls of :meth:`RandomNetworkDistillation.get_intrinsic_reward`) so far.

    Returns:
        The weight: constant; ``initial`` before ``final_step`` then ``final_value`` (step); or linear interpolation
        between ``initial_step`` and ``final_step`` (linear).
    """
    if schedule is None or schedule["mode"] == "constant":
        return initial_weight
    if schedule["mode"] == "step":
        return initial_weight if step < schedule["final_step"] else schedule["final_value"]
    initial_step, final_step = schedule["initial_step"], schedule["final_step"]
    if step <= initial_step:
        return initial_weight
    if step >= final_step:
        return schedule["final_value"]
    fraction = (step - initial_step) / (final_step - initial_step)
    return initial_weight + (schedule["final_value"] - initial_weight) * fraction


def _check_weight_schedule(schedule: dict | None) -> None:
    if schedule is None:
        return
    mode = schedule.get("mode")
    if mode not in WEIGHT_SCHEDULE_KEYS:
        raise ValueError(
            f"rnd_cfg.weight_schedule.mode '{mode}' is unknown. Valid modes: {list(WEIGHT_SCHEDULE_KEYS)}."
        )
    required = WEIGHT_SCHEDULE_KEYS[mode]
    missing = [key for key in required if key not in schedule]
    unknown = sorted(set(schedule) - {"mode", *required})
    if missing or unknown:
        raise ValueError(
            f"rnd_cfg.weight_schedule for mode '{mode}' needs keys {list(required)}; "
            f"missing {missing}, unknown {unknown}."
        )
    if mode == "linear" and schedule["final_step"] <= schedule["initial_step"]:
        raise ValueError("rnd_cfg.weight_schedule: final_step must be greater than initial_step.")


class RandomNetworkDistillation(nn.Module):
    """A predictor network trained to match a frozen, randomly initialized target network on visited states.

    The intrinsic reward of a state is the L2 distance between the two embeddings, large for novel states and shrinking
    as the predictor learns them; optionally normalized by the running std of its discounted sum, and weighted by a
    schedule. The state is the concatenation of the 1D observation groups of the ``rnd_state`` set.

    Args:
        num_states: Width of the RND state (sum of the ``rnd_state`` groups' widths).
        obs_groups: Observation sets; ``obs_groups["rnd_state"]`` lists the groups of the RND state.
        num_outputs: Embedding size of predictor and target.
        predictor_hidden_dims: Hidden layer sizes of the predictor (-1 means ``num_states``).
        target_hidden_dims: Hidden layer sizes of the target (-1 means ``num_states``).
        activation: Activation function of both networks.
        state_normalization: Normalize the RND state with running statistics.
        reward_normalization: Normalize the intrinsic reward by the running std of its discounted sum.
        weight: Intrinsic-reward weight (already scaled by the env step duration when built by
            :func:`resolve_rnd_config`).
        weight_schedule: Optional schedule of the weight (see :func:`rnd_weight`).
        learning_rate: Learning rate of the predictor's own Adam optimizer.
        device: Torch device.

    Raises:
        ValueError: For a missing ``rnd_state`` set or a malformed weight schedule.
    """

    def __init__(
        self,
        num_states: int,
        obs_groups: dict,
        num_outputs: int,
        predictor_hidden_dims: tuple[int, ...] | list[int],
        target_hidden_dims: tuple[int, ...] | list[int],
        activation: str = "elu",
        state_normalization: bool = False,
        reward_normalization: bool = False,
        weight: float = 0.0,
        weight_schedule: dict | None = None,
        learning_rate: float = 1e-3,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        if "rnd_state" not in obs_groups:
            raise ValueError(f"obs_groups needs an 'rnd_state' set for RND; it has {list(obs_groups)}.")
        _check_weight_schedule(weight_schedule)
        self.num_states = num_states
        self.obs_groups = obs_groups
        self.num_outputs = num_outputs
        self.initial_weight = weight
        self.weight = weight
        self.weight_schedule = weight_schedule
        self.state_normalization = state_normalization
        self.reward_normalization = reward_normalization
        self.device = device
        self.update_counter = 0

        # Normalizers (identity when disabled, so state-dict keys match the reference's layout)
        self.state_normalizer = (
            EmpiricalNormalization(shape=[num_states], until=int(1e8)) if state_normalization else nn.Identity()
        )
        self.reward_normalizer = (
            EmpiricalDiscountedVariationNormalization(shape=[], until=int(1e8))
            if reward_normalization
            else nn.Identity()
        )
        # Predictor (trained) and target (frozen, random)
        self.predictor = MLP(num_states, num_outputs, predictor_hidden_dims, activation)
        self.target = MLP(num_states, num_outputs, target_hidden_dims, activation)
        self.target.requires_grad_(False)
        self.to(device)
        self.target.eval()
        self.optimizer = torch.optim.Adam(self.predictor.parameters(), lr=learning_rate)

    def get_rnd_state(self, obs: TensorDict) -> torch.Tensor:
        """Concatenate the ``rnd_state`` groups: ``[N, num_states]``."""
        return torch.cat([obs[group] for group in self.obs_groups["rnd_state"]], dim=-1)

    def _embeddings(self, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor]:
        state = self.state_normalizer(self.get_rnd_state(obs))
        return self.predictor(state), self.target(state)

    def get_intrinsic_reward(self, obs: TensorDict) -> torch.Tensor:
        """Weighted intrinsic reward of each env's state, ``[N]``; advances the weight schedule by one step."""
        self.update_counter += 1
        with torch.no_grad():
            predicted, target = self._embeddings(obs)
            reward = torch.linalg.vector_norm(target - predicted, dim=1)
            reward = self.reward_normalizer(reward)
        self.weight = rnd_weight(self.weight_schedule, self.initial_weight, self.update_counter)
        return reward * self.weight

    def compute_loss(self, obs: TensorDict) -> torch.Tensor:
        """Predictor loss: MSE between predicted and (detached) target embeddings, a scalar."""
        predicted, target = self._embeddings(obs)
        return nn.functional.mse_loss(predicted, target.detach())

    def update_normalization(self, obs: TensorDict) -> None:
        """Merge the RND states of ``obs`` into the state normalizer's statistics (when enabled)."""
        if self.state_normalization:
            self.state_normalizer.update(self.get_rnd_state(obs))

    def forward(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not a forward module: use :meth:`get_intrinsic_reward` or :meth:`compute_loss`.

        Raises:
            RuntimeError: Always.
        """
        raise RuntimeError("RandomNetworkDistillation has no forward(); use get_intrinsic_reward or compute_loss.")

    def train(self, mode: bool = True) -> RandomNetworkDistillation:
        """Set the predictor and normalizers to training mode; the target stays in eval mode."""
        self.predictor.train(mode)
        self.state_normalizer.train(mode)
        self.reward_normalizer.train(mode)
        self.target.eval()
        self.training = mode
        return self


def resolve_rnd_config(alg_cfg: dict, obs: TensorDict, obs_groups: dict[str, list[str]], env: Any) -> dict:
    """Return a copy of the algorithm config with ``rnd_cfg`` completed from the observations and the env.

    Fills in ``num_states`` (sum of the ``rnd_state`` groups' widths) and ``obs_groups``, and multiplies ``weight``
    by the env's step duration (``env.step_dt`` or ``env.unwrapped.step_dt``, seconds), as RSL-RL does.

    Raises:
        ValueError: For unknown ``rnd_cfg`` keys, an image group in ``rnd_state``, or an env without ``step_dt``.
    """
    alg_cfg = dict(alg_cfg)
    rnd_cfg = alg_cfg.get("rnd_cfg")
    if not rnd_cfg:
        alg_cfg["rnd_cfg"] = None
        return alg_cfg
    rnd_cfg = copy.deepcopy(dict(rnd_cfg))
    unknown = sorted(set(rnd_cfg) - set(RND_CFG_KEYS) - {"num_states", "obs_groups"})
    if unknown:
        raise ValueError(f"Unknown keys in algorithm.rnd_cfg: {unknown}. Valid keys: {list(RND_CFG_KEYS)}.")
    num_states = 0
    for group in obs_groups["rnd_state"]:
        if obs[group].dim() != 2:
            raise ValueError(
                f"RND needs 1D observation groups; '{group}' has shape {tuple(obs[group].shape)} (set obs_groups."
                "rnd_state to 1D groups)."
            )
        num_states += obs[group].shape[-1]
    step_dt = getattr(env, "step_dt", None)
    if step_dt is None:
        step_dt = getattr(getattr(env, "unwrapped", None), "step_dt", None)
    if step_dt is None:
        raise ValueError("RND scales its weight by the env step duration, but the env has no 'step_dt' attribute.")
    rnd_cfg["num_states"] = num_states
    rnd_cfg["obs_groups"] = obs_groups
    rnd_cfg["weight"] = rnd_cfg.get("weight", 0.0) * float(step_dt)
    alg_cfg["rnd_cfg"] = rnd_cfg
    return alg_cfg
