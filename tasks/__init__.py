"""Example legged-robot tasks, imported as ``rsl_sim.tasks``, laid out as Isaac Lab's ``isaaclab_tasks``.

- :mod:`rsl_sim.tasks.locomotion`: task families (``velocity``: MDP terms in ``mdp/``, robots in ``config/<robot>/``);
- :mod:`rsl_sim.tasks.mujoco`: the CPU MuJoCo machinery (batched stepping, terrain, ray sensors, the manager-based env);
- :mod:`rsl_sim.tasks.assets`: robot models and their asset configs.

Importing the package registers every task's gymnasium ids; it imports neither MuJoCo, torch nor Isaac Lab.
"""

from rsl_sim.tasks import locomotion  # noqa: F401
