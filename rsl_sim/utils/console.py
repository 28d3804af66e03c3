"""Console output of a training run: a live progress bar with ETA on a terminal, plain lines otherwise."""

from __future__ import annotations

import datetime
import sys
from typing import TextIO

# Without a terminal, a summary line is printed every this many iterations (plus the first and the last one)
DEFAULT_PLAIN_EVERY = 10


class ConsoleReporter:
    """Shows training progress: one compact summary line per iteration and a live progress bar with ETA.

    On a terminal (``stream.isatty()``), a ``rich`` progress bar (iterations done, elapsed time, ETA) stays at the
    bottom and each iteration's summary line scrolls above it. Otherwise (log files, CI, pytest), there is no bar and
    no colour: a plain summary line (with ETA) is printed every ``plain_every`` iterations, and for the first and the
    last one.

    Args:
        start_iteration: Index of the first iteration of this ``learn`` call.
        total_iterations: Index one past the last iteration of this ``learn`` call.
        run_name: Optional run name shown with the bar.
        plain_every: Period (iterations) of the plain lines when not on a terminal.
        stream: Where to write; ``sys.stdout`` by default.
    """

    def __init__(
        self,
        start_iteration: int,
        total_iterations: int,
        run_name: str | None = None,
        plain_every: int = DEFAULT_PLAIN_EVERY,
        stream: TextIO | None = None,
    ) -> None:
        self.start_iteration = start_iteration
        self.total_iterations = total_iterations
        self.run_name = run_name
        self.plain_every = max(1, int(plain_every))
        self.stream = stream if stream is not None else sys.stdout
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._elapsed_s = 0.0
        self._progress = None
        self._task = None

        # The live bar exists only on a terminal
        if self.is_tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            description = f"training {run_name}" if run_name else "training"
            self._task = self._progress.add_task(description, total=total_iterations - start_iteration)
            self._progress.start()

    def report(self, iteration: int, iteration_time_s: float, summary: dict[str, float | int | str]) -> None:
        """Show one iteration.

        Args:
            iteration: The iteration just finished.
            iteration_time_s: Its duration (collection + learning) in seconds, used for the ETA.
            summary: Ordered name -> value pairs for the summary line (floats are formatted compactly).
        """
        self._elapsed_s += iteration_time_s
        done = iteration + 1 - self.start_iteration
        remaining = self.total_iterations - iteration - 1
        eta = datetime.timedelta(seconds=int(self._elapsed_s / max(done, 1) * remaining))
        line = format_summary(iteration, self.total_iterations, summary)

        # Terminal: summary above the live bar
        if self._progress is not None:
            self._progress.console.print(line, highlight=False, markup=False)
            self._progress.update(self._task, completed=done)
            return

        # No terminal: a plain line now and then
        is_first, is_last = iteration == self.start_iteration, remaining == 0
        if is_first or is_last or done % self.plain_every == 0:
            print(f"{line} | eta {eta}", file=self.stream, flush=True)

    def stop(self) -> None:
        """Close the live bar (leaves the finished bar on screen)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def format_summary(iteration: int, total_iterations: int, summary: dict[str, float | int | str]) -> str:
    """One compact line: ``it 12/100 | reward -523.1 | ep_len 200 | ...``.

    Args:
        iteration: The finished iteration.
        total_iterations: Index one past the last iteration.
        summary: Name -> value pairs, in display order.

    Returns:
        The line.
    """
    width = len(str(total_iterations))
    parts = [f"it {iteration:>{width}}/{total_iterations}"]
    parts += [f"{name} {_format_value(value)}" for name, value in summary.items()]
    return " | ".join(parts)


def _format_value(value: float | int | str) -> str:
    """Short, readable number formatting (4 significant digits, engineering suffixes for large counts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        value = int(value)
        for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
            if abs(value) >= scale:
                return f"{value / scale:.3g}{suffix}"
        return str(value)
    return f"{value:.4g}"
