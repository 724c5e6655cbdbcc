"""ReasonMap and ReasonMap-Plus evaluation metrics (paper-spec §1.5–1.7, §2.3–2.4).

* :func:`score_reasonmap` — accuracy (Algorithm 1, ReasonMap's evaluation cleaner) and map score (Algorithm 2)
  for the short and both long templates, maximised over the reference routes, with per-component points kept.
* :func:`score_plus` — ReasonMap-Plus exact-match correctness.
* :func:`aggregate_reasonmap` / :func:`aggregate_plus` — weighted (Σw·x / Σw) and plain averages.

Variants (``variant=``) where the released code and the paper differ:

============================  =============================================  =========================================
item                          ``official`` (ReasonMap ``main.py``)           ``paper`` (RS-paper §4.2, Alg. 2)
============================  =============================================  =========================================
num-via error denominator     ``n_ref`` (0 points when ``n_ref = 0``)        ``max(n_ans, n_ref)``
via stops of the answer       split on "," only if the text holds "站",      split on , ， 、 ; for every city, names
                              items unstripped, compared verbatim            compared after the evaluation cleaner
via matched count             every answer via stop found in the reference   only for sections whose names match
reference arrival (non-CN)    quirk: the departure when the departure ends   arrival + " Station" when missing
                              with "Station"
============================  =============================================  =========================================

Common to both: endpoints +1 (both must match, else the plan scores 0), per positionally paired section +2 route
name, +1 departure, +1 arrival; long templates add ``(IoU·10 + min(10, matched))/2`` (via list) or
``min(10, Σ per-section num-via points)`` (via count); cap 10 (short) / 20 (long); +10 / +20 when correct; best plan
wins. Reference route names are normalised to station-file style (:func:`normalize_reference_route`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardmap.errors import DataError
from rewardmap.metro import Network, clean_eval
from rewardmap.scoring import released
from rewardmap.scoring.correctness import extract_plus, planning_correct, plus_correct
from rewardmap.scoring.parsing import (
    ParsedSection,
    as_text,
    parse_int,
    parse_route_official,
    parse_route_tolerant,
    split_via_official,
    split_via_tolerant,
    strip_reasoning,
)
from rewardmap.scoring.reward import _gold, _station, task_type_of
from rewardmap.scoring.stations import DEFAULT_CACHE, NetworkCache
from rewardmap.scoring.weights import difficulty_level, plus_weight, reasonmap_weight
from rewardmap.scoring.weights import field as row_field
from rewardmap.tasks.types import TaskType

QUESTIONS = ("short", "long", "long1", "long2")
VARIANTS = ("official", "paper")
COMPONENTS = ("endpoints", "route_name", "stops", "num_via", "via")


@dataclass(frozen=True)
class ReasonMapScore:
    """One ReasonMap answer's verdict: accuracy, map score (0 … ``max_score``) and the best plan's components."""

    correct: bool
    map_score: float
    max_score: float
    template: str
    components: dict[str, float] = field(default_factory=dict)
    best_plan: str | None = None
    parsed: tuple[ParsedSection, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"correct": self.correct, "map_score": self.map_score, "max_score": self.max_score,
                "template": self.template, "components": dict(self.components), "best_plan": self.best_plan,
                "parsed": [s.__dict__ for s in self.parsed]}


@dataclass(frozen=True)
class PlusScore:
    """One ReasonMap-Plus answer's verdict."""

    correct: bool
    parsed: str
    task_type: str


# ------------------------------------------------------------------------------------ reference-name normalisation
_PAREN_RE = re.compile(r"[（(][^()（）]*[)）]")
_AUCKLAND = {"west": "Western Line", "sth": "Southern Line", "south": "Southern Line", "east": "Eastern Line"}
_DUBAI = {"mred1": "Red Line", "mred2": "Red Line", "mred": "Red Line", "mgrn": "Green Line"}
_KL = (("Batu Caves", "Line 1"), ("Seremban", "Line 1"), ("Port Klang", "Line 2"), ("Tanjung Malim", "Line 2"),
       ("Ampang", "Line 3"), ("Sri Petaling", "Line 4"), ("Kelana Jaya", "Line 5"), ("Kajang", "Line 9"),
       ("Putrajaya", "Line 12"))
