"""Fidelity benchmark: agreement of ``official`` with the released code itself, and speed against it.

Usage: python benchmarks/fidelity.py [--reward N] [--eval N] [--seed S]
Needs ../shared/reference (the released code) and ../shared/data/reasonmap (station files); the corpus and the
oracle are those of the differential tests (tests/reference/). Prints the figures and writes
benchmarks/results/fidelity.json.

Agreement: exact equality of the training reward (float32, through the released ``CustomRewardManager``), of the
ReasonMap-Plus verdict, and of the ReasonMap accuracy, map score and each saved component (``main.py`` blocks).
Speed, in one process on the same corpus, the released code's printing and logging silenced:

* reward, released: ``CustomRewardManager`` per rollout, as verl calls it (it re-reads the station file each time);
  released ``reason_map_compute_score`` alone, with the station data loaded once (its own cost, no file reading);
  ours: ``score_response(..., "official")`` with the process-wide network cache.
* metrics: the ``main.py`` short/long blocks per answer (station data loaded once) vs ``score_reasonmap``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reference"))

from fidelity_corpus import eval_cases, load_cities, reasonmap_sample, reward_cases, synthetic_cities, via  # noqa: E402
from released_oracle import SHARED_DATA, EvalOracle, load_reward_oracle, new_workdir, reference_available  # noqa: E402

from rewardmap.scoring import score_plus, score_reasonmap, score_response  # noqa: E402


def _time(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def all_correct(cities, eval_oracle, seed: int, per_city: int = 60) -> dict:
    """Mean map score of an all-correct model (the reference route in the template's format): released, official,
    paper; China and elsewhere, short and long."""
    import random

    rng = random.Random(seed)
    sums: dict[str, list[float]] = {}
    for city in cities:
        for _ in range(per_city):
            sample, legs = reasonmap_sample(city, rng)
            long_kind = "long1" if "Number of Via Stops:" in sample["question_long"] else "long2"
            for question in ("short", "long"):
                parts = []
                for line, dep, arr in legs:
                    text = f"Route Name: {line}\nDeparture Stop: {dep}\nArrival Stop: {arr}\n"
                    if question == "long":
                        stops = via(city, (line, dep, arr))
                        text += (f"Number of Via Stops: {len(stops)}\n" if long_kind == "long1"
                                 else "Via Stops: " + ", ".join(stops) + "\n")
                    parts.append(text)
                answer = "--\n".join(parts)
                ref = eval_oracle.short(answer, sample) if question == "short" else eval_oracle.long(answer, sample)
                off = score_reasonmap(answer, sample, question=question, reasoning=False)
                pap = score_reasonmap(answer, sample, question=question, reasoning=False, variant="paper")
                key = f"{'china' if city.china else 'elsewhere'}/{question}"
                acc = sums.setdefault(key, [0, 0.0, 0.0, 0.0])
                acc[0] += 1
                acc[1] += ref[f"best_map_api_score_{question}"]
                acc[2] += off.map_score
                acc[3] += pap.map_score
    return {k: {"n": n, "released": a / n, "official": b / n, "paper": c / n} for k, (n, a, b, c) in sums.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reward", type=int, default=30_000, help="reward corpus size")
    parser.add_argument("--eval", type=int, default=20_000, help="ReasonMap metric corpus size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not reference_available() or not (SHARED_DATA / "stations").is_dir():
        print("needs ../shared/reference and ../shared/data/reasonmap")
        return 2
    work = new_workdir()
    reward_oracle = load_reward_oracle(work)
    eval_oracle = EvalOracle(work)
    cities = load_cities(SHARED_DATA / "stations") + synthetic_cities(work)

    # ------------------------------------------------------------------ reward and Plus verdicts
    cases = reward_cases(cities, args.reward, seed=args.seed)
    released = [reward_oracle.score(t, r) for t, r in cases]
    ours = [float(np.float32(score_response(t, r, "official").total)) for t, r in cases]
    reward_agree = sum(a == b for a, b in zip(released, ours))
    plus = [(t, r, v) for (t, r), v in zip(cases, released) if r["type"] != "planning"]
    plus_agree = sum(score_plus(t, r, reasoning=False).correct == (v > 0) for t, r, v in plus)

    # speed: the same rows, ours vs released
    module = reward_oracle.module
    metro: dict[str, dict] = {}
    for _, r in cases:
        if r["json"] not in metro:
            raw = json.loads(Path(r["json"]).read_text(encoding="utf-8"))
            metro[r["json"]] = {k: [s.replace(" (Transfer Station)", "").replace(" (Branch-starting Station)", "")
                                    .replace("（换乘站）", "").replace("（支线起始站）", "") for s in v]
                                for k, v in raw.items()}
    speed_rows = [(t, r) for t, r in cases if len(t) < 20_000]

    def released_fn(item):
        t, r = item
        module.reason_map_compute_score(t, r["answer"], r["station_1"], r["station_2"], metro[r["json"]],
                                        "difficulty_aware", r["type"], r["difficulty_city"],
                                        r["question_transfer_count"])

    t_manager = _time(lambda item: reward_oracle.score(*item), speed_rows)
    t_released = _time(released_fn, speed_rows)
    t_ours = _time(lambda item: score_response(item[0], item[1], "official"), speed_rows)

    # ------------------------------------------------------------------ ReasonMap metric
    ecases = eval_cases(cities, args.eval, seed=args.seed + 1)
    acc_agree = map_agree = comp_agree = 0
    names = {"endpoints": "save_departure_arrival_score_{k}", "route_name": "save_route_name_score_{k}",
             "stops": "save_stops_score_{k}"}
    eref = []
    for template, text, sample in ecases:
        k = "short" if template == "short" else "long"
        ref = eval_oracle.short(text, sample) if k == "short" else eval_oracle.long(text, sample)
        eref.append(ref)
        got = score_reasonmap(text, sample, question=k, reasoning=False)
        acc_agree += int(bool(ref[f"acc_{k}"]) == got.correct)
        map_agree += int(ref[f"best_map_api_score_{k}"] == got.map_score)
        want = {n: ref[v.format(k=k)] for n, v in names.items()}
        if k == "long":
            want.update(num_via=ref["save_num_via_stop_score"], via=ref["save_via_stops_score"])
        comp_agree += int(all(got.components[n] == v for n, v in want.items()))
    speed_eval = [(tpl, t, s) for tpl, t, s in ecases if len(t) < 20_000]
    for _, _, s in speed_eval:
        eval_oracle.metro(s)  # station data loaded once, outside the timing
    t_eval_released = _time(lambda c: eval_oracle.short(c[1], c[2]) if c[0] == "short" else eval_oracle.long(c[1], c[2]),
                            speed_eval)
    t_eval_ours = _time(lambda c: score_reasonmap(c[1], c[2], question="short" if c[0] == "short" else "long",
                                                  reasoning=False), speed_eval)

    real = [c for c in cities if c.path.is_relative_to(SHARED_DATA)]
    figures_all_correct = all_correct(real, eval_oracle, args.seed)
    figures = {
        "corpus": {"reward": len(cases), "plus": len(plus), "reasonmap": len(ecases), "cities": len(cities),
                   "seed": args.seed},
        "agreement": {"reward": reward_agree / len(cases), "plus_accuracy": plus_agree / len(plus),
                      "reasonmap_accuracy": acc_agree / len(ecases), "reasonmap_map_score": map_agree / len(ecases),
                      "reasonmap_components": comp_agree / len(ecases)},
        "speed": {"reward_rows": len(speed_rows),
                  "released_manager_per_s": len(speed_rows) / t_manager,
                  "released_compute_score_per_s": len(speed_rows) / t_released,
                  "ours_per_s": len(speed_rows) / t_ours,
                  "reward_speedup_vs_manager": t_manager / t_ours,
                  "reward_speedup_vs_compute_score": t_released / t_ours,
                  "metric_rows": len(speed_eval),
                  "metric_released_per_s": len(speed_eval) / t_eval_released,
                  "metric_ours_per_s": len(speed_eval) / t_eval_ours,
                  "metric_speedup": t_eval_released / t_eval_ours},
        "all_correct_map_score": figures_all_correct,
    }
    print(json.dumps(figures, indent=2))
    out = HERE / "results" / "fidelity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = all(v == 1.0 for v in figures["agreement"].values()) and all(
        v["released"] == v["official"] for v in figures_all_correct.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
