"""Metro benchmark: load every real station file; all-pairs optimal routes for the largest city.

Usage: python benchmarks/metro.py [--stations DIR]   (default: ../shared/data/reasonmap/stations)
Prints the figures and writes benchmarks/results/metro.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rewardmap.metro import RoutePlanner, iter_station_files, load_network
from rewardmap.metro.names import canonical_line, canonical_station, clean_reward

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", default=str(HERE.parent.parent / "shared/data/reasonmap/stations"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = iter_station_files(args.stations)
    best = float("inf")
    for _ in range(args.repeat):
        for cached in (canonical_station, canonical_line, clean_reward):
            cached.cache_clear()  # measure cold loads
        t0 = time.perf_counter()
        networks = [load_network(p) for p in files]
        best = min(best, time.perf_counter() - t0)
    largest = max(networks, key=lambda n: len(n.stations))
    planner = RoutePlanner(largest)
    keys = sorted(largest.stations)
    t0 = time.perf_counter()
    pairs = routes = 0
    max_transfers = 0
    for a in keys:
        for b in keys:
            if a == b:
                continue
            found = planner.optimal_routes(largest.stations[a], largest.stations[b])
            pairs += 1
            routes += len(found)
            max_transfers = max(max_transfers, found[0].transfers if found else 0)
    all_pairs = time.perf_counter() - t0
    result = {
        "cities": len(networks),
        "load_all_cities_s": round(best, 4),
        "largest_city": f"{largest.country}/{largest.city}",
        "largest_stations": len(largest.stations),
        "all_pairs": pairs,
        "optimal_routes_found": routes,
        "max_transfers": max_transfers,
        "all_pairs_s": round(all_pairs, 2),
        "pairs_per_s": round(pairs / all_pairs),
    }
    for k, v in result.items():
        print(f"{k:>22}: {v}")
    out = HERE / "results" / "metro.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
