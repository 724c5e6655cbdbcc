"""Benchmark: building ReasonMap-Plus + planning questions for the real cities, and the full dataset build.

Usage: ``python benchmarks/build_data.py [--stations DIR] [--maps DIR] [--repeat N]``. Runs in one process (one
core). Prints the figures and writes ``benchmarks/results/build_data.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from rewardmap.data import build_datasets
from rewardmap.metro import load_network
from rewardmap.metro.io import iter_station_files
from rewardmap.tasks import PLUS_QUOTAS, build_planning_samples, build_plus_samples, map_difficulty

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "data" / "reasonmap"


def samples_once(files: list[Path]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    n_plus = n_plan = 0
    for f in files:
        net = load_network(f)
        label = map_difficulty(net.country, net.city, net.city_line_count, net.city_transfer_count)
        n_plus += len(build_plus_samples(net, rng=random.Random(f"{f.stem}:plus"), counts=PLUS_QUOTAS[label]))
        n_plan += len(build_planning_samples(net, rng=random.Random(f"{f.stem}:planning")))
    return time.perf_counter() - t0, n_plus, n_plan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stations", type=Path, default=DEFAULT / "stations")
    ap.add_argument("--maps", type=Path, default=DEFAULT / "maps")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    files = iter_station_files(args.stations)

    runs = [samples_once(files) for _ in range(args.repeat)]
    times = [r[0] for r in runs]
    _, n_plus, n_plan = runs[0]
    print(f"tasks only ({len(files)} cities, load + Plus + planning): median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s over {args.repeat} runs; {n_plus} Plus + {n_plan} planning questions")

    full = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            t0 = time.perf_counter()
            res = build_datasets(args.stations, args.maps, Path(tmp) / f"out{i}", seed=0)
            full.append(time.perf_counter() - t0)
    rows = sum(n for counts in res["counts"].values() for n in counts.values())
    print(f"full build (3 DatasetDicts + parquet + map/station copies): median {statistics.median(full):.2f} s, "
          f"min {min(full):.2f} s; {rows} rows in total")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    result = {"cities": len(files), "plus_questions": n_plus, "planning_questions": n_plan,
              "tasks_seconds": times, "full_build_seconds": full, "rows": res["counts"], "cores": 1}
    (out / "build_data.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {out / 'build_data.json'}")


if __name__ == "__main__":
    main()
