"""The ablation's outputs: the table (mean ± sample standard deviation over seeds), the curves, the verdict against
the paper's ordering, and ``ablation.md`` / ``ablation.json`` / ``ablation.html`` with the plots.

The verdict is computed, never written by hand: each claim of the paper is checked on the numbers of this run and
reported as held, not held, or within the seed spread.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from rewardmap.evaluation.markdown import markdown_page

PLUS_TYPES = ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3")

#: Columns of the two tables: (key, header, format). Perception (ReasonMap-Plus) first, then planning and training.
PLUS_COLUMNS = (
    ("plus_acc", "Plus acc", "{:.3f}"),
    *((f"plus_{t}", t, "{:.2f}") for t in PLUS_TYPES),
)
PLANNING_COLUMNS = (
    ("short_acc", "planning acc (short)", "{:.3f}"),
    ("short_map", "map score (short, /20)", "{:.2f}"),
    ("long_acc", "planning acc (long)", "{:.3f}"),
    ("long_map", "map score (long, /40)", "{:.2f}"),
    ("zero_std", "zero-std groups", "{:.2f}"),
    ("first_reward", "reward, first ¼ of steps", "{:.2f}"),
    ("final_reward", "reward, last ¼ of steps", "{:.2f}"),
)
COLUMNS = PLUS_COLUMNS + PLANNING_COLUMNS

#: Accuracy metrics and where their question counts are in an evaluation summary.
_COUNTS = {"plus_acc": ("reasonmap-plus", "overall"), "short_acc": ("reasonmap", "short"),
           "long_acc": ("reasonmap", "long"), **{f"plus_{t}": ("reasonmap-plus", "by_type", t) for t in PLUS_TYPES}}


def run_metrics(evaluation: dict, curves: dict | None = None) -> dict[str, float]:
    """The table's numbers of one evaluated model (and its training curves, when it was trained)."""
    plus, plan = evaluation["reasonmap-plus"], evaluation["reasonmap"]
    m = {"plus_acc": plus["overall"]["acc"]}
    for t in PLUS_TYPES:
        if t in plus.get("by_type", {}):
            m[f"plus_{t}"] = plus["by_type"][t]["acc"]
    for kind in ("short", "long"):
        if kind in plan:
            m[f"{kind}_acc"] = plan[kind]["acc"]
            m[f"{kind}_map"] = plan[kind]["map"]
    if curves:
        zs = [v for v in curves.get("frac_reward_zero_std", []) if v is not None]
        rw = [v for v in curves.get("reward", []) if v is not None]
        if zs:
            m["zero_std"] = sum(zs) / len(zs)
        if rw:
            quarter = max(1, len(rw) // 4)
            m["first_reward"] = sum(rw[:quarter]) / quarter
            m["final_reward"] = sum(rw[-quarter:]) / quarter
    return m


def constant_answer_rates(train: Sequence[tuple[str, object]], test: Sequence[tuple[str, object]]) -> dict[str, float]:
    """What a model that never looks at the map scores by always giving each type's most frequent *training*
    answer: ``(type, answer)`` pairs of the training rows and of the held-out rows → ``plus_acc`` and
    ``plus_<type>``. The floor a blind policy can reach by learning the answer prior alone."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for kind, answer in train:
        counts.setdefault(kind, Counter())[str(answer)] += 1
    best = {kind: c.most_common(1)[0][0] for kind, c in counts.items()}
    hits: dict[str, list[bool]] = {}
    for kind, answer in test:
        hits.setdefault(kind, []).append(best.get(kind) == str(answer))
    out = {f"plus_{k}": sum(v) / len(v) for k, v in hits.items() if k in PLUS_TYPES}
    every = [h for k, v in hits.items() if k in PLUS_TYPES for h in v]
    if every:
        out["plus_acc"] = sum(every) / len(every)
    return out


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    mean = sum(values) / len(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def aggregate(runs) -> dict[str, dict[str, dict]]:
    """``{recipe: {metric: {"mean", "std", "n", "values"}}}`` over the seeds of each recipe."""
    per: dict[str, dict[str, list[float]]] = {}
    for r in runs:
        for k, v in run_metrics(r.evaluation, r.curves).items():
            per.setdefault(r.recipe, {}).setdefault(k, []).append(v)
    out: dict[str, dict[str, dict]] = {}
    for recipe, metrics in per.items():
        out[recipe] = {}
        for k, vals in metrics.items():
            mean, std = mean_std(vals)
            out[recipe][k] = {"mean": mean, "std": std, "n": len(vals), "values": vals}
    return out


def _beats(table: dict, a: str, b: str, metric: str) -> str:
    """``held`` when a's mean exceeds b's by more than both seed spreads, ``within spread`` when it exceeds it by
    less, ``tie`` when the means are equal (e.g. both 0), ``not held`` when b's is higher."""
    x, y = table[a][metric], table[b][metric]
    gap = x["mean"] - y["mean"]
    if abs(gap) < 1e-12:
        return "tie"
    if gap < 0:
        return "not held"
    return "held" if gap > max(x["std"], y["std"]) else "within spread"


#: The paper's orderings (Tables 3 and 4): (better recipe, worse recipe, what it shows).
ORDERINGS = (
    ("rl-planning-reward", "rl-planning", "reward design helps on planning rows alone"),
    ("rl-baseline", "rl-planning", "ReasonMap-Plus rows help"),
    ("reward-design", "rl-baseline", "reward design helps"),
    ("multi-stage", "rl-baseline", "the multi-stage curriculum helps"),
    ("rewardmap", "reward-design", "RewardMap beats reward design alone"),
    ("rewardmap", "multi-stage", "RewardMap beats the curriculum alone"),
    ("rewardmap", "rl-planning", "RewardMap beats the RL baseline on planning only"),
    ("rewardmap", "sft-rl", "RewardMap beats SFT → RL"),
)
#: The metrics the orderings are checked on: Table 3's planning accuracy and map score, and its Plus column.
CLAIM_METRICS = ("short_acc", "short_map", "plus_acc")


def verdict(table: dict) -> list[dict]:
    """The paper's claims checked on this run's numbers (only those whose recipes ran)."""
    claims = []

    def claim(text: str, a: str, b: str, metric: str, lower_is_better: bool = False) -> None:
        if a in table and b in table and metric in table[a] and metric in table[b]:
            status = _beats(table, b, a, metric) if lower_is_better else _beats(table, a, b, metric)
            claims.append({"claim": text, "metric": metric, "a": a, "b": b, "status": status,
                           "a_mean": table[a][metric]["mean"], "b_mean": table[b][metric]["mean"],
                           "a_std": table[a][metric]["std"], "b_std": table[b][metric]["std"]})

    for metric in CLAIM_METRICS:
        for better, worse, why in ORDERINGS:
            claim(f"{why}: {better} > {worse} ({metric})", better, worse, metric)
    for dense in ("rl-planning-reward", "rl-baseline", "reward-design", "multi-stage", "rewardmap", "sft-rl"):
        claim(f"denser rewards lower the zero-std fraction: {dense} < rl-planning", dense, "rl-planning",
              "zero_std", lower_is_better=True)
    return claims


def question_counts(evaluation: dict) -> dict[str, int]:
    """How many questions each accuracy metric is measured on (the same held-out set for every model)."""
    counts = {}
    for metric, path in _COUNTS.items():
        node = evaluation
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict) and node.get("n"):
            counts[metric] = int(node["n"])
    return counts


