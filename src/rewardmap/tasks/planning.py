"""ReasonMap planning builder: station pairs, short and long questions, reference routes, question difficulty.

Process (RS-paper §3.1.2, paper-spec §1.3): draw random station pairs; plan every optimal route with
:class:`~rewardmap.metro.RoutePlanner` (fewest transfers, then fewest stops); label the question by the transfers of
the optimal route (0 easy, 1 middle, ≥ 2 hard); keep it while that level's quota (default 20:15:5) is not full, else
drop it. Each question gets the short question and one long question, template 1 or 2 chosen at random.

Reference routes follow the public ``routes`` structure (``{"1": [section, …], "2": …}``, data-schema §1.1). Two
public-format details are reproduced: route names are the station file's line keys (what RewardMap's checker
requires), and stops carry no "站" / " Station" suffix (the official evaluator appends it, data-schema §1.1).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rewardmap.metro.names import is_cjk
from rewardmap.metro.network import Network
from rewardmap.metro.routes import Route, RoutePlanner, question_difficulty
from rewardmap.tasks import templates
from rewardmap.tasks.types import DIFFICULTIES

#: Most reference routes stored per question (all optimal routes up to this many, in the planner's order).
MAX_REFERENCE_ROUTES = 10


@dataclass(frozen=True)
class PlanningSample:
    """One planning question of ReasonMap."""

    station_1: str
    station_2: str
    question_short: str
    question_long: str
    long_template: str  # "long1" or "long2"
    routes: tuple[Route, ...]
    question_transfer_count: int

    @property
    def difficulty_question(self) -> str:
        return question_difficulty(self.question_transfer_count)

    def routes_column(self) -> dict[str, list[dict]]:
        """The ``routes`` value of the public dataset: ``{"1": plan, …}`` (see :func:`reference_plan`)."""
        return {str(i + 1): reference_plan(r) for i, r in enumerate(self.routes)}


def reference_stop(name: str) -> str:
    """A stop as the public reference routes write it: without the trailing "站" (Chinese) or " Station"."""
    if is_cjk(name):
        return name[:-1] if name.endswith("站") and len(name) > 1 else name
    return name[: -len(" Station")] if name.endswith(" Station") and len(name) > len(" Station") else name


def reference_plan(route: Route) -> list[dict]:
    """One plan of the ``routes`` column: sections with ``arrival_stop``, ``departure_stop``, ``num_via_stops``,
    ``route_name``, ``via_stops`` (suffix-less stops, see :func:`reference_stop`)."""
    out = []
    for section in route.to_reference():
        out.append({
            "arrival_stop": reference_stop(section["arrival_stop"]),
            "departure_stop": reference_stop(section["departure_stop"]),
            "num_via_stops": int(section["num_via_stops"]),
            "route_name": section["route_name"],
            "via_stops": [reference_stop(v) for v in section["via_stops"]],
        })
    return out


def _quota(quota: Sequence[int] | Mapping[str, int]) -> dict[str, int]:
    if isinstance(quota, Mapping):
        return {d: int(quota.get(d, 0)) for d in DIFFICULTIES}
    if len(quota) != 3:
        raise ValueError(f"planning quota needs 3 numbers (easy, middle, hard), got {quota!r}")
    return dict(zip(DIFFICULTIES, (int(q) for q in quota)))


def build_planning_samples(network: Network, *, rng: random.Random,
                           quota: Sequence[int] | Mapping[str, int] = (20, 15, 5),
                           planner: RoutePlanner | None = None, max_routes: int = MAX_REFERENCE_ROUTES,
                           max_tries: int | None = None) -> list[PlanningSample]:
    """Planning questions for one map, in the order they were accepted.

    ``quota``: questions per question difficulty (easy, middle, hard). Stops when every level is full, when every
    unordered pair has been tried, or after ``max_tries`` draws (default 40 per wanted question + 400): a small map
    may have no pair needing two transfers, so its hard quota stays empty, as in the paper (1,008 < 30 × 40)."""
    want = _quota(quota)
    total = sum(want.values())
    counts = dict.fromkeys(DIFFICULTIES, 0)
    names: dict[str, int] = {}
    for st in network.stations.values():
        names[st.name] = names.get(st.name, 0) + 1
    stations = [st for st in network.stations.values() if names[st.name] == 1]
    n = len(stations)
    if total <= 0 or n < 2:
        return []
    planner = planner or RoutePlanner(network)
    tries_left = max_tries if max_tries is not None else 40 * total + 400
    pairs_total = n * (n - 1) // 2
    tried: set[frozenset] = set()
    out: list[PlanningSample] = []
    while tries_left > 0 and len(out) < total and len(tried) < pairs_total:
        tries_left -= 1
        a, b = rng.sample(stations, 2)
        pair = frozenset((a.key, b.key))
        if pair in tried:
            continue
        tried.add(pair)
        routes = planner.optimal_routes(a, b, max_routes=max_routes)
        if not routes:
            continue
        transfers = routes[0].transfers
        level = question_difficulty(transfers)
        if counts[level] >= want[level]:
            continue
        counts[level] += 1
        template = rng.choice(("long1", "long2"))
        out.append(PlanningSample(
            station_1=a.name, station_2=b.name,
            question_short=templates.planning_question(a.name, b.name, "short"),
            question_long=templates.planning_question(a.name, b.name, template),
            long_template=template, routes=tuple(routes), question_transfer_count=transfers))
    return out
