"""Env configs of the Unitree Go2 velocity tasks on Isaac Lab (manager-based, Newton physics), CPU tasks' layout.

- :mod:`.flat_env_cfg`: ``UnitreeGo2FlatEnvCfg`` (``RslSim-Isaac-Velocity-Flat-Go2-v0``);
- :mod:`.rough_env_cfg`: ``UnitreeGo2RoughEnvCfg`` (``RslSim-Isaac-Velocity-Rough-Go2-v0``);
- :mod:`.depth_env_cfg`: ``UnitreeGo2RoughDepthEnvCfg`` (``RslSim-Isaac-Velocity-Rough-Depth-Go2-v0``);
- :mod:`.observations_cfg`: the observation groups they share.

The env configs inherit Isaac Lab's Go2 velocity configs and give them the CPU tasks' observation groups (``policy``,
privileged ``critic``; ``student`` and ``depth`` on the depth task) and joint order, so a policy trained on one backend
reads and writes the same vectors on the other. The ids are registered by
:mod:`rsl_sim.tasks.locomotion.velocity.config.go2` (importing this package imports nothing; its modules import Isaac
Lab).

Building an env (Isaac Lab 3.0 kit-less, CPU; see ``scripts/install_isaaclab.sh``)::

    import gymnasium as gym
    import rsl_sim.tasks  # registers the ids
    from isaaclab.app.sim_launcher import launch_simulation
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg
    from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

    env_cfg = parse_env_cfg("RslSim-Isaac-Velocity-Flat-Go2-v0", device="cpu", num_envs=64)
    with launch_simulation(env_cfg, {}):
        env = IsaacLabVecEnvWrapper(gym.make("RslSim-Isaac-Velocity-Flat-Go2-v0", cfg=env_cfg))
"""
