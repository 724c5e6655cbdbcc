"""Writing synthetic cities in the real-data layout.

``OUT/maps/<country>/<city>.png``, ``OUT/stations/<country>/<city>.json`` (ReasonMap station file, tags included)
and ``OUT/geometry/<country>/<city>.json`` (pixel boxes, map difficulty, topology; read back automatically by
:func:`rewardmap.metro.load_network`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rewardmap.errors import ConfigError
from rewardmap.metro.io import save_network
from rewardmap.synth.city import SyntheticCity, generate_city
from rewardmap.synth.generator import MINI_PRESET, CitySpec, spec_for_difficulty, spec_for_mini
from rewardmap.synth.render import render_with_geometry

DIFFICULTY_CYCLE = ("easy", "middle", "hard")
#: City presets of :func:`write_cities`: ``standard`` (the easy/middle/hard presets, cycled) and ``mini``.
CITY_PRESETS = ("standard", "mini")


@dataclass(frozen=True)
class WrittenCity:
    """Paths of one written city, and its computed map difficulty."""

    city: str
    country: str
    map: Path
    stations: Path
    geometry: Path
    difficulty_city: str


def write_city(city: SyntheticCity, out_dir: str | Path, *, size: int | str = "auto",
               style: str = "clean") -> WrittenCity:
    """Render ``city`` and write its map, station file and geometry sidecar under ``out_dir``."""
    out = Path(out_dir)
    image, geom = render_with_geometry(city, size, style)
    paths = [out / kind / city.country / f"{city.name}{ext}"
             for kind, ext in (("maps", ".png"), ("stations", ".json"), ("geometry", ".json"))]
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
    image.save(paths[0], format="PNG", compress_level=6)
    save_network(city.network, paths[1])
    paths[2].write_text(json.dumps(geom, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return WrittenCity(city.name, city.country, paths[0], paths[1], paths[2], city.difficulty_city)


def write_cities(out_dir: str | Path, n: int, seed: int = 0, size: int | str = "auto", style: str = "clean", *,
                 spec: CitySpec | None = None, difficulties: Sequence[str] = DIFFICULTY_CYCLE,
                 naming: Sequence[str] | None = None, country: str = "synthland", preset: str = "standard",
                 progress: bool = False) -> list[WrittenCity]:
    """Generate and write ``n`` cities (``size``: long side in pixels, or ``"auto"``: readable labels, 224 px for
    ``mini``).

    Without ``spec``, ``preset="standard"`` draws each city's spec from the preset of the next difficulty in
    ``difficulties`` (cycled) and a naming style from ``naming`` (default english and romance); ``preset="mini"``
    draws every spec from :data:`~rewardmap.synth.generator.MINI_PRESET`, cycling 3, 4, 5 lines
    (``difficulties`` unused; ``naming`` default glyph). With ``spec`` every city uses it (its seed replaced per city). City names are unique within
    the call. Same arguments → same bytes."""
    if n < 1:
        raise ConfigError(f"number of cities must be >= 1, got {n}")
    if preset not in CITY_PRESETS:
        raise ConfigError(f"unknown city preset {preset!r}; expected one of {', '.join(CITY_PRESETS)}")
    if naming is None:
        naming = ("glyph",) if preset == "mini" else ("english", "romance")
    rng = random.Random(f"rewardmap.synth.write/{seed}" if preset == "standard"
                        else f"rewardmap.synth.write/{preset}/{seed}")
    written: list[WrittenCity] = []
    used: set[str] = set()
    for i in range(n):
        if spec is None and preset == "mini":
            lo, hi = MINI_PRESET["lines"]  # cycled, so a run is balanced: 3 lines → easy, 4-5 → middle
            s = spec_for_mini(rng, country=country, lines=lo + i % (hi - lo + 1),
                              **({} if list(naming) == ["glyph"] else {"naming": rng.choice(list(naming))}))
        elif spec is None:
            s = spec_for_difficulty(difficulties[i % len(difficulties)], rng, naming=rng.choice(list(naming)),
                                    country=country)
        else:
            s = replace(spec, seed=rng.randrange(2**31))
        city = generate_city(s)
        if city.name in used:
            k = 2
            while f"{city.name}_{k}" in used:
                k += 1
            city = generate_city(replace(s, name=f"{city.name}_{k}"))
        used.add(city.name)
        written.append(write_city(city, out_dir, size=size, style=style))
        if progress:
            w = written[-1]
            print(f"[{i + 1}/{n}] {w.country}/{w.city}: {city.network.city_line_count} lines, "
                  f"{len(city.network.stations)} stations, {w.difficulty_city} -> {w.map}")
    return written
