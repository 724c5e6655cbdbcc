"""ReasonMap accuracy / map score (short, long-1, long-2; official vs paper) and weighted aggregation."""

from __future__ import annotations

import pytest
from scoring_helpers import SCORING_LINES, answer

from rewardmap.errors import DataError
from rewardmap.scoring import (
    aggregate_plus,
    aggregate_reasonmap,
    normalize_reference_route,
    plus_weight,
    reasonmap_weight,
    score_plus,
    score_reasonmap,
)


def rm_row(**extra) -> dict:
    row = {"station_1": "A Station", "station_2": "C Station", "json": SCORING_LINES, "country": "testland",
           "city": "abc", "difficulty_question": "easy", "difficulty_city": "easy",
           "routes": {"1": [{"route_name": "Line 1", "departure_stop": "A", "arrival_stop": "C", "via_stops": ["B"],
                             "num_via_stops": 1}], "2": None}}
    row.update(extra)
    return row


def test_short_correct_answer_gets_points_and_bonus():
    s = score_reasonmap(answer(("Line 1", "A Station", "C Station")), rm_row(), variant="paper")
    assert s.correct
    assert s.components == {"endpoints": 1.0, "route_name": 2.0, "stops": 2.0, "num_via": 0.0, "via": 0.0}
    assert (s.map_score, s.max_score, s.best_plan) == (15.0, 20.0, "1")
    # official (main.py): outside China the route-name rules run on the answer's own name, so no +2
    s = score_reasonmap(answer(("Line 1", "A Station", "C Station")), rm_row())
    assert s.components["route_name"] == 0.0 and s.map_score == 13.0


def test_short_wrong_line_scores_partial_credit_and_wrong_endpoints_score_zero():
    s = score_reasonmap(answer(("Line 2", "A Station", "C Station")), rm_row())
    assert not s.correct and s.map_score == 3.0
    s = score_reasonmap(answer(("Line 1", "B Station", "C Station")), rm_row())
    assert not s.correct and s.map_score == 0.0
    assert score_reasonmap("I don't know", rm_row()).map_score == 0.0


def test_eval_cleaner_needs_the_station_suffix_unlike_the_reward_cleaner():
    s = score_reasonmap(answer(("Line 1", "A", "C")), rm_row(station_1="A", station_2="C"))
    assert not s.correct  # "a" is not a cleaned stop ("astation") of Line 1


def test_best_plan_wins_and_reference_names_are_normalised():
    routes = {"1": [{"route_name": "Line 2", "departure_stop": "A", "arrival_stop": "C", "via_stops": [],
                     "num_via_stops": 0}],
              "2": [{"route_name": "Metro 1 Line", "departure_stop": "A", "arrival_stop": "C", "via_stops": ["B"],
                     "num_via_stops": 1}]}
    s = score_reasonmap(answer(("Line 1", "A Station", "C Station")), rm_row(routes=routes), variant="paper")
    assert s.best_plan == "2" and s.map_score == 15.0
    s = score_reasonmap(answer(("Line 1", "A Station", "C Station")), rm_row(routes=routes))
    assert s.best_plan == "2" and s.map_score == 13.0  # official: a tie, and the last best plan is kept


def test_official_reference_arrival_quirk_and_paper_fix():
    routes = {"1": [{"route_name": "Line 1", "departure_stop": "A Station", "arrival_stop": "C Station",
                     "via_stops": [], "num_via_stops": 1}]}
    text = answer(("Line 1", "A Station", "C Station"))
    assert score_reasonmap(text, rm_row(routes=routes)).map_score == 12.0  # arrival := departure, no route-name +2
    assert score_reasonmap(text, rm_row(routes=routes), variant="paper").map_score == 15.0


def test_long1_num_via_denominator_official_vs_paper():
    text = "Route Name: Line 1\nDeparture Stop: A Station\nArrival Stop: C Station\nNumber of Via Stops: {}\n"
    exact = score_reasonmap(text.format(1), rm_row(), question="long1")
    assert exact.components["num_via"] == 4.0 and exact.map_score == 1 + 0 + 2 + 4 + 20
    off = score_reasonmap(text.format(3), rm_row(), question="long1")
    paper = score_reasonmap(text.format(3), rm_row(), question="long1", variant="paper")
    assert off.components["num_via"] == 0.0  # 4 − 2/1·4 < 0
    assert paper.components["num_via"] == pytest.approx(4 - 2 / 3 * 4)
    assert off.max_score == 40.0


CN_LINES = {"Line 1": ["甲站", "乙站（换乘站）", "丙站", "丁站"], "Line 2": ["戊站", "乙站（换乘站）"]}
CN_ROUTES = {"1": [{"route_name": "地铁1号线(甲--丁)", "departure_stop": "甲", "arrival_stop": "丁",
                    "via_stops": ["乙", "丙"], "num_via_stops": 2}]}


