"""Station data for scoring: a row's ``json`` (path, JSON text or dict) → a cached :class:`~rewardmap.metro.Network`.

A reward worker scores thousands of responses against a handful of cities, so each network is parsed once and kept
(data-schema §1.4, §5.1). Lookups are keyed by what the row holds — the ``json`` string (path or JSON text) and the
stations root, or the identity of a dict — so a cached city costs one dictionary lookup, no file-system access.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rewardmap.errors import DataError, RewardMapError
from rewardmap.metro import Network, load_network, network_from_mapping
from rewardmap.scoring.weights import field

#: Environment variable naming a default stations root (a folder holding ``stations/`` or the stations folder).
STATIONS_ENV = "REWARDMAP_STATIONS_ROOT"


def candidate_paths(spec: str, root: Path | None, country: str = "", city: str = "") -> list[Path]:
    """Where a ``json`` path (``./stations/<country>/<city>.json``) may live, in the order tried."""
    rel = Path(spec)
    out: list[Path] = []
    if rel.is_absolute():
        out.append(rel)
    roots = [r for r in (root, _env_root()) if r is not None]
    for r in roots:
        out.append(r / rel)
        parts = rel.parts[1:] if rel.parts and rel.parts[0] == "." else rel.parts
        if parts and parts[0] == "stations":
            out.append(r / Path(*parts[1:]))
        if country and city:
            out.append(r / "stations" / country / f"{city}.json")
            out.append(r / country / f"{city}.json")
    if not rel.is_absolute():
        out.append(Path.cwd() / rel)
    seen: set[Path] = set()
    return [p for p in out if not (p in seen or seen.add(p))]


def _env_root() -> Path | None:
    value = os.environ.get(STATIONS_ENV)
    return Path(value) if value else None


class NetworkCache:
    """An LRU cache of parsed networks, keyed by the row's ``json`` value (see module doc). Thread-safe."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._by_key: OrderedDict[Any, tuple[Any, Network]] = OrderedDict()
        self._by_path: dict[Path, Network] = {}
        self._by_content: OrderedDict[Any, Network] = OrderedDict()
        self._failed: dict[Any, DataError] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def __len__(self) -> int:
        return len(self._by_key)

    def _remember_failure(self, key: Any, error: DataError) -> None:
        if key[0] == "dict":
            return
        with self._lock:
            self._failed[key] = error
            while len(self._failed) > self.maxsize:
                self._failed.pop(next(iter(self._failed)))

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()
            self._by_path.clear()
            self._by_content.clear()
            self._failed.clear()

    def network_for_row(self, row: Any, stations_root: str | Path | None = None) -> Network:
        """The network of a row: its ``json`` column (dict, JSON text, or a path resolved against
        ``stations_root``, ``$REWARDMAP_STATIONS_ROOT`` and the working directory), else ``country``/``city`` under
        the roots. Raises :class:`DataError` naming the ``json`` column when nothing can be found or parsed."""
        spec = field(row, "json", None)
        country = str(field(row, "country", "") or "")
        city = str(field(row, "city", "") or "")
        if isinstance(spec, Network):
            return spec
        if isinstance(spec, Mapping):
            key: Any = ("dict", id(spec))
        elif isinstance(spec, str) and spec.strip():
            key = ("str", spec, str(stations_root) if stations_root is not None else None)
        elif spec is None or (isinstance(spec, str) and not spec.strip()):
            key = ("city", country, city, str(stations_root) if stations_root is not None else None)
        else:
            raise DataError(f"expected a path, JSON text or a mapping, found {type(spec).__name__}", column="json")
        with self._lock:
            hit = self._by_key.get(key)
            if hit is not None and (key[0] != "dict" or hit[0] is spec):
                self._by_key.move_to_end(key)
                return hit[1]
            failed = self._failed.get(key) if key[0] != "dict" else None
        if failed is not None:  # a city that cannot load fails once; later rows get the same error at once
            raise failed.with_traceback(None)
        try:
            network = self._build(spec, stations_root, country, city)
        except RecursionError:
            error = DataError("station data is nested too deeply to be a station file", column="json")
            self._remember_failure(key, error)
            raise error from None
        except DataError as exc:
            self._remember_failure(key, exc)
            raise
        with self._lock:
            self._by_key[key] = (spec if key[0] == "dict" else None, network)
            while len(self._by_key) > self.maxsize:
                self._by_key.popitem(last=False)
        return network

    def _build(self, spec: Any, stations_root: str | Path | None, country: str, city: str) -> Network:
        root = Path(stations_root) if stations_root is not None else None
        try:
            if isinstance(spec, Mapping):
                try:  # rows holding equal dicts (one per dataset row) share one network
                    content = ("content", country, city, json.dumps(spec, ensure_ascii=False, sort_keys=True))
                except (TypeError, ValueError):
                    content = None
                with self._lock:
                    found = self._by_content.get(content) if content is not None else None
                if found is None:
                    self.loads += 1
                    found = network_from_mapping(spec, city=city, country=country, source="<row json>")
                    if content is not None:
                        with self._lock:
                            self._by_content[content] = found
                            while len(self._by_content) > self.maxsize:
                                self._by_content.popitem(last=False)
                return found
            if isinstance(spec, str) and spec.lstrip().startswith("{"):
                try:
                    data = json.loads(spec)
                except json.JSONDecodeError as exc:
                    raise DataError(f"JSON text does not parse: {exc.msg} at line {exc.lineno}",
                                    column="json") from None
                except RecursionError:
                    raise DataError("JSON text is nested too deeply to be station data", column="json") from None
                self.loads += 1
                return network_from_mapping(data, city=city, country=country, source="<row json>")
            if isinstance(spec, str):
                tried = candidate_paths(spec.strip(), root, country, city)
            elif country and city:
                tried = candidate_paths(f"./stations/{country}/{city}.json", root, country, city)
            else:
                raise DataError("no station data: the row has no json value and no country/city", column="json")
            for path in tried:
                try:
                    found_file = path.is_file()
                except (OSError, ValueError):  # a name too long for the file system, a NUL byte
                    found_file = False
                if found_file:
                    resolved = path.resolve()
                    with self._lock:
                        found = self._by_path.get(resolved)
                    if found is None:
                        self.loads += 1
                        found = load_network(resolved)
                        with self._lock:
                            self._by_path[resolved] = found
                    return found
            shown = ", ".join(str(p)[:300] for p in tried) or "(no candidate)"
            shown_spec = spec if not isinstance(spec, str) or len(spec) <= 300 else spec[:300] + "…"
            raise DataError(f"station file {shown_spec!r} not found (tried {shown}); pass stations_root= or set "
                            f"${STATIONS_ENV}", column="json")
        except DataError:
            raise
        except RewardMapError as exc:
            raise DataError(f"station data unusable: {exc}", column="json") from exc


#: The process-wide cache used by :func:`rewardmap.scoring.score_response` and the metrics.
DEFAULT_CACHE = NetworkCache()
