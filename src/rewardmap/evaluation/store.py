"""Append-only JSONL results that survive ``kill -9``.

Each record is one line written with a single ``write`` of the complete bytes, then flushed (and optionally
``fsync``-ed), so a killed process leaves at worst one partial last line. Opening the file again detects that line
(no trailing newline, or not valid JSON), cuts it off and reports its id as not done, so the runner redoes it. A
record is keyed by ``id``; the reader keeps the last record per id, so a redone sample (e.g. ``--retry-errors``)
replaces the earlier one instead of counting twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from rewardmap.errors import DataError


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
