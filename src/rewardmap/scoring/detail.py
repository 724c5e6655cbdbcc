"""Detail (partial-credit) rewards: planning (released code and RM-paper Algorithm 1) and Counting1 stops.

Released ``get_detailed_reward_planning`` (``official``; paper-spec §3.3), with ``q`` the question's transfer count:
+2 when the first departure **and** the last arrival are the two stations (nothing else is scored otherwise); then
per section ``i`` (from 0): −5 when ``i + 1 > q`` (an off-by-one: the last section of a right-sized route is always
penalised), and if the route name is a station-file line: +4 when ``q = 0`` and it is the first line (file order)
holding both stations, +3 for any line when ``q > 0``; +1 when its stops are on that line, it is not the last
section, its arrival is the next departure and ``i + 1 ≤ q``. Capped at 10, no floor. Worked values (a test):
1, −8, 4, 5, 8, −3, 0.

RM-paper Algorithm 1 (``paper``): +2 when the first departure **or** the last arrival matches; per section −5 when
the transfers made so far (``i``) exceed ``q``; +4 for the first section (no transfer yet) when its line is a
station-file line holding its two stops; +1 per consistent transfer between sections whose stops are on their lines.
Capped at 10, no floor.

Counting1 (``get_detailed_reward_counting1``, never called by the released reward): gold = the stops strictly between
the two stations on the first line holding both (list slicing, as released); +0.5 per distinct correct listed stop,
−0.5 per repeat or wrong stop.
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardmap.metro import Network, cleaned_stops, resolve_route_name, strip_tags_official
from rewardmap.metro.validation import CLEANERS
from rewardmap.scoring.parsing import ParsedSection


def first_line_with_both(network: Network, station_1: str, station_2: str, cleaner: str = "reward") -> str | None:
    """The first line (station-file order) whose cleaned stops hold both stations, or None (cached)."""
    clean = CLEANERS[cleaner]
    c1, c2 = clean(station_1), clean(station_2)
    key = ("first_line_both", cleaner, c1, c2)
    cache = network.cache
    if key in cache:
        return cache[key]
    found = None
    for name, stops in cleaned_stops(network, cleaner).items():
        if c1 in stops and c2 in stops:
            found = name
            break
    if len(cache) < 100_000:
        cache[key] = found
    return found


def planning_detail_official(network: Network, sections: Sequence[ParsedSection], station_1: str, station_2: str,
                             transfers: int, *, cleaner: str = "reward", line_names: str = "official") -> float:
    """The released planning detail score (module doc). ``sections`` should come from the case-insensitive label
    check (``parse_route_official(..., labels_case_sensitive=False)``), as released."""
    if not sections:
        return 0.0
    clean = CLEANERS[cleaner]
    if clean(sections[0].departure) != clean(station_1) or clean(sections[-1].arrival) != clean(station_2):
        return 0.0
    stops = cleaned_stops(network, cleaner)
    best_line = first_line_with_both(network, station_1, station_2, cleaner) if transfers == 0 else None
    score = 2.0
    last = len(sections) - 1
    for i, sec in enumerate(sections):
        over = (i + 1) > transfers
        if over:
            score -= 5
        key = resolve_route_name(network, sec.route_name, line_names)
        if key is None:
            continue
        if transfers == 0:
            if key == best_line:
                score += 4
        else:
            score += 3
        on_line = stops[key]
        arr = clean(sec.arrival)
        if clean(sec.departure) in on_line and arr in on_line and i < last and not over \
                and arr == clean(sections[i + 1].departure):
            score += 1
    return min(score, 10.0)


def planning_detail_paper(network: Network, sections: Sequence[ParsedSection], station_1: str, station_2: str,
                          transfers: int, *, cleaner: str = "reward", line_names: str = "official") -> float:
    """RM-paper Algorithm 1 (module doc)."""
    if not sections:
        return 0.0
    clean = CLEANERS[cleaner]
    if clean(sections[0].departure) != clean(station_1) and clean(sections[-1].arrival) != clean(station_2):
        return 0.0
    stops = cleaned_stops(network, cleaner)
    score = 2.0
    last = len(sections) - 1
    for i, sec in enumerate(sections):
        if i > transfers:
            score -= 5
        key = resolve_route_name(network, sec.route_name, line_names)
        arr = clean(sec.arrival)
        on_line = key is not None and clean(sec.departure) in stops[key] and arr in stops[key]
        if i == 0 and on_line:
            score += 4
        if on_line and i < last and arr == clean(sections[i + 1].departure):
            score += 1
    return min(score, 10.0)


def ordered_clean_stops(network: Network, cleaner: str = "reward") -> dict[str, tuple[str, ...]]:
    """Per line, the cleaned stop names in file order (official tag removal, then the cleaner), cached."""
    key = ("ordered_clean_stops", cleaner)
    found = network.cache.get(key)
    if found is None:
        clean = CLEANERS[cleaner]
        found = {name: tuple(clean(strip_tags_official(e.raw)) for e in line.entries)
                 for name, line in network.lines.items()}
        network.cache[key] = found
    return found


def counting1_gold_stops(network: Network, station_1: str, station_2: str, cleaner: str = "reward"
                         ) -> tuple[str, ...] | None:
    """Cleaned names strictly between the two stations on the first line holding both (list slicing), or None."""
    clean = CLEANERS[cleaner]
    c1, c2 = clean(station_1), clean(station_2)
    for stops in ordered_clean_stops(network, cleaner).values():
        if c1 in stops and c2 in stops:
            i, j = sorted((stops.index(c1), stops.index(c2)))
            return stops[i + 1:j]
    return None


def counting1_detail(network: Network, listed: Sequence[str], station_1: str, station_2: str,
                     cleaner: str = "reward") -> float:
    """The Counting1 stops detail (module doc); 0 when no line holds both stations (the released code raises)."""
    gold = counting1_gold_stops(network, station_1, station_2, cleaner)
    if gold is None or not listed:
        return 0.0
    clean = CLEANERS[cleaner]
    gold_set = set(gold)
    seen: set[str] = set()
    score = 0.0
    for item in listed:
        c = clean(item)
        if c in gold_set and c not in seen:
            seen.add(c)
            score += 0.5
        else:
            score -= 0.5
    return score
