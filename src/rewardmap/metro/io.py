"""Reading and writing ReasonMap station files (``stations/<country>/<city>.json``, data-schema §4).

The file is ``{line name: [station entries in line order]}``; entries may carry transfer / branch-start tags in
English or Chinese spelling. Loading keeps every raw entry, so load → save → load is lossless.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from rewardmap.errors import StationFileError
from rewardmap.metro.names import render_entry
from rewardmap.metro.network import Network
from rewardmap.metro.topology import TopologyHints, hints_for


def _city_country(path: Path) -> tuple[str, str]:
    return path.stem, path.parent.name


def geometry_file(station_file: Path) -> Path:
    """The geometry sidecar of ``ROOT/stations/<country>/<city>.json``: ``ROOT/geometry/<country>/<city>.json``
    (written by ``rewardmap synth``)."""
    station_file = Path(station_file)
    return station_file.parent.parent.parent / "geometry" / station_file.parent.name / station_file.name


def read_sidecar(station_file: Path) -> dict | None:
    """The parsed geometry sidecar of a station file in the ``stations/`` layout, or None when there is none."""
    station_file = Path(station_file)
    geometry = geometry_file(station_file)
    if station_file.parent.parent.name != "stations" or not geometry.is_file():
        return None
    try:
        data = json.loads(geometry.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StationFileError(geometry, f"unreadable geometry sidecar: {exc}") from None
    if not isinstance(data, dict):
        raise StationFileError(geometry, f"geometry sidecar must be a JSON object, found {type(data).__name__}")
    return data


def sidecar_hints(path: Path) -> TopologyHints | None:
    """Topology hints from a geometry sidecar, if one exists: its optional ``"topology"`` object holds ``loops``
    (list of line names) and ``branch_arms`` (``{line: [first stop of each later arm]}``)."""
    topo = (read_sidecar(path) or {}).get("topology")
    if not topo:
        return None
    arms = {k: tuple([v] if isinstance(v, str) else v) for k, v in (topo.get("branch_arms") or {}).items()}
    return TopologyHints(loops=tuple(topo.get("loops") or ()), branch_arms=arms)


def load_network(path: str | Path, *, city: str | None = None, country: str | None = None,
                 hints: TopologyHints | None = None) -> Network:
    """Load a station file. City and country default to the file stem and its folder (the ReasonMap layout).

    Topology hints (loops and branch arms the flat lists cannot express): given ``hints``, else a geometry sidecar
    (:func:`sidecar_hints`), else the bundled hints for known real cities."""
    path = Path(path)
    if hints is None:
        hints = sidecar_hints(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StationFileError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise StationFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StationFileError(path, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    c_city, c_country = _city_country(path)
    return network_from_mapping(data, city=city or c_city, country=country or c_country, source=path, hints=hints)


def network_from_mapping(data: object, *, city: str = "", country: str = "", source: object = None,
                         hints: TopologyHints | None = None) -> Network:
    """Build a network from an already-parsed station mapping (a dataset's ``json`` dict, for example)."""
    if hints is None:
        hints = hints_for(country, city)
    if not isinstance(data, Mapping):
        raise StationFileError(source or "<memory>",
                               f"expected a JSON object mapping line names to lists, found {type(data).__name__}")
    return Network.from_lines(data, city=city, country=country, source=source, loops=hints.loops,
                              branch_arms=hints.branch_arms, homonyms=hints.homonyms)


def network_to_mapping(network: Network) -> dict[str, list[str]]:
    """The station-file mapping of a network: raw entries where the network was loaded from a file, entries
    rendered with ReasonMap tags otherwise."""
    out: dict[str, list[str]] = {}
    for name, line in network.lines.items():
        out[name] = [e.raw if e.raw else render_entry(e.name, e.transfer_tag, e.branch_tag) for e in line.entries]
    return out


def save_network(network: Network, path: str | Path) -> Path:
    """Write a network as a ReasonMap station file (UTF-8, non-ASCII kept, 2-space indent)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(network_to_mapping(network), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def iter_station_files(root: str | Path) -> list[Path]:
    """Every ``<country>/<city>.json`` under a stations root, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise StationFileError(root, "not a directory of station files")
    return sorted(p for p in root.glob("*/*.json") if p.is_file())


def load_cities(root: str | Path) -> dict[tuple[str, str], Network]:
    """Load every station file under ``root`` keyed by ``(country, city)``."""
    return {(p.parent.name, p.stem): load_network(p) for p in iter_station_files(root)}
