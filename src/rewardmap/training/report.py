"""Training reports: reward curve with stage boundaries, reward components, zero-std group fraction, accuracy table.

Written by ``rewardmap demo`` (and usable on any run directory): ``report.md``, ``report.html``, ``report.json`` and
``training_curves.png``; with evaluations whose folders exist, also the evaluation report of those folders
(``evaluation/index.html``, as ``rewardmap report`` writes it: tables, plots, per-sample cards), linked from both.
Tables wider than :data:`MAX_COLUMNS` columns are split into several (the first column repeated), and the HTML
page lets any table scroll sideways inside its box, so the page fits a laptop screen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from rewardmap.evaluation.markdown import markdown_page
from rewardmap.training.runlog import RunResult

COMPONENT_PREFIXES = ("rewardmap/", "reward_components/")
#: Widest table written as one: wider ones are split, the first column repeated in each part.
MAX_COLUMNS = 7
#: Where the evaluation report of the run's evaluation folders goes, under the report folder.
EVALUATION_REPORT_DIR = "evaluation"


def _series(result: RunResult, name: str) -> list[float | None]:
    return [s.metrics.get(name) for s in result.steps]


def plot_training(result: RunResult, path: str | Path) -> Path:
    """Reward per step (with each stage shaded and named) and the zero-std group fraction; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s.step for s in result.steps]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    colours = ["#e8f0fe", "#fef7e0", "#e6f4ea", "#fce8e6", "#f3e8fd", "#e0f7fa"]
    for i, (name, first, last) in enumerate(result.stage_boundaries):
        for ax in (ax1, ax2):
            ax.axvspan(first - 0.5, last + 0.5, color=colours[i % len(colours)], zorder=0)
        ax1.text((first + last) / 2, 1.0, name, transform=ax1.get_xaxis_transform(), ha="center", va="bottom",
                 fontsize=9)
    reward = _series(result, "reward")
    ax1.plot(steps, [r if r is not None else float("nan") for r in reward], marker="o", ms=3, label="mean reward")
    std = _series(result, "reward_std")
    if any(v is not None for v in std):
        ax1.plot(steps, [v if v is not None else float("nan") for v in std], ls="--", lw=1, label="reward std")
    ax1.set_ylabel("reward")
    ax1.legend(loc="upper left", fontsize=8)
    zero = _series(result, "frac_reward_zero_std")
    ax2.bar(steps, [v if v is not None else 0.0 for v in zero], color="#9aa0a6")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("zero-std groups")
    ax2.set_xlabel("optimizer step")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def stage_table(result: RunResult) -> list[dict]:
    """Per stage: steps, mean reward, zero-std fraction, reward components and per-type accuracy (means)."""
    rows = []
    for name, first, last in result.stage_boundaries:
        recs = [s for s in result.steps if first <= s.step <= last]
        row: dict = {"stage": name, "steps": f"{first}–{last}", "types": sorted({t for s in recs for t in s.types})}
        keys = sorted({k for s in recs for k in s.metrics})
        for k in keys:
            vals = [s.metrics[k] for s in recs if k in s.metrics]
            if vals:
                row[k] = sum(vals) / len(vals)
        rows.append(row)
    return rows


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    return str(v)


def _cell(c) -> str:
    return _fmt(c).replace("|", "\\|")


def _md_table(header: Sequence[str], rows: Sequence[Sequence], *, max_columns: int = MAX_COLUMNS) -> str:
    """A Markdown table; one wider than ``max_columns`` becomes several, each repeating the first column."""
    if len(header) <= max_columns:
        parts = [list(range(len(header)))]
    else:
        rest = list(range(1, len(header)))
        step = max_columns - 1
        parts = [[0, *rest[i:i + step]] for i in range(0, len(rest), step)]
    tables = []
    for cols in parts:
        out = ["| " + " | ".join(_cell(header[c]) for c in cols) + " |", "|" + "---|" * len(cols)]
        out += ["| " + " | ".join(_cell(r[c]) for c in cols) + " |" for r in rows]
        tables.append("\n".join(out))
    return "\n\n".join(tables)


def human_duration(seconds: float | None) -> str:
    """``12.3 s``, ``18 min 04 s``, ``2 h 05 min``."""
    from rewardmap.evaluation.progress import human_duration as fmt

    return fmt(seconds)


