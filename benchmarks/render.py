"""Synthetic-city speed: generation and rendering times (issue 5 target: a 2048 px map of 8 lines × 20 stations
renders in under 2 s on one core).

    .venv/bin/python benchmarks/render.py            # prints a table, saves benchmarks/results/render.json
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from rewardmap.synth import CitySpec, generate_city, render_map

CASES = [
    ("tiny demo city", CitySpec(lines=3, stations_per_line=(8, 10)), 448, "clean"),
    ("8 lines x 20 stations", CitySpec(lines=8, stations_per_line=(20, 20), branches=1, loops=1,
                                       transfer_density=0.6), 2048, "clean"),
    ("8 lines x 20 stations", CitySpec(lines=8, stations_per_line=(20, 20), branches=1, loops=1,
                                       transfer_density=0.6), 2048, "cluttered"),
    ("8 lines x 20 stations", CitySpec(lines=8, stations_per_line=(20, 20), branches=1, loops=1,
                                       transfer_density=0.6), 8192, "clean"),
]
SEEDS = range(5)


def main() -> None:
    rows = []
    print(f"{'case':<24} {'size':>5} {'style':<9} {'stations':>8} {'generate s':>11} {'render s':>9} {'max render s':>12}")
    for label, spec, size, style in CASES:
        gen, ren, stations = [], [], []
        for seed in SEEDS if size <= 2048 else SEEDS[:2]:
            t0 = time.perf_counter()
            city = generate_city(spec, seed=seed)
            t1 = time.perf_counter()
            render_map(city, size=size, style=style)
            t2 = time.perf_counter()
            gen.append(t1 - t0)
            ren.append(t2 - t1)
            stations.append(len(city.network.stations))
        row = {"case": label, "size": size, "style": style, "stations_mean": statistics.mean(stations),
               "generate_s_median": statistics.median(gen), "render_s_median": statistics.median(ren),
               "render_s_max": max(ren), "runs": len(ren)}
        rows.append(row)
        print(f"{label:<24} {size:>5} {style:<9} {row['stations_mean']:>8.0f} {row['generate_s_median']:>11.3f} "
              f"{row['render_s_median']:>9.3f} {row['render_s_max']:>12.3f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "render.json").write_text(json.dumps({"cpu_count": os.cpu_count(), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
