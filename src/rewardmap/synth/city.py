"""A synthetic city: its network (as :mod:`rewardmap.metro` sees it), its grid plan and its map layout."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rewardmap.metro.network import Network
from rewardmap.synth.fonts import require_cjk_font
from rewardmap.synth.generator import (
    CitySpec,
    GridCity,
    LayoutError,
    _Retry,
    build_network,
    city_slug,
    plan_city,
    topology_of,
)
from rewardmap.synth.layout import LAYOUT_PARAMS, CityLayout, layout_city

#: How many derived seeds :func:`generate_city` tries before raising LayoutError.
MAX_ATTEMPTS = 25

#: Map difficulty thresholds (data-schema §3.1: labels are "based on the number of transit lines and transfer
#: stations"). ``easy``: at most 3 lines; ``hard``: 7 or more lines, or 15 or more transfer stations; ``middle``
#: otherwise. Checked against every known real label (data-schema §3.1/§4.4 table): rome, toronto, auckland, miami
#: easy; lisboa, budapest, dalian, hefei middle; singapore, los_angeles, beijing, hangzhou hard.
EASY_MAX_LINES = 3
HARD_MIN_LINES = 7
HARD_MIN_TRANSFERS = 15


def map_difficulty(line_count: int, transfer_stations: int) -> str:
    """``easy`` / ``middle`` / ``hard`` from the number of lines and of transfer stations (thresholds above)."""
    if line_count <= EASY_MAX_LINES:
        return "easy"
    if line_count >= HARD_MIN_LINES or transfer_stations >= HARD_MIN_TRANSFERS:
        return "hard"
    return "middle"


def network_difficulty(network: Network) -> str:
    """:func:`map_difficulty` of a network, counting transfer stations as distinct stations carrying a transfer tag
    on any line (what a reader of the map sees as an interchange; equals the shared stations of a synthetic city)."""
    tagged = {st for ln in network.lines.values() for e, st in zip(ln.entries, ln.keys) if e.transfer_tag}
    return map_difficulty(network.city_line_count, len(tagged))


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """A generated city. ``network`` is an ordinary :class:`~rewardmap.metro.Network` (with loop/branch topology);
    ``grid`` the station positions; ``layout`` every drawable element in grid units."""

    name: str
    country: str
    title: str
    spec: CitySpec
    seed: int
    attempt: int
    grid: GridCity
    network: Network
    layout: CityLayout

    @property
    def difficulty_city(self) -> str:
        return network_difficulty(self.network)

    @property
    def topology(self) -> dict:
        """``{"loops": [...], "branch_arms": {line: [first stop of the later arm]}}`` (geometry sidecar key)."""
        return topology_of(self.grid)


def generate_city(spec: CitySpec | None = None, seed: int | random.Random | None = None) -> SyntheticCity:
    """Generate a city from ``spec`` (default :class:`CitySpec`) and ``seed`` (default ``spec.seed``).

    Same spec and seed → the same city, byte for byte. A dead end (a line with no room, a label with no free spot)
    regrows the whole city from the next derived seed, up to :data:`MAX_ATTEMPTS` times, then raises
    :class:`~rewardmap.synth.generator.LayoutError`."""
    spec = spec or CitySpec()
    spec.validate()
    if spec.naming == "chinese":
        require_cjk_font()
    if isinstance(seed, random.Random):
        seed = seed.randrange(2**31)
    base = spec.seed if seed is None else int(seed)
    reasons = []
    for attempt in range(MAX_ATTEMPTS):
        rng = random.Random(f"rewardmap.synth/{base}/{attempt}")
        name = spec.name or city_slug(rng)
        title = f"{name.replace('_', ' ').title()} Metro"
        try:
            grid = plan_city(spec, rng)
            layout = layout_city(grid, title=title, cjk=spec.naming == "chinese", params=LAYOUT_PARAMS[spec.layout])
        except _Retry as exc:
            reasons.append(str(exc))
            continue
        network = build_network(grid, city=name, country=spec.country)
        return SyntheticCity(name=name, country=spec.country, title=title, spec=spec, seed=base, attempt=attempt,
                             grid=grid, network=network, layout=layout)
    raise LayoutError(f"could not lay out a city for {spec} with seed {base} in {MAX_ATTEMPTS} attempts "
                      f"(last reasons: {'; '.join(reasons[-3:])}); use fewer lines/stations or another seed")