#: ``(summary key, kind)`` → what a row of :func:`evaluation_table` shows; ``kind`` ``acc`` is a fraction shown in
#: %, ``map`` map-score points.
def _eval_metrics(bench: str, summ: Mapping) -> list[tuple[str, str, Mapping, str]]:
    """``(row name, field, group stats, kind)`` of one benchmark summary, in display order."""
    out: list[tuple[str, str, Mapping, str]] = []
    if bench == "reasonmap-plus":
        for key, name in (("overall", "Plus overall acc"), ("count", "Plus count acc"), ("torf", "Plus torf acc")):
            if summ.get(key):
                out.append((name, "acc", summ[key], "acc"))
        if summ.get("overall"):
            out.append(("Plus weighted acc", "w_acc", summ["overall"], "acc"))
        for t, st in sorted(summ.get("by_type", {}).items()):
            out.append((f"Plus {t} acc", "acc", st, "acc"))
    elif bench == "reasonmap":
        for kind in ("short", "long"):
            st = summ.get(kind)
            if not st or not st.get("n"):
                continue
            out.append((f"ReasonMap {kind} acc", "acc", st, "acc"))
            out.append((f"ReasonMap {kind} weighted acc", "w_acc", st, "acc"))
            top = f" (max {st['max_score']:g})" if st.get("max_score") else ""
            if "map" in st:
                out.append((f"ReasonMap {kind} map score{top}", "map", st, "map"))
            for variant in ("paper", "official"):
                if f"map_{variant}" in st:
                    out.append((f"ReasonMap {kind} map score, {variant} rules{top}", f"map_{variant}", st, "map"))
    return out


def _value(v, kind: str) -> str:
    if not isinstance(v, int | float):
        return "–"
    return f"{100 * v:.1f}%" if kind == "acc" else f"{v:.2f}"


def _change(a, b, kind: str) -> str:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return "–"
    d = b - a
    return f"{100 * d:+.1f} pp" if kind == "acc" else f"{d:+.2f}"


def evaluation_table(evals: Mapping[str, Mapping[str, Mapping]]) -> tuple[list[str], list[list[str]]]:
    """``evals[label][benchmark] = summary`` → one row per metric: ``n`` (questions behind the figure; ``a / b``
    when the labels differ), one column per label (accuracies in %, map scores in points) and, with two or more
    labels, ``change`` = last label − first (percentage points for accuracies)."""
    labels = list(evals)
    rows: dict[str, dict] = {}
    for label, by_bench in evals.items():
        for bench, summ in by_bench.items():
            for name, fld, st, kind in _eval_metrics(bench, summ):
                row = rows.setdefault(name, {"kind": kind, "values": {}, "n": {}})
                row["values"][label] = st.get(fld)
                row["n"][label] = st.get("n")
    header = ["metric", "n", *labels] + ([f"change ({labels[-1]} − {labels[0]})"] if len(labels) > 1 else [])
    out = []
    for name, row in rows.items():
        ns = [row["n"].get(lab) for lab in labels if row["n"].get(lab) is not None]
        n = str(ns[0]) if ns and len(set(ns)) == 1 else " / ".join(str(x) for x in ns) or "–"
        vals = [_value(row["values"].get(lab), row["kind"]) for lab in labels]
        change = ([_change(row["values"].get(labels[0]), row["values"].get(labels[-1]), row["kind"])]
                  if len(labels) > 1 else [])
        out.append([name, n, *vals, *change])
    return header, out


def _evaluation_dirs(evals: Mapping[str, Mapping[str, Mapping]]) -> list[tuple[str, Path]]:
    """``(label, folder)`` of every evaluation whose summary names an existing ``rewardmap eval`` folder."""
    found = []
    for label, by_bench in evals.items():
        for summ in by_bench.values():
            folder = (summ.get("run") or {}).get("out") if isinstance(summ, Mapping) else None
            if folder and (Path(folder) / "run.json").is_file():
                found.append((label, Path(folder)))
    return found


def write_evaluation_pages(evals: Mapping[str, Mapping[str, Mapping]], out_dir: str | Path) -> Path | None:
    """The evaluation report (``rewardmap report``'s tables, plots and per-sample cards) of the evaluation folders
    named by ``evals``, labelled by their ``evals`` keys, written to ``out_dir/evaluation/``; its ``index.html``,
    or None when no folder exists."""
    found = _evaluation_dirs(evals)
    if not found:
        return None
    from rewardmap.evaluation.report import load_run, write_evaluation_report

    runs = [load_run(folder, label) for label, folder in found]
    paths = write_evaluation_report(runs, Path(out_dir) / EVALUATION_REPORT_DIR,
                                    title="Evaluation: per-sample results")
    return paths.get("html")


