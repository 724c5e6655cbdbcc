"""Summaries and tables of evaluation runs (paper layouts; weighted and unweighted; per city / difficulty).

Every metric comes from :mod:`rewardmap.scoring` (``aggregate_reasonmap`` / ``aggregate_plus``): weighted figures are
``Σ w·x / Σ w`` with the ReasonMap 3×3 matrix or the Plus map weights (paper-spec §1.7, §2.4). Records with a
backend error count as wrong with map score 0 (the sample was asked and got no usable answer); the number of such
records is reported next to the figures.
"""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rewardmap.errors import DataError
from rewardmap.evaluation.store import read_records

DIFFS = ("easy", "middle", "hard")
VARIANTS = ("official", "paper")
#: Long templates: the via-stop count (long1) and the via-stop list (long2).
TEMPLATES = (("short", "short"), ("long1", "long, via count"), ("long2", "long, via list"))

#: Why right answers score below the maximum map score (RS-paper §4.2 / Algorithm 2; the released ``main.py`` for
#: ``official``, docs/fidelity.md quirks 11 and 14, checked against rewardmap.scoring.released.map_score).
MAP_SCORE_NOTE = (
    "Why a right answer can score well below 20 / 40: the map score adds points per route section (1 for the "
    "endpoints, then per section 2 for the line and 1 each for departure and arrival; on long questions also up to "
    "4 per section for the via-stop count, at most 10, or up to 10 for the via-stop list), caps them at 10 (short) "
    "/ 20 (long) and only then adds the correctness bonus (+10 / +20). A direct route has one section, so a perfect "
    "long answer to it scores at most 20 + 1 + 4 + 4 = 29 of 40 even under the papers' rules (`--variant paper`). "
    "Under `official`, the released ReasonMap evaluator (main.py, reproduced bit for bit so the numbers compare "
    "with published tables; docs/fidelity.md) gives fewer points outside China: it scores via-stop lists only in "
    "Chinese cities (it builds the reference list only there and splits an answer's list only when it contains "
    "'站'), so a correct English via-stop list earns 0 (quirk 14); it runs the route-name rules on the answer's own "
    "route name, so the 2 points per section for the line are almost never given (quirk 11); and it adds the "
    "suffix 'Station' to the reference stops before comparing them, so a station whose name lacks that suffix "
    "earns no stop points. A perfect one-section answer with the via count, in a city whose station names end in "
    "'Station', thus scores 27 (official) against 29 (paper). The 'official vs paper' table gives both numbers for runs that recorded both.")
COUNT_TYPES = ("Counting1", "Counting2", "Counting3")
TORF_TYPES = ("TorF1", "TorF2")


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def group_stats(records: Sequence[dict], *, variants: bool = False) -> dict:
    """n, accuracy and weighted accuracy (and, for planning, map score, weighted map score, components), from
    :func:`rewardmap.scoring.aggregate_reasonmap` / :func:`~rewardmap.scoring.aggregate_plus`; plus mean tokens,
    latency and the number of backend errors. ``variants``: also ``map_<variant>`` / ``w_map_<variant>`` for the
    other scoring variant when every record holds its score (the top-level short/long figures only: it costs
    another aggregation)."""
    from rewardmap.scoring import aggregate_plus, aggregate_reasonmap

    if not records:
        return {"n": 0}
    out: dict = {"n": len(records), "errors": sum(1 for r in records if r.get("error"))}
    if all(r.get("task", r.get("type")) == "planning" for r in records):
        # scoring's record uses ``question`` for the kind (short/long); ours holds the question text there
        agg = aggregate_reasonmap([{"correct": r.get("correct"), "map_score": r.get("map_score"),
                                    "difficulty_question": r.get("difficulty_question"),
                                    "difficulty_city": r.get("difficulty_city"), "components": r.get("components"),
                                    "question": r.get("kind")} for r in records])
        out.update(acc=agg["accuracy"], w_acc=agg["weighted_accuracy"], map=agg["map_score"],
                   w_map=agg["weighted_map_score"], components=agg["components"],
                   max_score=max(float(r.get("max_score") or 0.0) for r in records))
        for variant in VARIANTS if variants else ():  # the other scoring variant, recorded beside the run's own (runner.score_sample)
            key = f"map_score_{variant}"
            if all(isinstance(r.get(key), int | float) for r in records):
                other = aggregate_reasonmap([{"correct": r.get("correct"), "map_score": r[key],
                                              "difficulty_question": r.get("difficulty_question"),
                                              "difficulty_city": r.get("difficulty_city")} for r in records])
                out[f"map_{variant}"] = other["map_score"]
                out[f"w_map_{variant}"] = other["weighted_map_score"]
    else:
        agg = aggregate_plus(records)
        out.update(acc=agg["accuracy"], w_acc=agg["weighted_accuracy"])
    toks = [r["tokens"] for r in records if isinstance(r.get("tokens"), int | float)]
    out["tokens"] = _mean(toks)
    lat = [r["latency_s"] for r in records if isinstance(r.get("latency_s"), int | float)]
    out["latency_s"] = _mean(lat)
    return out


