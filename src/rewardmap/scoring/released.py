"""The released checkers' route logic, step for step: what the ``official`` reward and metric compute for planning.

Two released programs score route answers, each its own way, and ``official`` must equal them on every input
(``docs/fidelity.md``; differential tests in ``tests/reference/`` against the code itself):

* the RewardMap training reward (``reason_map.py``): accuracy (``get_acc_planning``) and the planning detail score
  (``get_detailed_reward_planning``), with RewardMap's ``clean_string`` (:func:`~rewardmap.metro.clean_reward`);
* the ReasonMap evaluation (``main.py``): accuracy and the map score of the short and long questions, with
  ReasonMap's ``clean_string`` (:func:`~rewardmap.metro.clean_eval`).

Both work on the station file as ``{line: [names in file order]}`` with the four tags removed by ``str.replace``, and
on names, never on a network: two entries with the same name are the same string to them, a line is a station-file
key or nothing. Quirks they share and that are reproduced here:

* **double cleaning**: a parsed departure/arrival is cleaned when read and cleaned again when compared, while the
  question's stations and the station lists are cleaned once; the cleaners are not idempotent (``STATION``,
  ``站\\r``, ``站站``, ``METRO``), so this decides answers;
* a section counts when it holds the three labels (case-sensitive for accuracy and the map score, case-insensitive
  for the reward's detail score); a field whose ``Label: (.*?)\\n`` finds nothing reads as the string ``"Wrong"``; the
  short-template (and reward) arrival is everything after the last ``Arrival Stop:`` of the section;
* route names: only 八通 → ``Line 1`` and 大兴 → ``Line 4`` (accuracy); the map score outside China applies its
  route-name rules to the *answer's* route name and compares the result with the answer's route name itself, so the
  +2 for a route name is almost never awarded there; the reference arrival outside China (and in the short
  question in China) is decided by whether the reference *departure* ends with "Station" / "站";
* detail: +4 (no-transfer question) when the answer's line is any line holding both stations.

Every function accepts any string and never raises; the cost is linear in the answer's length (the label regexes and
the parenthesis rule are computed without backtracking).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardmap.metro.names import clean_eval, clean_reward, official_route_name, strip_tags_official
from rewardmap.metro.network import Network
from rewardmap.scoring.parsing import MISSING, ParsedSection

#: What a released parser stores for a field its regex did not find.
WRONG = "Wrong"

Lines = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class ReleasedSection:
    """One route section as the released code stores it: route name stripped, stops *already cleaned once*; the raw
    departure / arrival text as read (None where the regex found nothing) for reports."""

    route_name: str
    departure: str
    arrival: str
    num_via: str | None = None
    via: str | None = None
    raw_departure: str | None = None
    raw_arrival: str | None = None
    complete: bool = True
    has_route: bool = True

    def as_parsed(self) -> ParsedSection:
        """The section in the package's raw form (:class:`~rewardmap.scoring.parsing.ParsedSection`)."""
        return ParsedSection(self.route_name if self.has_route else MISSING,
                             MISSING if self.raw_departure is None else self.raw_departure,
                             MISSING if self.raw_arrival is None else self.raw_arrival, self.num_via, self.via)


def as_parsed(sections: Sequence[ReleasedSection]) -> tuple[ParsedSection, ...]:
    return tuple(s.as_parsed() for s in sections)


def _after(section: str, label: str) -> str | None:
    """``re.search(label + "(.*?)\\n", section).group(1)`` or None, without the regex engine."""
    i = section.find(label)
    if i < 0:
        return None
    j = section.find("\n", i + len(label))
    return None if j < 0 else section[i + len(label):j]


