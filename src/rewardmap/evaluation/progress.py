"""Progress of the evaluation's long phases, and human durations.

A phase that ends within ``delay_s`` (3 s) says nothing. A longer one shows, on a terminal, a tqdm bar (counted
phases) or a line every ``every_s`` seconds (phases without a count, such as loading a model); without a terminal
(a log file, CI, a pipe) plain lines every ``every_s`` (10 s) seconds, e.g.
``eval: 40/200 questions (20%), accuracy so far 55.0%, 25 s elapsed, about 1 min 40 s left``, and one closing line.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

#: A phase shorter than this prints nothing (seconds).
QUIET_S = 3.0
#: Seconds between two plain progress lines.
EVERY_S = 10.0


def human_duration(seconds: float | None) -> str:
    """``0.4 s``, ``12.3 s``, ``18 min 04 s``, ``2 h 05 min`` (``–`` for None)."""
    if seconds is None:
        return "–"
    s = float(seconds)
    if s < 60:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    total = round(s)
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Progress of a counted phase (``total`` items). ``update(n, note)`` after each item; ``close()`` at the end.

    ``enabled=False`` prints nothing. ``tty`` defaults to whether stderr is a terminal (bar) or not (lines via
    ``log``). ``clock`` is injectable for tests."""

    def __init__(self, desc: str, total: int, *, log: Callable[[str], None], enabled: bool = True,
                 tty: bool | None = None, unit: str = "questions", delay_s: float = QUIET_S,
                 every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.desc, self.total, self.log, self.unit = desc, total, log, unit
        self.enabled = enabled and total > 0
        self.delay_s, self.every_s, self.clock = delay_s, every_s, clock
        self.start = clock()
        self.done = 0
        self.note = ""
        self._last_line: float | None = None
        self._bar = None
        if self.enabled and (_stderr_is_terminal() if tty is None else tty):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="q", file=sys.stderr, delay=delay_s, leave=True)

    def _line(self, now: float) -> str:
        elapsed = now - self.start
        left = ""
        if 0 < self.done < self.total:
            left = f", about {human_duration(elapsed / self.done * (self.total - self.done))} left"
        note = f", {self.note}" if self.note else ""
        return (f"{self.desc}: {self.done}/{self.total} {self.unit} ({self.done / self.total:.0%}){note}, "
                f"{human_duration(elapsed)} elapsed{left}")

    def update(self, n: int = 1, note: str | None = None) -> None:
        self.done += n
        if note is not None:
            self.note = note
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            if note:
                self._bar.set_postfix_str(note, refresh=False)
            return
        now = self.clock()
        if now - self.start < self.delay_s or self.done >= self.total:
            return
        if self._last_line is None or now - self._last_line >= self.every_s:
            self._last_line = now
            self.log(self._line(now))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            return
        if not self.enabled:
            return
        now = self.clock()
        if self._last_line is not None or now - self.start >= self.delay_s:
            note = f", {self.note}" if self.note else ""
            self.log(f"{self.desc}: {self.done}/{self.total} {self.unit} in {human_duration(now - self.start)}{note}")
        self.enabled = False


@contextmanager
def phase(desc: str, *, log: Callable[[str], None], enabled: bool = True, delay_s: float = QUIET_S,
          every_s: float = EVERY_S):
    """A phase without a count (loading rows, loading a model): after ``delay_s`` a line ``desc … (N s)`` every
    ``every_s`` seconds from a timer thread, and ``desc: done in …`` at the end if anything was said."""
    if not enabled:
        yield
        return
    start = time.monotonic()
    stop = threading.Event()
    said = threading.Event()

    def tick() -> None:
        wait = delay_s
        while not stop.wait(wait):
            said.set()
            log(f"{desc} … ({human_duration(time.monotonic() - start)})")
            wait = every_s

    timer = threading.Thread(target=tick, name=f"progress:{desc}", daemon=True)
    timer.start()
    try:
        yield
    finally:
        stop.set()
        timer.join()
        if said.is_set():
            log(f"{desc}: done in {human_duration(time.monotonic() - start)}")