def _by(records: Iterable[dict], key) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[str(key(r))].append(r)
    return dict(groups)


def summarize(records: Sequence[dict], benchmark: str) -> dict:
    """The summary of one run (``summary.json``)."""
    if benchmark == "reasonmap":
        by_kind = _by(records, lambda r: r.get("kind"))
        out = {"benchmark": benchmark, "n": len(records)}
        for kind in ("short", "long"):
            out[kind] = group_stats(by_kind.get(kind, []), variants=True)
        out["by_city"] = {c: {k: group_stats(v) for k, v in _by(rs, lambda r: r.get("kind")).items()}
                          for c, rs in sorted(_by(records, lambda r: r.get("city")).items())}
        out["by_map_difficulty"] = {d: {k: group_stats(v) for k, v in _by(rs, lambda r: r.get("kind")).items()}
                                    for d, rs in _by(records, lambda r: r.get("difficulty_city")).items()}
        out["by_question_difficulty"] = {
            d: {k: group_stats(v) for k, v in _by(rs, lambda r: r.get("kind")).items()}
            for d, rs in _by(records, lambda r: r.get("difficulty_question")).items()}
        return out
    if benchmark == "reasonmap-plus":
        out = {"benchmark": benchmark, "n": len(records), "overall": group_stats(records),
               "count": group_stats([r for r in records if r.get("kind") in COUNT_TYPES]),
               "torf": group_stats([r for r in records if r.get("kind") in TORF_TYPES])}
        out["by_type"] = {t: group_stats(v) for t, v in sorted(_by(records, lambda r: r.get("kind")).items())}
        out["by_city"] = {c: group_stats(v) for c, v in sorted(_by(records, lambda r: r.get("city")).items())}
        out["by_map_difficulty"] = {d: group_stats(v) for d, v in _by(records, lambda r: r.get("difficulty_city")).items()}
        return out
    raise DataError(f"unknown benchmark {benchmark!r}")


# --------------------------------------------------------------------------------------------------- runs
@dataclass
class Run:
    """One evaluation folder: its identity, records and summary."""

    path: Path
    label: str
    benchmark: str
    identity: dict
    root: str | None
    records: list[dict]
    summary: dict


def load_run(path: str | Path, label: str | None = None) -> Run:
    """Read ``run.json`` and ``results.jsonl`` of an evaluation folder (summary recomputed from the records)."""
    p = Path(path)
    info_path = p / "run.json"
    if not info_path.is_file():
        raise DataError("not an evaluation folder (no run.json)", source=p)
    info = json.loads(info_path.read_text(encoding="utf-8"))
    identity = info.get("identity", {})
    bench = identity.get("benchmark", "")
    records = read_records(p / "results.jsonl")
    model = str(identity.get("model", p.name))
    default = model.split("@")[0].rstrip("/").split("/")[-1].split(":")[-1] or p.name
    if identity.get("text_only"):
        default += " (text only)"
    return Run(p, label or default, bench, identity, info.get("root"), records, summarize(records, bench))


