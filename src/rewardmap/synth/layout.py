"""Resolution-independent map layout: station markers, labels, terminus badges, title and legend.

Everything is placed in grid units (1 unit = station spacing) once per city; the renderer only scales. Label
placement is greedy and collision-checked: stations are visited transfers first, then termini, then the rest; each
tries 8 positions around its marker (then a two-line wrap of multi-word names) and takes the cheapest one that
overlaps no other label, marker or badge. Crossing a track costs a lot but is allowed as a last resort. A station
with no admissible position raises ``_Retry``; :func:`rewardmap.synth.generate_city` then regrows the city from the
next derived seed and gives up with :class:`~rewardmap.synth.generator.LayoutError` after a fixed number of tries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rewardmap.synth.fonts import ink_extent, text_extent
from rewardmap.synth.generator import DIRS, GridCity, Point, _Retry

Box = tuple[float, float, float, float]

LINE_WIDTH = 0.14
STATION_RADIUS = 0.10
TRANSFER_RADIUS = 0.18
LABEL_EM = 0.2
LABEL_PAD = 0.025
FAR_GAP = 0.25  # second ring of label positions, further from the marker
CROSSING_COST = 6.0  # per track segment a label box would cover
AMBIGUITY_COST = 1.2  # a label nearer to another station's marker than to its own
SMALL_LABEL = 0.8  # last-resort label size, relative to LABEL_EM
LABEL_GAP = 0.06
BADGE_EM = 0.22
BADGE_H = 0.34
TITLE_EM = 0.62
LEGEND_EM = 0.3
MARGIN = 0.5


@dataclass(frozen=True)
class LayoutParams:
    """Sizes of a layout family, in grid units (1 = station spacing) unless said otherwise.

    ``standard`` (the module constants above) draws names of up to 15 characters for maps of 448 px and up;
    ``mini`` (:data:`MINI_LAYOUT`) draws one/two-glyph labels big enough for 14-px vision patches on 96-448 px maps:
    bold labels boxed to their ink (capitals and digits have no descenders), no terminus badges (their letters would
    look like station labels), no title, a compact legend of colour-word line names."""

    line_width: float = LINE_WIDTH
    station_radius: float = STATION_RADIUS
    transfer_radius: float = TRANSFER_RADIUS
    label_em: float = LABEL_EM
    label_pad: float = LABEL_PAD
    label_gap: float = LABEL_GAP
    label_bold: bool = False
    label_ink_box: bool = False  # box a label to its ink (True) or to the font's line height (False)
    far_gap: float = FAR_GAP
    small_label: float = SMALL_LABEL
    badges: bool = True
    badge_em: float = BADGE_EM
    badge_h: float = BADGE_H
    title: bool = True
    title_em: float = TITLE_EM
    legend_em: float = LEGEND_EM
    legend_swatch: float = 0.9
    legend_gap: float = 0.6
    margin: float = MARGIN
    #: renderer: smallest and "auto" long side in pixels (auto None: 64 px per grid unit, clamped 1024..8192)
    min_size: int = 256
    auto_size: int | None = None


STANDARD_LAYOUT = LayoutParams()
MINI_LAYOUT = LayoutParams(line_width=0.17, station_radius=0.12, transfer_radius=0.2, label_em=0.7, label_pad=0.03,
                           label_gap=0.05, label_bold=True, label_ink_box=True, far_gap=0.15, small_label=0.85,
                           badges=False, title=False, legend_em=0.45, legend_swatch=0.7, legend_gap=0.4,
                           margin=0.3, min_size=96, auto_size=224)
LAYOUT_PARAMS: dict[str, LayoutParams] = {"standard": STANDARD_LAYOUT, "mini": MINI_LAYOUT}


# label positions: (name, unit offset direction, base cost)
_POSITIONS = (("E", (1, 0), 0.0), ("W", (-1, 0), 0.25), ("N", (0, -1), 0.35), ("S", (0, 1), 0.35),
              ("NE", (1, -1), 0.45), ("SE", (1, 1), 0.5), ("NW", (-1, -1), 0.6), ("SW", (-1, 1), 0.65))


@dataclass(frozen=True)
class StationMark:
    name: str
    point: Point
    radius: float
    transfer: bool
    lines: tuple[str, ...]

    @property
    def box(self) -> Box:
        x, y = self.point
        r = self.radius
        return (x - r, y - r, x + r, y + r)


@dataclass(frozen=True)
class Label:
    station: str
    text: str
    box: Box
    em: float


@dataclass(frozen=True)
class Badge:
    line: str
    text: str
    box: Box
    colour: str


@dataclass(frozen=True)
class LegendEntry:
    line: str
    colour: str
    swatch: tuple[float, float, float, float]
    label: Label


@dataclass(frozen=True)
class CityLayout:
    """Every drawable element in grid units; ``canvas`` is the visible area."""

    canvas: Box
    stations: tuple[StationMark, ...]
    labels: tuple[Label, ...]
    badges: tuple[Badge, ...]
    title: Label
    legend: tuple[LegendEntry, ...]
    cjk: bool
    params: LayoutParams = STANDARD_LAYOUT


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def segment_hits_box(p: tuple[float, float], q: tuple[float, float], box: Box, grow: float = 0.0) -> bool:
    """Liang–Barsky: does segment ``p``–``q`` pass through ``box`` (enlarged by ``grow``)?"""
    x0, y0, x1, y1 = box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return False
            continue
        t = qk / pk
        if pk < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


class _Index:
    """A uniform-grid spatial hash of boxes (cell = 1 unit)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Box]] = {}

    @staticmethod
    def _cells(b: Box):
        for cx in range(int(b[0] // 1), int(b[2] // 1) + 1):
            for cy in range(int(b[1] // 1), int(b[3] // 1) + 1):
                yield cx, cy

    def add(self, b: Box) -> None:
        for c in self._cells(b):
            self.cells.setdefault(c, []).append(b)

    def hits(self, b: Box) -> bool:
        return any(_overlap(b, o) for c in self._cells(b) for o in self.cells.get(c, ()))


class _SegIndex:
    def __init__(self, segments: list[tuple[Point, Point]], line_width: float = LINE_WIDTH) -> None:
        self.line_width = line_width
        self.cells: dict[tuple[int, int], list[tuple[Point, Point]]] = {}
        for s in segments:
            (ax, ay), (bx, by) = s
            for cx in range(min(ax, bx), max(ax, bx) + 1):
                for cy in range(min(ay, by), max(ay, by) + 1):
                    self.cells.setdefault((cx, cy), []).append(s)

    def count(self, b: Box) -> int:
        found = set()
        for cx in range(int((b[0] - 1) // 1), int((b[2] + 1) // 1) + 1):
            for cy in range(int((b[1] - 1) // 1), int((b[3] + 1) // 1) + 1):
                for s in self.cells.get((cx, cy), ()):
                    if s not in found and segment_hits_box(s[0], s[1], b, self.line_width / 2):
                        found.add(s)
        return len(found)


def _label_box(point: Point, radius: float, direction: tuple[int, int], w: float, h: float,
               shift: float = 0.0, gap: float = LABEL_GAP) -> Box:
    """The box of a ``w``×``h`` label beside a marker, in ``direction``; ``shift`` (-1..1) slides a label above or
    below the marker sideways (so it starts or ends at the marker) and one beside it up or down by half its height."""
    x, y = point
    g = radius + gap
    dx, dy = direction
    if dx and dy:
        g *= 0.75
    cx = x + dx * g + (w / 2 if dx > 0 else -w / 2 if dx < 0 else 0.0)
    cy = y + dy * g + (h / 2 if dy > 0 else -h / 2 if dy < 0 else 0.0)
    if shift and not dx:
        cx += shift * (w / 2 - radius)
    elif shift and not dy:
        cy += shift * h / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _box_distance(box: Box, p: tuple[float, float]) -> float:
    dx = max(box[0] - p[0], 0.0, p[0] - box[2])
    dy = max(box[1] - p[1], 0.0, p[1] - box[3])
    return (dx * dx + dy * dy) ** 0.5


def _closer_to_another(box: Box, own: Point, stations: dict[Point, list[str]]) -> bool:
    """Would a reader attach this label to a neighbouring station (one whose marker is nearer to the box)?"""
    mine = _box_distance(box, own)
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            q = (own[0] + dx, own[1] + dy)
            if q != own and q in stations and _box_distance(box, q) + 0.05 < mine:
                return True
    return False


def _wrap(text: str) -> str | None:
    words = text.split(" ")
    if len(words) < 2:
        return None
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def _text_box_size(text: str, em: float, cjk: bool, *, bold: bool = False, ink: bool = False,
                   pad: float = LABEL_PAD) -> tuple[float, float]:
    w, h = (ink_extent if ink else text_extent)(text, cjk=cjk, bold=bold)
    return w * em + 2 * pad, h * em + 2 * pad


def layout_city(grid: GridCity, *, title: str, cjk: bool, params: LayoutParams = STANDARD_LAYOUT) -> CityLayout:
    """Place markers, badges, labels, title and legend for a grid city with the sizes of ``params`` (raises
    ``_Retry`` when a label or badge has no admissible position)."""
    P = params
    lines_at: dict[Point, list[str]] = {}
    for ln in grid.lines:
        for p in ln.all_points:
            lines_at.setdefault(p, [])
            if ln.name not in lines_at[p]:
                lines_at[p].append(ln.name)
    marks = [StationMark(grid.names[p], p, P.transfer_radius if len(ls) > 1 else P.station_radius, len(ls) > 1,
                         tuple(ls)) for p, ls in lines_at.items()]
    segments = [s for ln in grid.lines for s in ln.segments()]
    seg_index = _SegIndex(segments, P.line_width)
    blocked = _Index()
    for m in marks:
        blocked.add(m.box)

    badges: list[Badge] = []
    for ln in grid.lines if P.badges else ():
        ends = ln.termini()
        if ln.loop:
            top = min(ln.points, key=lambda p: (p[1], p[0]))
            ends = [(top, (top[0], top[1] + 1))]
        tw, th = text_extent(ln.badge, bold=True)
        bw = max(P.badge_h, tw * P.badge_em + 0.14)
        for end, prev in ends:
            out = DIRS.index((end[0] - prev[0], end[1] - prev[1])) if max(abs(end[0] - prev[0]),
                                                                        abs(end[1] - prev[1])) == 1 else 2
            placed = None
            for dist in (0.55, 0.8):
                for turn in (0, 1, -1, 2, -2, 3, -3, 4):
                    dx, dy = DIRS[(out + turn) % 8]
                    norm = (dx * dx + dy * dy) ** 0.5
                    cx, cy = end[0] + dx / norm * dist, end[1] + dy / norm * dist
                    if dx and not dy:
                        cx += dx * (bw - P.badge_h) / 2
                    box = (cx - bw / 2, cy - P.badge_h / 2, cx + bw / 2, cy + P.badge_h / 2)
                    if not blocked.hits(box) and seg_index.count(box) == 0:
                        placed = box
                        break
                if placed:
                    break
            if placed is None:
                raise _Retry(f"no room for the badge of {ln.name}")
            blocked.add(placed)
            badges.append(Badge(ln.name, ln.badge, placed, ln.colour))

    termini = {e for ln in grid.lines for e, _ in ln.termini()}
    order = sorted(range(len(marks)), key=lambda i: (not marks[i].transfer, marks[i].point not in termini, i))
    labels: list[Label] = []
    label_index = _Index()
    for i in order:
        m = marks[i]
        variants = [(m.name, 0.0, P.label_em)]
        wrapped = _wrap(m.name)
        if wrapped:
            variants.append((wrapped, 0.9, P.label_em))
        variants += [(t, extra + 3.0, P.label_em * P.small_label) for t, extra, _ in variants]
        candidates: list[tuple[float, int, Box, str, float]] = []
        for text, extra, em in variants:
            w, h = _text_box_size(text, em, cjk, bold=P.label_bold, ink=P.label_ink_box, pad=P.label_pad)
            for (_, direction, cost), (shift, shift_cost), far in itertools.product(
                    _POSITIONS, ((0.0, 0.0), (1.0, 0.3), (-1.0, 0.3)), (0.0, P.far_gap)):
                if shift and direction[0] and direction[1]:
                    continue
                box = _label_box(m.point, m.radius + far, direction, w, h, shift, P.label_gap)
                base = cost + shift_cost + extra + (0.9 if far else 0.0)
                candidates.append((base, len(candidates), box, text, em))
        candidates.sort()
        best: tuple[float, Box, str, float] | None = None
        for base, _, box, text, em in candidates:
            if best is not None and base >= best[0]:
                break  # every later candidate costs at least its base
            if blocked.hits(box) or label_index.hits(box):
                continue
            c = base + CROSSING_COST * seg_index.count(box)
            if _closer_to_another(box, m.point, lines_at):
                c += AMBIGUITY_COST
            if best is None or c < best[0]:
                best = (c, box, text, em)
        if best is None:
            raise _Retry(f"no room for the label of {m.name}")
        lab = Label(m.name, best[2], best[1], best[3])
        labels.append(lab)
        label_index.add(lab.box)

    boxes = [m.box for m in marks] + [b.box for b in badges] + [lb.box for lb in labels]
    margin = P.margin
    x0 = min(b[0] for b in boxes) - margin
    y0 = min(b[1] for b in boxes) - margin
    x1 = max(b[2] for b in boxes) + margin
    y1 = max(b[3] for b in boxes) + margin

    if P.title:
        tw, th = _text_box_size(title, P.title_em, cjk)
        x1 = max(x1, x0 + tw + 2 * margin)
        title_label = Label("", title, (x0 + margin, y0 - th, x0 + margin + tw, y0), P.title_em)
        y_top = y0 - th - margin
    else:  # no title drawn: an empty label with an empty box at the top-left corner
        title_label = Label("", "", (x0, y0, x0, y0), P.title_em)
        y_top = y0

    legend: list[LegendEntry] = []
    swatch_w = P.legend_swatch
    row_h = _text_box_size("Ag", P.legend_em, cjk)[1] + 0.08
    cx, cy = x0 + margin, y1 + 0.1
    for ln in grid.lines:
        w, h = _text_box_size(ln.name, P.legend_em, cjk)
        item_w = swatch_w + 0.15 + w + P.legend_gap
        if cx + item_w > x1 - margin and cx > x0 + margin:
            cx, cy = x0 + margin, cy + row_h
        mid = cy + row_h / 2
        tb = (cx + swatch_w + 0.15, mid - h / 2, cx + swatch_w + 0.15 + w, mid + h / 2)
        legend.append(LegendEntry(ln.name, ln.colour, (cx, mid, cx + swatch_w, mid),
                                  Label("", ln.name, tb, P.legend_em)))
        cx += item_w
    y1 = cy + row_h + margin
    return CityLayout(canvas=(x0, y_top, x1, y1), stations=tuple(marks), labels=tuple(labels), badges=tuple(badges),
                      title=title_label, legend=tuple(legend), cjk=cjk, params=P)