def parse_sections(text: str, clean: Callable[[str], str], *, template: str = "short",
                   lower_labels: bool = False, long_kind: str = "long2") -> list[ReleasedSection]:
    """Split on ``--`` and read each section that holds the three labels (module doc).

    ``template``: ``short`` (arrival = the rest after the last ``Arrival Stop:``) or ``long`` (arrival by regex; the
    via field: ``long_kind`` ``long1`` reads the text after the last "Number of Via Stops: ", ``long2`` after the
    last "Via Stops: "). ``lower_labels``: the detail reward's case-insensitive label check."""
    out: list[ReleasedSection] = []
    if ("arrival stop:" not in text.lower()) if lower_labels else ("Arrival Stop:" not in text):
        return out
    for section in text.split("--"):
        if not section.strip():
            continue
        probe = section.lower() if lower_labels else section
        if lower_labels:
            if "route name:" not in probe or "departure stop:" not in probe or "arrival stop:" not in probe:
                continue
        elif "Route Name:" not in section or "Departure Stop:" not in section or "Arrival Stop:" not in section:
            continue
        route = _after(section, "Route Name: ")
        dep = _after(section, "Departure Stop: ")
        route_name = route.strip() if route is not None else WRONG
        departure = clean(dep) if dep is not None else WRONG
        if template == "short":
            arr = section.split("Arrival Stop:")[-1].strip()
            out.append(ReleasedSection(route_name, departure, clean(arr), raw_departure=dep, raw_arrival=arr,
                                       complete=route is not None and dep is not None, has_route=route is not None))
            continue
        arr = _after(section, "Arrival Stop: ")
        arrival = clean(arr) if arr is not None else WRONG
        complete = route is not None and dep is not None and arr is not None
        if long_kind == "long1":
            out.append(ReleasedSection(route_name, departure, arrival,
                                       num_via=section.split("Number of Via Stops: ")[-1].strip(),
                                       raw_departure=dep, raw_arrival=arr, complete=complete,
                                       has_route=route is not None))
        else:
            out.append(ReleasedSection(route_name, departure, arrival, via=section.split("Via Stops: ")[-1].strip(),
                                       raw_departure=dep, raw_arrival=arr, complete=complete,
                                       has_route=route is not None))
    return out


def station_lists(network: Network, order: str = "reward") -> tuple[dict[str, list[str]], dict]:
    """The station file as the released code sees it — ``{line: [entries with the tags removed]}``, every entry in
    file order (repeats included) — and a cache dict for lookups derived from it. ``order``: the tag-removal order of
    the reward manager (``"reward"``) or of ``main.py`` (``"eval"``)."""
    key = ("released_lists", order)
    found = network.cache.get(key)
    if found is None:
        lists = {name: [strip_tags_official(e.raw, order) for e in line.entries] for name, line in network.lines.items()}
        found = (lists, {})
        network.cache[key] = found
    return found


def _line_sets(lines: Lines, clean: Callable[[str], str], cache: dict | None) -> dict[str, frozenset[str]]:
    key = ("released_line_sets", clean.__name__)
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = {name: frozenset(clean(s) for s in stops) for name, stops in lines.items()}
        if cache is not None:
            cache[key] = found
    return found


def _endpoints_match(sections: Sequence[ReleasedSection], s1: str, s2: str, clean: Callable[[str], str]) -> bool:
    return clean(sections[0].departure) == clean(s1) and clean(sections[-1].arrival) == clean(s2)


def route_accuracy(sections: Sequence[ReleasedSection], lines: Lines, s1: str, s2: str,
                   clean: Callable[[str], str], cache: dict | None = None) -> bool:
    """The released accuracy check (``get_acc_planning`` / the ``acc`` blocks of ``main.py``)."""
    if not sections or not _endpoints_match(sections, s1, s2, clean):
        return False
    sets = _line_sets(lines, clean, cache)
    last = len(sections) - 1
    for i, sec in enumerate(sections):
        name = official_route_name(sec.route_name)
        stops = sets.get(name) if name in lines else None
        if stops is None:
            return False
        if clean(sec.departure) not in stops or clean(sec.arrival) not in stops:
            return False
        if i < last and clean(sec.arrival) != clean(sections[i + 1].departure):
            return False
    return True


def planning_detail(sections: Sequence[ReleasedSection], lines: Lines, s1: str, s2: str, transfers: int,
                    cache: dict | None = None) -> float:
    """The released ``get_detailed_reward_planning`` over sections read with ``lower_labels=True`` (module doc)."""
    clean = clean_reward
    if not sections or not _endpoints_match(sections, s1, s2, clean):
        return 0.0
    sets = _line_sets(lines, clean, cache)
    c1, c2 = clean(s1), clean(s2)
    holding_both = {name for name, stops in sets.items() if c1 in stops and c2 in stops}
    score = 2.0
    last = len(sections) - 1
    for i, sec in enumerate(sections):
        over = (i + 1) > transfers
        if over:
            score -= 5
        name = official_route_name(sec.route_name)
        if name not in lines:
            continue
        if transfers == 0:
            if name in holding_both:
                score += 4
        else:
            score += 3
        stops = sets[name]
        arr = clean(sec.arrival)
        if clean(sec.departure) in stops and arr in stops and i < last and not over \
                and arr == clean(sections[i + 1].departure):
            score += 1
    return min(score, 10.0)