def what_moved(table: dict, base: dict, counts: dict[str, int], recipes, *, prior: dict | None = None) -> list[str]:
    """Plain sentences: for each recipe, which accuracies moved away from the base policy by more than two
    standard errors of the difference of two proportions (each measured on ``counts[metric]`` questions per seed),
    which did not, whether its Plus accuracy is above the constant-answer floor (``prior``) beyond noise, and how
    its training reward changed from the first to the last quarter of its steps."""
    headers = dict((k, h) for k, h, _ in COLUMNS)
    lines = []
    for r in recipes:
        if r.name not in table:
            continue
        row, up, down, still = table[r.name], [], [], []
        for metric, n in counts.items():
            if metric not in row or metric not in base:
                continue
            p0, p1, seeds = base[metric], row[metric]["mean"], row[metric]["n"]
            se = math.sqrt(p0 * (1 - p0) / n + p1 * (1 - p1) / (n * seeds))
            text = f"{headers[metric]} {p0:.3f} → {p1:.3f}"
            if abs(p1 - p0) > 2 * se and abs(p1 - p0) > 0:
                (up if p1 > p0 else down).append(text)
            else:
                still.append(text)
        parts = [f"**{r.label}**:"]
        parts.append(("up beyond noise: " + "; ".join(up) + ".") if up else "no accuracy rose beyond noise.")
        if down:
            parts.append("down beyond noise: " + "; ".join(down) + ".")
        if still:
            parts.append("within noise (2 SE): " + "; ".join(still) + ".")
        if prior and "plus_acc" in prior and "plus_acc" in row and "plus_acc" in counts:
            p0, p1, n = prior["plus_acc"], row["plus_acc"]["mean"], counts["plus_acc"]
            se = math.sqrt(p0 * (1 - p0) / n + p1 * (1 - p1) / (n * row["plus_acc"]["n"]))
            if p1 - p0 > 2 * se:
                parts.append(f"Plus accuracy {p1:.3f} is above the constant-answer floor {p0:.3f} beyond noise.")
            else:
                parts.append(f"Plus accuracy {p1:.3f} is not above the constant-answer floor {p0:.3f} (a model "
                             "answering each type's most frequent training answer without looking at the map).")
        if "first_reward" in row and "final_reward" in row:
            parts.append(f"Training reward {row['first_reward']['mean']:.2f} (first ¼ of steps) → "
                         f"{row['final_reward']['mean']:.2f} (last ¼); zero-std groups "
                         f"{row['zero_std']['mean']:.0%} of all groups.")
        lines.append(" ".join(parts))
    return lines


