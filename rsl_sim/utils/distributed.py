"""Process-group set-up for multi-process training launched with ``torchrun`` (NCCL on GPUs, gloo on CPUs).

``torchrun`` (``python -m torch.distributed.run``) starts one process per GPU (or per CPU worker) and tells each
process who it is through environment variables: ``WORLD_SIZE`` (number of processes in the job, over all nodes),
``RANK`` (this process' global rank, ``0 .. WORLD_SIZE-1``), ``LOCAL_RANK`` (its rank on this node, which names its
GPU), plus ``MASTER_ADDR`` / ``MASTER_PORT`` for the rendezvous. The helpers here read those variables, check them
against the learner's device and start the default process group; the runner calls them
(:meth:`~rsl_sim.runners.OnPolicyRunner._configure_multi_gpu`), the train script uses them for per-rank seeds.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import torch

__all__ = [
    "DistributedSettings",
    "destroy_process_group",
    "init_process_group",
    "is_main_process",
    "process_group_backend",
    "rank_device",
    "rank_seed",
    "read_launcher_env",
]

# Process-group backend per device type: NCCL between GPUs, gloo between CPU processes
BACKENDS = {"cuda": "nccl", "cpu": "gloo"}


@dataclasses.dataclass(frozen=True)
class DistributedSettings:
    """Who this process is in a multi-process job (one process per GPU or CPU worker).

    Attributes:
        world_size: Number of processes in the job, over all nodes (1: a single-process run).
        global_rank: This process' rank in the job, ``0 .. world_size-1``; rank 0 is the main process.
        local_rank: This process' rank on its node; a GPU process drives ``cuda:<local_rank>``.
    """

    world_size: int = 1
    global_rank: int = 0
    local_rank: int = 0

    @property
    def is_distributed(self) -> bool:
        """Whether more than one process takes part."""
        return self.world_size > 1

    @property
    def is_main_process(self) -> bool:
        """Whether this is the process that logs and writes checkpoints (global rank 0)."""
        return self.global_rank == 0

    def multi_gpu_cfg(self) -> dict[str, int] | None:
        """The algorithms' ``multi_gpu_cfg`` (``{"global_rank", "local_rank", "world_size"}``), None when alone."""
        if not self.is_distributed:
            return None
        return {"global_rank": self.global_rank, "local_rank": self.local_rank, "world_size": self.world_size}


def read_launcher_env(environ: Mapping[str, str] | None = None) -> DistributedSettings:
    """Read ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` as set by ``torchrun``.

    Without ``WORLD_SIZE`` (or with ``WORLD_SIZE=1``) the run is a single process: rank 0, local rank 0. With more
    processes, ``RANK`` and ``LOCAL_RANK`` must be set (a default of 0 would make every process believe it is the main
    one and the job would hang), and ``LOCAL_RANK`` must be below ``LOCAL_WORLD_SIZE`` when that is set.

    Args:
        environ: The environment variables; None reads ``os.environ``.

    Returns:
        The settings of this process.

    Raises:
        ValueError: If a variable is not an integer, is out of range, or is missing in a multi-process job.
    """
    environ = os.environ if environ is None else environ
    world_size = _read_int(environ, "WORLD_SIZE", default=1)
    if world_size < 1:
        raise ValueError(f"WORLD_SIZE must be at least 1, got {world_size}.")
    if world_size == 1:
        return DistributedSettings(world_size=1, global_rank=0, local_rank=0)

    # A multi-process job: every process must know its ranks
    missing = [name for name in ("RANK", "LOCAL_RANK") if name not in environ]
    if missing:
        raise ValueError(
            f"WORLD_SIZE={world_size} but {', '.join(missing)} not set: start multi-process training with torchrun"
            " (python -m torch.distributed.run --nproc_per_node <processes> scripts/train.py ... --distributed), which"
            " sets WORLD_SIZE, RANK and LOCAL_RANK for every process."
        )
    global_rank = _read_int(environ, "RANK", default=0)
    local_rank = _read_int(environ, "LOCAL_RANK", default=0)
    if not 0 <= global_rank < world_size:
        raise ValueError(f"RANK={global_rank} must be in [0, WORLD_SIZE={world_size}).")
    local_world_size = _read_int(environ, "LOCAL_WORLD_SIZE", default=world_size)
    if not 0 <= local_rank < min(local_world_size, world_size):
        raise ValueError(
            f"LOCAL_RANK={local_rank} must be in [0, {min(local_world_size, world_size)}) (LOCAL_WORLD_SIZE="
            f"{local_world_size}, WORLD_SIZE={world_size})."
        )
    return DistributedSettings(world_size=world_size, global_rank=global_rank, local_rank=local_rank)


