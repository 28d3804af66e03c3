"""Velocity-tracking locomotion (Isaac Lab's velocity task) for every robot in ``config/``.

- :mod:`.mdp`: the task's MDP terms (observations, rewards, terminations, events, commands, curriculums, actions);
- :mod:`.velocity_env_cfg`: the task's config shared by every robot (:class:`~.velocity_env_cfg.VelocityEnvCfg`);
- :mod:`.config`: one folder per robot (env configs per backend, agent configs, mirror, registration);
- :mod:`.evaluation`, :mod:`.video`: fixed-command evaluation and command-pinned videos of a trained policy.

Importing this package registers the ids of every robot; it imports no simulator.
"""

from rsl_sim.tasks.locomotion.velocity import config  # noqa: F401