def unique_labels(runs: Sequence[Run]) -> None:
    """Make run labels unique per benchmark by appending the folder name where two runs of one benchmark share one
    (the same label on a ReasonMap and a ReasonMap-Plus run is what joins them in the Table 1 layout)."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for r in runs:
        seen[(r.label, r.benchmark)] += 1
    for r in runs:
        if seen[(r.label, r.benchmark)] > 1:
            r.label = f"{r.label} [{r.path.name}]"


# --------------------------------------------------------------------------------------------------- tables
def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def tok(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def reasonmap_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """ReasonMap Table 2 layout (weighted) plus the unweighted figures."""
    head = ["Model", "W-Acc S.", "#Tok S.", "W-Acc L.", "#Tok L.", "W-Map S. / L.", "Acc S.", "Acc L.",
            "Map S. / L.", "n S./L.", "errors"]
    rows = []
    for r in runs:
        s, lo = r.summary.get("short", {}), r.summary.get("long", {})
        rows.append([r.label, pct(s.get("w_acc")), tok(s.get("tokens")), pct(lo.get("w_acc")), tok(lo.get("tokens")),
                     f"{num(s.get('w_map'))} / {num(lo.get('w_map'))}", pct(s.get("acc")), pct(lo.get("acc")),
                     f"{num(s.get('map'))} / {num(lo.get('map'))}", f"{s.get('n', 0)}/{lo.get('n', 0)}",
                     str(s.get("errors", 0) + lo.get("errors", 0))])
    return head, rows


def components_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """Mean map-score components per run (ReasonMap Table A3 style), short and long."""
    names: list[str] = []
    for r in runs:
        for kind in ("short", "long"):
            for k in (r.summary.get(kind, {}).get("components") or {}):
                if k not in names:
                    names.append(k)
    head = ["Model"] + [f"{n} S./L." for n in names]
    rows = []
    for r in runs:
        cs = r.summary.get("short", {}).get("components") or {}
        cl = r.summary.get("long", {}).get("components") or {}
        rows.append([r.label] + [f"{num(cs.get(n))} / {num(cl.get(n))}" for n in names])
    return head, rows


def plus_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """ReasonMap-Plus layout: weighted accuracy with Count and TorF, per-type and unweighted figures."""
    head = ["Model", "W-Acc", "W-Acc Count", "W-Acc TorF", "Acc", "Count", "TorF", *TORF_TYPES, *COUNT_TYPES, "n",
            "errors"]
    rows = []
    for r in runs:
        s = r.summary
        o, c, t = s.get("overall", {}), s.get("count", {}), s.get("torf", {})
        bt = s.get("by_type", {})
        rows.append([r.label, pct(o.get("w_acc")), pct(c.get("w_acc")), pct(t.get("w_acc")), pct(o.get("acc")),
                     pct(c.get("acc")), pct(t.get("acc"))] + [pct(bt.get(k, {}).get("acc")) for k in
                                                              TORF_TYPES + COUNT_TYPES]
                    + [str(o.get("n", 0)), str(o.get("errors", 0))])
    return head, rows


def rewardmap_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]] | None:
    """RewardMap Table 1 layout, one row per label that has both a ReasonMap and a ReasonMap-Plus run."""
    rm = {r.label: r for r in runs if r.benchmark == "reasonmap"}
    plus = {r.label: r for r in runs if r.benchmark == "reasonmap-plus"}
    common = [lbl for lbl in rm if lbl in plus]
    if not common:
        return None
    head = ["Model", "RM W-Acc S. / L.", "RM W-Map S. / L.", "Plus W-Acc", "Plus W-Acc Count / TorF"]
    rows = []
    for lbl in common:
        a, b = rm[lbl].summary, plus[lbl].summary
        rows.append([lbl, f"{pct(a['short'].get('w_acc'))} / {pct(a['long'].get('w_acc'))}",
                     f"{num(a['short'].get('w_map'))} / {num(a['long'].get('w_map'))}",
                     pct(b["overall"].get("w_acc")),
                     f"{pct(b['count'].get('w_acc'))} / {pct(b['torf'].get('w_acc'))}"])
    return head, rows


def breakdown_table(runs: Sequence[Run], key: str) -> tuple[list[str], list[list[str]]]:
    """Per-city (``by_city``) or per-difficulty (``by_map_difficulty`` / ``by_question_difficulty``) accuracy, runs
    side by side (ReasonMap cells: ``acc S. / acc L.``)."""
    groups: list[str] = []
    for r in runs:
        for g in r.summary.get(key, {}):
            if g not in groups:
                groups.append(g)
    if key != "by_city":
        groups.sort(key=lambda g: DIFFS.index(g) if g in DIFFS else 9)
    else:
        groups.sort()
    head = ["Group"] + [r.label for r in runs]
    rows = []
    for g in groups:
        row = [g]
        for r in runs:
            cell = r.summary.get(key, {}).get(g)
            if cell is None:
                row.append("–")
            elif r.benchmark == "reasonmap":
                row.append(f"{pct(cell.get('short', {}).get('acc'))} / {pct(cell.get('long', {}).get('acc'))} "
                           f"(n={cell.get('short', {}).get('n', 0)})")
            else:
                row.append(f"{pct(cell.get('acc'))} (n={cell.get('n', 0)})")
        rows.append(row)
    return head, rows


def variant_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]] | None:
    """Mean map score per template under both scoring variants (``official / paper``), one row per ReasonMap run
    whose records hold both; None when no run does (folders written before the other variant was recorded)."""
    head = ["Model", "scored with"] + [f"Map {name} (official / paper)" for _, name in TEMPLATES] + ["n"]
    rows = []
    for r in runs:
        plan = [x for x in r.records if x.get("task", x.get("type")) == "planning"]
        own = r.identity.get("variant", "official")
        other = "paper" if own == "official" else "official"
        if not plan or not all(isinstance(x.get(f"map_score_{other}"), int | float) for x in plan):
            continue
        cells = []
        for tpl, _ in TEMPLATES:
            sel = [x for x in plan if x.get("template") == tpl]
            if not sel:
                cells.append("–")
                continue
            score = {own: _mean([float(x.get("map_score") or 0.0) for x in sel]),
                     other: _mean([float(x[f"map_score_{other}"]) for x in sel])}
            top = max(float(x.get("max_score") or 0.0) for x in sel)
            cells.append(f"{num(score['official'])} / {num(score['paper'])} of {top:g}")
        rows.append([r.label, own, *cells, str(len(plan))])
    return (head, rows) if rows else None


def result_line(summary: dict) -> str:
    """The headline figures of one run's summary in one line (what ``rewardmap eval`` prints last)."""
    bench = summary.get("benchmark")
    if bench == "reasonmap":
        s, lo = summary.get("short", {}), summary.get("long", {})
        return (f"reasonmap: W-Acc S. {pct(s.get('w_acc'))} / L. {pct(lo.get('w_acc'))}, W-Map S. "
                f"{num(s.get('w_map'))} / L. {num(lo.get('w_map'))} (max 20 / 40)")
    o, c, t = summary.get("overall", {}), summary.get("count", {}), summary.get("torf", {})
    return f"reasonmap-plus: W-Acc {pct(o.get('w_acc'))} (Count {pct(c.get('w_acc'))}, TorF {pct(t.get('w_acc'))})"


