"""Builders: every answer re-derived by the independent oracle, on the toy network and the 24 real cities."""

from __future__ import annotations

import json
import random
from collections import Counter

from oracle import Oracle, norm

from rewardmap.metro import KNOWN_TOPOLOGY, load_network, network_from_mapping
from rewardmap.metro.io import iter_station_files
from rewardmap.metro.topology import TopologyHints
from rewardmap.tasks import (
    PLUS_QUOTAS,
    TaskType,
    build_planning_samples,
    build_plus_samples,
    computed_map_difficulty,
    map_difficulty,
    reference_stop,
)
from toy_city import TOY_BRANCH_ARMS, TOY_LINES

TOY, TOY_ARMS = TOY_LINES, TOY_BRANCH_ARMS


def toy():
    net = network_from_mapping(TOY, city="toyville", country="testland",
                               hints=TopologyHints(branch_arms={"Line 2": ("Juliet Station",)}))
    return net, Oracle(TOY, branch_arms=TOY_ARMS)


def check_plus(samples, oracle: Oracle) -> None:
    """Re-derive every Plus answer with the oracle."""
    for s in samples:
        if s.type is TaskType.TORF1:
            assert s.answer == int(oracle.same_line(s.station_1, s.station_2)), s
        elif s.type is TaskType.TORF2:
            assert s.answer == int(oracle.on_line(s.station_1, s.line)), s
            assert f"on the line {s.line}?" in s.question
        elif s.type is TaskType.COUNTING1:
            counts = oracle.between(s.station_1, s.station_2)
            assert len(counts) == 1, (s, counts)  # one well-defined answer
            truth = counts.pop()
            assert len(set(s.options)) == 4 and min(s.options) >= 0
            assert s.options[s.answer] == truth, s
            assert f"A) {s.options[0]} \nB) {s.options[1]} \nC) {s.options[2]} \nD) {s.options[3]} \n" in s.question
            assert len(s.detail) == truth
        elif s.type is TaskType.COUNTING2:
            assert s.answer == len(oracle.lines_of(s.station_1)), s
        elif s.type is TaskType.COUNTING3:
            assert s.answer == oracle.line_count()
        assert s.station_1 in s.question or s.type is TaskType.COUNTING3
        assert s.station_2 and s.station_1


def check_planning(samples, oracle: Oracle, line_keys) -> None:
    for s in samples:
        expected = oracle.min_transfers(s.station_1, s.station_2)
        assert s.question_transfer_count == expected, s
        assert s.difficulty_question == ("easy", "middle", "hard")[min(expected, 2)]
        assert s.station_1 in s.question_short and s.station_2 in s.question_long
        assert ("Number of Via Stops:" in s.question_long) == (s.long_template == "long1")
        stops = set()
        for plan in s.routes_column().values():
            assert len(plan) == expected + 1
            assert norm(plan[0]["departure_stop"]) == norm(s.station_1)
            assert norm(plan[-1]["arrival_stop"]) == norm(s.station_2)
            total = 0
            for i, sec in enumerate(plan):
                assert sec["route_name"] in line_keys
                assert oracle.on_line(sec["departure_stop"], sec["route_name"])
                assert oracle.on_line(sec["arrival_stop"], sec["route_name"])
                assert sec["num_via_stops"] == len(sec["via_stops"])
                assert oracle.hops(sec["route_name"], sec["departure_stop"])[norm(sec["arrival_stop"])] \
                    == sec["num_via_stops"] + 1
                if i:
                    assert norm(plan[i - 1]["arrival_stop"]) == norm(sec["departure_stop"])
                total += sec["num_via_stops"] + 1
            stops.add(total)
        assert len(stops) == 1, "all reference routes of a question are equally short"


def test_toy_plus_answers_and_balance():
    net, oracle = toy()
    counts = {TaskType.TORF1: 10, TaskType.TORF2: 10, TaskType.COUNTING1: 12, TaskType.COUNTING2: 6,
              TaskType.COUNTING3: 1}
    samples = build_plus_samples(net, rng=random.Random(3), counts=counts)
    by = Counter(s.type for s in samples)
    assert by == counts
    check_plus(samples, oracle)
    for t in (TaskType.TORF1, TaskType.TORF2):
        answers = Counter(s.answer for s in samples if s.type is t)
        assert answers[0] == answers[1] == 5
    positions = Counter(s.answer for s in samples if s.type is TaskType.COUNTING1)
    assert sorted(positions.values()) == [3, 3, 3, 3]


def test_toy_counting1_follows_track_not_list():
    net, _ = toy()
    samples = build_plus_samples(net, rng=random.Random(0), counts={"Counting1": 60})
    seen = {frozenset((s.station_1, s.station_2)): s for s in samples}
    # Golf → Juliet: Juliet's arm hangs off Golf, so no stop in between (list slicing would say 2)
    pair = seen[frozenset(("Golf Station", "Juliet Station"))]
    assert pair.options[pair.answer] == 0
    # Delta → Juliet on the Circle Line: the shorter way round (via November) has 1 stop, the list order 2
    pair = seen[frozenset(("Delta Station", "Juliet Station"))]
    assert pair.options[pair.answer] == 1


def test_loop_ties_are_never_asked():
    loop = {"Ring": ["A Station", "B Station", "C Station", "D Station", "E Station", "F Station", "A Station"]}
    net = network_from_mapping(loop, city="ring", country="x")
    samples = build_plus_samples(net, rng=random.Random(0), counts={"Counting1": 50})
    pairs = {frozenset((s.station_1, s.station_2)) for s in samples}
    assert len(pairs) == 12  # 15 pairs, minus the 3 opposite pairs whose two ways round tie (2 stops each way)
    assert frozenset(("A Station", "D Station")) not in pairs


