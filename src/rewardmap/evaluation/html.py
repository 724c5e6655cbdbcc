"""One static HTML page for a set of runs: the tables, the plots and browsable sample cards (map thumbnail,
question, response, parsed answer, score breakdown). Images live next to the page (``thumbs/``, PNGs); the page
works from the file system without a server and without network access."""

from __future__ import annotations

import hashlib
import html
import json
import time
from collections.abc import Sequence
from pathlib import Path

from rewardmap.evaluation.report import (
    MAP_SCORE_NOTE,
    Run,
    breakdown_table,
    components_table,
    plus_table,
    reasonmap_table,
    rewardmap_table,
    variant_table,
)

THUMB_PIXELS = 360 * 360
LARGE_PIXELS = 1600 * 1600

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
header{background:#1f3b57;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}main{padding:16px 24px;max-width:1500px}
h2{font-size:17px;margin:26px 0 8px;border-bottom:2px solid #d5dbe3;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.table-wrap{max-width:100%;overflow-x:auto;margin-bottom:8px}
table{border-collapse:collapse;background:#fff;font-size:13px}
.note{max-width:900px;font-size:13px;line-height:1.45;background:#fff8e1;border:1px solid #f0dca0;padding:8px 12px}
th,td{border:1px solid #d5dbe3;padding:4px 8px;text-align:left;white-space:nowrap}th{background:#eef1f5}
.plots img{max-width:min(100%,1000px);border:1px solid #d5dbe3;background:#fff;margin:6px 0}
.controls{position:sticky;top:0;background:#f6f7f9;padding:8px 0;z-index:2;display:flex;gap:12px;flex-wrap:wrap;
align-items:center;font-size:13px}
.controls select,.controls input{font-size:13px;padding:3px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
.card{background:#fff;border:1px solid #d5dbe3;border-left:6px solid #999;border-radius:4px;padding:10px;
font-size:13px;overflow:hidden}.card.ok{border-left-color:#2e8b57}.card.bad{border-left-color:#c0392b}
.card .top{display:flex;gap:10px}.card img{width:150px;height:auto;border:1px solid #ccc;flex:none;background:#fafafa}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;font-size:11px;margin:0 4px 4px 0;background:#eef1f5}
.badge.ok{background:#d4efdf}.badge.bad{background:#f5d5d0}.badge.err{background:#f9e79f}
pre{white-space:pre-wrap;word-break:break-word;background:#f4f6f8;border:1px solid #e1e5ea;padding:6px;margin:4px 0;
max-height:220px;overflow:auto;font-size:12px}.label{font-weight:600;margin-top:6px}
summary{cursor:pointer;font-size:12.5px;margin:3px 0}
.score td,.score th{padding:2px 6px;font-size:12px}.muted{color:#667}
"""

_JS = """
function applyFilters(){
  const run=document.getElementById('f-run').value, res=document.getElementById('f-res').value,
        city=document.getElementById('f-city').value.toLowerCase(), kind=document.getElementById('f-kind').value;
  let shown=0;
  document.querySelectorAll('.card').forEach(c=>{
    const ok=(run==='*'||c.dataset.run===run)&&(res==='*'||c.dataset.res===res)&&
      (!city||c.dataset.city.toLowerCase().includes(city))&&(kind==='*'||c.dataset.kind===kind);
    c.style.display=ok?'':'none'; if(ok) shown++;});
  document.getElementById('n-shown').textContent=shown;
}
document.addEventListener('DOMContentLoaded',()=>{
  document.querySelectorAll('.controls select,.controls input').forEach(e=>e.addEventListener('input',applyFilters));
  applyFilters();});
"""


def _table(head, rows) -> str:
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    # wide tables scroll inside their own box instead of running off the page
    return f"<div class='table-wrap'><table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table></div>"


def _spread(records: Sequence[dict], n: int) -> list[dict]:
    """Up to ``n`` records taken round-robin over cities (in row order within a city)."""
    by_city: dict[str, list[dict]] = {}
    for r in sorted(records, key=lambda r: (r.get("row", 0), str(r.get("id")))):
        by_city.setdefault(str(r.get("city", "")), []).append(r)
    out: list[dict] = []
    queues = [list(v) for _, v in sorted(by_city.items())]
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    return out


def _pick(records: Sequence[dict], n: int) -> list[dict]:
    """Up to ``n`` records: wrong ones first (at least half of the cards when there are enough), then correct ones,
    each spread over the cities."""
    if n <= 0:
        return []
    wrong = [r for r in records if not r.get("correct")]
    right = [r for r in records if r.get("correct")]
    take_wrong = _spread(wrong, max(n // 2, n - len(right)))
    return take_wrong + _spread(right, n - len(take_wrong))


class _Thumbs:
    def __init__(self, out: Path) -> None:
        self.dir = out / "thumbs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.done: dict[str, tuple[str, str] | None] = {}

    def get(self, run: Run, rec: dict) -> tuple[str, str] | None:
        fig = rec.get("figure")
        if not fig:
            return None
        key = f"{run.root}|{fig}"
        if key in self.done:
            return self.done[key]
        name = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
        small, large = self.dir / f"{name}.png", self.dir / f"{name}_large.png"
        try:
            if not (small.exists() and large.exists()):
                from rewardmap.data import resolve_figure

                big = resolve_figure(fig, run.root, max_pixels=LARGE_PIXELS)
                big.save(large)
                img = big.copy()
                scale = (THUMB_PIXELS / (img.width * img.height)) ** 0.5
                if scale < 1:
                    img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
                img.save(small)
            self.done[key] = (f"thumbs/{small.name}", f"thumbs/{large.name}")
        except Exception:
            self.done[key] = None
        return self.done[key]


def _score_rows(rec: dict) -> str:
    rows = [("correct", "yes" if rec.get("correct") else "no"), ("weight", rec.get("weight"))]
    if "map_score" in rec:
        rows.append(("map score", f"{rec.get('map_score')} / {rec.get('max_score')}"))
        for k, v in (rec.get("components") or {}).items():
            rows.append((k, v if not isinstance(v, float) else round(v, 3)))
    rows += [("tokens", rec.get("tokens")), ("latency (s)", rec.get("latency_s")), ("attempts", rec.get("attempts"))]
    return "<table class='score'>" + "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"


def _headline(rec: dict) -> str:
    """The question's first sentence (up to its "?"), e.g. "…how do I get from A to B?"; the full prompt with its
    format instructions is one click away."""
    q = str(rec.get("question", ""))
    body = q.split("\"\\boxed{}\".", 1)[-1].strip()  # Plus prompts start with the answer-format instruction
    end = body.find("?")
    return body[: end + 1] if end >= 0 else body[:160]


def _card(run: Run, idx: int, rec: dict, thumbs: _Thumbs) -> str:
    ok = bool(rec.get("correct"))
    badges = [f"<span class='badge {'ok' if ok else 'bad'}'>{'correct' if ok else 'wrong'}</span>"]
    for label in ("kind", "city", "difficulty_city", "difficulty_question"):
        if rec.get(label) not in (None, ""):
            prefix = {"difficulty_city": "map ", "difficulty_question": "question "}.get(label, "")
            badges.append(f"<span class='badge'>{html.escape(prefix + str(rec[label]))}</span>")
    if rec.get("error"):
        badges.append("<span class='badge err'>backend error</span>")
    th = thumbs.get(run, rec)
    img = (f"<a href='{th[1]}' target='_blank'><img loading='lazy' src='{th[0]}' alt='map of "
           f"{html.escape(str(rec.get('city', '')))}'></a>") if th else "<div class='muted'>(no map image)</div>"
    response = str(rec.get("response") or "")
    if len(response) > 6000:
        response = response[:6000] + f"\n… ({len(response) - 6000} more characters)"
    parsed = json.dumps(rec.get("parsed"), ensure_ascii=False, indent=1)
    if len(parsed) > 3000:
        parsed = parsed[:3000] + "…"
    err = f"<div class='label'>Error</div><pre>{html.escape(str(rec['error']))}</pre>" if rec.get("error") else ""
    return (f"<div class='card {'ok' if ok else 'bad'}' data-run='{idx}' data-res='{'ok' if ok else 'bad'}' "
            f"data-city='{html.escape(str(rec.get('city', '')))}' data-kind='{html.escape(str(rec.get('kind', '')))}'>"
            f"<div class='muted'>{html.escape(run.label)} · sample {html.escape(str(rec.get('id')))}</div>"
            f"<div>{''.join(badges)}</div><div class='top'>{img}<div>{_score_rows(rec)}</div></div>"
            f"<div class='label'>Question</div><details><summary>{html.escape(_headline(rec))}</summary>"
            f"<pre>{html.escape(str(rec.get('question', '')))}</pre></details>"
            f"<div class='label'>Response</div><pre>{html.escape(response)}</pre>"
            f"<div class='label'>Parsed answer</div><pre>{html.escape(parsed)}</pre>{err}</div>")


def _variants_html(rm: Sequence[Run]) -> str:
    """The official-vs-paper map-score table and, for runs scored with ``official``, why it is low."""
    out = ""
    table = variant_table(rm)
    if table:
        out += "<h3>Map score, official vs paper (mean per sample)</h3>" + _table(*table)
    if any(r.identity.get("variant", "official") == "official" for r in rm):
        out += f"<p class='note'>{html.escape(MAP_SCORE_NOTE)}</p>"
    return out


def write_html(runs: Sequence[Run], out_dir: str | Path, plots: Sequence[Path] = (), *, cards_per_run: int = 48,
               title: str = "RewardMap evaluation report") -> Path:
    """Write ``out_dir/index.html`` (+ ``thumbs/``) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    thumbs = _Thumbs(out)
    rm = [r for r in runs if r.benchmark == "reasonmap"]
    plus = [r for r in runs if r.benchmark == "reasonmap-plus"]
    sec = []
    runs_rows = [[r.label, r.benchmark, str(r.identity.get("model", "")), str(r.identity.get("split", "")),
                  str(len(r.records)), "yes" if r.identity.get("text_only") else "no",
                  str(r.identity.get("reasoning", "")), str(r.path)] for r in runs]
    sec.append("<h2>Runs</h2>" + _table(["Label", "Benchmark", "Model", "Split", "Samples", "Text only", "Reasoning",
                                          "Folder"], runs_rows))
    combined = rewardmap_table(runs)
    if combined:
        sec.append("<h2>RewardMap Table 1 layout</h2>" + _table(*combined))
    if rm:
        sec.append("<h2>ReasonMap</h2><p class='muted'>Weighted figures use the 3×3 question×map difficulty matrix "
                   "(1.0–3.0); map score max 20 (short) / 40 (long).</p>" + _table(*reasonmap_table(rm))
                   + _variants_html(rm)
                   + "<h3>Map-score components (mean per sample)</h3>" + _table(*components_table(rm))
                   + "<h3>Accuracy by map difficulty (S. / L.)</h3>" + _table(*breakdown_table(rm, "by_map_difficulty"))
                   + "<h3>Accuracy by question difficulty (S. / L.)</h3>"
                   + _table(*breakdown_table(rm, "by_question_difficulty"))
                   + "<h3>Accuracy by city (S. / L.)</h3>" + _table(*breakdown_table(rm, "by_city")))
    if plus:
        sec.append("<h2>ReasonMap-Plus</h2><p class='muted'>Weighted by map difficulty (easy 1.0, middle 1.5, hard "
                   "2.0); Count = Counting1–3, TorF = TorF1–2.</p>" + _table(*plus_table(plus))
                   + "<h3>Accuracy by map difficulty</h3>" + _table(*breakdown_table(plus, "by_map_difficulty"))
                   + "<h3>Accuracy by city</h3>" + _table(*breakdown_table(plus, "by_city")))
    if plots:
        sec.append("<h2>Plots</h2><div class='plots'>" + "".join(
            f"<div><img src='{html.escape(Path(p).name)}' alt='{html.escape(Path(p).stem)}'></div>" for p in plots)
            + "</div>")
    cards = []
    kinds: set[str] = set()
    for i, r in enumerate(runs):
        for rec in _pick(r.records, cards_per_run):
            cards.append(_card(r, i, rec, thumbs))
            kinds.add(str(rec.get("kind", "")))
    run_opts = "".join(f"<option value='{i}'>{html.escape(r.label)} ({r.benchmark})</option>" for i, r in
                       enumerate(runs))
    kind_opts = "".join(f"<option value='{html.escape(k)}'>{html.escape(k)}</option>" for k in sorted(kinds))
    sec.append(
        "<h2>Samples</h2><div class='controls'>"
        f"<label>Run <select id='f-run'><option value='*'>all</option>{run_opts}</select></label>"
        "<label>Result <select id='f-res'><option value='*'>all</option><option value='ok'>correct</option>"
        "<option value='bad'>wrong</option></select></label>"
        f"<label>Question <select id='f-kind'><option value='*'>all</option>{kind_opts}</select></label>"
        "<label>City <input id='f-city' placeholder='filter…' size='12'></label>"
        f"<span class='muted'><span id='n-shown'>{len(cards)}</span> of {len(cards)} cards shown "
        f"(up to {cards_per_run} per run, wrong answers first)</span></div>"
        f"<div class='cards'>{''.join(cards)}</div>")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style>"
            f"<script>{_JS}</script></head><body><header><h1>{html.escape(title)}</h1>"
            f"<p>{len(runs)} run(s) · generated {stamp} by rewardmap report</p></header><main>{''.join(sec)}</main>"
            "</body></html>")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