def test_long2_via_stops_official_vs_paper():
    row = rm_row(json=CN_LINES, country="china", station_1="甲站", station_2="丁站", routes=CN_ROUTES,
                 question_long="… including all the via stops … Via Stops: xx")
    text = "Route Name: Line 1\nDeparture Stop: 甲站\nArrival Stop: 丁站\nVia Stops: 乙站, 丙站\n"
    off = score_reasonmap(text, row, question="long")
    assert off.template == "long2" and off.correct
    # official: items unstripped → only "乙站" matches; IoU 1/3
    assert off.components["via"] == pytest.approx((10 / 3 + 1) / 2)
    assert off.map_score == pytest.approx(1 + 2 + 2 + (10 / 3 + 1) / 2 + 20)
    paper = score_reasonmap(text, row, question="long", variant="paper")
    assert paper.components["via"] == pytest.approx((10 + 2) / 2)


def test_long_template_is_read_from_the_question():
    row = rm_row(question_long="... Number of Via Stops: x")
    assert score_reasonmap("", row, question="long").template == "long1"
    with pytest.raises(DataError) as err:
        score_reasonmap("", rm_row(), question="long")
    assert err.value.column == "question_long"


def test_reference_route_normalisation():
    assert normalize_reference_route("地铁5号线(后关--虎滩新区)", "china") == "Line 5"
    assert normalize_reference_route("地铁昌平线(昌平西山口--蓟门桥)", "china") == "昌平线"
    assert normalize_reference_route("Metro A Line", "usa") == "Line A"
    assert normalize_reference_route("M1-es Metróvonal", "hungary") == "Line 1"
    assert normalize_reference_route("B1", "italy") == "Line B"
    assert normalize_reference_route("Sth", "new_zealand") == "Southern Line"
    assert normalize_reference_route("MRed2", "uae") == "Red Line"
    assert normalize_reference_route("MRT Kajang Line", "malaysia") == "Line 9"
    assert normalize_reference_route("North South Line", "singapore") == "North South Line"


def test_plus_score():
    row = {"type": "Counting1", "answer": 3, "difficulty_city": "hard"}
    assert score_plus("\\boxed{D}", row).correct
    assert not score_plus("\\boxed{A}", row).correct
    assert score_plus("<think>\\boxed{A}</think>\\boxed{D}", row).parsed == "d"
    with pytest.raises(DataError):
        score_plus("x", {"type": "planning", "answer": -1, "difficulty_city": "easy"})


def test_weights():
    assert [[reasonmap_weight(q, m) for m in ("easy", "middle", "hard")] for q in ("easy", "middle", "hard")] == [
        [1.0, 1.5, 2.0], [1.5, 2.0, 2.5], [2.0, 2.5, 3.0]]
    assert [plus_weight(m) for m in ("easy", "middle", "hard")] == [1.0, 1.5, 2.0]
    assert reasonmap_weight("medium", "easy") == 1.5


def test_aggregate_reasonmap_weighted_and_plain():
    recs = [{"correct": True, "map_score": 20.0, "difficulty_question": "easy", "difficulty_city": "easy",
             "components": {"endpoints": 1}},
            {"correct": False, "map_score": 4.0, "difficulty_question": "hard", "difficulty_city": "hard",
             "components": {"endpoints": 1}}]
    out = aggregate_reasonmap(recs)
    assert out["accuracy"] == 0.5 and out["weighted_accuracy"] == pytest.approx(1 / 4)
    assert out["map_score"] == 12.0 and out["weighted_map_score"] == pytest.approx((20 + 3 * 4) / 4)
    assert out["components"] == {"endpoints": 1.0}
    assert out["accuracy_by_question_difficulty"] == {"easy": 1.0, "hard": 0.0}
    mixed = aggregate_reasonmap([dict(r, question=q) for r in recs for q in ("short", "long")])
    assert set(mixed["by_question"]) == {"short", "long"}


def test_aggregate_plus_count_and_torf():
    recs = [{"type": "Counting1", "correct": True, "difficulty_city": "easy"},
            {"type": "Counting3", "correct": False, "difficulty_city": "hard"},
            {"type": "TorF1", "correct": True, "difficulty_city": "middle"},
            {"type": "TorF2", "correct": False, "difficulty_city": "middle"}]
    out = aggregate_plus(recs)
    assert out["n"] == 4 and out["accuracy"] == 0.5
    assert out["weighted_accuracy"] == pytest.approx((1 + 1.5) / (1 + 2 + 1.5 + 1.5))
    assert out["count"]["weighted_accuracy"] == pytest.approx(1 / 3)
    assert out["torf"]["weighted_accuracy"] == pytest.approx(0.5)
    assert set(out["by_type"]) == {"Counting1", "Counting3", "TorF1", "TorF2"}
    with pytest.raises(DataError):
        aggregate_plus([{"type": "TorF1", "correct": True, "difficulty_city": "impossible"}])
