"""Recurrent model: selected 1D observation groups -> (normalizer) -> LSTM/GRU -> MLP -> (distribution)."""

from __future__ import annotations

from tensordict import TensorDict

from rsl_sim.models.mlp_model import MLPModel
from rsl_sim.models.recurrent_core import RecurrentCoreMixin
from rsl_sim.modules import RNN


class RNNModel(RecurrentCoreMixin, MLPModel):
    """Recurrent model over the concatenated 1D observation groups of one observation set.

    The (optionally normalized) 1D observations pass through an LSTM or GRU whose output feeds the MLP head. The
    model works in two modes (as the RSL-RL 5.x ``RNNModel``):

    - rollout mode (``masks is None``): one step ``[num_envs, ...]``; the hidden state is kept inside the model and
      carried over to the next call. Call :meth:`reset` with the done flags after each environment step.
    - batch mode (``masks`` given): padded trajectories ``[time, num_trajectories, ...]`` together with the hidden
      state at their start; the output is ``[time, num_envs, output_dim]`` and the stored state is not touched.

    State-dict keys: those of :class:`MLPModel` plus ``rnn.rnn.*`` (the torch LSTM/GRU), as in RSL-RL 5.x.
    """

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims: tuple[int, ...] | list[int] = (256, 256, 256),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
        rnn_type: str = "lstm",
        rnn_hidden_dim: int = 256,
        rnn_num_layers: int = 1,
    ) -> None:
        """Build the model from an example observation.

        Args:
            obs: Example observations, a ``TensorDict`` with batch size ``[num_envs]``; only the shapes are used.
            obs_groups: Mapping from observation sets to lists of observation groups.
            obs_set: The observation set this model reads.
            output_dim: Size of the output.
            hidden_dims: Hidden layer sizes of the MLP head.
            activation: Activation of the MLP head.
            obs_normalization: Whether to normalize the concatenated 1D input with running mean and std.
            distribution_cfg: ``{"class_name": ..., **kwargs}`` for a stochastic output, or None.
            rnn_type: ``"lstm"`` or ``"gru"``.
            rnn_hidden_dim: Size of the recurrent hidden state (and of the latent fed to the MLP head).
            rnn_num_layers: Number of stacked recurrent layers.

        Raises:
            ValueError: As :class:`MLPModel`, or for an unknown ``rnn_type``.
        """
        # The MLP head reads the recurrent output; its size is needed before the parent builds the head
        self.latent_dim = rnn_hidden_dim
        super().__init__(
            obs, obs_groups, obs_set, output_dim, hidden_dims, activation, obs_normalization, distribution_cfg
        )

        # Recurrent layer, registered after the MLP head (parameter order of the reference)
        self.rnn = RNN(self.obs_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