def accuracy_rows(evals: Mapping[str, Mapping[str, Mapping]]) -> tuple[list[str], list[list]]:
    """``evals[label][benchmark] = summary`` (rewardmap.evaluation) → a table: one row per metric, one column per
    label."""
    labels = list(evals)
    metrics: dict[str, dict[str, float]] = {}
    for label, by_bench in evals.items():
        for bench, summ in by_bench.items():
            if bench == "reasonmap-plus":
                for key in ("overall", "count", "torf"):
                    if key in summ:
                        metrics.setdefault(f"Plus {key} acc", {})[label] = summ[key].get("acc")
                if "overall" in summ:
                    metrics.setdefault("Plus weighted acc", {})[label] = summ["overall"].get("w_acc")
                for t, st in summ.get("by_type", {}).items():
                    metrics.setdefault(f"Plus {t} acc", {})[label] = st.get("acc")
            elif bench == "reasonmap":
                for kind in ("short", "long"):
                    if summ.get(kind):
                        metrics.setdefault(f"ReasonMap {kind} acc", {})[label] = summ[kind].get("acc")
                        if "map" in summ[kind]:
                            metrics.setdefault(f"ReasonMap {kind} map score", {})[label] = summ[kind]["map"]
    rows = [[name, *[vals.get(lab) for lab in labels]] for name, vals in metrics.items()]
    return ["metric", *labels], rows


def write_report(result: RunResult, out_dir: str | Path, *, title: str = "RewardMap training report",
                 evals: Mapping[str, Mapping[str, Mapping]] | None = None, notes: Sequence[str] = (),
                 timings: Mapping[str, float] | None = None) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, ``report.json`` and ``training_curves.png`` under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_training(result, out / "training_curves.png")
    stages = stage_table(result)
    comp_keys = sorted({k for r in stages for k in r if k.startswith(COMPONENT_PREFIXES)})
    md = [f"# {title}", ""]
    md += [f"- {n}" for n in notes]
    md += ["", "## Training curve", "", f"![reward per step]({png.name})", "",
           "Shaded bands are curriculum stages; the lower panel is the fraction of rollout groups whose rewards "
           "were all equal (zero advantage, no learning signal).", "", "## Per stage", ""]
    md.append(_md_table(["stage", "steps", "types", "mean reward", "zero-std groups"],
                        [[r["stage"], r["steps"], r["types"], r.get("reward"), r.get("frac_reward_zero_std")]
                         for r in stages]))
    if comp_keys:
        md += ["", "### Reward components and accuracy (stage means)", ""]
        md.append(_md_table(["stage", *comp_keys], [[r["stage"], *[r.get(k) for k in comp_keys]] for r in stages]))
    md += ["", "## Reward per step", ""]
    md.append(_md_table(["step", "stage", "types", "reward", "reward std", "zero-std"],
                        [[s.step, s.stage, sorted(set(s.types)), s.metrics.get("reward"), s.metrics.get("reward_std"),
                          s.metrics.get("frac_reward_zero_std")] for s in result.steps]))
    acc_header, acc_rows = evaluation_table(evals or {})
    eval_page = write_evaluation_pages(evals or {}, out) if acc_rows else None
    if acc_rows:
        md += ["", "## Evaluation (greedy decoding, held-out cities)", "",
               "n = questions behind each figure; accuracies in %, map scores in points; change in percentage "
               "points (pp) for accuracies.", "", _md_table(acc_header, acc_rows)]
        if eval_page is not None:
            rel = eval_page.relative_to(out).as_posix()
            md += ["", f"Per-sample results (every table, plots, and cards with each map, question, answer and "
                       f"score): [{rel}]({rel})"]
        if any(name.startswith("ReasonMap") and "map score" in name for name, *_ in acc_rows) and \
                _official(evals or {}):
            from rewardmap.evaluation.report import MAP_SCORE_NOTE

            md += ["", MAP_SCORE_NOTE]
    if timings:
        md += ["", "## Wall time", "", _md_table(["phase", "wall time"],
                                                 [[k, human_duration(v)] for k, v in timings.items()])]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")

    payload = {"title": title, "notes": list(notes), "stage_boundaries": result.stage_boundaries,
               "stages": stages, "steps": [{"step": s.step, "stage": s.stage, "types": s.types, **s.metrics}
                                           for s in result.steps],
               "evaluation": evals or {}, "timings": dict(timings or {})}
    json_path = out / "report.json"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")

    html_path = out / "report.html"
    html_path.write_text(markdown_page(md, title=title), encoding="utf-8")
    paths = {"markdown": md_path, "html": html_path, "json": json_path, "plot": png}
    if eval_page is not None:
        paths["evaluation"] = eval_page
    return paths


def _official(evals: Mapping[str, Mapping[str, Mapping]]) -> bool:
    """Whether a ReasonMap evaluation was scored with the ``official`` variant (the default; older summaries do
    not say, and were)."""
    return any((summ.get("run") or {}).get("variant", "official") == "official"
               for by_bench in evals.values() for bench, summ in by_bench.items() if bench == "reasonmap")
