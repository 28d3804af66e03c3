"""``rsl-sim plot``: learning curves of runs (PNG) and their evaluation tables (PNG + markdown).

Examples::

    rsl-sim plot logs/unitree_go2_flat/2026-01-01_12-00-00                 # into <run>/plots
    rsl-sim plot logs/unitree_go2_flat/run_a logs/unitree_go2_flat/run_b --out plots --smooth 10
    rsl-sim plot logs/unitree_go2_flat --out plots                           # every run of the experiment
    rsl-sim plot logs/unitree_go2_flat/run_a --tags "Policy/.*" "Perf/total_fps"
    rsl-sim plot logs/unitree_go2_flat/run_a/evaluation.json --out docs/

Curves come from the runs' TensorBoard event files (see :mod:`rsl_sim.cli.plot_curves` for the figures); several runs
are overlaid. A run folder holding ``evaluation.json`` (written by ``rsl-sim evaluate``) also gets its table as
``evaluation.png`` and ``evaluation.md`` (``evaluation_<run>.*`` when several runs are plotted).
"""

from __future__ import annotations

import argparse
import os

from . import arguments
from .errors import CliError
from .plot_curves import has_event_files, plot_runs, read_run
from .plot_table import load_evaluation, to_markdown, to_png
from .progress import info, status

EVALUATION_FILE = "evaluation.json"
"""Name of the evaluation results in a run folder."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim plot``."""
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help="Run folders, experiment folders (their runs), evaluation.json files."
    )
    parser.add_argument("--out", default=None, help="Output folder (default: <run>/plots for one run, else plots).")
    parser.add_argument("--smooth", type=int, default=1, help="Moving-average window in iterations (default 1: raw).")
    parser.add_argument("--tags", nargs="+", default=(), help="Regexes of extra tags to draw (into custom.png).")
    parser.add_argument("--no_table", action="store_true", help="Do not draw evaluation tables.")
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> list[str]:
    """Draw the figures; returns the files written."""
    curve_dirs, tables = _classify(args.runs, with_tables=not args.no_table)
    out_dir = os.path.abspath(args.out or (os.path.join(args.runs[0], "plots") if _single_run(args.runs) else "plots"))
    written: list[str] = []

    # Learning curves
    if curve_dirs:
        with status(f"reading the event files of {len(curve_dirs)} run(s)"):
            runs = [read_run(path) for path in curve_dirs]
        _check_unique_names([run.name for run in runs])
        written += plot_runs(runs, out_dir, smooth=args.smooth, extra_tags=args.tags)
    elif args.tags:
        raise CliError("--tags needs run folders with event files.")

    # Evaluation tables
    for name, path in tables:
        results = load_evaluation(path)
        stem = "evaluation" if len(tables) == 1 else f"evaluation_{name}"
        written.append(to_png(results, os.path.join(out_dir, f"{stem}.png"), title=name))
        markdown = os.path.join(out_dir, f"{stem}.md")
        with open(markdown, "w", encoding="utf-8") as file:
            file.write(to_markdown(results, title=name))
        written.append(markdown)

    for path in written:
        info(f"wrote {path}")
    return written


def _classify(paths: list[str], with_tables: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """Split the arguments into run folders with event files and evaluation files ``(label, path)``.

    Raises:
        CliError: For a path that is neither a run folder (with event files or an evaluation) nor an evaluation file.
    """
    curve_dirs: list[str] = []
    tables: list[tuple[str, str]] = []
    for path in paths:
        if os.path.isfile(path) and path.endswith(".json"):
            tables.append((os.path.basename(os.path.dirname(os.path.abspath(path))), path))
            continue
        if not os.path.isdir(path):
            raise CliError(f"'{path}' is neither a run folder nor an evaluation.json file.")
        evaluation = os.path.join(path, EVALUATION_FILE)
        # An experiment folder stands for all its runs
        runs = sorted(os.path.join(path, name) for name in os.listdir(path))
        runs = [run for run in runs if has_event_files(run)]
        if not has_event_files(path) and not os.path.isfile(evaluation) and runs:
            sub_dirs, sub_tables = _classify(runs, with_tables)
            curve_dirs += sub_dirs
            tables += sub_tables
            continue
        if not has_event_files(path) and not os.path.isfile(evaluation):
            raise CliError(
                f"'{path}' holds no TensorBoard event files and no {EVALUATION_FILE}: give a run folder"
                " (logs/<experiment>/<run>)."
            )
        if has_event_files(path):
            curve_dirs.append(path)
        if with_tables and os.path.isfile(evaluation):
            tables.append((os.path.basename(os.path.normpath(path)), evaluation))
    return curve_dirs, tables


def _single_run(paths: list[str]) -> bool:
    """Whether one run folder is plotted (then the plots go into it)."""
    return len(paths) == 1 and (has_event_files(paths[0]) or os.path.isfile(os.path.join(paths[0], EVALUATION_FILE)))


def _check_unique_names(names: list[str]) -> None:
    """Runs are told apart by their folder names in the legends."""
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CliError(f"runs with the same folder name {duplicates} cannot be told apart in the legend.")
