"""Procedural metro cities and a transit-map renderer (no torch).

>>> import random
>>> from rewardmap.synth import CitySpec, generate_city, render_map, spec_for_mini
>>> city = generate_city(CitySpec(lines=3, stations_per_line=(8, 10)), seed=1)
>>> image = render_map(city, size=448, style="clean")
>>> mini = generate_city(spec_for_mini(random.Random(0)))   # the ``mini`` preset: tiny maps for tiny models
>>> render_map(mini).size[0] <= 224
True
"""

from rewardmap.synth.city import SyntheticCity, generate_city, map_difficulty, network_difficulty
from rewardmap.synth.fonts import has_cjk_font
from rewardmap.synth.generator import MINI_PRESET, PRESETS, CitySpec, LayoutError, spec_for_difficulty, spec_for_mini
from rewardmap.synth.render import STYLES, render_map, render_with_geometry
from rewardmap.synth.writer import CITY_PRESETS, WrittenCity, write_cities, write_city

__all__ = ["CITY_PRESETS", "MINI_PRESET", "PRESETS", "STYLES", "CitySpec", "LayoutError", "SyntheticCity",
           "WrittenCity", "generate_city", "has_cjk_font", "map_difficulty", "network_difficulty", "render_map",
           "render_with_geometry", "spec_for_difficulty", "spec_for_mini", "write_cities", "write_city"]
