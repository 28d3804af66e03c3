"""Isaac Lab tasks on the command line: parse the env config, apply ``env.*`` overrides, launch, build, wrap.

Isaac Lab is imported only here, only when an Isaac Lab task runs. The env config comes from Isaac Lab's
``parse_env_cfg`` (device and number of envs applied); ``env.*`` overrides walk its configclass fields (Isaac Lab's
``env.scene.num_envs=...`` Hydra keys). The simulation is launched with Isaac Lab's ``launch_simulation`` around the
env (kit-less where the config allows), and the env is wrapped with
:class:`~rsl_sim.wrappers.isaaclab.IsaacLabVecEnvWrapper`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import CliError, missing_dependency
from .overrides import apply_overrides
from .progress import status
from .tasks import isaaclab_available


@contextlib.contextmanager
def open_isaaclab_env(request: Any) -> Iterator[Any]:
    """Build the Isaac Lab env of an :class:`~rsl_sim.cli.envs.EnvRequest`; closed when the block ends.

    Raises:
        CliError: If Isaac Lab is not installed, ``--video`` is asked for (Isaac Lab 3.0 records videos through its
            env config's ``video_recorders``), or an override does not fit the env config.
    """
    if not isaaclab_available():
        raise missing_dependency("isaaclab", f"the Isaac Lab task '{request.task}'")
    if request.render:
        raise CliError(
            "--video is not available for Isaac Lab tasks here: Isaac Lab 3.0 records clips itself; set"
            " env.video_recorders in the env config (VideoRecorderCfg) instead."
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
    with launch_simulation(env_cfg, {"headless": request.headless}):
        sim_utils.create_new_stage()
        with status(f"building {request.task}"):
            env = gym.make(request.task, cfg=env_cfg)
        try:
            yield IsaacLabVecEnvWrapper(env, clip_actions=request.clip_actions)
        finally:
            env.close()
