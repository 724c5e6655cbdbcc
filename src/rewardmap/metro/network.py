"""The transit-network model: :class:`Station`, :class:`Line`, :class:`Network`.

Rules (documented in ``docs/metro.md``):

* **Station identity.** Entries are grouped by :func:`~rewardmap.metro.names.canonical_station`, so the same name on
  several lines is *one* station (a transfer) — the reading the official checkers and the public datasets use.
  Spelling variants of one name ("西单" / "西单站", "Union Station" / "Union Station Station") merge, with a
  ``name_variants`` warning. Distinct stations that share a name (New York "125 St") cannot be told apart from the
  file; declare them with ``homonyms={name: [[lines of station 1], [lines of station 2]]}``. A shared name that is
  never tagged as a transfer gets an ``untagged_shared_name`` warning (it may be a homonym or shared track).
* **Loops.** A list whose last entry repeats the first (Shanghai style) is a closed loop; the repeat is kept in the
  file but not in the topology. A loop stored without the repeat (Beijing Lines 2 and 10) cannot be detected from the
  list: pass it in ``loops`` (bundled hints cover the real cities). Between two stops of a loop the shorter way
  round is used.
* **Branches.** A ``Branch-starting`` tag marks where a line forks; the flat list continues with one arm and appends
  the other arm later, at a position the file does not mark. With ``branch_arms={line: [first stop of the later
  arm]}`` the later arm is attached to the nearest preceding branch station; without it the list is read as one
  path (what the official index slicing does) and a ``branch_split_unknown`` warning is reported.
* **A name twice on one line** (other than a loop's closing repeat) is read as two distinct stations (New York's B
  line lists two "7 Av"); the later entry becomes a station of its own on that line only, with a ``repeated_name``
  warning. The builders never ask about such a name; the official scorers see the raw entries, as released.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rewardmap.errors import StationFileError, UnknownLineError, UnknownStationError
from rewardmap.metro.names import canonical_line, canonical_station, split_tags, strip_tags_official


@dataclass(frozen=True)
class DataWarning:
    """Something in a station file that looks wrong or ambiguous; reported, never guessed silently."""

    code: str
    message: str
    line: str | None = None
    station: str | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True)
class StopEntry:
    """One entry of a line's list, as written in the station file."""

    name: str
    raw: str
    transfer_tag: bool = False
    branch_tag: bool = False


@dataclass(frozen=True)
class Station:
    """A physical station: a key unique in its network, a display name and the lines through it (file order)."""

    key: str
    name: str
    lines: tuple[str, ...]
    spellings: tuple[str, ...] = ()

    @property
    def is_transfer(self) -> bool:
        return len(self.lines) > 1

    def __str__(self) -> str:
        return self.name


