"""Any response string gives a finite score in the documented range and never raises (issue 3 item 10)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_helpers import SCORING_LINES, planning_row

from rewardmap.scoring import RewardConfig, score_plus, score_reasonmap, score_response

PLUS_ROWS = [{"type": t, "answer": a, "difficulty_city": "hard", "station_1": "A Station",
              "station_2": "D Station", "json": SCORING_LINES}
             for t, a in (("TorF1", 1), ("TorF2", 0), ("Counting1", 2), ("Counting2", 3), ("Counting3", 3))]
PLAN_ROW = planning_row("A Station", "I Station", 2, "hard")
CONFIGS = [RewardConfig.preset("official"), RewardConfig.preset("paper"), RewardConfig.preset("baseline"),
           RewardConfig.preset("paper", parse="tolerant", strip_reasoning=True, counting1_stops_detail=True)]
RM_ROW = {"station_1": "A Station", "station_2": "C Station", "json": SCORING_LINES, "country": "testland",
          "routes": {"1": [{"route_name": "Line 1", "departure_stop": "A", "arrival_stop": "C",
                            "via_stops": ["B"], "num_via_stops": 1}]}}

FRAGMENTS = st.sampled_from([
    "Route Name: Line 1\n", "Departure Stop: A Station\n", "Arrival Stop: I Station\n", "--", "\\boxed{", "}", "{",
    "oxed{", "The answer is ", "yes", "C", "12", "Stops: [", "]", "Via Stops: 乙站, ", "Number of Via Stops: 3\n",
    "</think>", "◁/think▷", "**", "：", "\n", "Line 2", "\\text{", "=", "\\frac", "\\sqrt", "/", "."])
RESPONSES = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=80).map("".join),
    st.builds(lambda n: "{" * n + "\\boxed{" * n + "}" * (n // 2), st.integers(0, 3000)),
    st.builds(lambda n, s: s * n, st.integers(0, 3000), st.sampled_from(["--", "Route Name: Line 1\n", "\\BOXED{",
                                                                         "Route Name:\nDeparture Stop:\n--"])),
)


def _check(b, cfg):
    assert math.isfinite(b.total) and math.isfinite(b.detail)
    assert b.detail <= 10.0
    top = b.weight * (cfg.format_magnitude + cfg.correctness + cfg.alpha * 10.0)
    assert b.total <= top + 1e-9
    if b.task_type == "planning":
        k = max(1, len(b.parsed))
        assert b.detail >= 2 - 5 * k - 1e-9


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RESPONSES, st.sampled_from(CONFIGS))
def test_any_string_scores_finite_in_range(response, cfg):
    for row in [*PLUS_ROWS, PLAN_ROW]:
        b = score_response(response, row, cfg)
        _check(b, cfg)
        if b.task_type != "planning" and not cfg.counting1_stops_detail:
            assert b.total >= 0.0
    s = score_reasonmap(response, RM_ROW)
    assert 0.0 <= s.map_score <= s.max_score
    score_plus(response, PLUS_ROWS[0])


def test_huge_adversarial_inputs():
    cfg = RewardConfig.preset("official")
    for response in ("x" * 100_000, "--" * 50_000, "Route Name: Line 1\nDeparture Stop: A Station\n--" * 2_000,
                     "Route Name: Line 1\nDeparture Stop: A Station\nArrival Stop: I Station\n--" * 2_000,
                     "\\boxed{" * 20_000, "{" * 50_000 + "}" * 50_000, "\\BOXED{" * 12_000, "\x00" * 1000):
        for row in [*PLUS_ROWS, PLAN_ROW]:
            _check(score_response(response, row, cfg), cfg)
        assert 0.0 <= score_reasonmap(response, RM_ROW, question="long1").map_score <= 40.0
