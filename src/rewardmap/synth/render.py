"""The transit-map renderer (PIL only).

Shapes (background, tracks, markers, badges) are drawn on a supersampled canvas (``SUPERSAMPLE_BUDGET`` pixels on the
long side, at most 4×) and reduced with a box filter, which antialiases them; text is then drawn at the final
resolution (FreeType antialiases it) so it stays sharp. Styles:

* ``clean``: white background, the diagram only.
* ``cluttered``: beige paper, a river and parks, decoy roads and a grey dashed railway that is not a metro line,
  icons and district names. Decorations never hide a track, a marker or a label: they are drawn underneath, and
  decoy text and icons are only placed where they overlap no label, badge, marker or track.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import asdict

from PIL import Image, ImageDraw

from rewardmap.errors import ConfigError
from rewardmap.synth.city import SyntheticCity
from rewardmap.synth.fonts import font
from rewardmap.synth.generator import file_station_name
from rewardmap.synth.layout import Box, Label, _overlap, _text_box_size, segment_hits_box
from rewardmap.synth.names import english_station

STYLES = ("clean", "cluttered")
MIN_SIZE, MAX_SIZE = 256, 16384  # MIN_SIZE: standard layout (a mini city's: 96)
SUPERSAMPLE_BUDGET = 4096
AUTO_PX_PER_UNIT = 64

_TEXT = (26, 26, 26)
_WHITE = (255, 255, 255)
_INK = (34, 34, 34)


def _rgb(hexa: str) -> tuple[int, int, int]:
    return int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)


class _Frame:
    """Grid units → pixels."""

    def __init__(self, canvas: Box, size: int) -> None:
        self.x0, self.y0 = canvas[0], canvas[1]
        w, h = canvas[2] - canvas[0], canvas[3] - canvas[1]
        self.scale = size / max(w, h)
        self.width = max(1, round(w * self.scale))
        self.height = max(1, round(h * self.scale))

    def pt(self, x: float, y: float, k: float = 1.0) -> tuple[float, float]:
        return (x - self.x0) * self.scale * k, (y - self.y0) * self.scale * k

    def box(self, b: Box, k: float = 1.0) -> tuple[float, float, float, float]:
        return (*self.pt(b[0], b[1], k), *self.pt(b[2], b[3], k))


def _clutter_plan(city: SyntheticCity, frame: _Frame) -> dict:
    """Seeded decorations for the cluttered style, in grid units."""
    rng = random.Random(f"rewardmap.synth.clutter/{city.seed}/{city.attempt}")
    x0, y0, x1, y1 = city.layout.canvas
    w, h = x1 - x0, y1 - y0
    river = []
    horizontal = rng.random() < 0.5
    n = 8
    base = rng.uniform(0.25, 0.75)
    for i in range(n + 1):
        t = i / n
        wob = math.sin(t * math.pi * rng.uniform(1.0, 2.5) + rng.uniform(0, 6)) * 0.08
        if horizontal:
            river.append((x0 + t * w, y0 + (base + wob) * h))
        else:
            river.append((x0 + (base + wob) * w, y0 + t * h))
    parks = []
    for _ in range(rng.randint(3, 6)):
        pw, ph = rng.uniform(1.2, 3.5), rng.uniform(1.0, 2.8)
        px, py = rng.uniform(x0, x1 - pw), rng.uniform(y0, y1 - ph)
        parks.append((px, py, px + pw, py + ph))
    roads = []
    for _ in range(rng.randint(5, 9)):
        if rng.random() < 0.5:
            yy = rng.uniform(y0, y1)
            roads.append(((x0, yy), (x1, yy + rng.uniform(-2, 2))))
        else:
            xx = rng.uniform(x0, x1)
            roads.append(((xx, y0), (xx + rng.uniform(-2, 2), y1)))
    ry = rng.uniform(y0 + 0.2 * h, y1 - 0.2 * h)
    rail = [(x0, ry), (x0 + w * 0.4, ry + rng.uniform(-2, 2)), (x1, ry + rng.uniform(-3, 3))]
    occupied = [lb.box for lb in city.layout.labels] + [b.box for b in city.layout.badges]
    occupied += [m.box for m in city.layout.stations] + [city.layout.title.box] + \
        [e.label.box for e in city.layout.legend]
    tracks = [seg for ln in city.grid.lines for seg in ln.segments()]

    def free(box: Box) -> bool:
        return not any(_overlap(box, o) for o in occupied) and \
            not any(segment_hits_box(a, b, box, city.layout.params.line_width) for a, b in tracks)

    texts = []
    for _ in range(rng.randint(3, 5)):
        word = english_station(rng).split(" ")[-1].upper()
        text = " ".join(word) + "  " + rng.choice(("DISTRICT", "QUARTER", "HEIGHTS", "BAY", "PARK"))
        em = 0.32
        tw, th = _text_box_size(text, em, False)
        for _try in range(25):
            tx, ty = rng.uniform(x0, max(x0, x1 - tw)), rng.uniform(y0, max(y0, y1 - th))
            box = (tx, ty, tx + tw, ty + th)
            if free(box):
                texts.append(Label("", text, box, em))
                occupied.append(box)
                break
    icons = []
    for _ in range(rng.randint(4, 8)):
        kind = rng.choice(("P", "H", "✈", "⚓", "i"))
        s = 0.32
        for _try in range(25):
            ix, iy = rng.uniform(x0, x1 - s), rng.uniform(y0, y1 - s)
            box = (ix, iy, ix + s, iy + s)
            if free(box):
                icons.append((kind, box))
                occupied.append(box)
                break
    return {"river": river, "river_width": rng.uniform(0.9, 1.6), "parks": parks, "roads": roads, "rail": rail,
            "texts": texts, "icons": icons}


def _draw_text(draw: ImageDraw.ImageDraw, frame: _Frame, label: Label, *, cjk: bool, fill=_TEXT, bold=False,
               halo: tuple[int, int, int] | None = _WHITE) -> None:
    em_px = label.em * frame.scale
    f = font(max(1, int(em_px)), cjk=cjk, bold=bold)
    bx = frame.box(label.box)
    cx, cy = (bx[0] + bx[2]) / 2, (bx[1] + bx[3]) / 2
    stroke = max(1, round(em_px * 0.12)) if halo is not None and em_px >= 6 else 0
    kwargs = {"font": f, "fill": fill, "anchor": "mm"}
    if stroke:
        kwargs.update(stroke_width=stroke, stroke_fill=halo)
    if "\n" in label.text:
        draw.multiline_text((cx, cy), label.text, align="center", spacing=0, **kwargs)
    else:
        draw.text((cx, cy), label.text, **kwargs)


def auto_size(city: SyntheticCity) -> int:
    """The long side at which labels are comfortably readable: :data:`AUTO_PX_PER_UNIT` pixels per station spacing
    (label text ≈ 13 px), clamped to 1024..8192; a ``mini`` city's fixed default (224 px)."""
    if city.layout.params.auto_size is not None:
        return city.layout.params.auto_size
    x0, y0, x1, y1 = city.layout.canvas
    return max(1024, min(8192, round(max(x1 - x0, y1 - y0) * AUTO_PX_PER_UNIT)))