def reward_planning(text: str, lines: Lines, s1: str, s2: str, transfers: int,
                    cache: dict | None = None) -> tuple[bool, float, list[ReleasedSection]]:
    """(accuracy, raw detail score, the sections accuracy read) of one answer, as the released reward computes them."""
    sections = parse_sections(text, clean_reward)
    correct = route_accuracy(sections, lines, s1, s2, clean_reward, cache)
    detail_sections = sections if _plain_labels(text) else parse_sections(text, clean_reward, lower_labels=True)
    detail = planning_detail(detail_sections, lines, s1, s2, transfers, cache)
    return correct, detail, sections


def _plain_labels(text: str) -> bool:
    """True when the case-insensitive label check finds exactly the sections the case-sensitive one finds."""
    low = text.lower()
    return (low.count("route name:") == text.count("Route Name:")
            and low.count("departure stop:") == text.count("Departure Stop:")
            and low.count("arrival stop:") == text.count("Arrival Stop:"))


# ----------------------------------------------------------------------------------------------- the map score
_M1 = re.compile(r"Metro\s+([A-Z0-9]{1,2})[-\s]?Line", re.I)
_M2 = re.compile(r"Metro\s+([A-Z0-9]{1,2})", re.I)
_M3 = re.compile(r"Linea\s+([A-Z0-9]{1,2})", re.I)
_M4 = re.compile(r"([A-Z0-9]{1,2})", re.I)
_M5 = re.compile(r"M(\d+)", re.I)
_M6 = re.compile(r"([A-Z0-9]{1,2})\s+Line", re.I)
_M7 = re.compile(r"([A-Z0-9]{1,2})\s+Train", re.I)
_NAMED = {
    ("auckland", "West"): "Western Line", ("auckland", "Sth"): "Southern Line", ("auckland", "East"): "Eastern Line",
    ("dubai", "MRed2"): "Red Line", ("dubai", "MGrn"): "Green Line", ("dubai", "MRed1"): "Red Line",
    ("kl", "MRT Putrajaya Line"): "Line 12", ("kl", "Ampang Line"): "Line 3", ("kl", "LRT Kelana Jaya Line"): "Line 5",
    ("kl", "KTM Tanjung Malim - Pelabuhan Klang"): "Line 2", ("kl", "LRT Sri Petaling Line"): "Line 4",
    ("kl", "MRT Kajang Line"): "Line 9", ("kl", "KTM Batu Caves - Pulau Sebang/Tampin"): "Line 1",
}
_CN_DIGITS = re.compile(r"(\d+)")
_CN_PARENS = re.compile(r"\(.*?\)")
_ANY_DIGITS = re.compile(r"\d+")


def outside_china_route_name(route_name: str, city: str) -> str:
    """``main.py``'s route-name rules outside China, applied (as released) to the name they are given — there, the
    answer's own route name."""
    for pattern in (_M1, _M2, _M3):
        m = pattern.search(route_name)
        if m:
            return "Line " + m.group(1)
    m = _M4.search(route_name)
    if m:
        result = m.group(1)
        if result == "B1" and city == "rome":
            result = "B"
        return "Line " + result
    if city == "auckland" and (city, route_name) in _NAMED:
        return _NAMED[(city, route_name)]
    m = _M5.search(route_name)
    if m:
        return "Line " + m.group(1)
    if (city, route_name) in _NAMED:
        return _NAMED[(city, route_name)]
    for pattern in (_M6, _M7):
        m = pattern.search(route_name)
        if m:
            return "Line " + m.group(1)
    return route_name


def china_route_name(reference_name: str) -> str:
    """``main.py``'s reading of a reference route name in China: ``Line <first integer>``, else the name without
    parenthesised parts and ``地铁``."""
    m = _CN_DIGITS.search(reference_name)
    if m:
        return "Line " + str(int(m.group(1)))
    return _CN_PARENS.sub("", reference_name).replace("地铁", "")


def _suffixed(stop: str, suffix: str) -> str:
    return stop if stop.endswith(suffix) else stop + suffix


