"""Procedural metro cities and a transit-map renderer (no torch).

>>> from rewardmap.synth import CitySpec, generate_city, render_map
>>> city = generate_city(CitySpec(lines=3, stations_per_line=(8, 10)), seed=1)
>>> image = render_map(city, size=448, style="clean")
"""

from rewardmap.synth.city import SyntheticCity, generate_city, map_difficulty, network_difficulty
from rewardmap.synth.fonts import has_cjk_font
from rewardmap.synth.generator import PRESETS, CitySpec, LayoutError, spec_for_difficulty
from rewardmap.synth.render import STYLES, render_map, render_with_geometry
from rewardmap.synth.writer import WrittenCity, write_cities, write_city

__all__ = ["PRESETS", "STYLES", "CitySpec", "LayoutError", "SyntheticCity", "WrittenCity", "generate_city",
           "has_cjk_font", "map_difficulty", "network_difficulty", "render_map", "render_with_geometry", "spec_for_difficulty",
           "write_cities", "write_city"]