def test_toy_planning_quota_and_routes():
    net, oracle = toy()
    samples = build_planning_samples(net, rng=random.Random(1), quota=(3, 3, 2))
    levels = Counter(s.difficulty_question for s in samples)
    assert levels["easy"] == 3 and levels["middle"] == 3 and levels["hard"] <= 2
    check_planning(samples, oracle, set(TOY))
    assert len({frozenset((s.station_1, s.station_2)) for s in samples}) == len(samples)


def test_same_seed_same_samples_other_seed_differs():
    net, _ = toy()
    a = build_plus_samples(net, rng=random.Random(7), counts={"TorF1": 6, "Counting1": 6})
    b = build_plus_samples(net, rng=random.Random(7), counts={"TorF1": 6, "Counting1": 6})
    c = build_plus_samples(net, rng=random.Random(8), counts={"TorF1": 6, "Counting1": 6})
    assert a == b and a != c
    p = build_planning_samples(net, rng=random.Random(7), quota=(3, 2, 1))
    assert p == build_planning_samples(net, rng=random.Random(7), quota=(3, 2, 1))


def test_one_line_city_gets_no_unbalanced_torf():
    net = network_from_mapping({"M1": [f"S{i} Station" for i in range(8)]}, city="one", country="x")
    samples = build_plus_samples(net, rng=random.Random(0), counts={"TorF1": 10, "TorF2": 10, "Counting3": 1})
    assert [s.type for s in samples] == [TaskType.COUNTING3]  # no "no" pair exists, so no TorF at all
    assert samples[0].answer == 1


def test_map_difficulty_rules():
    assert map_difficulty("china", "dalian", 6, 15) == "middle"  # table
    assert map_difficulty("x", "y", 2, 50) == "easy"  # computed
    assert map_difficulty("x", "y", 6, 30) == "hard"
    assert map_difficulty("x", "y", 6, 29) == "middle"
    assert map_difficulty("x", "y", 9, 0) == "hard"
    assert map_difficulty("china", "dalian", 6, 15, given="medium") == "middle"  # given wins, "medium" accepted
    assert computed_map_difficulty(5, 91) == "middle"  # geneva


def test_reference_stop_strips_suffix():
    assert reference_stop("九里站") == "九里"
    assert reference_stop("西单") == "西单"
    assert reference_stop("Gold Souq Station") == "Gold Souq"
    assert reference_stop("Union Station Station") == "Union Station"


# ------------------------------------------------------------------------------------------------ real cities
def _oracle_for(path) -> Oracle:
    mapping = json.loads(path.read_text(encoding="utf-8"))
    hints = KNOWN_TOPOLOGY.get((path.parent.name, path.stem), TopologyHints())
    return Oracle(mapping, loops=hints.loops, branch_arms=dict(hints.branch_arms))


def test_real_cities_answers_rederived(reasonmap_data):
    files = iter_station_files(reasonmap_data / "stations")
    assert len(files) == 24
    totals: Counter = Counter()
    for path in files:
        net = load_network(path)
        oracle = _oracle_for(path)
        label = map_difficulty(net.country, net.city, net.city_line_count, net.city_transfer_count)
        plus = build_plus_samples(net, rng=random.Random(f"t:{path.stem}"), difficulty=label)
        check_plus(plus, oracle)
        for s in plus:
            if s.type is TaskType.COUNTING1:
                assert s.line not in oracle.branch_unknown or all(
                    oracle.lists[s.line].index(norm(x)) <= oracle.branch_unknown[s.line]
                    for x in (s.station_1, s.station_2)), "Counting1 pair across an ambiguous branch"
            if s.type.is_torf:
                totals[(s.type, s.answer)] += 1
        quota = PLUS_QUOTAS[label]
        by = Counter(s.type for s in plus)
        assert by[TaskType.COUNTING3] == 1 and by[TaskType.COUNTING1] == quota[TaskType.COUNTING1]
        planning = build_planning_samples(net, rng=random.Random(f"p:{path.stem}"))
        check_planning(planning, oracle, set(net.lines))
        levels = Counter(s.difficulty_question for s in planning)
        assert levels["easy"] <= 20 and levels["middle"] <= 15 and levels["hard"] <= 5
        assert levels["easy"] == 20  # every real city has enough same-line pairs
    for t in (TaskType.TORF1, TaskType.TORF2):
        yes, no = totals[(t, 1)], totals[(t, 0)]
        assert abs(yes - no) / (yes + no) <= 0.05


def test_a_name_twice_on_one_line_is_never_asked_about():
    """New York style: line B lists two distinct "7 Av" stations. The builders plan and ask around them, never about
    them, since no answer could say which one is meant (issue 10 item 1)."""
    from rewardmap.tasks import build_planning_samples, build_plus_samples

    lines = {"B": ["145 St", "7 Av (Transfer Station)", "Broadway", "Atlantic Av (Transfer Station)", "7 Av",
                   "Church Av"],
             "Q": ["7 Av (Transfer Station)", "Times Sq", "Atlantic Av (Transfer Station)", "Coney Island"]}
    net = network_from_mapping(lines, city="gotham", country="united_states")
    assert any(w.code == "repeated_name" for w in net.warnings)
    rng = random.Random(0)
    plus = build_plus_samples(net, rng=rng, counts={t: 40 for t in ("TorF1", "TorF2", "Counting1", "Counting2")})
    plans = build_planning_samples(net, rng=rng, quota=(10, 10, 5))
    assert plus and plans
    for s in plus:
        assert "7 Av" not in (s.station_1, s.station_2) and "7 Av" not in s.question
    for p in plans:
        assert "7 Av" not in (p.station_1, p.station_2)