def render_text(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table for the terminal."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join([line, sep, *body])


def render_markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def text_report(runs: Sequence[Run], *, markdown: bool = False) -> str:
    """Every table of the report, as terminal text (or Markdown)."""
    render = render_markdown if markdown else render_text
    parts = []
    rm = [r for r in runs if r.benchmark == "reasonmap"]
    plus = [r for r in runs if r.benchmark == "reasonmap-plus"]
    combined = rewardmap_table(runs)
    if combined:
        parts += ["RewardMap Table 1 layout (weighted)", render(*combined)]
    if rm:
        parts += ["ReasonMap (weighted: 3×3 question×map matrix; map score max 20 short / 40 long)",
                  render(*reasonmap_table(rm))]
        variants = variant_table(rm)
        if variants:
            parts += ["Map score, official vs paper (mean per sample)", render(*variants)]
        if any(r.identity.get("variant", "official") == "official" for r in rm):
            parts.append(textwrap.fill(MAP_SCORE_NOTE, 110) if not markdown else MAP_SCORE_NOTE)
        parts += ["Map-score components (mean per sample)", render(*components_table(rm)),
                  "ReasonMap accuracy by map difficulty (S. / L.)", render(*breakdown_table(rm, "by_map_difficulty")),
                  "ReasonMap accuracy by question difficulty (S. / L.)",
                  render(*breakdown_table(rm, "by_question_difficulty")),
                  "ReasonMap accuracy by city (S. / L.)", render(*breakdown_table(rm, "by_city"))]
    if plus:
        parts += ["ReasonMap-Plus (weighted by map difficulty 1.0 / 1.5 / 2.0)", render(*plus_table(plus)),
                  "ReasonMap-Plus accuracy by map difficulty", render(*breakdown_table(plus, "by_map_difficulty")),
                  "ReasonMap-Plus accuracy by city", render(*breakdown_table(plus, "by_city"))]
    return "\n\n".join(parts) + "\n"


def write_evaluation_report(runs: Sequence[Run], out_dir: str | Path, *, plots: bool = True, html: bool = True,
                            cards_per_run: int = 48, title: str = "RewardMap evaluation report") -> dict[str, Path]:
    """What ``rewardmap report`` writes for ``runs``: ``tables.md``, the PNG plots and ``index.html`` (with the
    per-sample cards) under ``out_dir``; returns their paths (``tables``, ``html``, ``plots``)."""
    unique_labels(runs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict = {"tables": out / "tables.md"}
    paths["tables"].write_text(text_report(runs, markdown=True), encoding="utf-8")
    pngs: list[Path] = []
    if plots:
        from rewardmap.evaluation.plots import plot_runs

        pngs = plot_runs(runs, out)
    paths["plots"] = pngs
    if html:
        from rewardmap.evaluation.html import write_html

        paths["html"] = write_html(runs, out, pngs, cards_per_run=cards_per_run, title=title)
    return paths
