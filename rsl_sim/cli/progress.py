"""Progress display of long CLI work: a rich spinner or bar on a terminal, plain lines elsewhere (logs, CI, tests).

Training shows its own per-iteration progress (:class:`rsl_sim.utils.console.ConsoleReporter`); this module covers
the rest: building envs, exporting, stepping a policy, reading event files, plotting.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def info(message: str) -> None:
    """Print one ``[rsl_sim]`` line to stdout."""
    print(f"[rsl_sim] {message}", flush=True)


def _is_tty() -> bool:
    """Whether stdout is a terminal (then rich draws live displays)."""
    return bool(getattr(sys.stdout, "isatty", lambda: False)())


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """Show ``message`` while the block runs: a rich spinner on a terminal, one plain line otherwise."""
    if not _is_tty():
        info(f"{message} ...")
        yield
        return
    from rich.console import Console

    with Console().status(message):
        yield


@contextlib.contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar over ``total`` units; yields ``advance(n)``.

    On a terminal a rich bar (done / total, elapsed, ETA) is drawn; otherwise one line is printed at the start and
    one at every quarter.
    """
    if _is_tty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(f"[bold]{description}", *columns, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.update(task, advance=n)
        return

    # Plain lines: start and every quarter
    info(f"{description}: 0/{total}")
    state = {"done": 0, "next": max(1, total // 4)}

    def advance(n: int = 1) -> None:
        state["done"] += n
        if state["done"] >= state["next"] or state["done"] == total:
            info(f"{description}: {min(state['done'], total)}/{total}")
            state["next"] = state["done"] + max(1, total // 4)

    yield advance
