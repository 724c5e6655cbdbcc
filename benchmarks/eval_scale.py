"""Evaluation at scale: ``--samples`` (default 100,000) text-only ReasonMap-Plus samples through the runner against
``rewardmap serve-sim`` in another process, with the wall time split into setup, requests and finalisation (issue 13
F16: the end of a run used to be quadratic — 20k samples took ~5 more minutes after the last request).

Usage: python benchmarks/eval_scale.py [--samples 100000] [--concurrency 16] [--cities 4]

The questions are the Plus rows of a few synthetic cities, tiled to ``--samples`` rows with a ``(#i)`` suffix so
each question is unique (the simulator answers every one from its own row). Phases:

- setup: loading the rows, building the samples, opening the results file;
- requests: asking, scoring and appending one JSON line per sample;
- finalisation: the summary over every record and ``summary.json`` (``run_eval``), then what ``rewardmap eval``
  prints at the end (``load_run`` + the text report).

Prints the figures and writes benchmarks/results/eval_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_rows(tmp: Path, cities: int, samples: int) -> Path:
    """A jsonl file of ``samples`` unique Plus questions (all in the ``test`` split) from ``cities`` cities."""
    from rewardmap.data import build_datasets, load_rows
    from rewardmap.synth import write_cities

    written = write_cities(tmp / "src", cities, seed=5, size=256)
    build_datasets(tmp / "src" / "stations", tmp / "src" / "maps", tmp / "ds", write_parquet=False,
                   test_cities=[w.city for w in written])
    base = [dict(r) for r in load_rows(tmp / "ds" / "reasonmap-plus", split="test")]
    path = tmp / "plus-scale.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(samples):
            row = dict(base[i % len(base)])
            row["question"] = f"{row['question']} (#{i})"
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cities", type=int, default=4)
    args = parser.parse_args()
    from rewardmap.evaluation.report import load_run, text_report
    from rewardmap.evaluation.runner import EvalOptions, run_eval

    results: dict = {"samples": args.samples, "concurrency": args.concurrency, "text_only": True,
                     "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                     "load_1min_at_start": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        data = make_rows(tmp, args.cities, args.samples)
        results["dataset_seconds"] = round(time.perf_counter() - t0, 2)
        port_file = tmp / "port"
        server = subprocess.Popen([sys.executable, "-m", "rewardmap.cli", "serve-sim", "--data", str(data),
                                   "--port", "0", "--port-file", str(port_file)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 300
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > end or server.poll() is not None:
                    raise SystemExit("serve-sim did not start")
                time.sleep(0.1)
            url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
            out = tmp / "out"
            opts = EvalOptions(benchmark="reasonmap-plus", data=str(data), model=f"openai:sim@{url}", out=str(out),
                               split="test", text_only=True, concurrency=args.concurrency, progress=False)
            t0 = time.perf_counter()
            summary = run_eval(opts, log=lambda m: None)
            t_run = time.perf_counter() - t0
            t1 = time.perf_counter()
            text_report([load_run(out)])
            t_report = time.perf_counter() - t1
        finally:
            server.terminate()
            server.wait(30)
    info = summary["run"]
    requests = info["seconds_now"]
    finalise = t_run - info["seconds_setup"] - requests + t_report
    results.update({
        "written": info["written_now"], "errors": info["errors"], "accuracy": summary["overall"]["acc"],
        "setup_seconds": info["seconds_setup"], "requests_seconds": round(requests, 2),
        "requests_per_second": round(info["written_now"] / requests, 1) if requests else None,
        "finalise_seconds": round(finalise, 2), "finalise_run_eval_seconds": info.get("seconds_finalise"),
        "finalise_report_seconds": round(t_report, 2), "total_seconds": round(t_run + t_report, 2)})
    print(f"{info['written_now']} text-only samples, concurrency {args.concurrency} ({results['machine']}, "
          f"load {results['load_1min_at_start']} at start)")
    print(f"  setup         {results['setup_seconds']:8.2f} s")
    print(f"  requests      {results['requests_seconds']:8.2f} s  ({results['requests_per_second']} req/s)")
    print(f"  finalisation  {results['finalise_seconds']:8.2f} s  (summary {results['finalise_run_eval_seconds']} s, "
          f"end-of-run report {results['finalise_report_seconds']} s)")
    print(f"  total         {results['total_seconds']:8.2f} s; errors {info['errors']}, accuracy "
          f"{summary['overall']['acc']:.3f}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "eval_scale.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
