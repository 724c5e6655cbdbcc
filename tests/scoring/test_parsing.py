"""Answer parsing: official quirks and tolerant variants (paper-spec §1.5, §2.3; data-schema §2.4)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardmap.scoring import (
    MISSING,
    extract_plus_official,
    extract_plus_tolerant,
    extract_stops,
    parse_route_official,
    parse_route_tolerant,
    strip_reasoning,
)
from rewardmap.scoring.parsing import boxed_core, last_boxed, qvq_final_answer, split_via_official


@pytest.mark.parametrize(("response", "expected"), [
    ("\\boxed{Yes}", "yes"),
    ("first \\boxed{no} then \\boxed{yes}", "yes"),  # several boxes: the last
    ("\\boxed{\\text{No}}", "{no}"),  # quirk: "\\text" is deleted, its braces stay → wrong for TorF
    ("\\boxed{x = 5}", "5"),  # text after the last "="
    ("\\boxed{B}.", "b"),
    ("So the answer is C. Because the line...", "c"),  # flag: first sentence after it
    ("The final answer is 7\nextra lines", "7"),
    ("Yes", "yes"),  # bare answer (the SFT target)
    ("\\boxed{0.5}", "\\frac{1}{2}"),  # MATH normaliser quirk
    ("\\boxed{3/4}", "\\frac{3}{4}"),
    ("\\BOXED{yes", "\\boxed{yes"),  # case-changed, unbalanced: no box is found, the text stays
])
def test_official_plus_extraction(response, expected):
    assert extract_plus_official(response) == expected


_GREEDY = re.compile("oxed{(.*)}", flags=re.S)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="oxed{}ab\n ", max_size=40))
def test_linear_boxed_core_equals_the_released_greedy_regex(s):
    once = s.replace("{}", "")
    found = _GREEDY.findall(once)
    assert boxed_core(s) == (found[-1] if found else once)


@pytest.mark.parametrize(("response", "expected"), [
    ("**Answer:** Yes", "yes"),
    ("<think>\\boxed{no}</think> The answer is **YES**.", "yes"),
    ("\\boxed{\\textbf{C}}", "c"),
    ("Final answer: 3 lines", "3 lines"),
])
def test_tolerant_plus_extraction(response, expected):
    assert extract_plus_tolerant(response) == expected


def test_last_boxed_is_brace_balanced():
    assert last_boxed("\\boxed{\\frac{1}{2}} and \\boxed{{a}b}") == "{a}b"
    assert last_boxed("\\boxed{a} \\boxed{unclosed") == "a"
    assert last_boxed("nothing") is None


def test_reasoning_wrappers():
    assert strip_reasoning("a</think>b</think>c") == "c"
    assert strip_reasoning("x◁/think▷answer") == "answer"
    assert strip_reasoning("plain") == "plain"
    assert qvq_final_answer("so \\boxed{\\text{Route Name: Line 1}\\text{Departure Stop: A}}") == \
        "Route Name: Line 1\nDeparture Stop: A"


def test_official_route_parse_short_and_long():
    text = ("Route Name: Line 1\nDeparture Stop: A Station\nArrival Stop: B Station\nNumber of Via Stops: 2\n--\n"
            "Route Name: Line 2\nDeparture Stop: B Station\nArrival Stop: C Station\nNumber of Via Stops: 0")
    short = parse_route_official(text, "short")
    assert [s.route_name for s in short] == ["Line 1", "Line 2"]
    # short: the arrival is everything after the label (trailing lines spoil it — a released quirk)
    assert short[0].arrival == "B Station\nNumber of Via Stops: 2"
    long1 = parse_route_official(text, "long1")
    assert long1[0].arrival == "B Station" and long1[0].num_via.strip() == "2"
    # last section: "Arrival Stop: (.*?)\n" needs a newline → MISSING for long templates
    assert long1[1].arrival == "C Station"
    assert parse_route_official("Route Name: L\nDeparture Stop: A\nArrival Stop: B", "long1")[0].arrival == MISSING


def test_official_route_parse_quirks():
    # sections split on "--" anywhere; a "Route Name" value needs a newline after it
    text = "Route Name: Line 1 Departure Stop: A-- x\nArrival Stop: B"
    assert parse_route_official(text) == ()
    sec = parse_route_official("Route Name: Line 1\nDeparture Stop: A Station Arrival Stop: B Station")[0]
    assert sec.departure == MISSING
    # labels are case-sensitive for accuracy, case-insensitive for the detail reward
    low = "route name: Line 1\ndeparture stop: A\narrival stop: B"
    assert parse_route_official(low) == ()
    assert parse_route_official(low, labels_case_sensitive=False)[0].route_name == MISSING


def test_tolerant_route_parse_reads_the_last_block():
    text = ("Let me think. Draft:\nRoute Name: Line 9\nDeparture Stop: X\nArrival Stop: Y\nHmm, no.\n\n"
            "**Route Name**: Line 1\n**Departure Stop**: A Station\n**Arrival Stop**：B Station\n---\n"
            "route name : Line 2\nDeparture stop: B Station\nArrival stop: C Station.\n\nHope this helps!")
    secs = parse_route_tolerant(text)
    assert [(s.route_name, s.departure, s.arrival) for s in secs] == [
        ("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "C Station")]


def test_via_split_official_only_for_chinese():
    assert split_via_official("A站, B站\n") == ("A站", " B站")
    assert split_via_official("A Station, B Station") == ()


def test_stops_list_extraction():
    text = "Stops: [Campo Grande, Alvalade, Roma (Metro), Areeiro, ..., and Olaias]."
    assert extract_stops(text) == ("Campo Grande", "Alvalade", "Roma (Metro)", "Areeiro", "Olaias")
    assert extract_stops("stops : [a, [b], c") == ("a", "[b]", "c")
    assert extract_stops("no list") == ()
