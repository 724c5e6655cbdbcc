"""Wall time of the miniature ablation (issue 14's budget: the whole default run under 60 minutes on 2 cores).

Runs ``rewardmap experiment ablation`` with a budget into a fresh folder (or reads a finished one with ``--from``)
and prints where the time went: world, base-policy pre-training (seconds per SFT step), base evaluation, and per
recipe the GRPO seconds per step and the evaluation, from the run's own records (``ablation.json``, each run's
``metrics.jsonl`` and ``result.json``).

    .venv/bin/python benchmarks/ablation_budget.py --budget demo
    .venv/bin/python benchmarks/ablation_budget.py --from runs/ablation-full     # a run made by the command line

A resumed experiment records only the time of its last call; ``--from`` adds the recorded times of the parts it
reused (the base policy's ``wall_s``, each run's ``wall_s``), so the total is that of the whole experiment.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def summarise(out: Path) -> dict:
    doc = json.loads((out / "ablation.json").read_text())
    base = json.loads((out / "base" / "base.json").read_text())
    per_recipe: dict[str, dict] = {}
    for run in doc["runs"]:
        folder = out / "runs" / run["recipe"] / f"seed-{run['seed']}"
        steps = [json.loads(line) for line in (folder / "train" / "metrics.jsonl").read_text().splitlines()
                 if line.strip()]
        step_s = [s["step_time"] for s in steps if "step_time" in s]
        entry = per_recipe.setdefault(run["recipe"], {"runs": 0, "wall_s": [], "step_s": []})
        entry["runs"] += 1
        entry["wall_s"].append(run["wall_s"])
        entry["step_s"].extend(step_s)
    runs_total = sum(sum(e["wall_s"]) for e in per_recipe.values())
    return {"budget": doc["budget"]["name"], "base_sft_steps": base["steps"], "base_wall_s": base["wall_s"],
            "base_s_per_step": base["wall_s"] / max(1, base["steps"]),
            "recorded_timings": doc["timings"], "runs_wall_s": runs_total,
            "whole_experiment_s": doc["timings"].get("world", 0) + base["wall_s"]
            + doc["timings"].get("base evaluation", 0) + runs_total,
            "recipes": {k: {"runs": v["runs"], "mean_wall_s": statistics.mean(v["wall_s"]),
                            "median_grpo_step_s": statistics.median(v["step_s"]) if v["step_s"] else None}
                        for k, v in per_recipe.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", default="demo", help="full | quick | demo (default demo)")
    ap.add_argument("--from", dest="source", default=None, metavar="DIR", help="summarise a finished experiment")
    ap.add_argument("--json", default="benchmarks/results/ablation_budget.json", help="where to write the figures")
    args = ap.parse_args()
    if args.source:
        out = Path(args.source)
        wall = None
    else:
        from rewardmap.experiments.ablation import BUDGETS, run_ablation

        out = Path(tempfile.mkdtemp(prefix="ablation-budget-"))
        t0 = time.perf_counter()
        run_ablation(out, BUDGETS[args.budget], progress=False, log=lambda m: print(m, flush=True))
        wall = time.perf_counter() - t0
    figures = summarise(out)
    figures["measured_wall_s"] = wall
    print(f"budget {figures['budget']}: whole experiment {figures['whole_experiment_s'] / 60:.1f} min"
          + (f" (this call {wall / 60:.1f} min)" if wall else ""))
    print(f"  base policy: {figures['base_sft_steps']} SFT steps in {figures['base_wall_s']:.0f} s "
          f"({figures['base_s_per_step']:.2f} s/step)")
    for k in ("world", "base evaluation"):
        if k in figures["recorded_timings"]:
            print(f"  {k}: {figures['recorded_timings'][k]:.0f} s")
    for name, r in figures["recipes"].items():
        print(f"  {name}: {r['runs']} run(s), {r['mean_wall_s']:.0f} s each (train + evaluate), median GRPO step "
              f"{r['median_grpo_step_s']:.2f} s")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
