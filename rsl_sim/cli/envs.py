"""Building the vectorized env of a task, with the env config overrides of the command line.

- rsl_sim tasks (``RslSim/*``): the env config comes from the registration's ``cfg_entry_point``, the ``env.*``
  overrides are applied to it and the env is built with ``gymnasium.make_vec(id, num_envs=N, cfg=cfg)``;
- Isaac Lab tasks: see :mod:`rsl_sim.cli.isaaclab_env` (the simulation is launched around the env);
- other gymnasium ids: ``gymnasium.make_vec(id, num_envs=N)``; they have no config object, so ``env.*`` overrides are
  refused.

Every env is wrapped into an rsl_sim :class:`~rsl_sim.env.VecEnv` and closed when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CliError, from_import_error, missing_dependency
from .isaaclab_video import IsaacLabVideo
from .overrides import Override, apply_overrides
from .progress import info, status
from .tasks import env_cfg_entry_point, get_spec, is_isaaclab_task, isaaclab_available, load_env_cfg
from .threads import configure_cpu_threads

DEFAULT_NUM_ENVS = 16
"""Environments of a plain gymnasium id when ``--num_envs`` is not given (rsl_sim tasks use their config's)."""


@dataclass
class EnvRequest:
    """What to build.

    Attributes:
        task: Gymnasium id.
        num_envs: Number of environments; None: the config's (rsl_sim / Isaac Lab tasks) or :data:`DEFAULT_NUM_ENVS`.
        seed: Seed of the env.
        device: Device of the returned tensors (and of Isaac Lab's simulation).
        clip_actions: The agent config's ``clip_actions`` (actions are clamped to +-this value), or None.
        env_overrides: ``env.*`` overrides (applied to the env config).
        render: Whether frames are needed (``render_mode="rgb_array"``, for videos).
        headless: Isaac Lab only: no viewer window.
        isaaclab_video: Isaac Lab only: the clips its env records itself (``env_cfg.video_recorders``; Isaac Lab's
            ``render()`` returns no frames, so ``render`` stays False for its tasks).
        distributed: Isaac Lab only: a ``--distributed`` process; a CUDA simulation then runs on the process' GPU
            (Isaac Lab's launcher, ``cuda:<LOCAL_RANK>``).
        env_cfg: The env config with the overrides applied, once :func:`check_env_request` built it (None: built
            when the env is opened; stays None for tasks without a config).
    """

    task: str
    num_envs: int | None = None
    seed: int = 42
    device: str = "cpu"
    clip_actions: float | None = None
    env_overrides: Sequence[Override] = field(default_factory=list)
    render: bool = False
    headless: bool = True
    isaaclab_video: IsaacLabVideo | None = None
    distributed: bool = False
    env_cfg: Any = None


def check_env_request(request: EnvRequest) -> EnvRequest:
    """Build the env config of a request now (so that bad overrides fail before anything is written).

    Isaac Lab tasks: only that Isaac Lab is installed (their configs are parsed when the env is opened).

    Returns:
        The request, with ``env_cfg`` set for tasks that have a config.

    Raises:
        CliError: For an unknown task, overrides that do not fit, or an Isaac Lab task without Isaac Lab.
    """
    if is_isaaclab_task(get_spec(request.task)):
        if not isaaclab_available():
            raise missing_dependency("isaaclab", f"the Isaac Lab task '{request.task}'")
    elif request.env_cfg is None:
        request.env_cfg = build_env_cfg(request.task, request.env_overrides)
    return request


def build_env_cfg(task: str, env_overrides: Sequence[Override]) -> Any:
    """The task's env config with the overrides applied, or None for a task without one (then no overrides allowed).

    Raises:
        CliError: If overrides are given for a task without an env config, or an override does not fit.
    """
    spec = get_spec(task)
    if env_cfg_entry_point(spec) is None:
        if env_overrides:
            keys = [override.key for override in env_overrides]
            raise CliError(
                f"task '{task}' has no env config object, so {keys} cannot be applied: env.* overrides work for rsl_sim"
                " (RslSim/*) and Isaac Lab tasks; for other gymnasium ids only agent.* overrides apply."
            )
        return None
    try:
        cfg = load_env_cfg(task)
    except ImportError as error:
        raise (from_import_error(error, f"the env config of '{task}'") or error) from error
    return apply_overrides(cfg, env_overrides)


@contextlib.contextmanager
def open_env(request: EnvRequest) -> Iterator[Any]:
    """Build the env of ``request.task`` as an rsl_sim VecEnv; it is closed when the block ends.

    Raises:
        CliError: For an unknown task, overrides that do not fit, an optional package that is missing (MuJoCo,
            Isaac Lab), or an env config the env refuses.
    """
    spec = get_spec(request.task)
    if is_isaaclab_task(spec):
        from .isaaclab_env import open_isaaclab_env

        with open_isaaclab_env(request) as env:
            yield env
        return

    check_env_request(request)
    env = _make_gymnasium_env(request, request.env_cfg)
    try:
        yield env
    finally:
        env.close()


def _make_gymnasium_env(request: EnvRequest, env_cfg: Any) -> Any:
    """``GymnasiumVecEnvWrapper.from_id`` with the config (if any) and the number of envs."""
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    threads = configure_cpu_threads(request.device)
    if threads is not None:
        info(f"torch threads: {threads} (rsl_sim/cli/threads.py; OMP_NUM_THREADS chooses)")
    num_envs = request.num_envs
    if num_envs is None:
        num_envs = getattr(getattr(env_cfg, "scene", None), "num_envs", None) or DEFAULT_NUM_ENVS
    if num_envs < 1:
        raise CliError(f"--num_envs must be at least 1, got {num_envs}.")
    kwargs: dict[str, Any] = {}
    if env_cfg is not None:
        kwargs["cfg"] = env_cfg
    if request.render:
        kwargs["render_mode"] = "rgb_array"
    if request.clip_actions is not None:
        kwargs["clip_actions"] = request.clip_actions
    try:
        with status(f"building {num_envs} x {request.task}"):
            return GymnasiumVecEnvWrapper.from_id(
                request.task, num_envs=num_envs, seed=request.seed, device=request.device, **kwargs
            )
    except ImportError as error:
        raise (from_import_error(error, f"the task '{request.task}'") or error) from error
    except (ValueError, TypeError) as error:
        if isinstance(error, TypeError) and "unexpected keyword" not in str(error):
            raise
        raise CliError(f"cannot build the env of '{request.task}': {error}") from error