_NON_CN_RULES = (
    (re.compile(r"^Metro\s+(\w+)\s+Line$", re.I), "Line {}"),
    (re.compile(r"^Linea\s+(\w+)", re.I), "Line {}"),
    (re.compile(r"^Metro\s+(\w{1,3})$", re.I), "Line {}"),
    (re.compile(r"^M(\d+)\b"), "Line {}"),
    (re.compile(r"^(\d{1,2})(?:\s+(?:Line|Train))?\b"), "Line {}"),
    (re.compile(r"^([A-Z])\d?(?:\s+(?:Line|Train))?\b"), "Line {}"),
)


def normalize_reference_route(name: str, country: str = "", network: Network | None = None) -> str:
    """A reference route name (Gaode / Google style) in station-file style (paper-spec §1.6).

    China: the first integer gives ``Line N`` (``地铁5号线(后关--虎滩新区)`` → ``Line 5``), else parentheses and
    ``地铁`` are removed (``地铁昌平线(…)`` → ``昌平线``). Elsewhere: a name already equal (after the evaluation
    cleaner) to a line of ``network`` is kept; Auckland ``West``/``Sth``/``East``, Dubai ``MRed1/2``/``MGrn``, the
    Kuala Lumpur line names, then ``Metro X Line``, ``Linea X``, ``Metro X``, ``M1…``, a leading 1–2 digit token and
    a leading letter (``B1`` → ``Line B``) become ``Line X``. Reconstructed from the description of ``main.py`` (its
    regexes were not available verbatim); names no rule matches are returned unchanged."""
    name = (name or "").strip()
    if country == "china":
        m = re.search(r"\d+", name)
        if m:
            return f"Line {int(m.group(0))}"
        return _PAREN_RE.sub("", name).replace("地铁", "").strip()
    if network is not None:
        key = clean_eval(name)
        for line in network.lines:
            if clean_eval(line) == key:
                return line
    low = name.lower()
    if low in _AUCKLAND:
        return _AUCKLAND[low]
    if low in _DUBAI:
        return _DUBAI[low]
    if country == "malaysia":
        for needle, line in _KL:
            if needle.lower() in low:
                return line
    for pattern, fmt in _NON_CN_RULES:
        m = pattern.match(name)
        if m:
            return fmt.format(m.group(1))
    return name


def _reference_stop(stop: str, china: bool) -> str:
    stop = (stop or "").strip()
    if china:
        return stop if stop.endswith("站") else stop + "站"
    return stop if stop.endswith("Station") else stop + " Station"


