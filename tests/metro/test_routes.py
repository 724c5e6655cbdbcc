"""Route planning: optimal routes agree with brute force; alternatives are ordered; answer formats are exact."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardmap.errors import RewardMapError
from rewardmap.metro import Network, RoutePlanner, RouteSection, check_route, question_difficulty


@st.composite
def small_networks(draw):
    n = draw(st.integers(3, 9))
    names = [f"S{i}" for i in range(n)]
    lines = {}
    loops = []
    for li in range(draw(st.integers(1, 4))):
        members = draw(st.permutations(names))[: draw(st.integers(2, n))]
        lines[f"L{li}"] = list(members)
        if len(members) >= 3 and draw(st.booleans()):
            loops.append(f"L{li}")
    return Network.from_lines(lines, loops=loops)


def brute_force(net: Network, a: str, b: str):
    """Every simple station path with every line labelling; cost = (label changes, edges)."""
    edges: dict[str, list[tuple[str, str]]] = {k: [] for k in net.stations}
    for ln, line in net.lines.items():
        for u, nbrs in line.adjacency.items():
            for v in nbrs:
                edges[u].append((v, ln))
    best, found = None, set()

    def dfs(u, visited, labels, path):
        nonlocal best
        if u == b:
            transfers = sum(1 for x, y in itertools.pairwise(labels) if x != y)
            cost = (transfers, len(labels))
            legs, start = [], 0
            for i in range(1, len(labels) + 1):
                if i == len(labels) or labels[i] != labels[start]:
                    legs.append((labels[start], tuple(net.stations[k].name for k in path[start:i + 1])))
                    start = i
            if best is None or cost < best:
                best, found.clear()
                best = cost
            if cost == best:
                found.add(tuple(legs))
            return
        for v, ln in edges[u]:
            if v not in visited:
                dfs(v, visited | {v}, [*labels, ln], [*path, v])

    dfs(a, {a}, [], [a])
    return best, found


@settings(max_examples=150, deadline=None)
@given(small_networks(), st.data())
def test_optimal_routes_match_brute_force(net, data):
    a, b = data.draw(st.lists(st.sampled_from(sorted(net.stations)), min_size=2, max_size=2, unique=True))
    best, expected = brute_force(net, a, b)
    routes = RoutePlanner(net).optimal_routes(net.stations[a], net.stations[b], max_routes=10_000)
    if best is None:
        assert routes == []
        return
    got = set()
    for r in routes:
        assert (r.transfers, r.stops) == best
        got.add(tuple((leg.line, (leg.departure, *leg.via, leg.arrival)) for leg in r.legs))
        sections = [RouteSection(leg.line, leg.departure, leg.arrival) for leg in r.legs]
        assert check_route(net, sections, net.stations[a].name, net.stations[b].name, cleaner="canonical")
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(small_networks(), st.data())
def test_alternatives_come_after_the_optimum_in_order(net, data):
    a, b = data.draw(st.lists(st.sampled_from(sorted(net.stations)), min_size=2, max_size=2, unique=True))
    planner = RoutePlanner(net)
    optimal = planner.optimal_routes(net.stations[a], net.stations[b])
    alts = planner.alternative_routes(net.stations[a], net.stations[b], k=4)
    if not optimal:
        assert alts == []
        return
    best = (optimal[0].transfers, optimal[0].stops)
    costs = [(r.transfers, r.stops) for r in alts]
    assert costs == sorted(costs)
    assert all(c >= best for c in costs)
    assert not {r.legs for r in alts} & {r.legs for r in optimal}
    for r in alts:
        lines = [leg.line for leg in r.legs]
        assert len(set(lines)) == len(lines)
        visited = [r.legs[0].departure] + [s for leg in r.legs for s in (*leg.via, leg.arrival)]
        assert len(set(visited)) == len(visited)


def test_toy_route_with_branch_and_transfer(toy_network):
    planner = RoutePlanner(toy_network)
    (route,) = planner.optimal_routes("Alpha Station", "Kilo Station")
    assert route.to_answer() == (
        "Route Name: Line 1\nDeparture Stop: Alpha Station\nArrival Stop: Bravo Station\n--\n"
        "Route Name: Line 2\nDeparture Stop: Bravo Station\nArrival Stop: Kilo Station")
    assert route.legs[1].via == ("Golf Station", "Juliet Station")
    assert route.transfers == 1 and route.difficulty == "middle"
    assert route.to_answer("long1").count("Number of Via Stops: ") == 2
    assert "Via Stops: Golf Station, Juliet Station" in route.to_answer("long2")
    assert route.to_reference()[1] == {"route_name": "Line 2", "departure_stop": "Bravo Station",
                                       "arrival_stop": "Kilo Station", "via_stops": ["Golf Station", "Juliet Station"],
                                       "num_via_stops": 2}


def test_ties_give_every_optimal_route():
    net = Network.from_lines({"A": ["x", "p", "y"], "B": ["x", "q", "y"]})
    routes = RoutePlanner(net).optimal_routes("x", "y")
    assert sorted(r.legs[0].line for r in routes) == ["A", "B"]


def test_same_station_and_difficulty_labels(toy_network):
    with pytest.raises(RewardMapError):
        RoutePlanner(toy_network).optimal_routes("Alpha Station", "alpha")
    assert [question_difficulty(t) for t in (0, 1, 2, 3)] == ["easy", "middle", "hard", "hard"]


def test_check_route_rules(toy_network):
    net = toy_network
    ok = [RouteSection("Line 1", "Alpha Station", "Bravo Station"), RouteSection("Line 2", "Bravo Station",
                                                                                    "Kilo Station")]
    assert check_route(net, ok, "Alpha Station", "Kilo Station")
    assert not check_route(net, [], "Alpha Station", "Kilo Station")
    assert "origin" in check_route(net, ok, "Charlie Station", "Kilo Station").reason
    bad_line = [RouteSection("Route 1", "Alpha Station", "Bravo Station"), ok[1]]
    assert not check_route(net, bad_line, "Alpha Station", "Kilo Station")  # official: exact keys only
    assert check_route(net, bad_line, "Alpha Station", "Kilo Station", line_names="alias")  # paper B.1
    gap = [RouteSection("Line 1", "Alpha Station", "Charlie Station"), ok[1]]
    assert "does not start" in check_route(net, gap, "Alpha Station", "Kilo Station").reason
    off_line = [RouteSection("Line 1", "Alpha Station", "Kilo Station")]
    assert not check_route(net, off_line, "Alpha Station", "Kilo Station")
    # the eval cleaner keeps "Station": a bare name fails; the reward cleaner drops it
    bare = [RouteSection("Line 1", "Alpha", "Bravo"), RouteSection("Line 2", "Bravo", "Kilo")]
    assert not check_route(net, bare, "Alpha Station", "Kilo Station", cleaner="eval")
    assert check_route(net, bare, "Alpha Station", "Kilo Station", cleaner="reward")