def render_with_geometry(city: SyntheticCity, size: int | str = "auto",
                         style: str = "clean") -> tuple[Image.Image, dict]:
    """Render ``city`` with its long side ``size`` pixels (``"auto"``: :func:`auto_size`); also return the geometry
    (pixel boxes) of the image."""
    if size == "auto":
        size = auto_size(city)
    if style not in STYLES:
        raise ConfigError(f"unknown map style {style!r}; expected one of {', '.join(STYLES)}")
    lay = city.layout
    min_size = lay.params.min_size
    if isinstance(size, str) or not min_size <= int(size) <= MAX_SIZE:
        raise ConfigError(f"map size must be {min_size}..{MAX_SIZE} pixels for a {city.spec.layout} city, got {size}")
    size = int(size)
    frame = _Frame(lay.canvas, size)
    k = max(1, min(4, SUPERSAMPLE_BUDGET // max(frame.width, frame.height)))
    s = frame.scale * k
    bg = (247, 243, 232) if style == "cluttered" else _WHITE
    img = Image.new("RGB", (frame.width * k, frame.height * k), bg)
    draw = ImageDraw.Draw(img)
    clutter = _clutter_plan(city, frame) if style == "cluttered" else None
    if clutter:
        for p in clutter["parks"]:
            draw.rounded_rectangle(frame.box(p, k), radius=0.3 * s, fill=(206, 230, 194))
        for a, b in clutter["roads"]:
            draw.line([frame.pt(*a, k), frame.pt(*b, k)], fill=(226, 221, 208), width=max(1, round(0.09 * s)))
        draw.line([frame.pt(*p, k) for p in clutter["river"]], fill=(186, 218, 240),
                  width=max(1, round(clutter["river_width"] * s)), joint="curve")
        rail = [frame.pt(*p, k) for p in clutter["rail"]]
        draw.line(rail, fill=(170, 170, 170), width=max(1, round(0.06 * s)))
        for (ax, ay), (bx, by) in itertools.pairwise(rail):
            seg = math.hypot(bx - ax, by - ay)
            step = 0.35 * s
            nx, ny = -(by - ay) / seg * 0.08 * s, (bx - ax) / seg * 0.08 * s
            t = 0.0
            while t < seg:
                px, py = ax + (bx - ax) * t / seg, ay + (by - ay) * t / seg
                draw.line([(px - nx, py - ny), (px + nx, py + ny)], fill=(170, 170, 170), width=max(1, round(0.03 * s)))
                t += step
        for kind, box in clutter["icons"]:
            colour = {"P": (40, 90, 180), "H": (200, 40, 40), "i": (90, 90, 90)}.get(kind, (110, 110, 110))
            draw.rounded_rectangle(frame.box(box, k), radius=0.06 * s, fill=colour)

    lw = max(2 * k, round(lay.params.line_width * s))  # at least 2 px after reduction, so tiny maps keep solid lines
    for ln in city.grid.lines:
        for poly in ln.polylines():
            draw.line([frame.pt(x, y, k) for x, y in poly], fill=_rgb(ln.colour), width=lw, joint="curve")
    colour_of = {ln.name: ln.colour for ln in city.grid.lines}
    for m in lay.stations:
        x0, y0, x1, y1 = frame.box(m.box, k)
        if m.transfer:
            draw.ellipse((x0, y0, x1, y1), fill=_WHITE, outline=_INK, width=max(1, round(0.055 * s)))
        else:
            draw.ellipse((x0, y0, x1, y1), fill=_WHITE, outline=_rgb(colour_of[m.lines[0]]),
                         width=max(1, round(0.045 * s)))
    for b in lay.badges:
        draw.rounded_rectangle(frame.box(b.box, k), radius=0.08 * s, fill=_rgb(b.colour))
    for e in lay.legend:
        sx0, sy, sx1, _ = e.swatch
        draw.line([frame.pt(sx0, sy, k), frame.pt(sx1, sy, k)], fill=_rgb(e.colour), width=lw)
    if k > 1:
        img = img.reduce(k)
    draw = ImageDraw.Draw(img)
    if clutter:
        for t in clutter["texts"]:
            _draw_text(draw, frame, t, cjk=False, fill=(178, 170, 156), halo=None)
        for kind, box in clutter["icons"]:
            lab = Label("", kind, box, 0.24)
            _draw_text(draw, frame, lab, cjk=False, fill=_WHITE, bold=True, halo=None)
    for b in lay.badges:
        _draw_text(draw, frame, Label("", b.text, b.box, 0.22), cjk=False, fill=_WHITE, bold=True, halo=None)
    for lab in lay.labels:
        _draw_text(draw, frame, lab, cjk=lay.cjk, bold=lay.params.label_bold)
    if lay.title.text:
        _draw_text(draw, frame, lay.title, cjk=lay.cjk, bold=not lay.cjk)
    for e in lay.legend:
        _draw_text(draw, frame, e.label, cjk=lay.cjk)
    return img, geometry(city, frame, size, style)


def render_map(city: SyntheticCity, size: int | str = "auto", style: str = "clean") -> Image.Image:
    """Render ``city`` as an RGB map whose long side is ``size`` pixels (``"auto"``: readable labels, see
    :func:`auto_size`), in ``style`` (``clean``/``cluttered``)."""
    return render_with_geometry(city, size, style)[0]


def _r(v: float) -> float:
    return round(v, 2)


def geometry(city: SyntheticCity, frame: _Frame, size: int, style: str) -> dict:
    """The geometry sidecar of a rendered map: pixel positions and boxes of everything drawn (see docs/synth.md)."""
    def box(b: Box) -> list[float]:
        return [_r(v) for v in frame.box(b)]

    def pt(p) -> list[float]:
        return [_r(v) for v in frame.pt(*p)]

    net = city.network
    lay = city.layout
    return {
        "city": city.name,
        "country": city.country,
        "title": city.title,
        "image": {"width": frame.width, "height": frame.height, "size": size, "style": style,
                  "pixels_per_grid_unit": _r(frame.scale)},
        "seed": city.seed,
        "attempt": city.attempt,
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(city.spec).items()},
        "difficulty_city": city.difficulty_city,
        "city_line_count": net.city_line_count,
        "city_transfer_count": net.city_transfer_count,
        "transfer_station_count": len(net.transfer_stations()),
        "topology": city.topology,
        "lines": [{"name": ln.name, "colour": ln.colour, "badge": ln.badge, "loop": ln.loop,
                   "stations": [file_station_name(city.grid.names[p]) for p in ln.all_points],
                   "paths": [[pt(p) for p in poly] for poly in ln.polylines()]} for ln in city.grid.lines],
        "stations": [{"name": m.name, "file_name": file_station_name(m.name), "lines": list(m.lines),
                      "transfer": m.transfer, "grid": list(m.point),
                      "center": pt(m.point), "box": box(m.box)} for m in lay.stations],
        "labels": [{"station": lb.station, "text": lb.text, "box": box(lb.box)} for lb in lay.labels],
        "badges": [{"line": b.line, "text": b.text, "box": box(b.box)} for b in lay.badges],
        "title_box": box(lay.title.box),
        "legend": [{"line": e.line, "swatch": box(e.swatch), "box": box(e.label.box)} for e in lay.legend],
    }
