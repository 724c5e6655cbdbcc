"""Scoring benchmark: responses per second on one core, and worst-case time on adversarial inputs.

Usage: python benchmarks/scoring.py [--data DIR] [--seconds 1.0]
    DIR holds stations/<country>/<city>.json (default ../shared/data/reasonmap; falls back to a built-in toy city).
Prints the figures and writes benchmarks/results/scoring.json.

Workloads (realistic answers, cycled): TorF/Counting answers in \\boxed{} with a sentence of reasoning; planning
answers of 2–3 legs made by the route planner on a real city (Beijing). "released-style" is a faithful-in-spirit
re-creation of the released reward's costs for comparison — it re-reads and re-cleans the station file for every
response and parses with the same regexes — not the released code itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from pathlib import Path

from rewardmap.metro import RoutePlanner, load_network, strip_tags_official
from rewardmap.metro.names import _clean_reward as _clean_reward_uncached
from rewardmap.scoring import RewardConfig, score_reasonmap, score_response
from rewardmap.scoring.parsing import extract_plus_official

HERE = Path(__file__).resolve().parent
TOY = {"Line 1": ["A Station", "B Station (Transfer Station)", "C Station", "D Station (Transfer Station)"],
       "Line 2": ["E Station", "B Station (Transfer Station)", "F Station", "G Station (Transfer Station)"],
       "Line 3": ["H Station", "G Station (Transfer Station)", "I Station", "D Station (Transfer Station)"]}


def plus_workload() -> list[tuple[str, dict]]:
    rng = random.Random(0)
    out = []
    for i in range(400):
        kind = ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3")[i % 5]
        diff = ("easy", "middle", "hard")[i % 3]
        if kind.startswith("TorF"):
            gold = rng.randint(0, 1)
            said = rng.choice(["yes", "no", "Yes"])
            text = f"Looking at the map, both stations lie on the red line near the river. \\boxed{{{said}}}"
        elif kind == "Counting1":
            gold = rng.randint(0, 3)
            text = f"Counting the stops between them along the line gives option \\boxed{{{'ABCD'[rng.randint(0, 3)]}}}."
        else:
            gold = rng.randint(1, 12)
            text = f"The lines passing through this station are counted from the legend: \\boxed{{{rng.randint(1, 12)}}}"
        out.append((text, {"type": kind, "answer": gold, "difficulty_city": diff}))
    return out


def planning_workload(data: Path | None) -> tuple[list[tuple[str, dict]], str]:
    if data is not None and (data / "stations/china/beijing.json").is_file():
        path = data / "stations/china/beijing.json"
        spec: object = "./stations/china/beijing.json"
        city = "beijing"
    else:
        path, spec, city = None, TOY, "toy"
    network = load_network(path) if path else None
    if network is None:
        from rewardmap.metro import network_from_mapping
        network = network_from_mapping(TOY, city="toy", country="x")
    planner = RoutePlanner(network)
    rng = random.Random(1)
    names = sorted(s.name for s in network.stations.values())
    out: list[tuple[str, dict]] = []
    while len(out) < 300:
        a, b = rng.sample(names, 2)
        routes = planner.optimal_routes(a, b)
        if not routes or not 1 <= routes[0].transfers <= 2:
            continue
        route = routes[0]
        row = {"type": "planning", "answer": -1, "station_1": a, "station_2": b, "difficulty_city": "hard",
               "question_transfer_count": route.transfers, "json": spec, "country": "china", "city": city,
               "routes": {"1": route.to_reference()}}
        text = route.to_answer("short")
        if len(out) % 3 == 1:  # a wrong line name in one leg
            text = text.replace("Route Name: ", "Route Name: Line 99 ", 1)
        out.append((text, row))
    return out, city


def rate(fn, items, seconds: float) -> float:
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        for text, row in items:
            fn(text, row)
        n += len(items)
        now = time.perf_counter()
        if now >= end:
            return n / (now - t0)


# ----------------------------------------------------------------------------- released-style comparison
_ROUTE_RE = re.compile(r"Route Name: (.*?)\n")
_DEP_RE = re.compile(r"Departure Stop: (.*?)\n")


def released_style_planning(root: Path):
    def score(text: str, row: dict) -> float:
        with open(root / row["json"], encoding="utf-8") as fh:  # re-read per response, as released
            metro = {k: [strip_tags_official(s) for s in v] for k, v in json.load(fh).items()}
        secs = [s for s in text.split("--") if "Route Name:" in s and "Departure Stop:" in s and "Arrival Stop:" in s]
        parsed = []
        for s in secs:
            m1, m2 = _ROUTE_RE.search(s), _DEP_RE.search(s)
            parsed.append((m1.group(1).strip() if m1 else "Wrong", _clean_reward_uncached(m2.group(1) if m2 else
                           "Wrong"), _clean_reward_uncached(s.split("Arrival Stop:")[-1].strip())))
        ok = bool(parsed)
        for i, (name, dep, arr) in enumerate(parsed):
            stops = [_clean_reward_uncached(x) for x in metro.get(name, [])]
            ok = ok and dep in stops and arr in stops
            if i + 1 < len(parsed):
                ok = ok and arr == parsed[i + 1][1]
        return 10.0 * ok
    return score


def released_style_plus(root: Path):
    def score(text: str, row: dict) -> float:
        with open(root / "stations/china/beijing.json", encoding="utf-8") as fh:  # every rollout loads its city
            {k: [strip_tags_official(s) for s in v] for k, v in json.load(fh).items()}
        return 10.0 * (extract_plus_official(text) == ("yes" if row["answer"] else "no"))
    return score


ADVERSARIAL = {
    "unicode_100k": "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(100_000)),
    "dashes_50k": "--" * 50_000,
    "route_name_5k": "Route Name: Line 1\nDeparture Stop: A\nArrival Stop: B\n--" * 2_000,
    "deep_braces": "{" * 50_000 + "\\boxed{" * 5_000 + "}" * 50_000,
    "boxed_upper": "\\BOXED{" * 14_000,
}


#: Units repeated to 8 kB / 100 kB / 1 MB (issue 13 F1: unclosed boxes were quadratic: 8 kB took 1.7 s).
ADVERSARIAL_UNITS = {
    "unclosed_boxed": "\\boxed{",
    "unclosed_oxed": "oxed{",
    "open_parens": "Arrival Stop: (",
    "paren_pairs": "()",
    "dashes": "--",
    "route_lines": "Route Name: Line 1\nDeparture Stop: (A\nArrival Stop: B(\n--",
    "answer_flags": "the answer is ",
    "stops_lists": "Stops: [(",
    "via_lists": "Via Stops: a站,(",
}
ADVERSARIAL_SIZES = {"8kB": 8_000, "100kB": 100_000, "1MB": 1_000_000}


def scaled_adversarial(plus, plan, data) -> dict[str, dict[str, float]]:
    """Worst time (ms) per size over every unit, every reward preset (official, paper, baseline, tolerant parsing)
    and the ReasonMap metric (official and paper, short and long)."""
    presets = [RewardConfig.preset("official"), RewardConfig.preset("paper"), RewardConfig.preset("baseline"),
               RewardConfig.preset("paper", parse="tolerant", strip_reasoning=True)]
    rows = [plus[0][1], plus[2][1], plan[0][1]]
    out: dict[str, dict[str, float]] = {}
    for size_name, size in ADVERSARIAL_SIZES.items():
        worst = 0.0
        where = ""
        for unit_name, unit in ADVERSARIAL_UNITS.items():
            text = (unit * (size // len(unit) + 1))[:size]
            jobs = [(f"reward/{cfg.name}/{cfg.parse}", lambda t, r, c=cfg: score_response(t, r, c, stations_root=data),
                     row) for cfg in presets for row in rows]
            jobs += [(f"metric/{v}/{q}", lambda t, r, v=v, q=q: score_reasonmap(t, r, question=q, variant=v,
                                                                                stations_root=data), plan[0][1])
                     for v in ("official", "paper") for q in ("short", "long1", "long2")]
            for label, fn, row in jobs:
                t0 = time.perf_counter()
                fn(text, row)
                dt = (time.perf_counter() - t0) * 1000
                if dt > worst:
                    worst, where = dt, f"{unit_name} {label}"
        out[size_name] = {"worst_ms": worst, "where": where}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared/data/reasonmap"))
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass
    data = Path(args.data) if Path(args.data, "stations").is_dir() else None
    plus = plus_workload()
    plan, city = planning_workload(data)
    official = RewardConfig.preset("official")
    tolerant = RewardConfig.preset("paper", parse="tolerant")
    res: dict[str, float] = {}
    res["plus_official_per_s"] = rate(lambda t, r: score_response(t, r, official, stations_root=data), plus,
                                      args.seconds)
    res["plus_tolerant_per_s"] = rate(lambda t, r: score_response(t, r, tolerant, stations_root=data), plus,
                                      args.seconds)
    res["planning_official_per_s"] = rate(lambda t, r: score_response(t, r, official, stations_root=data), plan,
                                          args.seconds)
    res["planning_tolerant_per_s"] = rate(lambda t, r: score_response(t, r, tolerant, stations_root=data), plan,
                                          args.seconds)
    res["metric_short_per_s"] = rate(lambda t, r: score_reasonmap(t, r, stations_root=data), plan, args.seconds)
    if data is not None and city == "beijing":
        torf = [(t, r) for t, r in plus if r["type"].startswith("TorF")]
        res["plus_released_style_per_s"] = rate(released_style_plus(data), torf, args.seconds)
        res["plus_speedup"] = res["plus_official_per_s"] / res["plus_released_style_per_s"]
        res["planning_released_style_per_s"] = rate(released_style_planning(data), plan, args.seconds)
        res["planning_speedup"] = res["planning_official_per_s"] / res["planning_released_style_per_s"]
    worst = {}
    for name, text in ADVERSARIAL.items():
        t_max = 0.0
        for row in [plus[0][1], plus[2][1], plan[0][1]]:
            t0 = time.perf_counter()
            score_response(text, row, official, stations_root=data)
            score_response(text, row, tolerant, stations_root=data)
            t_max = max(t_max, (time.perf_counter() - t0) / 2)
        worst[name] = t_max * 1000
    res["adversarial_worst_ms"] = max(worst.values())
    scaled = scaled_adversarial(plus, plan, data)
    print(f"planning city: {city}")
    for k, v in res.items():
        print(f"{k:32s} {v:12,.1f}")
    for k, v in worst.items():
        print(f"  adversarial {k:20s} {v:8.2f} ms")
    for k, v in scaled.items():
        print(f"  worst at {k:6s} {v['worst_ms']:9.2f} ms  ({v['where']})")
    out = HERE / "results" / "scoring.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"city": city, **res, "adversarial_ms": worst,
                                       "adversarial_by_size": scaled}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
