"""Procedural metro networks on an octilinear grid.

A city is grown line by line on an integer grid; one grid step = one station spacing. Every station sits on a grid
point and every track segment joins two neighbouring points in one of 8 directions, so drawn paths are octilinear
(0/45/90°) by construction. Rules that keep the diagram honest:

* A point holds at most one station; a line that steps onto a point already used by another line calls at that
  station, which becomes a transfer. Crossings therefore only happen at transfer stations: two lines may not share a
  track segment, and two diagonal segments may not cross between grid points.
* Each line after the first starts from a station of an earlier line (so the network is connected) and grows in both
  directions, preferring straight runs and 45° bends (a bend needs a straight run of 2 before it; 90° bends are rare
  and 135° ones never happen).
* ``transfer_density`` (0..1) is the pull towards stepping onto other lines' stations versus keeping clear of them.
* A loop line is a chamfered rectangle around the centre, written Shanghai-style (first station repeated last) *and*
  listed in the geometry's ``topology.loops``. A branch splits a line at a station tagged Branch-starting; the second
  arm is appended after the first in the station file and named in ``topology.branch_arms``.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from rewardmap.errors import ConfigError, RewardMapError
from rewardmap.metro.io import network_from_mapping
from rewardmap.metro.names import is_cjk, render_entry
from rewardmap.metro.network import Network
from rewardmap.metro.topology import TopologyHints
from rewardmap.synth.names import (
    DRAWN_LINE_NAMING_STYLES,
    LINE_NAMING_STYLES,
    MAX_LINES,
    NAMING_STYLES,
    city_name,
    line_names,
    station_names,
)

Point = tuple[int, int]
#: the 8 octilinear directions, index 0 = east, counter-clockwise on screen (y grows downwards)
DIRS: tuple[Point, ...] = ((1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1))


#: Grid radius of a ``mini`` city per square root of its station target (the standard formula spreads lines out).
MINI_RADIUS_FACTOR = 0.7

#: Score of a 45° bend against 2.0 for going straight (plus up to 0.9 of noise): about one bend per 20 stations.
TURN_SCORE = 1.3


#: Layout families of :class:`CitySpec` (``rewardmap.synth.layout.LAYOUT_PARAMS`` holds their sizes).
LAYOUTS = ("standard", "mini")


class LayoutError(RewardMapError):
    """A synthetic city could not be laid out (tracks or labels) after every retry."""


class _Retry(Exception):
    """Internal: this attempt failed, try again with the next derived seed."""


@dataclass(frozen=True)
class CitySpec:
    """What to generate. Ranges are inclusive; every random choice comes from the seed.

    ``lines``: number of lines (1..12). ``stations_per_line``: target stations per line (lines may end a little
    shorter when they run out of room). ``transfer_density``: 0 = lines keep clear of each other (one transfer each),
    1 = lines seek each other's stations. ``branches``: lines with one branch. ``loops``: loop lines (0 or 1).
    ``naming``: station naming style (``english``, ``romance``, ``chinese``, ``glyph``). ``line_naming``:
    ``number``, ``colour``, ``letter``, ``short`` or None (drawn from the first three by the seed). ``name``: city
    file stem (drawn when None). ``layout``: ``standard`` (names, terminus badges, title and legend, drawn for
    448 px and up) or ``mini`` (big one/two-glyph labels, no badges or title, a compact legend, drawn for 96-448 px;
    :data:`MINI_PRESET`)."""

    lines: int = 4
    stations_per_line: tuple[int, int] = (10, 16)
    transfer_density: float = 0.5
    branches: int = 0
    loops: int = 0
    naming: str = "english"
    line_naming: str | None = None
    name: str | None = None
    country: str = "synthland"
    seed: int = 0
    layout: str = "standard"

    def validate(self) -> None:
        if not 1 <= self.lines <= MAX_LINES:
            raise ConfigError(f"CitySpec.lines must be 1..{MAX_LINES}, got {self.lines}")
        lo, hi = self.stations_per_line
        if not 3 <= lo <= hi <= 60:
            raise ConfigError(f"CitySpec.stations_per_line must satisfy 3 <= min <= max <= 60, got {lo}..{hi}")
        if not 0.0 <= self.transfer_density <= 1.0:
            raise ConfigError(f"CitySpec.transfer_density must be in [0, 1], got {self.transfer_density}")
        if not 0 <= self.loops <= 1 or self.loops > self.lines:
            raise ConfigError(f"CitySpec.loops must be 0 or 1 (and at most lines), got {self.loops}")
        if not 0 <= self.branches <= self.lines - self.loops:
            raise ConfigError(f"CitySpec.branches must be 0..{self.lines - self.loops}, got {self.branches}")
        if self.naming not in NAMING_STYLES:
            raise ConfigError(f"unknown naming style {self.naming!r}; expected one of {', '.join(NAMING_STYLES)}")
        if self.layout not in LAYOUTS:
            raise ConfigError(f"unknown layout {self.layout!r}; expected one of {', '.join(LAYOUTS)}")
        if self.line_naming is not None and self.line_naming not in LINE_NAMING_STYLES:
            raise ConfigError(f"unknown line naming {self.line_naming!r}; expected one of "
                              f"{', '.join(LINE_NAMING_STYLES)}")


#: Spec presets per intended map difficulty (the written label is computed from the result, see ``difficulty``).
PRESETS: dict[str, dict] = {
    "easy": {"lines": (2, 3), "stations_per_line": (8, 13), "transfer_density": (0.2, 0.5), "branches": (0, 0),
             "loops": (0, 0)},
    "middle": {"lines": (4, 5), "stations_per_line": (10, 15), "transfer_density": (0.3, 0.5), "branches": (0, 1),
               "loops": (0, 1)},
    "hard": {"lines": (7, 9), "stations_per_line": (12, 18), "transfer_density": (0.5, 0.8), "branches": (0, 2),
             "loops": (0, 1)},
}


#: The ``mini`` preset: small cities for tiny models (the CPU ablation of issue 14): 3-5 lines of 4-8 stations,
#: one/two-glyph station labels ("A", "B7"), colour-word line names ("Red"), the ``mini`` layout; drawn at 224 px by
#: default. The map label still comes from :func:`rewardmap.synth.map_difficulty`: 3 lines → easy, 4-5 → middle
#: (15 transfer stations, the other way to ``hard``, do not fit in so few stations).
MINI_PRESET: dict = {"lines": (3, 5), "stations_per_line": (4, 8), "transfer_density": (0.45, 0.75),
                     "branches": (0, 0), "loops": (0, 0), "naming": "glyph", "line_naming": "short",
                     "layout": "mini"}


def spec_for_mini(rng: random.Random, **overrides) -> CitySpec:
    """A :class:`CitySpec` drawn from :data:`MINI_PRESET` (every draw from ``rng``; ``overrides`` win)."""
    p = MINI_PRESET
    lo, hi = p["stations_per_line"]
    a = rng.randint(lo, hi - 2)
    values = {
        "lines": rng.randint(*p["lines"]),
        "stations_per_line": (a, a + 2),
        "transfer_density": round(rng.uniform(*p["transfer_density"]), 2),
        "branches": rng.randint(*p["branches"]),
        "loops": rng.randint(*p["loops"]),
        "naming": p["naming"],
        "line_naming": p["line_naming"],
        "layout": p["layout"],
        "seed": rng.randrange(2**31),
    }
    values.update(overrides)
    return CitySpec(**values)


def spec_for_difficulty(difficulty: str, rng: random.Random, **overrides) -> CitySpec:
    """A :class:`CitySpec` drawn from the preset for ``difficulty`` (``easy``/``middle``/``hard``)."""
    try:
        p = PRESETS[difficulty]
    except KeyError:
        raise ConfigError(f"unknown difficulty {difficulty!r}; expected easy, middle or hard") from None
    lo, hi = p["stations_per_line"]
    a = rng.randint(lo, hi - 3)
    values = {
        "lines": rng.randint(*p["lines"]),
        "stations_per_line": (a, a + 3),
        "transfer_density": round(rng.uniform(*p["transfer_density"]), 2),
        "branches": rng.randint(*p["branches"]),
        "loops": rng.randint(*p["loops"]),
        "seed": rng.randrange(2**31),
    }
    values.update(overrides)
    return CitySpec(**values)


@dataclass(frozen=True)
class LinePlan:
    """A line on the grid: the main path in file order, and optionally a branch arm leaving ``points[branch_at]``."""

    name: str
    badge: str
    colour: str
    points: tuple[Point, ...]
    loop: bool = False
    branch_at: int | None = None
    arm: tuple[Point, ...] = ()

    @property
    def all_points(self) -> tuple[Point, ...]:
        return self.points + self.arm

    def polylines(self) -> list[tuple[Point, ...]]:
        """Drawable paths: the main path (closed for a loop) and the arm starting at its branch station."""
        out = [self.points + ((self.points[0],) if self.loop else ())]
        if self.arm and self.branch_at is not None:
            out.append((self.points[self.branch_at], *self.arm))
        return out

    def segments(self) -> list[tuple[Point, Point]]:
        return [(p[i], p[i + 1]) for p in self.polylines() for i in range(len(p) - 1)]

    def termini(self) -> list[tuple[Point, Point]]:
        """``(terminus, the station before it)`` for every end of the line (none for a loop)."""
        if self.loop:
            return []
        ends = [(self.points[0], self.points[1]), (self.points[-1], self.points[-2])]
        if self.arm:
            prev = self.arm[-2] if len(self.arm) > 1 else self.points[self.branch_at]
            ends.append((self.arm[-1], prev))
        return ends


@dataclass(frozen=True)
class GridCity:
    """A generated network on the grid, before layout: line plans and the station name of every point."""

    lines: tuple[LinePlan, ...]
    names: dict[Point, str] = field(default_factory=dict)

    def lines_at(self, p: Point) -> list[str]:
        return [ln.name for ln in self.lines if p in ln.all_points]


class _Grid:
    def __init__(self, radius: int) -> None:
        self.radius = radius
        self.lines_at: dict[Point, list[int]] = {}
        self.edges: set[tuple[Point, Point]] = set()

    @staticmethod
    def edge(a: Point, b: Point) -> tuple[Point, Point]:
        return (a, b) if a <= b else (b, a)

    def can_step(self, cur: Point, q: Point, own: set[Point], line: int) -> bool:
        if max(abs(q[0]), abs(q[1])) > self.radius or q in own:
            return False
        if self.edge(cur, q) in self.edges:
            return False
        dx, dy = q[0] - cur[0], q[1] - cur[1]
        if dx and dy and self.edge((cur[0] + dx, cur[1]), (cur[0], cur[1] + dy)) in self.edges:
            return False  # would cross a diagonal segment between grid points
        at = self.lines_at.get(q, [])
        return len(at) < 3 and line not in at

    def add(self, line: int, pts: list[Point] | tuple[Point, ...], closed: bool = False) -> None:
        for p in pts:
            self.lines_at.setdefault(p, [])
            if line not in self.lines_at[p]:
                self.lines_at[p].append(line)
        for a, b in itertools.pairwise(pts):
            self.edges.add(self.edge(a, b))
        if closed:
            self.edges.add(self.edge(pts[-1], pts[0]))


def _grow(grid: _Grid, start: Point, direction: int, steps: int, own: set[Point], line: int, density: float,
          rng: random.Random) -> list[Point]:
    """Walk up to ``steps`` stations from ``start`` (excluded), mostly straight."""
    out: list[Point] = []
    cur, d, run = start, direction, 2
    for _ in range(steps):
        best: tuple[float, Point, int] | None = None
        for turn in (0, 1, -1, 2, -2):
            if abs(turn) == 1 and run < 2:
                continue
            if abs(turn) == 2 and (run < 3 or rng.random() < 0.7):
                continue
            c = (d + turn) % 8
            q = (cur[0] + DIRS[c][0], cur[1] + DIRS[c][1])
            if not grid.can_step(cur, q, own, line):
                continue
            score = (2.0, TURN_SCORE, TURN_SCORE, -0.4, -0.4)[(0, 1, -1, 2, -2).index(turn)]
            drift = min((c - direction) % 8, (direction - c) % 8)
            if drift > 1:  # keep the overall heading: no spirals, no hooks
                score -= 1.5 * (drift - 1)
            if grid.lines_at.get(q):
                score += density * 4.0 - 1.8
            crowd = sum(1 for dx, dy in DIRS if (n := (q[0] + dx, q[1] + dy)) != cur and grid.lines_at.get(n)
                        and line not in grid.lines_at[n])
            score -= crowd * (1.5 - 0.7 * density)
            if max(abs(q[0]), abs(q[1])) >= grid.radius - 1:
                score -= 1.0
            score += rng.random() * 0.9
            if best is None or score > best[0]:
                best = (score, q, c)
        if best is None:
            break
        _, q, c = best
        run = run + 1 if c == d else 1
        d, cur = c, q
        out.append(q)
        own.add(q)
    return out


def _direction(a: Point, b: Point) -> int:
    dx, dy = b[0] - a[0], b[1] - a[1]
    return DIRS.index((max(-1, min(1, dx)), max(-1, min(1, dy))))


def _loop_points(target: int, rng: random.Random, radius: int) -> list[Point]:
    chamfer = rng.choice((1, 1, 2))
    half_sum = max(4, round((target + 4 * chamfer) / 4))
    a = max(chamfer + 1, min(radius - 2, half_sum // 2 + rng.choice((0, 1))))
    b = max(chamfer + 1, min(radius - 2, half_sum - a))
    ox, oy = rng.choice((-1, 0, 1)), rng.choice((-1, 0, 0, 1))
    corners = [(-a + chamfer, -b), (a - chamfer, -b), (a, -b + chamfer), (a, b - chamfer), (a - chamfer, b),
               (-a + chamfer, b), (-a, b - chamfer), (-a, -b + chamfer)]
    pts: list[Point] = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1]):
        n = max(abs(x1 - x0), abs(y1 - y0))
        sx, sy = (x1 > x0) - (x1 < x0), (y1 > y0) - (y1 < y0)
        pts.extend((x0 + sx * i + ox, y0 + sy * i + oy) for i in range(n))
    return pts


def _plan_network(spec: CitySpec, rng: random.Random) -> list[tuple[list[Point], bool, int | None, list[Point]]]:
    lo, hi = spec.stations_per_line
    total = spec.lines * (lo + hi) / 2
    radius = max(5, min(40, round((total ** 0.5) * 1.25 + hi * 0.25)))
    if spec.layout == "mini":  # compact: a small canvas keeps the labels big at 112-224 px
        radius = max(3, min(radius, round(total ** 0.5 * MINI_RADIUS_FACTOR + 1)))
    grid = _Grid(radius)
    plans: list[tuple[list[Point], bool, int | None, list[Point]]] = []
    branch_lines = set(rng.sample(range(spec.loops, spec.lines), spec.branches))
    for li in range(spec.lines):
        target = rng.randint(lo, hi)
        if li < spec.loops:
            pts = _loop_points(target, rng, radius)
            grid.add(li, pts, closed=True)
            plans.append((pts, True, None, []))
            continue
        best: list[Point] | None = None
        for _attempt in range(40):
            if not grid.lines_at:
                anchor, d0 = (0, 0), rng.randrange(8)
            else:
                pool = sorted(p for p, ls in grid.lines_at.items() if len(ls) == 1)
                if not pool:
                    pool = sorted(p for p, ls in grid.lines_at.items() if len(ls) < 3)
                pool.sort(key=lambda p: max(abs(p[0]), abs(p[1])))
                anchor = rng.choice(pool[: max(3, len(pool) * 2 // 3)])
                host = grid.lines_at[anchor][0]
                hp = plans[host][0] + plans[host][3]
                i = hp.index(anchor)
                nb = hp[i + 1] if i + 1 < len(hp) else hp[i - 1]
                d0 = (_direction(anchor, nb) + rng.choice((2, -2, 1, -1, 2, -2))) % 8
            own = {anchor}
            k1 = (target - 1) // 2 + rng.choice((-1, 0, 1))
            arm1 = _grow(grid, anchor, d0, max(1, k1), own, li, spec.transfer_density, rng)
            arm2 = _grow(grid, anchor, (d0 + 4) % 8, target - 1 - len(arm1), own, li, spec.transfer_density, rng)
            pts = [*reversed(arm2), anchor, *arm1]
            if len(pts) < target and arm1:
                more = _grow(grid, pts[-1], _direction(pts[-2], pts[-1]), target - len(pts), own, li,
                             spec.transfer_density, rng)
                pts += more
            if best is None or len(pts) > len(best):
                best = pts
            if len(pts) >= max(3, target - 2):
                break
        assert best is not None
        if len(best) < (lo if spec.layout == "mini" else max(3, int(0.6 * target))):  # mini: never below the range
            raise _Retry(f"line {li} found no room")
        grid.add(li, best)
        branch_at, arm = None, []
        if li in branch_lines:
            own = set(best)
            options = list(range(2, len(best) - 2))
            rng.shuffle(options)
            for k in options:
                dm = _direction(best[k], best[k + 1])
                for turn in rng.sample((1, -1, 2, -2), 4):
                    a = _grow(grid, best[k], (dm + turn) % 8, max(3, target // 3), set(own), li,
                              spec.transfer_density, rng)
                    if len(a) >= 2:
                        branch_at, arm = k, a
                        break
                if arm:
                    break
            if not arm:
                raise _Retry(f"line {li}: no room for its branch")
            grid.add(li, [best[branch_at], *arm])
        plans.append((best, False, branch_at, arm))
    return plans


def plan_city(spec: CitySpec, rng: random.Random) -> GridCity:
    """Grow the lines of ``spec`` on the grid and name every station (raises ``_Retry`` on a dead end)."""
    spec.validate()
    plans = _plan_network(spec, rng)
    line_style = spec.line_naming or rng.choice(DRAWN_LINE_NAMING_STYLES)
    named = line_names(line_style, spec.lines, rng, chinese=spec.naming == "chinese")
    order: list[Point] = []
    seen: set[Point] = set()
    for pts, _, _, arm in plans:
        for p in [*pts, *arm]:
            if p not in seen:
                seen.add(p)
                order.append(p)
    names = dict(zip(order, station_names(spec.naming, len(order), rng)))
    lines = tuple(LinePlan(name=nm, badge=badge, colour=colour, points=tuple(pts), loop=loop, branch_at=b,
                           arm=tuple(arm))
                  for (nm, badge, colour), (pts, loop, b, arm) in zip(named, plans))
    return GridCity(lines=lines, names=names)


def file_station_name(label: str) -> str:
    """The name a station file uses for a map label, in the ReasonMap convention (data-schema §4.1): non-Chinese
    names carry a " Station" suffix ("Bishan" on the map, "Bishan Station" in the file and in questions); Chinese
    names already end in 站."""
    return label if is_cjk(label) else f"{label} Station"


def station_mapping(grid: GridCity) -> dict[str, list[str]]:
    """The ReasonMap station-file mapping of a grid city, with transfer and branch tags (render_entry)."""
    count: dict[Point, int] = {}
    for ln in grid.lines:
        for p in ln.all_points:
            count[p] = count.get(p, 0) + 1
    out: dict[str, list[str]] = {}
    for ln in grid.lines:
        entries = [render_entry(file_station_name(grid.names[p]), count[p] > 1, i == ln.branch_at)
                   for i, p in enumerate(ln.points)]
        entries += [render_entry(file_station_name(grid.names[p]), count[p] > 1, False) for p in ln.arm]
        if ln.loop:
            entries.append(entries[0])
        out[ln.name] = entries
    return out


def topology_of(grid: GridCity) -> dict:
    """The ``topology`` object of the geometry sidecar: loop line names and each branched line's later arm."""
    return {"loops": [ln.name for ln in grid.lines if ln.loop],
            "branch_arms": {ln.name: [file_station_name(grid.names[ln.arm[0]])] for ln in grid.lines if ln.arm}}


def build_network(grid: GridCity, *, city: str, country: str) -> Network:
    """The :class:`~rewardmap.metro.Network` of a grid city (topology hints attached)."""
    topo = topology_of(grid)
    hints = TopologyHints(loops=tuple(topo["loops"]),
                          branch_arms={k: tuple(v) for k, v in topo["branch_arms"].items()})
    return network_from_mapping(station_mapping(grid), city=city, country=country, hints=hints)


def city_slug(rng: random.Random) -> str:
    return city_name(rng).lower()
