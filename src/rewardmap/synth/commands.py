"""``rewardmap synth``: generate synthetic cities in the ReasonMap layout."""

from __future__ import annotations

import argparse
import time

from rewardmap.errors import ConfigError
from rewardmap.synth.generator import MINI_PRESET, CitySpec
from rewardmap.synth.names import LINE_NAMING_STYLES, NAMING_STYLES
from rewardmap.synth.render import STYLES
from rewardmap.synth.writer import CITY_PRESETS, DIFFICULTY_CYCLE, write_cities


def _range(text: str) -> tuple[int, int]:
    parts = text.split("-", 1)
    try:
        lo, hi = int(parts[0]), int(parts[-1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or MIN-MAX, got {text!r}") from None
    return lo, hi


def _size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of pixels or 'auto', got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="generate synthetic metro cities: maps, station files, geometry sidecars",
                       description="Writes OUT/maps/<country>/<city>.png, OUT/stations/<country>/<city>.json and "
                       "OUT/geometry/<country>/<city>.json. Without --lines the cities cycle through the easy, "
                       "middle and hard presets; --preset mini makes small cities for tiny models instead.")
    p.add_argument("--cities", type=int, default=3, metavar="N", help="number of cities (default 3)")
    p.add_argument("--out", required=True, metavar="DIR", help="output root")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes (default 0)")
    p.add_argument("--preset", choices=CITY_PRESETS, default="standard",
                   help="standard (default): named stations, the easy/middle/hard presets; mini: 3-5 lines of 4-8 "
                   "stations, one/two-glyph labels ('A', 'B7'), colour-word lines ('Red'), 224 px maps")
    p.add_argument("--size", type=_size, default="auto", metavar="PX", help="long side of each map in pixels "
                   "(448 for tiny models, up to 8192; 96..448 with --preset mini), or 'auto' (default): 64 px per "
                   "station spacing, so labels are readable, clamped to 1024..8192 (224 with --preset mini)")
    p.add_argument("--style", choices=STYLES, default="clean", help="map style (default clean)")
    p.add_argument("--lines", type=int, default=None, metavar="N", help="lines per city (fixes the spec instead of "
                   "the difficulty presets)")
    p.add_argument("--stations", type=_range, default=None, metavar="MIN-MAX",
                   help="stations per line with --lines (default 10-16; 4-8 with --preset mini)")
    p.add_argument("--transfer-density", type=float, default=0.5, help="0..1, with --lines (default 0.5)")
    p.add_argument("--branches", type=int, default=0, help="branched lines, with --lines (default 0)")
    p.add_argument("--loops", type=int, default=0, help="loop lines (0 or 1), with --lines (default 0)")
    p.add_argument("--difficulty", choices=DIFFICULTY_CYCLE, action="append", default=None,
                   help="preset(s) to cycle through without --lines (repeatable; default all three)")
    p.add_argument("--naming", choices=NAMING_STYLES, action="append", default=None,
                   help="station naming style(s) (repeatable; default english and romance, glyph with --preset "
                   "mini; chinese needs pip install 'rewardmap[cjk]')")
    p.add_argument("--line-naming", choices=LINE_NAMING_STYLES, default=None,
                   help="line names with --lines (default: drawn per city)")
    p.add_argument("--country", default="synthland", help="country folder name (default synthland)")
    p.set_defaults(func=_synth)


def _synth(args: argparse.Namespace) -> int:
    mini = args.preset == "mini"
    if mini and args.difficulty:
        raise ConfigError("--difficulty chooses among the standard presets; it does not apply with --preset mini")
    naming = args.naming or (["glyph"] if mini else ["english", "romance"])
    spec = None
    if args.lines is not None:
        extra = {"layout": "mini", "line_naming": args.line_naming or MINI_PRESET["line_naming"]} if mini else \
            {"line_naming": args.line_naming}
        spec = CitySpec(lines=args.lines, stations_per_line=args.stations or ((4, 8) if mini else (10, 16)),
                        transfer_density=args.transfer_density, branches=args.branches, loops=args.loops,
                        naming=naming[0], country=args.country, **extra)
        spec.validate()
    start = time.perf_counter()
    written = write_cities(args.out, args.cities, seed=args.seed, size=args.size, style=args.style, spec=spec,
                           difficulties=args.difficulty or DIFFICULTY_CYCLE, naming=naming, country=args.country,
                           preset=args.preset, progress=True)
    counts = {d: sum(1 for w in written if w.difficulty_city == d) for d in DIFFICULTY_CYCLE}
    print(f"wrote {len(written)} cities to {args.out} in {time.perf_counter() - start:.1f} s "
          f"(easy {counts['easy']}, middle {counts['middle']}, hard {counts['hard']})")
    return 0