def _fmt(cell: dict | None, fmt: str) -> str:
    if cell is None:
        return "–"
    s = fmt.format(cell["mean"])
    return s + (" ± " + fmt.format(cell["std"]) if cell["n"] > 1 else "")


def markdown_table(table: dict, base: dict, recipes, seeds: Sequence[int], columns=COLUMNS,
                   prior: dict | None = None) -> str:
    head = "| recipe | " + " | ".join(h for _, h, _ in columns) + " |"
    sep = "|---|" + "---|" * len(columns)
    rows = [head, sep]
    if prior:
        prior_row = {k: {"mean": v, "std": 0.0, "n": 1} for k, v in prior.items()}
        rows.append("| constant answer (no map; the training rows' most frequent answer per type) | "
                    + " | ".join(_fmt(prior_row.get(k), f) for k, _, f in columns) + " |")
    base_row = {k: {"mean": v, "std": 0.0, "n": 1} for k, v in base.items()}
    rows.append("| base policy (no RL) | " + " | ".join(_fmt(base_row.get(k), f) for k, _, f in columns) + " |")
    for r in recipes:
        if r.name in table:
            rows.append(f"| {r.label} | " + " | ".join(_fmt(table[r.name].get(k), f) for k, _, f in columns) + " |")
    return "\n".join(rows)


