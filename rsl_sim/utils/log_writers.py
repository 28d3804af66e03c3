"""Log writers: where the training metrics go (TensorBoard by default, Weights & Biases on request)."""

from __future__ import annotations

import copy
import dataclasses
import enum
import os
import pathlib
from abc import ABC, abstractmethod
from typing import Any

import torch

from .callables import resolve_callable, subclass_of

# Plain-string logger names accepted in ``cfg["logger"]`` (Isaac Lab's RslRlBaseRunnerCfg.logger values)
LOGGER_NAMES = ("tensorboard", "wandb", "neptune")


class LogWriter(ABC):
    """Base class of the logging back ends, as in RSL-RL 5.x.

    Only :meth:`add_scalar` must be implemented; the other hooks do nothing by default. A custom writer is chosen with
    ``cfg["logger"] = {"class_name": MyWriter, **kwargs}`` and built as ``MyWriter(log_dir=log_dir, **kwargs)``.
    """

    @abstractmethod
    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> None:
        """Record one scalar.

        Args:
            tag: Metric name, e.g. ``"Train/mean_reward"``.
            scalar_value: The value.
            global_step: The x coordinate: the learning iteration (or whole seconds for ``.../time`` tags).
        """

    def store_config(self, env_cfg: Any, train_cfg: dict) -> None:
        """Record the environment and training configuration (called once when training starts)."""
        return None

    def save_model(self, model_path: str, it: int) -> None:
        """Upload a checkpoint file written at iteration ``it``."""
        return None

    def save_file(self, path: str) -> None:
        """Upload any file (e.g. the git state)."""
        return None

    def save_video(self, video: pathlib.Path, it: int) -> None:
        """Upload a video file."""
        return None

    def flush(self) -> None:
        """Push buffered records to their destination."""
        return None

    def stop(self) -> None:
        """Close the writer at the end of training."""
        return None


class TensorBoardLogWriter(LogWriter):
    """Writes scalars into TensorBoard event files in ``log_dir`` (the default writer).

    Args:
        log_dir: Folder for the ``events.out.tfevents.*`` files.
        flush_secs: How often (seconds) pending events are written to disk.
    """

    def __init__(self, log_dir: str, flush_secs: int = 10) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = log_dir
        self.summary_writer = SummaryWriter(log_dir=log_dir, flush_secs=flush_secs)

    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> None:
        """Record one scalar in the event file."""
        self.summary_writer.add_scalar(tag, scalar_value, global_step=global_step)

    def flush(self) -> None:
        """Write pending events to disk."""
        self.summary_writer.flush()

    def stop(self) -> None:
        """Flush and close the event file."""
        self.summary_writer.close()


class WandbLogWriter(TensorBoardLogWriter):
    """Sends scalars, configs, checkpoints and videos to Weights & Biases, and keeps the TensorBoard files too.

    The run is named after the last folder of ``log_dir``; the entity comes from the ``WANDB_USERNAME`` environment
    variable when set.

    Args:
        log_dir: The run's log folder.
        project_name: The W&B project (``cfg["wandb_project"]`` when chosen with ``logger="wandb"``).
        flush_secs: TensorBoard flush period in seconds.

    Raises:
        ModuleNotFoundError: If the ``wandb`` package is not installed.
    """

    def __init__(self, log_dir: str, project_name: str | None = None, flush_secs: int = 10) -> None:
        try:
            import wandb
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError(
                "logger='wandb' needs the Weights & Biases package: install it with `pip install wandb` (and log in"
                " with `wandb login`), or choose logger='tensorboard'."
            ) from err
        super().__init__(log_dir, flush_secs=flush_secs)
        self._wandb = wandb
        self._videos_sent: set[str] = set()
        wandb.init(
            project=project_name,
            entity=os.environ.get("WANDB_USERNAME"),
            name=os.path.basename(os.path.normpath(log_dir)),
            config={"log_dir": log_dir},
        )

    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> None:
        """Record one scalar in TensorBoard and W&B."""
        super().add_scalar(tag, scalar_value, global_step)
        self._wandb.log({tag: scalar_value}, step=global_step)

    def store_config(self, env_cfg: Any, train_cfg: dict) -> None:
        """Attach both configs to the W&B run."""
        self._wandb.config.update({"train_cfg": to_plain_data(train_cfg), "env_cfg": to_plain_data(env_cfg)})

    def save_model(self, model_path: str, it: int) -> None:
        """Upload a checkpoint file."""
        self._wandb.save(model_path, base_path=os.path.dirname(model_path))

    def save_file(self, path: str) -> None:
        """Upload a file."""
        self._wandb.save(path, base_path=os.path.dirname(path))

    def save_video(self, video: pathlib.Path, it: int) -> None:
        """Upload a video once per file name."""
        if video.name not in self._videos_sent:
            self._wandb.log({"video": self._wandb.Video(str(video), format="mp4")}, step=it)
            self._videos_sent.add(video.name)

    def stop(self) -> None:
        """Close TensorBoard and finish the W&B run."""
        super().stop()
        self._wandb.finish()


