"""Append-only JSONL results that survive ``kill -9``.

Each record is one line written with a single ``write`` of the complete bytes, then flushed (and optionally
``fsync``-ed), so a killed process leaves at worst one partial last line. Opening the file again detects that line
(no trailing newline, or not valid JSON), cuts it off and reports its id as not done, so the runner redoes it. A
record is keyed by ``id``; the reader keeps the last record per id, so a redone sample (e.g. ``--retry-errors``)
replaces the earlier one instead of counting twice.

Text that cannot be written as UTF-8 (a lone surrogate from a model reply) never fails an append: it is written with
U+FFFD in its place. :class:`OutputLock` makes sure only one process writes into an output folder at a time.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from rewardmap.errors import ConfigError, DataError

_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_surrogates(value):
    """``value`` (JSON-like: dicts, lists, strings) with every lone surrogate replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_surrogates(v) for v in value]
    return value


def read_records(path: str | Path) -> list[dict]:
    """Complete records of a results file, last one per ``id``, in first-seen order (a partial last line and
    unparsable lines are ignored)."""
    records: dict[str, dict] = {}
    for rec in _iter_lines(Path(path)):
        records[rec["id"]] = rec
    return list(records.values())


def _iter_lines(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
    with path.open("rb") as f:
        data = f.read()
    for raw in data.split(b"\n")[:-1]:  # the piece after the last newline is partial (or empty)
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            yield rec


class ResultsWriter:
    """Open (and repair) a JSONL results file for appending.

    ``done`` holds the ids of complete records after repair; ``repaired`` the number of bytes cut from a partial
    last line (0 when the file was clean)."""

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired = self._repair()
        self.records: dict[str, dict] = {}
        for rec in _iter_lines(self.path):
            self.records[rec["id"]] = rec
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    @property
    def done(self) -> set[str]:
        return set(self.records)

    def _repair(self) -> int:
        """Cut a trailing partial line (no final newline, or a last line that is not valid JSON)."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with self.path.open("rb+") as f:
            data = f.read()
            keep = data.rfind(b"\n") + 1  # bytes up to and including the last newline
            if keep == len(data):
                # the file ends with a newline; the last line may still be garbage (e.g. a torn write)
                prev = data.rfind(b"\n", 0, len(data) - 1) + 1
                last = data[prev:len(data) - 1]
                try:
                    json.loads(last)
                    return 0
                except ValueError:
                    keep = prev
            f.truncate(keep)
        return size - keep

    def append(self, record: dict) -> None:
        """Write one record as one line (a single ``write`` call), then flush it to the OS."""
        if "id" not in record:
            raise DataError("result record has no 'id'", source=self.path)
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            line = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate somewhere in the record
            record = scrub_surrogates(record)
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        if self.fsync:
            os.fsync(self._fd)
        self.records[record["id"]] = record

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class OutputLock:
    """An exclusive lock on an output folder (``DIR/.rewardmap.lock``), held for the whole run.

    The lock is an advisory ``flock`` on that file, which the kernel releases when the holding process ends for any
    reason (``kill -9`` included), so a stale lock never blocks a later run; the file itself stays and records the
    last holder (pid, host, start time) for the message a refused run prints. On Windows ``msvcrt.locking`` plays
    the same role. A lock on a network file system is only as good as its ``flock`` support."""

    NAME = ".rewardmap.lock"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / self.NAME
        self._fd = -1

    def _holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if not isinstance(info, dict) or "pid" not in info:
            return "another process (holder not recorded yet)"
        return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"

    def _refuse(self) -> ConfigError:
        return ConfigError(f"{self.folder}: in use by another rewardmap eval ({self._holder()}); wait for it to "
                           f"finish, stop it, or use another --out")

    def acquire(self) -> OutputLock:
        """Take the lock or raise :class:`ConfigError` naming the holder (never waits)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                         "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock_fd(fd)
        except OSError:
            os.close(fd)
            raise self._refuse() from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, me.encode("utf-8"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _lock_fd(fd: int) -> None:
    """Non-blocking exclusive lock of ``fd``, released by the kernel when the process ends (OSError if held)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
