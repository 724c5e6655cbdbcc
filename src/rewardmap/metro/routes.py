"""Route planning: every optimal route (fewest transfers, then fewest stops) and k next-best alternatives.

A :class:`Route` is a tuple of :class:`Leg` s; a leg rides one line from a departure to an arrival station through
its via stops. Routes print in the ReasonMap answer format (``Route Name:`` / ``Departure Stop:`` /
``Arrival Stop:`` blocks separated by ``--``) and convert to the ``routes`` structure of ``FSCCS/ReasonMap``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from rewardmap.errors import RewardMapError
from rewardmap.metro.network import Network, Station

QUESTION_DIFFICULTIES = ("easy", "middle", "hard")


def question_difficulty(transfers: int) -> str:
    """ReasonMap question difficulty from the number of transfers: 0 easy, 1 middle, ≥2 hard (RS-paper §3.1.2)."""
    if transfers < 0:
        raise RewardMapError(f"transfer count must be ≥ 0, found {transfers}")
    return QUESTION_DIFFICULTIES[min(transfers, 2)]


@dataclass(frozen=True)
class Leg:
    """One ride on one line."""

    line: str
    departure: str
    arrival: str
    via: tuple[str, ...] = ()

    @property
    def num_via(self) -> int:
        return len(self.via)

    @property
    def stops(self) -> int:
        """Track segments ridden (via stops + 1)."""
        return len(self.via) + 1


@dataclass(frozen=True)
class Route:
    """A route: legs in order; ``transfers = len(legs) - 1``."""

    legs: tuple[Leg, ...]

    @property
    def transfers(self) -> int:
        return len(self.legs) - 1

    @property
    def stops(self) -> int:
        """Track segments ridden in total."""
        return sum(leg.stops for leg in self.legs)

    @property
    def difficulty(self) -> str:
        return question_difficulty(self.transfers)

    @property
    def origin(self) -> str:
        return self.legs[0].departure

    @property
    def destination(self) -> str:
        return self.legs[-1].arrival

    def to_answer(self, template: str = "short") -> str:
        """The route in ReasonMap's answer format. ``template``: ``short`` (name, departure, arrival), ``long1``
        (+ ``Number of Via Stops:``) or ``long2`` (+ ``Via Stops:``)."""
        if template not in ("short", "long1", "long2"):
            raise RewardMapError(f"unknown answer template {template!r}; expected short, long1 or long2")
        blocks = []
        for leg in self.legs:
            lines = [f"Route Name: {leg.line}", f"Departure Stop: {leg.departure}", f"Arrival Stop: {leg.arrival}"]
            if template == "long1":
                lines.append(f"Number of Via Stops: {leg.num_via}")
            elif template == "long2":
                lines.append(f"Via Stops: {', '.join(leg.via)}")
            blocks.append("\n".join(lines))
        return "\n--\n".join(blocks)

    def to_reference(self) -> list[dict]:
        """The route as one plan of the ``routes`` column of ``FSCCS/ReasonMap`` (data-schema §1.1)."""
        return [{"route_name": leg.line, "departure_stop": leg.departure, "arrival_stop": leg.arrival,
                 "via_stops": list(leg.via), "num_via_stops": leg.num_via} for leg in self.legs]

    def __str__(self) -> str:
        return " → ".join(f"[{leg.line}] {leg.departure}…{leg.arrival}" for leg in self.legs)


State = tuple[str, str]  # (station key, line name)


class RoutePlanner:
    """Plans routes on one network. Reuse one planner for many queries (it caches per-line paths)."""

    def __init__(self, network: Network, *, cache_size: int = 4096) -> None:
        self.network = network
        self._cache: dict[str, tuple[dict, dict]] = {}
        self._cache_size = cache_size

    # -------------------------------------------------------------- optimal routes
    def _dijkstra(self, source: str) -> tuple[dict[State, tuple[int, int]], dict[State, list[State]]]:
        """Lexicographic (transfers, stops) Dijkstra over (station, line) states from every line at ``source``
        (cached per source, so all-pairs planning costs one search per origin)."""
        cached = self._cache.get(source)
        if cached is not None:
            return cached
        net = self.network
        dist: dict[State, tuple[int, int]] = {}
        preds: dict[State, list[State]] = {}
        heap: list[tuple[int, int, str, str]] = []
        for ln in net.stations[source].lines:
            dist[(source, ln)] = (0, 0)
            preds[(source, ln)] = []
            heapq.heappush(heap, (0, 0, source, ln))
        done: set[State] = set()
        while heap:
            t, s, st, ln = heapq.heappop(heap)
            state = (st, ln)
            if state in done:
                continue
            done.add(state)
            steps = [((nb, ln), (t, s + 1)) for nb in net.lines[ln].adjacency[st]]
            steps += [((st, other), (t + 1, s)) for other in net.stations[st].lines if other != ln]
            for nxt, cost in steps:
                old = dist.get(nxt)
                if old is None or cost < old:
                    dist[nxt] = cost
                    preds[nxt] = [state]
                    heapq.heappush(heap, (cost[0], cost[1], nxt[0], nxt[1]))
                elif cost == old and state not in preds[nxt]:
                    preds[nxt].append(state)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[source] = (dist, preds)
        return dist, preds

    def optimal_routes(self, origin: str | Station, destination: str | Station, *, max_routes: int = 64
                       ) -> list[Route]:
        """Every optimal route from ``origin`` to ``destination``: fewest transfers, then fewest stops.

        Returns ``[]`` when the stations are not connected; at most ``max_routes`` routes (sorted, deterministic)."""
        net = self.network
        a, b = net.station(origin), net.station(destination)
        if a.key == b.key:
            raise RewardMapError(f"origin and destination are the same station ({a.name!r})")
        dist, preds = self._dijkstra(a.key)
        ends = [(b.key, ln) for ln in b.lines if (b.key, ln) in dist]
        if not ends:
            return []
        best = min(dist[e] for e in ends)
        routes: dict[tuple[Leg, ...], Route] = {}

        def back(state: State, acc: list[State]) -> Iterator[list[State]]:
            if not preds[state]:
                yield list(reversed(acc))
                return
            for p in preds[state]:
                acc.append(p)
                yield from back(p, acc)
                acc.pop()

        for end in sorted(e for e in ends if dist[e] == best):
            for states in back(end, [end]):
                route = self._states_to_route(states)
                routes.setdefault(route.legs, route)
                if len(routes) >= max_routes:
                    break
            if len(routes) >= max_routes:
                break
        return sorted(routes.values(), key=lambda r: [(leg.line, leg.via) for leg in r.legs])

    def _states_to_route(self, states: list[State]) -> Route:
        legs: list[Leg] = []
        run: list[str] = []
        line = states[0][1]
        for st, ln in states:
            if ln != line:
                legs.append(self._leg(line, run))
                run, line = [], ln
            if not run or run[-1] != st:
                run.append(st)
        legs.append(self._leg(line, run))
        return Route(tuple(legs))

    def _leg(self, line: str, keys: list[str]) -> Leg:
        spelling = self.network.lines[line].spelling
        names = [spelling[k] for k in keys]
        return Leg(line=line, departure=names[0], arrival=names[-1], via=tuple(names[1:-1]))

    # -------------------------------------------------------------- alternatives
    def alternative_routes(self, origin: str | Station, destination: str | Station, k: int = 3, *,
                           max_expansions: int = 200_000) -> list[Route]:
        """The ``k`` best routes after the optimal ones, in (transfers, stops) order.

        Routes never visit a station twice nor ride a line twice. A* over leg-level partial routes, guided by the
        exact (relaxed) cost-to-go from a reverse search, so routes come out in order."""
        net = self.network
        a, b = net.station(origin), net.station(destination)
        if a.key == b.key:
            raise RewardMapError(f"origin and destination are the same station ({a.name!r})")
        optimal = {r.legs for r in self.optimal_routes(a, b, max_routes=10_000)}
        dist_b, _ = self._dijkstra(b.key)
        to_go: dict[str, tuple[int, int]] = {}
        for (st, _ln), (t, s) in dist_b.items():
            cost = (0, 0) if st == b.key else (t + 1, s)
            if st not in to_go or cost < to_go[st]:
                to_go[st] = cost
        if a.key not in to_go:
            return []
        counter = itertools.count()
        # heap item: (f_legs, f_stops, tie, g_legs, g_stops, station, lines used, visited, legs as key paths)
        heap: list = [(*to_go[a.key], next(counter), 0, 0, a.key, (), frozenset([a.key]), ())]
        out: list[Route] = []
        expansions = 0
        while heap and len(out) < k and expansions < max_expansions:
            _fl, _fs, _, gl, gs, st, used, visited, legs = heapq.heappop(heap)
            if st == b.key:
                route = Route(tuple(self._leg(ln, list(path)) for ln, path in legs))
                if route.legs not in optimal:
                    out.append(route)
                continue
            expansions += 1
            for ln in net.stations[st].lines:
                if ln in used:
                    continue
                line = net.lines[ln]
                for target in line.keys:
                    if target == st or target in visited or target not in to_go:
                        continue
                    for path in line.ways_round(st, target):
                        if any(p in visited for p in path[1:]):
                            continue
                        nl, ns = gl + 1, gs + len(path) - 1
                        hl, hs = to_go[target]
                        heapq.heappush(heap, (nl + hl, ns + hs, next(counter), nl, ns, target, (*used, ln),
                                              visited | set(path), (*legs, (ln, path))))
        return out


def optimal_routes(network: Network, origin: str | Station, destination: str | Station, *,
                   max_routes: int = 64) -> list[Route]:
    """Every optimal route between two stations (see :meth:`RoutePlanner.optimal_routes`)."""
    return RoutePlanner(network).optimal_routes(origin, destination, max_routes=max_routes)


def alternative_routes(network: Network, origin: str | Station, destination: str | Station, k: int = 3
                       ) -> list[Route]:
    """The ``k`` next-best routes (see :meth:`RoutePlanner.alternative_routes`)."""
    return RoutePlanner(network).alternative_routes(origin, destination, k)
