"""HTTP runner throughput: ``rewardmap eval`` with the OpenAI-compatible backend against ``rewardmap serve-sim``
running as a separate process, concurrency 16, maps sent as PNG data URIs. Target: at least 50 requests/s.

Usage: python benchmarks/eval_http.py [--cities 6] [--size 768] [--concurrency 16] [--delay-ms 0]
Measures the whole runner (request, scoring, JSONL append) end to end, twice: with images and text-only.
Prints the figures and writes benchmarks/results/eval_http.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rewardmap.data import build_datasets
from rewardmap.evaluation.runner import EvalOptions, run_eval

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cities", type=int, default=6)
    parser.add_argument("--size", type=int, default=768, help="rendered map size (px)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="simulated model latency per request")
    args = parser.parse_args()
    from rewardmap.synth import write_cities

    results = {"concurrency": args.concurrency, "cities": args.cities, "map_size": args.size,
               "delay_ms": args.delay_ms, "target_rps": 50}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        written = write_cities(tmp / "src", args.cities, seed=2, size=args.size)
        build_datasets(tmp / "src" / "stations", tmp / "src" / "maps", tmp / "ds", write_parquet=False,
                       test_cities=[w.city for w in written])
        port_file = tmp / "port"
        server = subprocess.Popen([sys.executable, "-m", "rewardmap.cli", "serve-sim", "--data",
                                   str(tmp / "ds" / "reasonmap-plus"), "--data", str(tmp / "ds" / "reasonmap"),
                                   "--port", "0", "--port-file", str(port_file), "--delay-ms", str(args.delay_ms)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > end or server.poll() is not None:
                    raise SystemExit("serve-sim did not start")
                time.sleep(0.05)
            url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
            for label, text_only in (("with_images", False), ("text_only", True)):
                for bench in ("reasonmap-plus", "reasonmap"):
                    opts = EvalOptions(benchmark=bench, data=str(tmp / "ds" / bench), model=f"openai:sim@{url}",
                                       out=str(tmp / f"out-{label}-{bench}"), concurrency=args.concurrency,
                                       text_only=text_only, progress=False)
                    t0 = time.perf_counter()
                    summary = run_eval(opts, log=lambda m: None)
                    dt = time.perf_counter() - t0
                    n = summary["run"]["written_now"]
                    key = f"{label}/{bench}"
                    results[key] = {"requests": n, "seconds": round(dt, 3), "requests_per_second": round(n / dt, 1),
                                    "errors": summary["run"]["errors"]}
                    print(f"{key:<28} {n:>5} requests in {dt:6.2f} s = {n / dt:7.1f} req/s "
                          f"(concurrency {args.concurrency}, errors {summary['run']['errors']})")
        finally:
            server.terminate()
            server.wait(10)
    worst = min(v["requests_per_second"] for k, v in results.items() if isinstance(v, dict))
    results["min_requests_per_second"] = worst
    results["meets_target"] = worst >= 50
    print(f"slowest configuration: {worst:.1f} req/s (target >= 50: {'met' if worst >= 50 else 'MISSED'})")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "eval_http.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