def reference_plans(routes: Any) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The reference plans of a ``routes`` value: a dict ``{"1": [sections], …}`` (``None`` plans skipped — HF
    structs pad missing keys; empty plans kept, as ``main.py`` scores them), a list of plans, or the same as JSON
    text."""
    if isinstance(routes, str):
        try:
            routes = json.loads(routes)
        except json.JSONDecodeError as exc:
            raise DataError(f"routes JSON does not parse: {exc.msg}", column="routes") from None
    if routes is None:
        return []
    if type(routes) is dict and all(type(p) is list and all(type(x) is dict for x in p)
                                    for p in routes.values()):  # the common case, checked cheaply
        return [(str(k), v) for k, v in routes.items()]
    if isinstance(routes, Mapping):
        items = [(str(k), v) for k, v in routes.items()]
    elif isinstance(routes, Sequence):
        items = [(str(i + 1), v) for i, v in enumerate(routes)]
    else:
        raise DataError(f"expected a dict of route plans, found {type(routes).__name__}", column="routes")
    out = []
    for key, plan in items:
        if plan is None:
            continue
        if isinstance(plan, Mapping):
            plan = [plan]
        if not isinstance(plan, Sequence) or not all(isinstance(s, Mapping) for s in plan):
            raise DataError(f"plan {key!r}: expected a list of sections (dicts)", column="routes")
        out.append((key, list(plan)))  # an empty plan still scores its endpoints in main.py
    return out


def _template_of(row: Any, question: str) -> str:
    if question == "short":
        return "short"
    if question in ("long1", "long2"):
        return question
    if question == "long":
        text = row_field(row, "question_long", None)
        if not isinstance(text, str):
            raise DataError("question='long' needs the question text to pick the template (or pass long1/long2)",
                            column="question_long")
        return "long1" if "Number of Via Stops:" in text else "long2"
    raise DataError(f"unknown question kind {question!r}; expected one of {', '.join(QUESTIONS)}")


def _plan_score(sections: Sequence[ParsedSection], plan: Sequence[Mapping[str, Any]], s1: str, s2: str,
                template: str, variant: str, country: str, network: Network | None) -> tuple[float, dict[str, float]]:
    comp = dict.fromkeys(COMPONENTS, 0.0)
    if not sections or clean_eval(sections[0].departure) != clean_eval(s1) \
            or clean_eval(sections[-1].arrival) != clean_eval(s2):
        return 0.0, comp
    china = country == "china"
    comp["endpoints"] = 1.0
    num_via = 0.0
    matched = 0
    union: set[str] = set()
    inter: set[str] = set()
    for ans, ref in zip(sections, plan):
        ref_name = normalize_reference_route(str(ref.get("route_name") or ""), country, network)
        raw_dep = str(ref.get("departure_stop") or "")
        raw_arr = str(ref.get("arrival_stop") or "")
        ref_dep = _reference_stop(raw_dep, china)
        if not china and variant == "official":
            ref_arr = raw_arr + " Station" if not raw_dep.strip().endswith("Station") else raw_dep.strip()
        else:
            ref_arr = _reference_stop(raw_arr, china)
        names_match = clean_eval(ref_name) == clean_eval(ans.route_name)
        if names_match:
            comp["route_name"] += 2
        if clean_eval(ref_dep) == clean_eval(ans.departure):
            comp["stops"] += 1
        if clean_eval(ref_arr) == clean_eval(ans.arrival):
            comp["stops"] += 1
        if template == "long1":
            n_ans = parse_int(ans.num_via)
            try:
                n_ref = int(ref.get("num_via_stops"))
            except (TypeError, ValueError):
                n_ref = len(ref.get("via_stops") or ())
            if n_ans is not None:
                err = abs(n_ans - n_ref)
                if err == 0:
                    num_via += 4
                elif variant == "official":
                    num_via += 0 if n_ref == 0 else max(0.0, 4 - err / n_ref * 4)
                else:
                    num_via += max(0.0, 4 - err / max(abs(n_ans), n_ref, 1) * 4)
        elif template == "long2":
            ref_via = [_reference_stop(str(v), china) if china else str(v) for v in (ref.get("via_stops") or ())]
            if variant == "official":
                ans_via = list(split_via_official(ans.via))
                matched += sum(1 for v in ans_via if v in ref_via)
            else:
                ans_via = [clean_eval(v) for v in split_via_tolerant(ans.via)]
                ref_via = [clean_eval(_reference_stop(v, china)) for v in ref_via]
                if names_match:
                    matched += sum(1 for v in ans_via if v in ref_via)
            if names_match:
                union |= set(ref_via) | set(ans_via)
                inter |= set(ref_via) & set(ans_via)
    score = 1.0 + comp["route_name"] + comp["stops"]
    if template != "short":
        matched_c = min(10, matched)
        comp["num_via"] = min(10.0, num_via)
        iou = len(inter) / len(union) if union else 0.0
        comp["via"] = (iou * 10 + matched_c) / 2 if template == "long2" else 0.0
        score += comp["via"] + comp["num_via"]
    return score, comp


def score_reasonmap(response: str, row: Any, *, question: str = "short", variant: str = "official",
                    stations_root: str | Path | None = None, parse: str = "official", reasoning: bool = True,
                    cache: NetworkCache | None = None) -> ReasonMapScore:
    """Accuracy and map score of one ReasonMap answer (module doc).

    Args:
        response: the model's answer (reasoning before ``</think>`` / ``◁/think▷`` is dropped when ``reasoning``).
        row: FSCCS/ReasonMap columns: ``station_1``, ``station_2``, ``routes``, ``json``, ``country``, ``city``
            (and ``question_long`` when ``question="long"``).
        question: ``short``, ``long1`` (via-stop count), ``long2`` (via-stop list), or ``long`` (template read
            from ``question_long`` as ``main.py`` does: "Number of Via Stops:" in it → long1).
        variant: ``official`` or ``paper`` (module doc table).
        parse: ``official`` (released parser) or ``tolerant``.
    """
    if variant not in VARIANTS:
        raise DataError(f"unknown metric variant {variant!r}; expected official or paper")
    template = _template_of(row, question)
    s1, s2 = _station(row, "station_1"), _station(row, "station_2")
    network = (cache if cache is not None else DEFAULT_CACHE).network_for_row(row, stations_root)
    plans = reference_plans(row_field(row, "routes", None))
    country = str(row_field(row, "country", "") or network.country or "")
    text = as_text(response)
    if reasoning:
        text = strip_reasoning(text)
    if variant == "official" and parse == "official":
        # main.py, step for step (rewardmap.scoring.released)
        lists, lookups = released.station_lists(network, "eval")
        city = str(row_field(row, "city", "") or network.city or "")
        verdict = released.map_score(text, template, lists, plans, s1, s2, country, city, lookups)
        return ReasonMapScore(
            correct=verdict.correct, map_score=float(verdict.map_score), max_score=20.0 if template == "short" else 40.0,
            template=template, best_plan=verdict.best_plan, parsed=released.as_parsed(verdict.sections),
            components={"endpoints": verdict.endpoints, "route_name": verdict.route_name, "stops": verdict.stops,
                        "num_via": float(verdict.num_via), "via": float(verdict.via)})
    sections = parse_route_tolerant(text) if parse == "tolerant" else parse_route_official(text, template)
    correct = planning_correct(network, sections, s1, s2, cleaner="eval", line_names="official")
    cap = 10.0 if template == "short" else 20.0
    best = 0.0
    best_comp = dict.fromkeys(COMPONENTS, 0.0)
    best_key = None
    for key, plan in plans:
        score, comp = _plan_score(sections, plan, s1, s2, template, variant, country, network)
        score = min(cap, score) + (cap if correct else 0.0)
        if best_key is None or score > best:
            best, best_comp, best_key = score, comp, key
    return ReasonMapScore(correct=correct, map_score=best, max_score=2 * cap, template=template,
                          components=best_comp, best_plan=best_key, parsed=sections)


def score_plus(response: str, row: Any, *, parse: str = "official", reasoning: bool = True) -> PlusScore:
    """Correctness of one ReasonMap-Plus answer (``type``, ``answer`` columns; paper-spec §2.3)."""
    task = task_type_of(row)
    if task is TaskType.PLANNING:
        raise DataError("score_plus scores ReasonMap-Plus types; use score_reasonmap for planning", column="type")
    text = as_text(response)
    if reasoning:
        text = strip_reasoning(text)
    parsed = extract_plus(text, parse)
    return PlusScore(correct=plus_correct(parsed, task, _gold(row), parse), parsed=parsed, task_type=task.value)


# -------------------------------------------------------------------------------------------------- aggregation
_ABSENT = object()


def _get(rec: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = rec.get(name, _ABSENT) if isinstance(rec, Mapping) else getattr(rec, name, _ABSENT)
        if value is not _ABSENT:
            return value
    return default


def _mean(pairs: Iterable[tuple[float, float]]) -> tuple[float, float, int]:
    """(weighted mean, plain mean, n) of (value, weight) pairs."""
    pairs = list(pairs)
    if not pairs:
        return 0.0, 0.0, 0
    sw = sum(w for _, w in pairs)
    return (sum(v * w for v, w in pairs) / sw if sw else 0.0), sum(v for v, _ in pairs) / len(pairs), len(pairs)


def aggregate_reasonmap(records: Iterable[Any]) -> dict[str, Any]:
    """Weighted (RS-paper B.3 matrix, Σw·x/Σw) and plain accuracy and map score over ReasonMap records.

    A record (dict or object) holds ``correct`` (or ``acc``), ``map_score``, ``difficulty_question`` and
    ``difficulty_city``, optionally ``components`` (dict) and ``question`` (short/long…). With several question
    kinds the result also has ``by_question`` with the same figures per kind."""
    recs = list(records)
    out = _aggregate_rm(recs)
    kinds = sorted({str(_get(r, "question", "template", default="")) for r in recs} - {""})
    if len(kinds) > 1:
        out["by_question"] = {k: _aggregate_rm([r for r in recs if str(_get(r, "question", "template",
                                                                               default="")) == k]) for k in kinds}
    return out


def _aggregate_rm(recs: list[Any]) -> dict[str, Any]:
    acc_pairs, map_pairs = [], []
    comp_sums: dict[str, float] = {}
    for i, r in enumerate(recs):
        try:
            w = reasonmap_weight(_get(r, "difficulty_question"), _get(r, "difficulty_city"))
        except DataError as exc:
            raise DataError(f"record {i}: {exc}") from None
        acc_pairs.append((float(bool(_get(r, "correct", "acc", default=False))), w))
        map_pairs.append((float(_get(r, "map_score", default=0.0) or 0.0), w))
        for k, v in (_get(r, "components", default=None) or {}).items():
            comp_sums[k] = comp_sums.get(k, 0.0) + float(v)
    wacc, acc, n = _mean(acc_pairs)
    wmap, mscore, _ = _mean(map_pairs)
    by_q: dict[str, float] = {}
    levels = [difficulty_level(_get(r, "difficulty_question"), "difficulty_question") for r in recs]
    for li, level in enumerate(("easy", "middle", "hard")):
        sel = [v for (v, _), lv in zip(acc_pairs, levels) if lv == li]
        if sel:
            by_q[level] = sum(sel) / len(sel)
    return {"n": n, "weighted_accuracy": wacc, "accuracy": acc, "weighted_map_score": wmap, "map_score": mscore,
            "components": {k: v / n for k, v in comp_sums.items()} if n else {},
            "accuracy_by_question_difficulty": by_q}


_COUNT = (TaskType.COUNTING1, TaskType.COUNTING2, TaskType.COUNTING3)
_TORF = (TaskType.TORF1, TaskType.TORF2)


def aggregate_plus(records: Iterable[Any]) -> dict[str, Any]:
    """Weighted (map difficulty 1.0/1.5/2.0, Σw·x/Σw) and plain accuracy over ReasonMap-Plus records, overall, for
    Count (Counting1–3), TorF (TorF1–2) and per type. A record holds ``correct``, ``difficulty_city``, ``type``."""
    rows = []
    for i, r in enumerate(recs := list(records)):
        try:
            rows.append((task_type_of(r), float(bool(_get(r, "correct", "acc", default=False))),
                         plus_weight(_get(r, "difficulty_city"))))
        except DataError as exc:
            raise DataError(f"record {i}: {exc}") from None
    del recs

    def block(types: Sequence[TaskType] | None) -> dict[str, float]:
        sel = [(v, w) for t, v, w in rows if types is None or t in types]
        wacc, acc, n = _mean(sel)
        return {"weighted_accuracy": wacc, "accuracy": acc, "n": n}

    out: dict[str, Any] = block(None)
    out["count"] = block(_COUNT)
    out["torf"] = block(_TORF)
    out["by_type"] = {t.value: block((t,)) for t in TaskType if t.is_plus and any(r[0] is t for r in rows)}
    return out
