"""Reading and writing ReasonMap station files (``stations/<country>/<city>.json``, data-schema §4).

The file is ``{line name: [station entries in line order]}``; entries may carry transfer / branch-start tags in
English or Chinese spelling. Loading keeps every raw entry, so load → save → load is lossless.

What loading checks before a network is built (each failure is a :class:`~rewardmap.errors.StationFileError`
naming the file, and the line where there is one):

* the path is a regular file (not a directory, a dangling link or a symlink loop) of at most
  :data:`MAX_STATION_FILE_BYTES` (override with ``max_bytes=``);
* UTF-8 JSON, nested at most as deep as Python's parser allows (a deeper file is refused, not a ``RecursionError``);
* no line name appears twice (``json`` would keep only the last list, silently dropping a line);
* no line or station name holds a control character or a line/paragraph separator: a newline in a name could
  forge an answer line such as ``Route Name: X``.

Invisible format characters (zero-width space and (non-)joiners, byte-order mark, soft hyphen, bidirectional
marks and overrides) make two different names look alike; they are accepted with an ``invisible_character`` data
warning, because the released code reads such a file and the ``official`` scorers must score it as it does.

Names that differ only in their Unicode normalisation (NFC vs NFD, e.g. ``"é"`` vs ``"e\u0301"``) are read as one
station, as the official cleaner reads them, and reported as a ``unicode_twins`` data warning.
"""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from rewardmap.errors import StationFileError
from rewardmap.metro.names import render_entry
from rewardmap.metro.network import DataWarning, Network
from rewardmap.metro.topology import TopologyHints, hints_for

#: Largest station file :func:`load_network` reads: 4 MiB. The largest real ReasonMap file (Beijing) is 11 KB;
#: a 100 MB file took over 300 s and ~900 MB to load before this bound.
MAX_STATION_FILE_BYTES = 4 * 2**20

def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})"


def _name_problem(text: str) -> tuple[str | None, str | None]:
    """(refusal, warning) for one line or station name: a control or separator character is refused; an invisible
    format character (Unicode category Cf) is a warning."""
    warning = None
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            return (f"holds the control character {_char_name(ch)}; names must be one line of plain text (a newline "
                    "or control character in a name could forge answer lines)"), None
        if cat == "Cf" and warning is None:
            warning = (f"holds the invisible character {_char_name(ch)} (it makes different names look alike; "
                       "the official scorers compare it as written)")
    return None, warning


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_station_json(text: str, source: object) -> object:
    """Parse station-file JSON text: refuses duplicate object keys (a repeated line name would silently replace
    the first list) and nesting too deep for the parser, as :class:`StationFileError` naming ``source``."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise StationFileError(source, f"line name {exc.key!r} appears twice; JSON keeps only the last list, so a "
                               "line would be dropped silently (expected unique line names)", line=exc.key) from None
    except json.JSONDecodeError as exc:
        raise StationFileError(source, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                               ) from None
    except RecursionError:
        raise StationFileError(source, "JSON nested too deeply to parse (expected an object of lists of "
                               "strings)") from None


def check_station_names(data: object, source: object) -> list[DataWarning]:
    """Refuse line or station names holding control / invisible characters (see the module doc); return data
    warnings for zero-width joiners and for names that differ only in Unicode normalisation (NFC/NFD twins)."""
    warnings: list[DataWarning] = []
    if not isinstance(data, Mapping):
        return warnings
    by_nfc: dict[str, set[str]] = {}
    for line, entries in data.items():
        names = [(None, line)] + ([(i, e) for i, e in enumerate(entries) if isinstance(e, str)]
                                  if isinstance(entries, list) else [])
        for i, name in names:
            if not isinstance(name, str):
                continue
            refusal, warning = _name_problem(name)
            what = "line name" if i is None else f"entry {i}"
            if refusal:
                raise StationFileError(source, f"{what} {name!r} {refusal}", line=str(line))
            if warning:
                warnings.append(DataWarning("invisible_character", f"{line}: {what} {name!r} {warning}", line=line))
            by_nfc.setdefault(unicodedata.normalize("NFC", name), set()).add(name)
    for nfc, spellings in by_nfc.items():
        if len(spellings) > 1:
            forms = " / ".join(repr(s) for s in sorted(spellings))
            warnings.append(DataWarning("unicode_twins", f"{forms} differ only in Unicode normalisation (NFC/NFD); "
                                        "they look the same and are read as one name", station=nfc))
    return warnings


def read_station_text(path: Path, *, max_bytes: int | None = MAX_STATION_FILE_BYTES) -> str:
    """The text of a station file, refusing what is not a regular UTF-8 file of at most ``max_bytes``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise StationFileError(path, "dangling symbolic link (expected a station file)") from None
        raise StationFileError(path, "file not found") from None
    except OSError as exc:  # ELOOP (symlink loop), EACCES, ...
        raise StationFileError(path, f"cannot read: {exc.strerror or exc} (expected a station file)") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise StationFileError(path, f"is {kind} (expected a station file <country>/<city>.json)")
    if max_bytes is not None and st.st_size > max_bytes:
        raise StationFileError(path, f"is {st.st_size:,} bytes, above the limit of {max_bytes:,} (real station "
                               "files are under 20 kB; pass max_bytes= to allow a larger one)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as exc:
        raise StationFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise StationFileError(path, f"is above the limit of {max_bytes:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StationFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


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
                 hints: TopologyHints | None = None, max_bytes: int | None = MAX_STATION_FILE_BYTES) -> Network:
    """Load a station file. City and country default to the file stem and its folder (the ReasonMap layout).

    Topology hints (loops and branch arms the flat lists cannot express): given ``hints``, else a geometry sidecar
    (:func:`sidecar_hints`), else the bundled hints for known real cities. The checks made before building are
    listed in the module doc; ``max_bytes`` bounds the file size (``None``: no bound)."""
    path = Path(path)
    text = read_station_text(path, max_bytes=max_bytes)
    if hints is None:
        hints = sidecar_hints(path)
    data = parse_station_json(text, path)
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
    name_warnings = check_station_names(data, source or "<memory>")
    network = Network.from_lines(data, city=city, country=country, source=source, loops=hints.loops,
                                 branch_arms=hints.branch_arms, homonyms=hints.homonyms)
    network.warnings.extend(name_warnings)
    return network


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
    """Every ``<country>/<city>.json`` under a stations root, sorted. An entry of that name that is not a regular
    file (a directory, a dangling link, a symlink loop) is refused, naming it, rather than skipped: a build must not
    look complete when a city is missing."""
    root = Path(root)
    if not root.is_dir():
        raise StationFileError(root, "not a directory of station files")
    found = sorted(root.glob("*/*.json"))
    for p in found:
        try:
            mode = os.stat(p).st_mode
        except OSError as exc:
            reason = "dangling symbolic link" if os.path.islink(p) and isinstance(exc, FileNotFoundError) else \
                (exc.strerror or str(exc))
            raise StationFileError(p, f"cannot read: {reason} (expected a station file)") from None
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise StationFileError(p, f"is {kind} (expected a station file <country>/<city>.json)")
    return found


def load_cities(root: str | Path) -> dict[tuple[str, str], Network]:
    """Load every station file under ``root`` keyed by ``(country, city)``."""
    return {(p.parent.name, p.stem): load_network(p) for p in iter_station_files(root)}