def _plots(out: Path, runs, recipes) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plots are an extra; the table stands alone
        return []
    names = []
    for key, title, fname in (("reward", "mean reward per step (own reward scale)", "ablation_reward.png"),
                              ("frac_reward_zero_std", "fraction of zero-std rollout groups", "ablation_zero_std.png"),
                              ("rewardmap/accuracy", "rollout accuracy per step", "ablation_accuracy.png")):
        fig, ax = plt.subplots(figsize=(8, 4))
        for r in recipes:
            series = [run.curves.get(key, []) for run in runs if run.recipe == r.name]
            if not series:
                continue
            n = min(len(s) for s in series)
            mean = []
            for i in range(n):
                vals = [s[i] for s in series if s[i] is not None]
                mean.append(sum(vals) / len(vals) if vals else math.nan)
            w = max(1, n // 12)  # running mean over ~1/12 of the run: seeds and steps are noisy
            smooth = [sum(x for x in mean[max(0, i - w + 1):i + 1] if not math.isnan(x)) /
                      max(1, sum(1 for x in mean[max(0, i - w + 1):i + 1] if not math.isnan(x))) for i in range(n)]
            ax.plot(range(1, n + 1), smooth, label=r.label)
        ax.set_xlabel("optimizer step")
        ax.set_title(title + " — mean over seeds, running mean")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / fname, dpi=110)
        plt.close(fig)
        names.append(fname)
    return names


def reading_lines(reading: dict | None) -> list[str]:
    """The base policy's generic reading probe as a sentence and a one-row table (nothing when not measured)."""
    if not reading:
        return []
    tasks = reading["tasks"]
    lines = ["## The base policy's generic reading (RL-training cities, exact match)", "",
             "Its pre-training tasks, asked on maps it never read (the first RL-training cities; no evaluation city): "
             "does it read a map at all, before any RL? "
             + (f"On ride questions it wrote the asked departure station — given in the question — in "
                f"{reading['departure_copied']:.0%} of {reading['rides']}." if reading.get("rides") else ""), "",
             "| | " + " | ".join(tasks) + " | all |", "|---|" + "---|" * (len(tasks) + 1),
             "| base policy | " + " | ".join(f"{t['acc']:.2f} ({t['correct']}/{t['n']})" for t in tasks.values())
             + f" | {reading['overall']:.2f} |", ""]
    return lines


