"""Progress of the evaluation's long phases, and human durations.

A phase that ends within ``delay_s`` (3 s) says nothing. A longer one shows, on a terminal, a tqdm bar (counted
phases) or a line every ``every_s`` seconds (phases without a count, such as loading a model); without a terminal
(a log file, CI, a pipe) plain lines every ``every_s`` (10 s) seconds, from a timer, so a backend answering in
large batches still shows signs of life, e.g.
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

    On a terminal (``tty``; default: whether stderr is one) a tqdm bar that appears after ``delay_s``. Otherwise a
    timer thread logs a line after ``delay_s`` and then every ``every_s`` seconds — also while no item arrives, so
    a backend that answers in large batches still shows it is working — and ``close()`` logs a closing line when
    a line was logged before. ``enabled=False`` prints nothing. ``timer=False`` and ``tick()``
    let tests drive the lines with their own ``clock``."""

    def __init__(self, desc: str, total: int, *, log: Callable[[str], None], enabled: bool = True,
                 tty: bool | None = None, unit: str = "questions", delay_s: float = QUIET_S,
                 every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic, timer: bool = True) -> None:
        self.desc, self.total, self.log, self.unit = desc, total, log, unit
        self.enabled = enabled and total > 0
        self.delay_s, self.every_s, self.clock = delay_s, every_s, clock
        self.start = clock()
        self.done = 0
        self.note = ""
        self.said = False
        self._lock = threading.Lock()
        self._bar = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not self.enabled:
            return
        if _stderr_is_terminal() if tty is None else tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="q", file=sys.stderr, delay=delay_s, leave=True)
        elif timer:
            self._thread = threading.Thread(target=self._run, name=f"progress:{desc}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        wait = self.delay_s
        while not self._stop.wait(wait):
            self.tick()
            wait = self.every_s

    def tick(self) -> None:
        """Log the current state (the timer calls this after ``delay_s`` and then every ``every_s``)."""
        with self._lock:
            if not self.enabled or self._bar is not None or self.done >= self.total:
                return
            elapsed = self.clock() - self.start
            left = ""
            if self.done:
                left = f", about {human_duration(elapsed / self.done * (self.total - self.done))} left"
            note = f", {self.note}" if self.note and self.done else ""
            self.said = True
            self.log(f"{self.desc}: {self.done}/{self.total} {self.unit} ({self.done / self.total:.0%}){note}, "
                     f"{human_duration(elapsed)} elapsed{left}")

    def update(self, n: int = 1, note: str | None = None) -> None:
        with self._lock:
            self.done += n
            if note is not None:
                self.note = note
            if self._bar is not None:
                self._bar.update(n)
                if note:
                    self._bar.set_postfix_str(note, refresh=False)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self.enabled:
                if self.said:  # a phase that said nothing while it ran (shorter than delay_s) ends quietly too
                    note = f", {self.note}" if self.note else ""
                    self.log(f"{self.desc}: {self.done}/{self.total} {self.unit} in "
                             f"{human_duration(self.clock() - self.start)}{note}")
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
