"""Training reports: reward curve with stage boundaries, reward components, zero-std group fraction, accuracy table.

Written by ``rewardmap demo`` (and usable on any run directory): ``report.md``, ``report.html``, ``report.json`` and
``training_curves.png``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from rewardmap.training.runlog import RunResult

COMPONENT_PREFIXES = ("rewardmap/", "reward_components/")


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


def _md_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


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
    acc_header, acc_rows = accuracy_rows(evals or {})
    if acc_rows:
        md += ["", "## Evaluation (greedy decoding, held-out cities)", "", _md_table(acc_header, acc_rows)]
    if timings:
        md += ["", "## Wall time", "", _md_table(["phase", "seconds"], [[k, v] for k, v in timings.items()])]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")

    payload = {"title": title, "notes": list(notes), "stage_boundaries": result.stage_boundaries,
               "stages": stages, "steps": [{"step": s.step, "stage": s.stage, "types": s.types, **s.metrics}
                                           for s in result.steps],
               "evaluation": evals or {}, "timings": dict(timings or {})}
    json_path = out / "report.json"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")

    html_path = out / "report.html"
    html_path.write_text(_html(md), encoding="utf-8")
    return {"markdown": md_path, "html": html_path, "json": json_path, "plot": png}


def _html(md_lines: list[str]) -> str:
    """A minimal Markdown → HTML rendering (headings, bullets, tables, the image) with no extra dependency."""
    body: list[str] = []
    table: list[list[str]] = []

    def flush_table():
        if table:
            head, *rest = table
            body.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>" +
                        "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rest)
                        + "</table>")
            table.clear()

    for block in md_lines:
        for line in block.split("\n"):
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if not all(set(c) <= {"-"} for c in cells):
                    table.append(cells)
                continue
            flush_table()
            if line.startswith("#"):
                level = len(line) - len(line.lstrip("#"))
                body.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
            elif line.startswith("!["):
                src = line[line.index("(") + 1:line.rindex(")")]
                body.append(f'<img src="{html.escape(src)}" alt="training curves" style="max-width:100%">')
            elif line.startswith("- "):
                body.append(f"<p>• {html.escape(line[2:])}</p>")
            elif line.strip():
                body.append(f"<p>{html.escape(line)}</p>")
    flush_table()
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}")
    return f"<!doctype html><meta charset='utf-8'><style>{style}</style>" + "\n".join(body)