class Line:
    """A line: its entries in file order and the track graph between its stations (a path, a loop, or a tree)."""

    def __init__(self, name: str, entries: Sequence[StopEntry], station_keys: Sequence[str], *,
                 loop: bool = False, closed_in_file: bool = False,
                 arm_edges: Sequence[tuple[int, int]] = (), cut_edges: Iterable[int] = ()) -> None:
        self.name = name
        self.entries = tuple(entries)
        #: station keys in list order, without a loop's closing repeat
        self.keys = tuple(station_keys)
        self.loop = loop
        self.closed_in_file = closed_in_file
        self._index = {k: i for i, k in enumerate(self.keys)}
        #: the spelling this line's list uses for each station (variants such as 西单 / 西单站 differ per line)
        self.spelling = {k: e.name for k, e in zip(self.keys, self.entries)}
        cut = set(cut_edges)
        adj: dict[str, list[str]] = {k: [] for k in self.keys}
        n = len(self.keys)
        for i in range(n - 1):
            if i not in cut:
                self._link(adj, self.keys[i], self.keys[i + 1])
        for a, b in arm_edges:
            self._link(adj, self.keys[a], self.keys[b])
        if loop and n > 2:
            self._link(adj, self.keys[-1], self.keys[0])
        self.adjacency = {k: tuple(v) for k, v in adj.items()}
        self.has_branch = bool(arm_edges)
        self._dist: dict[str, dict[str, int]] = {}

    @staticmethod
    def _link(adj: dict[str, list[str]], a: str, b: str) -> None:
        if b not in adj[a]:
            adj[a].append(b)
        if a not in adj[b]:
            adj[b].append(a)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        kind = "loop" if self.loop else ("branched" if self.has_branch else "path")
        return f"Line({self.name!r}, {len(self.keys)} stations, {kind})"

    def index(self, key: str) -> int:
        """Position of a station key in the list (file order)."""
        return self._index[key]

    def distances_from(self, key: str) -> dict[str, int]:
        """Number of track segments from ``key`` to every station of this line (BFS, cached)."""
        cached = self._dist.get(key)
        if cached is None:
            cached = {key: 0}
            queue = deque([key])
            while queue:
                u = queue.popleft()
                for v in self.adjacency[u]:
                    if v not in cached:
                        cached[v] = cached[u] + 1
                        queue.append(v)
            self._dist[key] = cached
        return cached

    def paths(self, a: str, b: str) -> list[tuple[str, ...]]:
        """Every shortest track path from ``a`` to ``b`` on this line, endpoints included.

        One path on a simple or branched line; on a loop the shorter way round, or both ways when they tie."""
        dist_b = self.distances_from(b)
        if a not in dist_b:
            return []
        out: list[tuple[str, ...]] = []

        def walk(u: str, acc: list[str]) -> None:
            if u == b:
                out.append(tuple(acc))
                return
            for v in self.adjacency[u]:
                if dist_b.get(v, -1) == dist_b[u] - 1:
                    acc.append(v)
                    walk(v, acc)
                    acc.pop()

        walk(a, [a])
        return out

    def path(self, a: str, b: str) -> tuple[str, ...]:
        """The shortest track path from ``a`` to ``b`` (a loop's tie goes in list direction)."""
        options = self.paths(a, b)
        if not options:
            raise KeyError(f"{b!r} is not reachable from {a!r} on line {self.name!r}")
        if len(options) > 1:
            ia = self._index[a]
            forward = [p for p in options if len(p) > 1 and self._index[p[1]] == (ia + 1) % len(self.keys)]
            if forward:
                return forward[0]
        return options[0]

    def ways_round(self, a: str, b: str) -> list[tuple[str, ...]]:
        """On a loop, both directions from ``a`` to ``b`` (shorter first); elsewhere the one path."""
        if not self.loop:
            return self.paths(a, b)
        n = len(self.keys)
        ia, ib = self._index[a], self._index[b]
        fwd = tuple(self.keys[(ia + i) % n] for i in range((ib - ia) % n + 1))
        bwd = tuple(self.keys[(ia - i) % n] for i in range((ia - ib) % n + 1))
        return sorted([fwd, bwd], key=len)


