"""Neural models of the learner: observation groups in, actions or values out (RSL-RL 5.x model interface)."""

from .cnn_model import CNNModel
from .cnn_rnn_model import CNNRNNModel
from .mlp_model import MLPModel
from .rnn_model import RNNModel

__all__ = [
    "CNNModel",
    "CNNRNNModel",
    "MLPModel",
    "RNNModel",
]
