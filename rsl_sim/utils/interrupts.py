"""Keeping Ctrl-C out of sections that must not be cut in half (a policy update, its bookkeeping)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["deferred_keyboard_interrupt"]


@contextlib.contextmanager
def deferred_keyboard_interrupt() -> Iterator[None]:
    """Hold back SIGINT (Ctrl-C) until the block has finished, then raise ``KeyboardInterrupt``.

    Only in the main thread and only while Python's default SIGINT handler is installed (a handler of the
    application, e.g. a simulator's, is left alone); otherwise the block runs unprotected. If the block raises, that
    exception propagates and a held-back interrupt is dropped.

    Raises:
        KeyboardInterrupt: After the block, if SIGINT arrived during it.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