def process_group_backend(device: str | torch.device, local_rank: int = 0) -> str:
    """The process-group backend for a learner device, checking that the device fits the process' local rank.

    Args:
        device: The learner device: :func:`rank_device` (``"cuda:<local_rank>"``, NCCL) or ``"cpu"`` (gloo).
        local_rank: This process' rank on its node.

    Returns:
        ``"nccl"`` or ``"gloo"``.

    Raises:
        ValueError: For another device type, a CUDA device other than :func:`rank_device`'s (each process drives the
            GPU of its local rank), or a local rank without a visible GPU.
    """
    device = torch.device(device)
    if device.type not in BACKENDS:
        raise ValueError(
            f"Multi-process training runs on 'cuda:<LOCAL_RANK>' (NCCL) or 'cpu' (gloo); got device '{device}'."
        )
    if device.type == "cuda":
        expected = rank_device(local_rank, torch.cuda.device_count())
        if device != torch.device(expected):
            raise ValueError(
                f"Multi-GPU training: the process with LOCAL_RANK={local_rank} must use device '{expected}', got"
                f" '{device}'. Pass --distributed to scripts/train.py (it picks the device per process), or set the"
                f" device to '{expected}'."
            )
    return BACKENDS[device.type]


def init_process_group(device: str | torch.device, settings: DistributedSettings) -> None:
    """Start the default process group of a multi-process job (or check the one that is already running).

    NCCL for ``cuda:<local_rank>`` (the process' GPU is made the current CUDA device first), gloo for ``"cpu"``.
    The rendezvous uses ``MASTER_ADDR`` / ``MASTER_PORT`` (``env://``, set by ``torchrun``). A group started before
    (e.g. by the simulator's launcher) is kept when its world size, rank and backend agree with ``settings``.

    Args:
        device: The learner device.
        settings: This process' ranks (:func:`read_launcher_env`); must describe more than one process.

    Raises:
        ValueError: If ``settings`` is a single process, the device does not fit (see :func:`process_group_backend`),
            or a running group disagrees with ``settings`` or the device's backend.
    """
    if not settings.is_distributed:
        raise ValueError("init_process_group needs a multi-process job (world_size > 1).")
    backend = process_group_backend(device, settings.local_rank)

    # A group that is already running must be the one the launcher describes
    if torch.distributed.is_initialized():
        running = (torch.distributed.get_world_size(), torch.distributed.get_rank())
        if running != (settings.world_size, settings.global_rank):
            raise ValueError(
                f"A process group is already running with world size {running[0]} and rank {running[1]}, but WORLD_SIZE"
                f"={settings.world_size} and RANK={settings.global_rank}; start one group per job."
            )
        running_backend = str(torch.distributed.get_backend())
        if backend not in running_backend:
            raise ValueError(
                f"The running process group uses backend '{running_backend}', but device '{device}' needs '{backend}'."
            )
        return

    # Each GPU process works on its own GPU, then joins the group
    if backend == "nccl":
        torch.cuda.set_device(settings.local_rank)
    torch.distributed.init_process_group(backend=backend, rank=settings.global_rank, world_size=settings.world_size)


def destroy_process_group() -> None:
    """Leave the default process group, if one is running (call once at the end of a multi-process run)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def is_main_process() -> bool:
    """Whether this process is global rank 0 of the running process group, or the only process."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank() == 0
    return True


def rank_seed(seed: int, global_rank: int) -> int:
    """The seed of one process of a multi-process job: ``seed + global_rank`` (Isaac Lab's convention).

    Every process then collects different experience (different exploration noise and environment randomization),
    while rank 0 uses ``seed`` itself, so a one-process run with the same seed starts exactly like rank 0. Model
    parameters still start identical on all processes: the runner broadcasts rank 0's before training.

    Args:
        seed: The run's seed.
        global_rank: This process' global rank.

    Returns:
        The seed of this process.
    """
    return seed + global_rank


def rank_device(local_rank: int, num_visible_gpus: int) -> str:
    """The CUDA device of one process of a multi-GPU job.

    ``cuda:<local_rank>`` when the process sees all the node's GPUs; ``cuda:0`` when it sees exactly one (a launcher
    that gives each process its own GPU through ``CUDA_VISIBLE_DEVICES``), as Isaac Lab's
    ``isaaclab.app.sim_launcher`` resolves the simulation device. The learner and the simulation then agree.

    Args:
        local_rank: This process' rank on its node (``LOCAL_RANK``).
        num_visible_gpus: GPUs this process sees (``torch.cuda.device_count()``).

    Returns:
        ``"cuda:<index>"``.

    Raises:
        ValueError: For a negative local rank, when the process sees no GPU, or when it sees several GPUs but fewer
            than ``local_rank + 1`` (more processes on the node than GPUs).
    """
    if local_rank < 0:
        raise ValueError(f"LOCAL_RANK must be >= 0, got {local_rank}.")
    if num_visible_gpus < 1:
        raise ValueError(
            f"a CUDA learner on LOCAL_RANK={local_rank} needs a GPU, but this process sees none (CUDA_VISIBLE_DEVICES,"
            " or a CPU build of torch): train with --device cpu, or fix the GPU set-up."
        )
    if num_visible_gpus == 1:
        return "cuda:0"
    if local_rank >= num_visible_gpus:
        raise ValueError(
            f"LOCAL_RANK={local_rank} needs device 'cuda:{local_rank}', but only {num_visible_gpus} GPUs are visible;"
            " start at most that many processes per node (torchrun --nproc_per_node)."
        )
    return f"cuda:{local_rank}"


def _read_int(environ: Mapping[str, str], name: str, default: int) -> int:
    """Integer value of an environment variable, ``default`` when it is not set."""
    value = environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"The environment variable {name} must be an integer, got {value!r}.") from None
