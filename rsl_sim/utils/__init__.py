"""Small helpers shared by the learner: config resolution, per-layer parameters, trajectory padding."""

from .activations import resolve_nn_activation
from .callables import resolve_callable, resolve_class
from .checkpoint import load_checkpoint, save_checkpoint
from .log_writers import LogWriter, TensorBoardLogWriter, WandbLogWriter
from .nan_check import NonFiniteEnvOutputError, check_nan
from .obs_groups import resolve_obs_groups
from .optimizers import resolve_optimizer
from .params import get_param
from .trajectories import split_and_pad_trajectories, unpad_trajectories

__all__ = [
    "LogWriter",
    "NonFiniteEnvOutputError",
    "TensorBoardLogWriter",
    "WandbLogWriter",
    "check_nan",
    "load_checkpoint",
    "save_checkpoint",
    "get_param",
    "resolve_callable",
    "resolve_class",
    "resolve_nn_activation",
    "resolve_obs_groups",
    "resolve_optimizer",
    "split_and_pad_trajectories",
    "unpad_trajectories",
]
