"""Evaluation metrics speed: score 10,000 responses (ReasonMap short/long and ReasonMap-Plus, a mix of right and
wrong answers from the simulated model) and aggregate them into the report summary. Target: under 5 s.

Usage: python benchmarks/eval_metrics.py [--n 10000] [--stations DIR]
(default: the real station files in ../shared/data/reasonmap/stations when present, else 6 synthetic cities)
Prints the figures and writes benchmarks/results/eval_metrics.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rewardmap.data import build_datasets, load_rows
from rewardmap.evaluation.report import summarize
from rewardmap.evaluation.runner import make_record, score_sample
from rewardmap.evaluation.samples import build_samples
from rewardmap.evaluation.simulator import ErrorRates, SimulatedModel

HERE = Path(__file__).resolve().parent
ERRORS = ["wrong_line=0.15", "misread_station=0.1", "missing_transfer=0.1", "off_by_one=0.2", "broken_format=0.05"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--stations", default=str(HERE.parent.parent / "shared/data/reasonmap/stations"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        stations = Path(args.stations)
        if not stations.is_dir():
            from rewardmap.synth import write_cities

            write_cities(Path(tmp) / "src", 6, seed=1, size=256)
            stations = Path(tmp) / "src" / "stations"
        build_datasets(stations, None, out, write_parquet=False)
        rm = [dict(r) for split in ("train", "validation") for r in load_rows(out / "reasonmap", split=split)]
        plus = [dict(r) for split in ("train", "test") for r in load_rows(out / "reasonmap-plus", split=split)]
        model = SimulatedModel(rm + plus, root=out, errors=ErrorRates.parse(ERRORS), seed=0)
        samples = build_samples(rm, "reasonmap") + build_samples(plus, "reasonmap-plus")
        pool = [(s, model.answer(s.question).text) for s in samples]
        work = [pool[i % len(pool)] for i in range(args.n)]
        n_rm = sum(1 for s, _ in work if s.task == "planning")
        # warm the network cache once (station files are parsed once per run in real use too)
        for s, text in pool[:50]:
            score_sample(s, text, root=out)
        t0 = time.perf_counter()
        records = []
        for s, text in work:
            metrics = score_sample(s, text, root=out)
            records.append(make_record(s, text, text, metrics, tokens=None, latency_s=0.0, attempts=1, error=None,
                                       benchmark="reasonmap" if s.task == "planning" else "reasonmap-plus"))
        t_score = time.perf_counter() - t0
        t1 = time.perf_counter()
        s_rm = summarize([r for r in records if r["task"] == "planning"], "reasonmap")
        s_plus = summarize([r for r in records if r["task"] != "planning"], "reasonmap-plus")
        t_agg = time.perf_counter() - t1
    total = t_score + t_agg
    result = {"responses": args.n, "reasonmap_responses": n_rm, "plus_responses": args.n - n_rm,
              "score_seconds": round(t_score, 3), "aggregate_seconds": round(t_agg, 3), "total_seconds": round(total, 3),
              "responses_per_second": round(args.n / total, 1), "target_seconds": 5.0, "meets_target": total < 5.0,
              "short_acc": round(s_rm["short"]["acc"], 4), "long_acc": round(s_rm["long"]["acc"], 4),
              "plus_w_acc": round(s_plus["overall"]["w_acc"], 4), "stations": str(stations)}
    print(f"scored {args.n:,} responses ({n_rm:,} ReasonMap, {args.n - n_rm:,} Plus) in {t_score:.2f} s, "
          f"aggregated in {t_agg:.2f} s: total {total:.2f} s = {args.n / total:,.0f} responses/s "
          f"(target < 5 s: {'met' if total < 5 else 'MISSED'})")
    print(f"  sanity: short acc {s_rm['short']['acc']:.1%}, long acc {s_rm['long']['acc']:.1%}, "
          f"Plus weighted acc {s_plus['overall']['w_acc']:.1%} (simulated error mix {', '.join(ERRORS)})")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "eval_metrics.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
