"""One exception hierarchy for the whole package.

Every error raised on bad *input* (files, rows, configs) derives from :class:`RewardMapError` and names where the
problem is (file, row, field), what was found and what was expected. Bad *model output* is never an error: scoring
returns a score for any string.
"""

from __future__ import annotations

from collections.abc import Sequence


class RewardMapError(Exception):
    """Base class of every error rewardmap raises on bad input."""


class StationFileError(RewardMapError):
    """A ReasonMap station file (``stations/<country>/<city>.json``) is unreadable or malformed."""

    def __init__(self, path: object, message: str, *, line: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}" + (f", line {line!r}" if line is not None else "")
        super().__init__(f"{where}: {message}")


class UnknownStationError(RewardMapError):
    """A station name does not resolve to any station of the network."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, city: str | None = None) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        where = f" in {city}" if city else ""
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown station {name!r}{where}{hint}")


class UnknownLineError(RewardMapError):
    """A line name does not resolve to any line of the network."""

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        self.name = name
        super().__init__(f"unknown line {name!r}; lines are: {', '.join(known)}")


class DataError(RewardMapError):
    """A dataset row or column is invalid. The message names the source, row and column."""

    def __init__(self, message: str, *, source: object = None, row: int | None = None, column: str | None = None):
        self.source = None if source is None else str(source)
        self.row = row
        self.column = column
        parts = [p for p in (self.source, None if row is None else f"row {row}", column and f"column {column!r}") if p]
        super().__init__((": ".join([", ".join(parts), message])) if parts else message)


class ConfigError(RewardMapError):
    """A configuration file or value is invalid."""
