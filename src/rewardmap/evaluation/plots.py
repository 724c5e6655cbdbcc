"""PNG plots of evaluation runs (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rewardmap.evaluation.report import DIFFS, Run


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    """Lay out, write (PNG, 110 dpi) and close a figure; returns its path."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def _bars(ax, labels: Sequence[str], series: dict[str, Sequence[float]], ylabel: str, title: str) -> None:
    n = max(1, len(series))
    width = min(0.8 / n, 0.3)
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
        heights = [float("nan") if v is None else v for v in values]  # a missing group draws no bar
        bars = ax.bar(xs, heights, width, label=name)
        for b, v in zip(bars, values):
            if v is None:
                continue
            ax.annotate(f"{v:.1f}", (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom",
                        fontsize=6 if n > 2 else 7, rotation=90 if n > 2 else 0)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20 if max((len(lbl) for lbl in labels), default=0) > 12 else 0,
                       ha="right" if max((len(lbl) for lbl in labels), default=0) > 12 else "center", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.margins(y=0.12)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    if n > 1:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1 if len(labels) < 2 or
                  max(len(lbl) for lbl in labels) <= 12 else -0.25), ncol=min(4, n), frameon=False)


def _v(x) -> float:
    return 0.0 if x is None else float(x)


def _pct(x) -> float | None:
    return None if x is None else 100.0 * float(x)


def plot_runs(runs: Sequence[Run], out_dir: str | Path) -> list[Path]:
    """Write the report's PNGs into ``out_dir`` and return their paths."""
    plt = _plt()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    rm = [r for r in runs if r.benchmark == "reasonmap"]
    plus = [r for r in runs if r.benchmark == "reasonmap-plus"]
    if rm:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        labels = [r.label for r in rm]
        _bars(axes[0], labels, {"W-Acc S.": [100 * _v(r.summary["short"].get("w_acc")) for r in rm],
                                "W-Acc L.": [100 * _v(r.summary["long"].get("w_acc")) for r in rm]},
              "weighted accuracy (%)", "ReasonMap weighted accuracy")
        _bars(axes[1], labels, {"W-Map S. (max 20)": [_v(r.summary["short"].get("w_map")) for r in rm],
                                "W-Map L. (max 40)": [_v(r.summary["long"].get("w_map")) for r in rm]},
              "weighted map score", "ReasonMap weighted map score")
        paths.append(_save(fig, out / "reasonmap_overview.png"))

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for ax, key, title in ((axes[0], "by_map_difficulty", "by map difficulty"),
                               (axes[1], "by_question_difficulty", "by question difficulty")):
            present = [d for d in DIFFS if any(d in r.summary.get(key, {}) for r in rm)]
            series = {}
            for r in rm:
                for kind, tag in (("short", "S."), ("long", "L.")):
                    series[f"{r.label} {tag}"] = [_pct(r.summary.get(key, {}).get(d, {}).get(kind, {}).get("acc"))
                                                  for d in present]
            _bars(ax, present, series, "accuracy (%)", f"ReasonMap accuracy {title}")
        paths.append(_save(fig, out / "reasonmap_difficulty.png"))

        cities = sorted({c for r in rm for c in r.summary.get("by_city", {})})
        if cities:
            fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(cities) * max(1, len(rm))), 4))
            _bars(ax, cities, {r.label: [_pct(r.summary["by_city"].get(c, {}).get("short", {}).get("acc"))
                                         for c in cities] for r in rm},
                  "accuracy S. (%)", "ReasonMap short-question accuracy by city")
            paths.append(_save(fig, out / "reasonmap_cities.png"))
    if plus:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        labels = [r.label for r in plus]
        _bars(axes[0], labels, {"W-Acc": [100 * _v(r.summary["overall"].get("w_acc")) for r in plus],
                                "Count": [100 * _v(r.summary["count"].get("w_acc")) for r in plus],
                                "TorF": [100 * _v(r.summary["torf"].get("w_acc")) for r in plus]},
              "weighted accuracy (%)", "ReasonMap-Plus weighted accuracy")
        types = sorted({t for r in plus for t in r.summary.get("by_type", {})})
        _bars(axes[1], types, {r.label: [_pct(r.summary["by_type"].get(t, {}).get("acc")) for t in types]
                               for r in plus}, "accuracy (%)", "ReasonMap-Plus accuracy by type")
        paths.append(_save(fig, out / "plus_overview.png"))
    return paths
