"""Isaac Lab tasks on the command line: parse the env config, apply ``env.*`` overrides, launch, build, wrap.

Isaac Lab is imported only here, only when an Isaac Lab task runs. The env config comes from Isaac Lab's
``parse_env_cfg`` (device and number of envs applied); ``env.*`` overrides walk its configclass fields (Isaac Lab's
``env.scene.num_envs=...`` Hydra keys). ``--video`` sets up the env config's own video recorders
(:mod:`rsl_sim.cli.isaaclab_video`). The simulation is launched with Isaac Lab's ``launch_simulation`` around the env
(kit-less where the config allows; for a ``--distributed`` CUDA run with its ``distributed`` flag, which puts each
process' simulation on ``cuda:<LOCAL_RANK>``), and the env is wrapped with
:class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import CliError, missing_dependency
from .isaaclab_video import aim_video_camera, configure_isaaclab_video
from .overrides import apply_overrides
from .progress import status
from .tasks import isaaclab_available


@contextlib.contextmanager
def open_isaaclab_env(request: Any) -> Iterator[Any]:
    """Build the Isaac Lab env of an :class:`~rsl_sim.cli.envs.EnvRequest`; closed when the block ends.

    Raises:
        CliError: If Isaac Lab is not installed, frames are asked of ``render()`` (Isaac Lab 3.0 records through
            ``request.isaaclab_video`` instead), the video settings do not fit, or an override does not fit the env
            config.
    """
    if not isaaclab_available():
        raise missing_dependency("isaaclab", f"the Isaac Lab task '{request.task}'")
    if request.render:
        raise CliError(
            "Isaac Lab 3.0 envs return no frames from render(); they record clips themselves: pass the clip settings as"
            " EnvRequest.isaaclab_video (the CLI's --video does)."
        )
    import gymnasium as gym
    import isaaclab.sim as sim_utils
    import isaaclab_tasks  # noqa: F401  (registers the tasks)
    from isaaclab.app.sim_launcher import launch_simulation
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

    env_cfg = parse_env_cfg(request.task, device=request.device, num_envs=request.num_envs)
    env_cfg = apply_overrides(env_cfg, request.env_overrides)
    env_cfg.seed = request.seed
    if request.isaaclab_video is not None:
        configure_isaaclab_video(env_cfg, request.isaaclab_video)
    with launch_simulation(env_cfg, isaaclab_launcher_args(request)):
        sim_utils.create_new_stage()
        with status(f"building {request.task}"):
            env = gym.make(request.task, cfg=env_cfg)
        if request.isaaclab_video is not None:
            aim_video_camera(env.unwrapped)
        try:
            yield IsaacLabVecEnvWrapper(env, clip_actions=request.clip_actions)
        finally:
            env.close()


def isaaclab_launcher_args(request: Any) -> dict[str, Any]:
    """The arguments of Isaac Lab's ``launch_simulation`` for a request.

    ``distributed`` is set for a ``--distributed`` process that simulates on a GPU: the launcher then moves the
    simulation to the process' GPU (``cuda:<LOCAL_RANK>``, or ``cuda:0`` when the process sees one GPU; the learner's
    device follows the same rule, :func:`rsl_sim.utils.distributed.rank_device`). A CPU simulation stays on the CPU.
    """
    args: dict[str, Any] = {"headless": request.headless}
    if request.distributed and str(request.device).startswith("cuda"):
        args["distributed"] = True
        args["device"] = request.device
    return args