@dataclass(eq=False)
class Network:
    """A city's metro network read from a ReasonMap station file (or generated).

    Build with :func:`rewardmap.metro.load_network` or :meth:`from_lines`."""

    lines: dict[str, Line]
    stations: dict[str, Station]
    city: str = ""
    country: str = ""
    source: str | None = None
    warnings: list[DataWarning] = field(default_factory=list)
    #: per-instance caches of derived lookups (cleaned names per cleaner, ...)
    cache: dict = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_lines(cls, lines: Mapping[str, Sequence[str]], *, city: str = "", country: str = "",
                   source: object = None, loops: Iterable[str] = (),
                   branch_arms: Mapping[str, str | Sequence[str]] | None = None,
                   homonyms: Mapping[str, Sequence[Sequence[str]]] | None = None) -> Network:
        """Build a network from ``{line name: [entries in line order]}`` (entries may carry tags).

        ``loops``: lines that are loops although the file does not repeat the first station. ``branch_arms``:
        per line, the first stop(s) of arms appended later in the list. ``homonyms``: names that denote distinct
        stations, as groups of lines (see the module doc)."""
        src = "<memory>" if source is None else str(source)
        if not isinstance(lines, Mapping):
            raise StationFileError(src, f"expected a JSON object mapping line names to lists, found {type(lines).__name__}")
        if not lines:
            raise StationFileError(src, "the file defines no lines")
        warnings: list[DataWarning] = []
        loops = set(loops)
        branch_arms = dict(branch_arms or {})
        homonym_groups = {canonical_station(k): [set(g) for g in v] for k, v in (homonyms or {}).items()}

        def key_for(name: str, line: str) -> str:
            base = canonical_station(name)
            groups = homonym_groups.get(base)
            if groups:
                for gi, group in enumerate(groups):
                    if line in group:
                        return base if gi == 0 else f"{base}#{gi + 1}"
            return base

        station_lines: dict[str, list[str]] = {}
        spellings: dict[str, list[str]] = {}
        tagged_on: dict[str, set[str]] = {}
        built: dict[str, Line] = {}
        for line_name, raw_list in lines.items():
            if not isinstance(line_name, str) or not line_name.strip():
                raise StationFileError(src, "line names must be non-empty strings", line=str(line_name))
            if not isinstance(raw_list, list):
                raise StationFileError(src, f"expected a list of station names, found {type(raw_list).__name__}",
                                       line=line_name)
            if not raw_list:
                raise StationFileError(src, "the line has no stations", line=line_name)
            entries: list[StopEntry] = []
            for pos, raw in enumerate(raw_list):
                if not isinstance(raw, str):
                    raise StationFileError(src, f"entry {pos} is {type(raw).__name__} {raw!r}, expected a string",
                                           line=line_name)
                name, transfer, branch = split_tags(raw)
                if not name:
                    raise StationFileError(src, f"entry {pos} ({raw!r}) has an empty station name", line=line_name)
                if strip_tags_official(raw).strip() != name and (transfer or branch):
                    warnings.append(DataWarning("irregular_tag", f"{line_name}: entry {raw!r} has a tag the official "
                                                "code does not strip", line=line_name, station=name))
                entries.append(StopEntry(name=name, raw=raw, transfer_tag=transfer, branch_tag=branch))
            keys = [key_for(e.name, line_name) for e in entries]
            closed = len(keys) > 2 and keys[0] == keys[-1]
            topo_keys = keys[:-1] if closed else list(keys)
            seen: dict[str, int] = {}
            for pos, k in enumerate(topo_keys):
                if k in seen:
                    # two distinct stations with one name on one line (New York's B line lists two "7 Av"): the
                    # released code keeps both entries; we keep both as stations of their own (the later one only
                    # on this line), so planning stays right and no question is asked about the name
                    topo_keys[pos] = f"{k}#{line_name}#{pos}"
                    warnings.append(DataWarning(
                        "repeated_name", f"{line_name}: {entries[pos].name!r} appears twice (entries {seen[k]} and "
                        f"{pos}); read as two stations, and no question names it", line=line_name,
                        station=entries[pos].name))
                    continue
                seen[k] = pos
            is_loop = closed or line_name in loops
            arm_edges, cut_edges = _branch_topology(line_name, entries[: len(topo_keys)], topo_keys,
                                                    branch_arms.get(line_name), warnings)
            built[line_name] = Line(line_name, entries, topo_keys, loop=is_loop, closed_in_file=closed,
                                    arm_edges=arm_edges, cut_edges=cut_edges)
            for entry, k in zip(entries[: len(topo_keys)], topo_keys):
                station_lines.setdefault(k, [])
                if line_name not in station_lines[k]:
                    station_lines[k].append(line_name)
                spellings.setdefault(k, [])
                if entry.name not in spellings[k]:
                    spellings[k].append(entry.name)
                if entry.transfer_tag:
                    tagged_on.setdefault(k, set()).add(line_name)
        for name in loops:
            if name not in built:
                warnings.append(DataWarning("unknown_hint", f"loop hint for unknown line {name!r}", line=name))
        for name in branch_arms:
            if name not in built:
                warnings.append(DataWarning("unknown_hint", f"branch hint for unknown line {name!r}", line=name))

        stations = {k: Station(key=k, name=spellings[k][0], lines=tuple(v), spellings=tuple(spellings[k]))
                    for k, v in station_lines.items()}
        for k, st in stations.items():
            if len(st.spellings) > 1:
                warnings.append(DataWarning("name_variants", f"{' / '.join(map(repr, st.spellings))} are read as "
                                            "one station", station=st.name))
            tags = tagged_on.get(k, set())
            if st.is_transfer and not tags:
                warnings.append(DataWarning("untagged_shared_name", f"{st.name!r} is on {', '.join(st.lines)} but "
                                            "never tagged as a transfer (homonym or shared track?)", station=st.name))
            elif st.is_transfer and tags != set(st.lines):
                missing = [ln for ln in st.lines if ln not in tags]
                warnings.append(DataWarning("transfer_tag_missing", f"{st.name!r} is a transfer but untagged on "
                                            f"{', '.join(missing)}", station=st.name))
            elif not st.is_transfer and tags:
                warnings.append(DataWarning("tagged_single_line", f"{st.name!r} is tagged as a transfer but is on "
                                            f"one line only ({st.lines[0]}); the transfer leads off this map's "
                                            "lines", station=st.name))
        return cls(lines=built, stations=stations, city=city, country=country, source=src, warnings=warnings)

    # ----------------------------------------------------------------- lookups
    @cached_property
    def _line_aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in self.lines:
            out.setdefault(canonical_line(name), []).append(name)
        return out

    def line(self, name: str) -> Line:
        """The line called ``name`` (exact key, else a unique alias such as "Route 1" for "Line 1")."""
        found = self.resolve_line(name)
        if found is None:
            raise UnknownLineError(name, list(self.lines))
        return found

    def resolve_line(self, text: str) -> Line | None:
        """Exact key first, then our line aliases; None when unknown or ambiguous."""
        if text in self.lines:
            return self.lines[text]
        names = self._line_aliases.get(canonical_line(text), [])
        return self.lines[names[0]] if len(names) == 1 else None

    def resolve_station(self, text: str) -> Station | None:
        """The station a text names (canonical matching: case, accents, full-width, "Station"/"站"), or None.

        A homonym (a name shared by distinct stations) resolves to its first station; use :meth:`stations_named`
        to see all of them."""
        matches = self.stations_named(text)
        return matches[0] if matches else None

    def stations_named(self, text: str) -> list[Station]:
        """All stations whose name matches ``text`` canonically (several only for declared homonyms)."""
        base = canonical_station(text)
        out = [self.stations[base]] if base in self.stations else []
        i = 2
        while f"{base}#{i}" in self.stations:
            out.append(self.stations[f"{base}#{i}"])
            i += 1
        return out

    def suggest_stations(self, text: str, n: int = 5) -> list[str]:
        """Names of the stations closest to ``text`` (for "did you mean" messages)."""
        by_key = {k.split("#")[0]: s.name for k, s in self.stations.items()}
        close = difflib.get_close_matches(canonical_station(text), list(by_key), n=n, cutoff=0.5)
        return [by_key[k] for k in close]

    def station(self, name: str | Station) -> Station:
        """The station called ``name``; raises :class:`UnknownStationError` with suggestions."""
        if isinstance(name, Station):
            return name
        found = self.resolve_station(name)
        if found is None:
            raise UnknownStationError(name, self.suggest_stations(name), city=self.city or None)
        return found

    # ----------------------------------------------------------------- queries
    def lines_through(self, station: str | Station) -> tuple[str, ...]:
        """Names of the lines that stop at ``station`` (file order)."""
        return self.station(station).lines

    def stations_on(self, line: str) -> tuple[Station, ...]:
        """The stations of a line in list order."""
        ln = self.line(line)
        return tuple(self.stations[k] for k in ln.keys)

    def stations_between(self, a: str | Station, b: str | Station, line: str) -> tuple[Station, ...]:
        """Intermediate stops between ``a`` and ``b`` along ``line``, endpoints excluded, branch and loop aware
        (the track path, not list slicing; on a loop the shorter way round)."""
        ln = self.line(line)
        sa, sb = self.station(a), self.station(b)
        if sa.key not in ln or sb.key not in ln:
            missing = sa.name if sa.key not in ln else sb.name
            raise UnknownStationError(f"{missing} (not on {ln.name})", (), city=self.city or None)
        path = ln.path(sa.key, sb.key)
        return tuple(self.stations[k] for k in path[1:-1])

    def share_line(self, a: str | Station, b: str | Station) -> tuple[str, ...]:
        """Lines that stop at both ``a`` and ``b``."""
        la, lb = self.station(a).lines, set(self.station(b).lines)
        return tuple(x for x in la if x in lb)

    def transfer_stations(self) -> list[Station]:
        """Stations served by two or more lines of this file."""
        return [s for s in self.stations.values() if s.is_transfer]

    @property
    def city_line_count(self) -> int:
        """Number of lines = number of keys of the station file (data-schema §3.3)."""
        return len(self.lines)

    @property
    def city_transfer_count(self) -> int:
        """Entries carrying a transfer or branch-start tag, counted once per line entry (data-schema §3.3;
        reproduces dalian 15, hefei 23, dubai 6, singapore 53, shanghai 197). Every raw entry counts, including a
        loop's closing repeat, as in the public data."""
        return sum(1 for ln in self.lines.values() for e in ln.entries if e.transfer_tag or e.branch_tag)

    @property
    def stop_entries(self) -> int:
        """Total number of list entries across lines."""
        return sum(len(ln.entries) for ln in self.lines.values())

    def __repr__(self) -> str:
        return (f"Network({self.country}/{self.city}: {len(self.lines)} lines, {len(self.stations)} stations, "
                f"{len(self.transfer_stations())} transfers, {len(self.warnings)} warnings)")


