"""Command-line arguments shared by the subcommands (Isaac Lab's RSL-RL script names and meanings)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from .errors import CliError


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors become one-line :class:`CliError` messages (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage block and exiting."""
        raise CliError(f"{message} (see '{self.prog} --help').")


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse ``type``); anything else is a usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def add_debug_arg(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show full tracebacks instead of one-line errors."""
    parser.add_argument("--debug", action="store_true", help="Show full Python tracebacks for errors.")


def add_task_args(parser: argparse.ArgumentParser, task_required: bool = True) -> None:
    """``--task``, ``--agent``, ``--num_envs``, ``--seed``, ``--device``, ``--headless``."""
    parser.add_argument(
        "--task",
        required=task_required,
        default=None,
        help="Task id, e.g. RslSim/Go2-Flat-v0, Pendulum-v1 or an Isaac Lab id (see 'rsl-sim list')."
        + ("" if task_required else " Default: the task the run was trained on."),
    )
    parser.add_argument(
        "--agent",
        default=None,
        help="Agent config: a registration entry point of the task (e.g. rsl_sim_with_symmetry_cfg_entry_point) or"
        " 'package.module:NAME'. Default: the task's rsl_sim_agent_cfg_entry_point, else rsl_rl_cfg_entry_point, else"
        " the built-in PPO config.",
    )
    parser.add_argument(
        "--num_envs", type=positive_int, default=None, help="Number of environments, >= 1 (default: the task's)."
    )
    parser.add_argument("--seed", type=int, default=None, help="Random seed (overrides the agent config's).")
    parser.add_argument("--device", default=None, help="Device, e.g. cpu or cuda:0 (default: the config's, else auto).")
    parser.add_argument(
        "--headless", action="store_true", help="No viewer window (Isaac Lab; MuJoCo tasks always run headless)."
    )


def add_video_args(parser: argparse.ArgumentParser, default_length: int = 200) -> None:
    """``--video``, ``--video_length``, ``--video_interval`` (Isaac Lab's names)."""
    parser.add_argument("--video", action="store_true", help="Record videos (mp4) of the first environment.")
    parser.add_argument(
        "--video_length", type=int, default=default_length, help=f"Steps per clip (default {default_length})."
    )
    parser.add_argument(
        "--video_interval", type=int, default=2000, help="Env steps between the starts of two clips (default 2000)."
    )


def add_log_args(parser: argparse.ArgumentParser) -> None:
    """``--log_root``, ``--experiment_name``."""
    parser.add_argument("--log_root", default="logs", help="Folder holding <experiment>/<run> folders (default: logs).")
    parser.add_argument("--experiment_name", default=None, help="Experiment folder under --log_root (overrides cfg).")


def add_load_args(parser: argparse.ArgumentParser) -> None:
    """``--load_run``, ``--checkpoint``."""
    parser.add_argument(
        "--load_run", default=None, help="Run to load: folder name, regex or path (default: the newest run)."
    )
    parser.add_argument(
        "--checkpoint", default=None, help="Checkpoint: file name, regex or path (default: the highest iteration)."
    )
    add_trust_arg(parser)


def add_trust_arg(parser: argparse.ArgumentParser) -> None:
    """``--trust_checkpoint``: the explicit opt-in to unpickle a checkpoint fully (see ``rsl_sim.utils.checkpoint``)."""
    parser.add_argument(
        "--trust_checkpoint",
        action="store_true",
        help="Load the checkpoint with torch.load(weights_only=False). Checkpoints load with weights_only=True"
        " (tensors and plain data only) by default; use this only for an old file you made yourself that holds other"
        " objects: unpickling a file can run any code it names.",
    )


def add_writer_args(parser: argparse.ArgumentParser) -> None:
    """``--run_name``, ``--logger``, ``--log_project_name``, ``--max_iterations``."""
    parser.add_argument("--max_iterations", type=int, default=None, help="Learning iterations (overrides the cfg).")
    parser.add_argument("--run_name", default=None, help="Suffix of the run folder name (overrides the cfg).")
    parser.add_argument(
        "--logger", choices=["tensorboard", "wandb", "neptune"], default=None, help="Log writer (overrides the cfg)."
    )
    parser.add_argument("--log_project_name", default=None, help="W&B / Neptune project (with --logger).")


def add_overrides_arg(parser: argparse.ArgumentParser, namespaces: str = "agent.* / env.*") -> None:
    """Positional ``key=value`` config overrides."""
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help=f"Config overrides ({namespaces}), e.g. agent.algorithm.learning_rate=3e-4 env.scene.num_envs=256"
        " env.commands.base_velocity.ranges.lin_vel_x=[-1,1]; '+agent.x=1' adds a new dict key.",
    )