def write_outputs(out: Path, *, budget, world, base: dict, base_eval: dict, runs, recipes, timings: dict,
                  prior: dict | None = None, reading: dict | None = None) -> dict:
    """Write ``ablation.json``, ``ablation.md``, ``ablation.html`` and the plots under ``out``; returns the JSON."""
    table = aggregate(runs)
    base_metrics = run_metrics(base_eval)
    claims = verdict(table)
    counts = question_counts(base_eval)
    moved = what_moved(table, base_metrics, counts, recipes, prior=prior or {})
    plots = _plots(out, runs, recipes)
    evaluation_page = _evaluation_report(out, runs, recipes)
    doc = {"budget": budget.key(), "world": {"train_cities": list(world.train_cities),
                                             "eval_cities": list(world.eval_cities)},
           "base_policy": {k: v for k, v in base.items() if k != "losses"} | {"first_loss": base["losses"][0],
                                                                               "last_loss": base["losses"][-1]},
           "base_reading": {k: v for k, v in reading.items() if k != "records"} if reading else None,
           "base_metrics": base_metrics, "table": table, "verdict": claims,
           "question_counts": counts, "what_moved": moved, "constant_answer": prior or {},
           "runs": [{"recipe": r.recipe, "seed": r.seed, "wall_s": r.wall_s, "metrics": run_metrics(r.evaluation, r.curves)}
                    for r in runs],
           "timings": {k: round(v, 1) for k, v in timings.items()}, "plots": plots}
    (out / "ablation.json").write_text(json.dumps(doc, indent=1))
    md = [f"# Ablation in miniature ({budget.name} budget)", "",
          f"Base policy: a from-scratch tiny Qwen2.5-VL ({base['parameters'] / 1e6:.2f} M parameters), "
          f"{base['steps']} SFT steps of generic map reading on {budget.pretrain_cities} other cities "
          f"(loss {base['losses'][0]:.2f} → {base['losses'][-1]:.2f}). Every recipe starts from it and runs "
          f"{budget.steps} GRPO steps of {budget.prompts_per_step} prompts × {budget.num_generations} rollouts "
          f"on {budget.train_cities} training cities; evaluation is greedy on {budget.eval_cities} held-out cities "
          f"(official metrics). The reward-design rows train with the `{budget.design_reward}` reward preset "
          "(`baseline`: format + correctness; `paper`: the same plus α·detail with difficulty weights; `official`: "
          "the released reward, without a format term).", "",
          *reading_lines(reading),
          "## Perception: ReasonMap-Plus accuracy on the held-out cities", "",
          markdown_table(table, base_metrics, recipes, budget.seeds, PLUS_COLUMNS, prior=prior), "",
          "## Planning (ReasonMap) and training", "",
          markdown_table(table, base_metrics, recipes, budget.seeds, PLANNING_COLUMNS), "",
          f"mean ± sample std over seeds {', '.join(map(str, budget.seeds))}; questions per seed: "
          + ", ".join(f"{dict((k, h) for k, h, _ in COLUMNS)[k]} {n}" for k, n in counts.items()), "",
          "Map scores are ReasonMap's official metric (the released evaluator, reproduced exactly): "
          + _map_score_note(), "",
          "## What moved and what did not", "", *moved, "",
          "## The paper's claims on these numbers", "",
          "| claim | this run | status |", "|---|---|---|"]
    for c in claims:
        md.append(f"| {c['claim']} | {c['a_mean']:.3f} ± {c['a_std']:.3f} vs {c['b_mean']:.3f} ± {c['b_std']:.3f} "
                  f"| {c['status']} |")
    md += ["", "*held*: the gap exceeds both seed spreads; *within spread*: the order holds but the gap is smaller "
           "than a seed spread; *tie*: equal means (e.g. both 0); *not held*: the order is reversed.", ""]
    md += [f"![{p}]({p})" for p in plots]
    md += ["", "## Every run", ""]
    if evaluation_page:
        md += [f"[The evaluation report]({evaluation_page}): the base policy and the first seed of every recipe "
               "side by side — tables, plots and held-out questions with each model's answer and score.", ""]
    md += ["Each recipe × seed has its training report (curves per step, the stages):", ""]
    for r in runs:
        md.append(f"- {r.recipe} seed {r.seed}: [training report](runs/{r.recipe}/seed-{r.seed}/train/report.html)")
    md += ["", "wall time: " + ", ".join(f"{k} {_duration(v)}" for k, v in timings.items())]
    (out / "ablation.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "ablation.html").write_text(markdown_page(md, title="Ablation in miniature"), encoding="utf-8")
    return doc


def _map_score_note() -> str:
    from rewardmap.evaluation.report import MAP_SCORE_NOTE

    return MAP_SCORE_NOTE


def _evaluation_report(out: Path, runs, recipes) -> str | None:
    """``rewardmap report`` over the base policy's and each recipe's first-seed evaluation folders, written to
    ``out/evaluation/``; its page relative to ``out`` (None when no folder exists)."""
    from rewardmap.evaluation.report import load_run, write_evaluation_report

    folders = [("base", out / "base-eval")]
    for r in recipes:
        first = min((run.seed for run in runs if run.recipe == r.name), default=None)
        if first is not None:
            folders.append((f"{r.name} s{first}", out / "runs" / r.name / f"seed-{first}" / "eval"))
    loaded = [load_run(folder / bench, f"{label} {short}") for label, folder in folders
              for bench, short in (("reasonmap-plus", "Plus"), ("reasonmap", "planning"))
              if (folder / bench / "summary.json").is_file()]
    if not loaded:
        return None
    paths = write_evaluation_report(loaded, out / "evaluation", cards_per_run=24,
                                    title="Ablation in miniature: held-out evaluation")
    html = paths.get("html")
    return str(Path(html).relative_to(out)) if html else None


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"
