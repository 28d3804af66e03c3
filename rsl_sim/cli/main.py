"""``rsl-sim``: the command line of rsl_sim (train, play, distill, export, evaluate, list, plot).

Each subcommand lives in its own module with ``add_parser(parser)`` and ``run(args)``; modules are imported only when
their command runs. Errors the user can fix print one line ``rsl-sim <command>: error: <what to do>`` and exit with
code 2; ``--debug`` shows the traceback instead. Real bugs keep their traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from .arguments import CliParser
from .errors import USAGE_EXIT_CODE, CliError
from .threads import prefer_passive_openmp_wait

COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("rsl_sim.cli.train", "train a policy (PPO or the task's runner) on a task"),
    "play": ("rsl_sim.cli.play", "run a trained policy (export it, record a video)"),
    "distill": ("rsl_sim.cli.distill", "train a teacher (or take one) and distill a student from it"),
    "export": ("rsl_sim.cli.export", "export a checkpoint to TorchScript + ONNX and check the ONNX file"),
    "evaluate": ("rsl_sim.cli.evaluate", "evaluate a trained policy (tracking errors, success rate)"),
    "list": ("rsl_sim.cli.listing", "list the tasks and their agent configs"),
    "plot": ("rsl_sim.cli.plot", "plot learning curves of runs and evaluation tables"),
}
"""Subcommand -> (module, one-line description)."""

PROG = "rsl-sim"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 user error, 130 interrupted)."""
    # Before any command imports torch: idle OpenMP threads sleep, so a CPU learner can use every core (threads.py)
    prefer_passive_openmp_wait()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_name(argv)
    prog = f"{PROG} {command}" if command in COMMANDS else PROG
    try:
        run_command(argv)
    except Exception as error:
        message = _user_error_message(error)
        if message is None:
            raise
        if "--debug" in argv:
            traceback.print_exc()
        print(f"{prog}: error: {message}", file=sys.stderr)
        return USAGE_EXIT_CODE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def run_command(argv: Sequence[str]) -> Any:
    """Parse ``argv`` and run the subcommand; returns what it returns (a run folder, paths, statistics).

    Raises:
        CliError: For usage errors and every other error the user can fix.
    """
    argv = list(argv)
    top = _top_parser()
    command = _command_name(argv)
    if command is None:
        args = top.parse_args(argv)  # --help / --version exit here
        top.print_help()
        return None
    if command not in COMMANDS:
        close = difflib.get_close_matches(command, list(COMMANDS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CliError(f"unknown command '{command}'.{hint} Commands: {', '.join(COMMANDS)}.")
    index = argv.index(command)
    top.parse_args(argv[:index])  # global options before the command (--debug)

    # The subcommand's own parser; options and KEY=VALUE overrides may be mixed in any order
    module = importlib.import_module(COMMANDS[command][0])
    summary = (module.__doc__ or "").strip().split("\n")[0].replace("``", "")
    parser = CliParser(
        prog=f"{PROG} {command}", description=summary, epilog=_examples(module.__doc__), formatter_class=_RawEpilog
    )
    module.add_parser(parser)
    args = parser.parse_intermixed_args(argv[:index] + argv[index + 1 :])
    args.command_line = [PROG, *argv]  # recorded in the run folders
    return module.run(args)


def _top_parser() -> CliParser:
    """The parser of ``rsl-sim`` itself (global options and the list of commands)."""
    from rsl_sim import __version__

    lines = [f"  {name:<9} {description}" for name, (_, description) in COMMANDS.items()]
    parser = CliParser(
        prog=PROG,
        description="rsl_sim's command line: RL for legged robots on CPU MuJoCo, Isaac Lab and gymnasium tasks.",
        epilog="commands:\n" + "\n".join(lines) + f"\n\nRun '{PROG} <command> --help' for the options of a command.",
        usage=f"{PROG} [--debug] <command> [options] [KEY=VALUE ...]",
        formatter_class=_RawEpilog,
    )
    parser.add_argument("--version", action="version", version=f"rsl_sim {__version__}")
    parser.add_argument("--debug", action="store_true", help="Show full tracebacks for errors.")
    return parser


class _RawEpilog(argparse.RawDescriptionHelpFormatter):
    """Keeps the command list's line breaks."""


def _user_error_message(error: Exception) -> str | None:
    """The one-line message of an error the user can fix, or None for a bug (which keeps its traceback).

    User errors: :class:`CliError`, and gymnasium's ``DependencyNotInstalled`` (an env's optional package is missing,
    e.g. pygame for rendering classic-control tasks).
    """
    if isinstance(error, CliError):
        return str(error)
    gymnasium_error = getattr(sys.modules.get("gymnasium.error"), "DependencyNotInstalled", None)
    if gymnasium_error is not None and isinstance(error, gymnasium_error):
        return f"a package the env needs is missing: {error}"
    return None


def _examples(doc: str | None) -> str | None:
    """The indented block after ``Examples::`` in a command module's docstring (shown by ``--help``)."""
    lines = (doc or "").splitlines()
    if "Examples::" not in lines:
        return None
    block = []
    for line in lines[lines.index("Examples::") + 1 :]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    return "examples:\n" + "\n".join(block).strip("\n")


def _command_name(argv: Sequence[str]) -> str | None:
    """The first argument that is not an option (the subcommand), or None."""
    for token in argv:
        if not token.startswith("-"):
            return token
    return None
