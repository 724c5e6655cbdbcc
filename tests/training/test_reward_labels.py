"""The released reward's case-insensitive label rule, as the training reward sees it (``official``): the detail
score finds a route's sections with a case-insensitive label check, correctness with a case-sensitive one. So an
answer whose second section is labelled "route name:" is not correct, yet the detail score still counts that
section — and reaches the right arrival."""

from __future__ import annotations

from rewardmap.scoring import score_response
from rewardmap.scoring.parsing import parse_route_official
from toy_city import TOY_LINES

ROW = {"type": "planning", "answer": -1, "station_1": "Alpha Station", "station_2": "Golf Station",
       "difficulty_city": "easy", "question_transfer_count": 1, "json": TOY_LINES, "country": "toyland",
       "city": "toy"}


def answer(second_route_label: str) -> str:
    return ("Route Name: Line 1\nDeparture Stop: Alpha Station\nArrival Stop: Bravo Station\n--\n"
            f"{second_route_label}: Line 2\nDeparture Stop: Bravo Station\nArrival Stop: Golf Station")


def test_lower_case_labels_are_not_correct_but_earn_detail_under_official():
    proper = score_response(answer("Route Name"), ROW, "official")
    lower = score_response(answer("route name"), ROW, "official")
    assert proper.correct and proper.detail == 4.0
    assert not lower.correct and lower.correctness == 0.0
    # both sections count for the detail (case-insensitive labels): +2 endpoints, +3 first line, +1 consistent
    # transfer, −5 the released off-by-one on the last section; the unreadable second route name earns nothing
    assert lower.detail == 1.0
    assert lower.total == lower.weight * lower.alpha * lower.detail > 0
    # with a case-sensitive label check only the first section would be read and the arrival would not match (0)
    assert len(parse_route_official(answer("route name"), labels_case_sensitive=True)) == 1
    assert len(parse_route_official(answer("route name"), labels_case_sensitive=False)) == 2
