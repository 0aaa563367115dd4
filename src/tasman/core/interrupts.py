"""Short steps that a Ctrl-C must not cut in half: marking a stopped run, closing the database
connections on the way out. At a terminal the whole process group gets SIGINT, and impatient
users press it twice; inside :func:`sigint_ignored` it is dropped (the process is already on its
way out). Only the main thread may set handlers: elsewhere the block runs as it is."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored for the block when this is the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
