"""Small helpers shared by the learner: config resolution, per-layer parameters, trajectory padding."""

from .activations import resolve_nn_activation
from .callables import (
    ExpectedKind,
    UnexpectedKindError,
    class_with_method,
    function_with_parameters,
    resolve_callable,
    resolve_class,
    subclass_of,
)
from .checkpoint import CheckpointError, UntrustedCheckpointError, load_checkpoint, save_checkpoint
from .compile import compile_model
from .gradients import reduce_gradients_in_buckets
from .log_writers import LogWriter, TensorBoardLogWriter, WandbLogWriter
from .nan_check import NonFiniteEnvOutputError, NonFiniteError, NonFiniteTrainingError, check_nan
from .obs_groups import resolve_obs_groups
from .optimizers import resolve_optimizer
from .params import get_param
from .trajectories import split_and_pad_trajectories, unpad_trajectories

__all__ = [
    "CheckpointError",
    "ExpectedKind",
    "LogWriter",
    "NonFiniteEnvOutputError",
    "NonFiniteError",
    "NonFiniteTrainingError",
    "TensorBoardLogWriter",
    "UnexpectedKindError",
    "UntrustedCheckpointError",
    "WandbLogWriter",
    "check_nan",
    "class_with_method",
    "compile_model",
    "function_with_parameters",
    "load_checkpoint",
    "reduce_gradients_in_buckets",
    "save_checkpoint",
    "get_param",
    "resolve_callable",
    "resolve_class",
    "resolve_nn_activation",
    "resolve_obs_groups",
    "resolve_optimizer",
    "split_and_pad_trajectories",
    "subclass_of",
    "unpad_trajectories",
]
