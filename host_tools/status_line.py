"""Progress on a terminal: one line on stderr, rewritten in place (elapsed, what is being done),
as mpremote shows it; nothing at all when stderr is not a terminal (piped, logged, tests)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class StatusLine:
    def __init__(self, stream: TextIO | None = None, every_s: float = 0.25):
        self.stream = stream or sys.stderr
        self.on = self.stream.isatty()
        self.every_s = every_s
        self.t0 = time.monotonic()
        self._last = 0.0
        self._shown = False

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not self.on or (not force and now - self._last < self.every_s):
            return
        self._last = now
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Before a normal line of output, and at the end."""
        if self.on and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


@contextmanager
def working(what: Callable[[], str] | str, stream: TextIO | None = None) -> Iterator[StatusLine]:
    """'{what} (12 s)' kept up to date while the block runs, on a terminal only."""
    line = StatusLine(stream)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            text = what() if callable(what) else what
            line.show(f"{text} ({line.elapsed():.0f} s)", force=True)

    thread = threading.Thread(target=tick, daemon=True) if line.on else None
    if thread:
        thread.start()
    try:
        yield line
    finally:
        stop.set()
        if thread:
            thread.join(1)
        line.clear()
