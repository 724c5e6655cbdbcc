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


# ------------------------------------------------------------------ issue 13 F1–F3: linear time, any input, data errors
def _seconds(fn, *args) -> float:
    import time

    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def test_parsers_are_linear_on_unclosed_boxes_and_parentheses():
    """8 kB of unclosed ``\\boxed{`` took 1.7 s (quadratic); 64× more input must cost far less than 64² × more time.
    Measured as a ratio within one run (shared cores), on every parser a reward worker runs."""
    from rewardmap.metro import clean_eval, clean_reward
    from rewardmap.scoring.parsing import extract_plus_official, extract_plus_tolerant, last_boxed, qvq_final_answer

    cases = [(last_boxed, "\\boxed{"), (extract_plus_tolerant, "\\boxed{"), (qvq_final_answer, "\\boxed{"),
             (extract_plus_official, "\\boxed{"), (clean_eval, "("), (clean_reward, "（"),
             (lambda t: score_response(t, PLAN_ROW, "official"), "Arrival Stop: ("),
             (lambda t: score_response(t, PLAN_ROW, "paper"), "Arrival Stop: ("),
             (lambda t: score_reasonmap(t, RM_ROW, question="long2"), "Via Stops: (")]
    for fn, unit in cases:
        small = unit * (8_000 // len(unit))
        big = unit * (512_000 // len(unit))
        t_small = max(min(_seconds(fn, small) for _ in range(3)), 1e-4)
        t_big = min(_seconds(fn, big) for _ in range(2))
        assert t_big < 0.5 and t_big / t_small < 64 * 8, (fn, unit, t_small, t_big)


def test_parsers_take_any_value():
    from rewardmap.scoring import (
        extract_plus_official,
        extract_plus_tolerant,
        extract_stops,
        find_math_answer,
        parse_route,
        parse_route_official,
        parse_route_tolerant,
        strip_reasoning,
    )
    from rewardmap.scoring.parsing import last_boxed, parse_int, split_via_official, split_via_tolerant

    class Hostile:
        def __str__(self):
            raise RuntimeError("no")

    for value in (None, 3, 2.5, b"\\boxed{yes}", bytearray(b"\xff\xfe"), ["a"], {"a": 1}, Hostile(), "\ud800"):
        for fn in (extract_plus_official, extract_plus_tolerant, extract_stops, find_math_answer, parse_route,
                   parse_route_official, parse_route_tolerant, strip_reasoning, last_boxed, parse_int,
                   split_via_official, split_via_tolerant):
            fn(value)
        for row in [*PLUS_ROWS, PLAN_ROW]:
            assert math.isfinite(score_response(value, row).total)
    assert extract_plus_official(b"\\boxed{yes}") == "yes"


def test_malformed_rows_are_data_errors_naming_the_column():
    import pytest

    from rewardmap.errors import DataError

    with pytest.raises(DataError) as err:
        score_response("\\boxed{3}", {"type": "Counting2", "answer": float("inf"), "difficulty_city": "easy"})
    assert err.value.column == "answer"
    for spec in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000):
        with pytest.raises(DataError) as err:
            score_response("x", dict(PLAN_ROW, json=spec, country="x", city="deep"))
        assert err.value.column == "json" and len(str(err.value)) < 2_000


def test_a_city_that_cannot_load_fails_once(tmp_path):
    """The released loader is not retried per row: the first row's error is remembered and re-raised at once."""
    import pytest

    from rewardmap.errors import DataError
    from rewardmap.scoring.stations import NetworkCache

    bad = tmp_path / "stations" / "x" / "broken.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"Line 1": ["A", 3]}', encoding="utf-8")
    cache = NetworkCache()
    row = dict(PLAN_ROW, json=str(bad), country="x", city="broken")
    messages = set()
    for _ in range(50):
        with pytest.raises(DataError) as err:
            score_response("Route Name: Line 1\nDeparture Stop: A\nArrival Stop: B", row, cache=cache)
        messages.add(str(err.value))
    assert cache.loads == 1 and len(messages) == 1 and str(bad) in messages.pop()
