"""rsl_sim's command line, ``rsl-sim <command>`` (also ``python -m rsl_sim.cli``).

Commands: ``train``, ``play``, ``distill``, ``export``, ``evaluate``, ``list``, ``plot`` (see
:mod:`rsl_sim.cli.main`). Arguments follow Isaac Lab's RSL-RL scripts (``--task``, ``--num_envs``, ``--seed``,
``--max_iterations``, ``--resume``, ``--load_run``, ``--checkpoint``, ``--agent``, ...); positional ``key=value``
arguments override any agent or env config value (:mod:`rsl_sim.cli.overrides`).

This package is the top floor of rsl_sim: it may use every layer below it and imports tasks and simulators lazily.
"""

from __future__ import annotations

from .main import main, run_command

__all__ = ["main", "run_command"]