def make_log_writer(logger_cfg: str | dict, log_dir: str, train_cfg: dict) -> LogWriter:
    """Build the writer chosen by ``train_cfg["logger"]``.

    Accepted forms (RSL-RL 5.x and Isaac Lab):

    - ``"tensorboard"``: :class:`TensorBoardLogWriter`;
    - ``"wandb"``: :class:`WandbLogWriter` with ``project_name=train_cfg["wandb_project"]``;
    - ``{"class_name": <class or name>, **kwargs}``: that class, built as ``cls(log_dir=log_dir, **kwargs)``; the
      names ``"TensorBoardLogWriter"`` and ``"WandbLogWriter"`` resolve to the classes here.

    Args:
        logger_cfg: The ``logger`` entry of the train config.
        log_dir: The run's log folder.
        train_cfg: The whole train config (for ``wandb_project``).

    Returns:
        The writer.

    Raises:
        ValueError: For an unknown logger name, for ``"neptune"`` (not supported), a dict without ``class_name``, or
            a ``class_name`` that is not a :class:`LogWriter` subclass.
        ModuleNotFoundError: If W&B is asked for and not installed.
    """
    # Plain names
    if isinstance(logger_cfg, str):
        if logger_cfg == "tensorboard":
            return TensorBoardLogWriter(log_dir)
        if logger_cfg == "wandb":
            return WandbLogWriter(log_dir, project_name=train_cfg.get("wandb_project"))
        if logger_cfg == "neptune":
            raise ValueError(
                "logger='neptune' is not supported by rsl_sim. Choose 'tensorboard', 'wandb', or a custom writer with"
                " logger={'class_name': 'my_package.module:MyWriter', ...} (a subclass of rsl_sim.utils.LogWriter)."
            )
        raise ValueError(
            f"Unknown logger '{logger_cfg}'. Valid names: {list(LOGGER_NAMES)}, or a dict with 'class_name'."
        )

    # A dict naming the writer class and its keyword arguments
    if not isinstance(logger_cfg, dict) or "class_name" not in logger_cfg:
        raise ValueError(
            f"The 'logger' config must be one of {list(LOGGER_NAMES)} or a dict with a 'class_name' key, got"
            f" {logger_cfg!r}."
        )
    kwargs = copy.deepcopy(logger_cfg)
    class_name = kwargs.pop("class_name")
    local_classes = {"TensorBoardLogWriter": TensorBoardLogWriter, "WandbLogWriter": WandbLogWriter}
    writer_class = local_classes.get(class_name) if isinstance(class_name, str) else None
    if writer_class is None:
        writer_class = resolve_callable(class_name, subclass_of(LogWriter, "a log writer"), "logger.class_name")
    return writer_class(log_dir=log_dir, **kwargs)


def to_plain_data(obj: Any) -> Any:
    """Turn a config (dict, dataclass, Isaac Lab configclass, ...) into plain YAML/JSON-friendly data.

    Dicts, lists and tuples are converted recursively (tuples become lists); dataclasses and objects with a
    ``to_dict()`` method become dicts; classes and functions become ``"module:QualifiedName"`` (the form
    ``class_name`` accepts); tensors become lists; enums their value; anything else that is not a plain scalar its
    ``repr``.

    Args:
        obj: The object to convert.

    Returns:
        The plain data.
    """
    # Enums (an IntEnum is also an int) by their value; scalars as their exact built-in type (a subclass of str or
    # int, such as Isaac Lab's ResolvableString, is not representable by a YAML dumper)
    if isinstance(obj, enum.Enum):
        return to_plain_data(obj.value)
    if obj is None:
        return None
    for scalar in (bool, int, float, str):
        if isinstance(obj, scalar):
            return scalar(obj) if type(obj) is scalar else _exact(scalar, obj)
    # Containers: recurse (keys become strings so every YAML/JSON reader accepts them)
    if isinstance(obj, dict):
        return {str(key): to_plain_data(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_plain_data(value) for value in obj]
    # Classes and functions by their importable name
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
        return f"{obj.__module__}:{obj.__qualname__}"
    # Config objects
    if dataclasses.is_dataclass(obj):
        return {field.name: to_plain_data(getattr(obj, field.name)) for field in dataclasses.fields(obj)}
    if callable(getattr(obj, "to_dict", None)):
        return to_plain_data(obj.to_dict())
    # Numbers from numerical libraries
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return obj.item()
    return repr(obj)


def _exact(scalar: type, obj: Any) -> Any:
    """``obj`` (an instance of a subclass of ``scalar``) as a plain ``scalar``."""
    return str.__str__(obj) if scalar is str else scalar(obj)


def write_yaml(data: Any, path: str) -> None:
    """Write ``data`` (converted with :func:`to_plain_data`) as a YAML file, creating missing folders.

    Args:
        data: Config to write.
        path: Destination file, e.g. ``<log_dir>/params/agent.yaml``.
    """
    import yaml

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        yaml.safe_dump(to_plain_data(data), file, sort_keys=False, default_flow_style=False)