@dataclass(frozen=True)
class MapScore:
    """The released per-sample ReasonMap verdict: accuracy, best map score and the saved components of the best
    plan (the last plan reaching the best score, as released)."""

    correct: bool
    map_score: float
    endpoints: float = 0.0
    route_name: float = 0.0
    stops: float = 0.0
    num_via: float = 0.0
    via: float = 0.0
    best_plan: str | None = None
    sections: tuple[ReleasedSection, ...] = ()


def _num_via_value(text: str) -> int:
    m = _ANY_DIGITS.search(text)
    if not m:
        return 0
    try:
        return int(m.group())
    except ValueError:  # more digits than int() converts (the released code raises here)
        return 0


def map_score(text: str, template: str, lines: Lines, plans: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
              s1: str, s2: str, country: str, city: str, cache: dict | None = None) -> MapScore:
    """Accuracy and map score of one answer to the short (``template="short"``) or a long question (``long1``: via
    count, ``long2``: via list), as ``main.py`` computes them; ``plans`` are the reference plans in ``routes`` order."""
    clean = clean_eval
    short = template == "short"
    sections = parse_sections(text, clean, template="short" if short else "long", long_kind=template)
    if not sections:
        return MapScore(False, 0.0)
    correct = route_accuracy(sections, lines, s1, s2, clean, cache)
    cap = 10.0 if short else 20.0
    china = country == "china"
    endpoints = _endpoints_match(sections, s1, s2, clean)
    best = 0.0
    saved = MapScore(correct, 0.0, sections=tuple(sections))
    for key, plan in plans:
        score = 0.0
        comp = {"endpoints": 0.0, "route_name": 0.0, "stops": 0.0, "num_via": 0.0, "via": 0.0}
        if endpoints:
            score += 1
            comp["endpoints"] = 1.0
            matched = 0
            num_via = 0.0
            union: set[str] = set()
            inter: set[str] = set()
            for sec, ref in zip(sections, plan):
                name = sec.route_name
                ref_dep = str(ref.get("departure_stop"))
                ref_arr = str(ref.get("arrival_stop"))
                if china:
                    ref_name = china_route_name(str(ref.get("route_name")))
                    app_dep = _suffixed(ref_dep, "站")
                    if short:
                        app_arr = ref_arr + "站" if not ref_dep.endswith("站") else ref_dep
                    else:
                        app_arr = _suffixed(ref_arr, "站")
                    app_via = [_suffixed(str(v), "站") for v in (ref.get("via_stops") or ())]
                else:
                    ref_name = outside_china_route_name(name, city)
                    app_dep = ref_dep + " Station" if not ref_dep.endswith("Station") else ref_dep
                    app_arr = ref_arr + " Station" if not ref_dep.endswith("Station") else ref_dep
                    app_via = []  # main.py sets it only for Chinese cities (see docs/fidelity.md)
                names_match = clean(ref_name) == clean(name)
                if names_match:
                    score += 2
                    comp["route_name"] += 2
                if clean(app_dep) == clean(sec.departure):
                    score += 1
                    comp["stops"] += 1
                if clean(app_arr) == clean(sec.arrival):
                    score += 1
                    comp["stops"] += 1
                if template == "long1":
                    n_ans = _num_via_value(sec.num_via or "")
                    try:
                        n_ref = int(ref.get("num_via_stops"))
                    except (TypeError, ValueError):
                        n_ref = 0
                    error = abs(n_ans - n_ref)
                    if error == 0:
                        num_via += 4
                    elif n_ref != 0:
                        num_via += max(0, 4 - (error / n_ref) * 4)
                elif template == "long2":
                    via = (sec.via or "")
                    ans_via = via.split(",") if "站" in via else []
                    app_set = set(app_via)
                    matched += sum(1 for v in ans_via if v in app_set)
                    if names_match:
                        union.update(app_via)
                        union.update(ans_via)
                        inter.update(app_set.intersection(ans_via))
            if not short:
                matched_c = min(10, matched)
                comp["num_via"] = min(10, num_via)
                iou = len(inter) / len(union) if union else 0
                comp["via"] = (iou * 10 + matched_c) / 2
                score += comp["via"] + comp["num_via"]
        score = min(cap, score)
        if correct:
            score += cap
        if score >= best:
            best = score
            saved = MapScore(correct, score, comp["endpoints"], comp["route_name"], comp["stops"], comp["num_via"],
                             comp["via"], key, tuple(sections))
    return saved