def _branch_topology(line_name: str, entries: Sequence[StopEntry], keys: Sequence[str],
                     arm_hint: str | Sequence[str] | None, warnings: list[DataWarning]
                     ) -> tuple[list[tuple[int, int]], list[int]]:
    """Edges that attach later arms to their branch station, and list edges that are not track."""
    branch_positions = [i for i, e in enumerate(entries) if e.branch_tag]
    if not branch_positions:
        if arm_hint:
            warnings.append(DataWarning("unknown_hint", f"{line_name}: branch hint but no branch-start tag",
                                        line=line_name))
        return [], []
    hints = [arm_hint] if isinstance(arm_hint, str) else list(arm_hint or [])
    if not hints:
        for b in branch_positions:
            if b < len(keys) - 1:
                warnings.append(DataWarning(
                    "branch_split_unknown", f"{line_name}: {entries[b].name!r} starts a branch but the file does "
                    "not say where the second arm begins; the list is read as one path (official slicing)",
                    line=line_name, station=entries[b].name))
        return [], []
    arm_edges: list[tuple[int, int]] = []
    cut: list[int] = []
    for hint in hints:
        hk = canonical_station(hint)
        if hk not in keys:
            warnings.append(DataWarning("unknown_hint", f"{line_name}: branch arm start {hint!r} is not on the line",
                                        line=line_name))
            continue
        s = keys.index(hk)
        before = [b for b in branch_positions if b < s - 1]
        if not before:
            warnings.append(DataWarning("unknown_hint", f"{line_name}: no branch station before {hint!r}",
                                        line=line_name))
            continue
        arm_edges.append((before[-1], s))
        cut.append(s - 1)
    return arm_edges, cut
