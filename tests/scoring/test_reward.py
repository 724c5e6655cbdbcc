"""The RewardMap reward: the worked detail table (paper-spec §3.3), presets, weights, row errors."""

from __future__ import annotations

import json

import pytest
from scoring_helpers import SCORING_LINES, answer, planning_row

from rewardmap.errors import DataError, RewardMapError
from rewardmap.scoring import RewardConfig, difficulty_weight, score_response
from rewardmap.scoring.stations import NetworkCache

# (question transfers, origin, destination, answer legs, detail, acc) — paper-spec §3.3, in table order.
WORKED_TABLE = [
    (0, "A Station", "C Station", [("Line 1", "A Station", "C Station")], 1, True),
    (0, "B Station", "D Station", [("Line 2", "B Station", "G Station"), ("Line 3", "G Station", "D Station")], -8,
     True),
    (1, "A Station", "F Station", [("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "F Station")], 4,
     True),
    (1, "B Station", "D Station", [("Line 1", "B Station", "D Station")], 5, True),
    (2, "A Station", "I Station", [("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "G Station"),
                                   ("Line 3", "G Station", "I Station")], 8, True),
    (0, "A Station", "C Station", [("Line 9", "A Station", "C Station")], -3, False),
    (1, "A Station", "F Station", [("Line 1", "C Station", "B Station"), ("Line 2", "B Station", "F Station")], 0,
     False),
]


@pytest.mark.parametrize(("q", "s1", "s2", "legs", "detail", "acc"), WORKED_TABLE)
def test_official_detail_reproduces_the_worked_table(q, s1, s2, legs, detail, acc):
    b = score_response(answer(*legs), planning_row(s1, s2, q), "official")
    assert b.detail == detail
    assert b.correct is acc
    weight = 1.0 + (0.5 if q > 0 else 0.0)
    assert b.weight == weight
    assert b.total == pytest.approx(weight * (10.0 * acc + 0.5 * detail))


def test_worked_table_values_in_order():
    got = [score_response(answer(*legs), planning_row(s1, s2, q)).detail for q, s1, s2, legs, _, _ in WORKED_TABLE]
    assert got == [1, -8, 4, 5, 8, -3, 0]


def test_paper_detail_follows_algorithm_1():
    # one right section, q = 0: +2 endpoints, +4 first line correct, no penalty
    b = score_response(answer(("Line 1", "A Station", "C Station")), planning_row("A Station", "C Station", 0),
                       "paper")
    assert b.detail == 6
    # 2 sections, q = 1: +2, +4 (first section on its line), +1 transfer; no penalty since i=1 is not > 1
    b = score_response(answer(("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "F Station")),
                       planning_row("A Station", "F Station", 1), "paper")
    assert b.detail == 7
    # OR on endpoints: only the origin matches → still +2 (the official AND gives 0)
    legs = [("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "E Station")]
    row = planning_row("A Station", "F Station", 1)
    assert score_response(answer(*legs), row, "paper").detail == 7
    assert score_response(answer(*legs), row, "official").detail == 0


def test_paper_preset_has_a_format_term_and_baseline_has_no_detail_and_no_weight():
    text = answer(("Line 1", "A Station", "C Station"))
    row = planning_row("A Station", "C Station", 0, difficulty="hard")
    paper = score_response(text, row, "paper")
    assert paper.format == 1.0 and paper.weight == 1.5
    assert paper.total == pytest.approx(1.5 * (1 + 10 + 0.5 * 6))
    base = score_response(text, row, "baseline")
    assert (base.format, base.correctness, base.detail, base.weight, base.total) == (1.0, 10.0, 0.0, 1.0, 11.0)
    # unparsable answer: no format point, nothing else
    assert score_response("Take the red line.", row, "baseline").total == 0.0


def test_weighting_none_reports_w_but_does_not_apply_it():
    row = {"type": "TorF2", "answer": 0, "difficulty_city": "hard"}
    cfg = RewardConfig.preset("official", weighting="none")
    b = score_response("\\boxed{no}", row, cfg)
    assert (b.total, b.weight) == (10.0, 1.5)
    assert score_response("\\boxed{no}", row).total == 15.0


@pytest.mark.parametrize(("task", "gold", "response", "correct"), [
    ("TorF1", 1, "They share Line 2, so \\boxed{Yes}", True),
    ("TorF1", 0, "\\boxed{yes}", False),
    ("TorF2", 0, "The answer is no.", True),
    ("Counting1", 2, "Counting the stops... \\boxed{C}", True),
    ("Counting1", 2, "\\boxed{C) 2}", False),  # official: the whole "c)2" is not a letter
    ("Counting2", 3, "\\boxed{3}", True),
    ("Counting3", 22, "There are \\boxed{22} lines", True),
    ("Counting3", 22, "\\boxed{21}", False),
    ("Counting2", 3, "\\boxed{3 lines}", False),  # official int() fails
])
def test_plus_correctness_official(task, gold, response, correct):
    b = score_response(response, {"type": task, "answer": gold, "difficulty_city": "easy"})
    assert b.correct is correct
    assert b.total == (10.0 if correct else 0.0)
    assert b.detail == 0.0


def test_tolerant_parse_accepts_variants_the_official_one_rejects():
    cfg = RewardConfig.preset("official", parse="tolerant")
    row = {"type": "Counting2", "answer": 3, "difficulty_city": "easy"}
    assert not score_response("\\boxed{3 lines}", row).correct
    assert score_response("\\boxed{3 lines}", row, cfg).correct
    row = {"type": "TorF1", "answer": 1, "difficulty_city": "easy"}
    assert score_response("**Answer:** **Yes**", row, cfg).correct
    row = planning_row("A Station", "C Station", 0)
    bold = "**Route Name：** Line 1\n**Departure Stop：** A Station\n**arrival stop:** C Station\nThat is all."
    assert not score_response(bold, row).correct
    assert score_response(bold, row, cfg).correct


def test_difficulty_weight_gamma_beta():
    assert difficulty_weight({"type": "TorF1", "difficulty_city": "easy"}) == 1.0
    assert difficulty_weight({"type": "Counting1", "difficulty_city": "middle"}) == 1.2
    assert difficulty_weight({"type": "Counting3", "difficulty_city": "hard"}) == 1.5
    assert difficulty_weight(planning_row("A", "B", 0, "hard")) == 1.5
    assert difficulty_weight(planning_row("A", "B", 2, "hard")) == 2.0
    cfg = RewardConfig.preset("official", gamma=(1.0, 1.5, 2.0), beta=(0.0, 0.8))
    assert difficulty_weight(planning_row("A", "B", 1, "middle"), cfg) == pytest.approx(2.3)


@pytest.mark.parametrize(("row", "column"), [
    ({"type": "Routing", "answer": 1, "difficulty_city": "easy"}, "type"),
    ({"type": "TorF1", "answer": 1, "difficulty_city": "medium-ish"}, "difficulty_city"),
    ({"type": "TorF1", "answer": "maybe", "difficulty_city": "easy"}, "answer"),
    ({"type": "TorF1", "difficulty_city": "easy"}, "answer"),
    (planning_row("A Station", "C Station", 0, json="./stations/nowhere/atlantis.json"), "json"),
    (planning_row("A Station", "C Station", -1), "question_transfer_count"),
    (planning_row("", "C Station", 0), "station_1"),
])
def test_malformed_rows_raise_naming_the_column(row, column):
    with pytest.raises(DataError) as err:
        score_response("\\boxed{yes}", row)
    assert err.value.column == column
    assert column in str(err.value)


def test_json_as_text_path_and_dict_give_the_same_reward(tmp_path):
    path = tmp_path / "stations" / "testland" / "abc.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(SCORING_LINES), encoding="utf-8")
    text = answer(("Line 1", "A Station", "B Station"), ("Line 2", "B Station", "F Station"))
    cache = NetworkCache()
    totals = set()
    for spec, root in ((SCORING_LINES, None), (json.dumps(SCORING_LINES), None), ("./stations/testland/abc.json",
                                                                                  tmp_path)):
        row = planning_row("A Station", "F Station", 1, json=spec)
        totals.add(score_response(text, row, stations_root=root, cache=cache).total)
    assert totals == {1.5 * (10 + 0.5 * 4)}


def test_station_file_is_read_once_per_city(tmp_path, monkeypatch):
    path = tmp_path / "stations" / "testland" / "abc.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(SCORING_LINES), encoding="utf-8")
    cache = NetworkCache()
    row = planning_row("A Station", "C Station", 0, json="./stations/testland/abc.json")
    for _ in range(50):
        score_response(answer(("Line 1", "A Station", "C Station")), row, stations_root=tmp_path, cache=cache)
    assert cache.loads == 1
    path.unlink()  # cached: no further file access
    assert score_response(answer(("Line 1", "A Station", "C Station")), row, stations_root=tmp_path,
                          cache=cache).correct


def test_unknown_preset_and_bad_config_raise():
    with pytest.raises(RewardMapError):
        RewardConfig.preset("fancy")
    with pytest.raises(RewardMapError):
        RewardConfig(detail="sometimes")
    with pytest.raises(RewardMapError):
        RewardConfig.from_dict({"preset": "paper", "alphaa": 0.3})
    assert RewardConfig.from_dict({"preset": "paper", "alpha": 0.3}).alpha == 0.3


def test_counting1_stops_detail_is_optional():
    row = {"type": "Counting1", "answer": 1, "difficulty_city": "easy", "station_1": "A Station",
           "station_2": "D Station", "json": SCORING_LINES}
    text = "Stops: [B Station, C Station, C Station, Z Station]. \\boxed{B}"
    assert score_response(text, row).detail == 0.0
    cfg = RewardConfig.preset("official", counting1_stops_detail=True)
    b = score_response(text, row, cfg)
    assert b.detail == pytest.approx(0.5 + 0.5 - 0.5 - 0.5)
    assert b.total == pytest.approx(10.0)


def test_reasoning_wrapper_is_stripped_when_configured():
    row = planning_row("A Station", "C Station", 0)
    draft = answer(("Line 2", "A Station", "C Station"))
    final = answer(("Line 1", "A Station", "C Station"))
    text = f"<think>maybe\n{draft}\n</think>\n{final}"
    assert not score_response(text, row).correct  # official reads the first section (the draft)
    assert score_response(text, row, RewardConfig.preset("official", strip_reasoning=True)).correct


def test_equal_station_dicts_share_one_network():
    cache = NetworkCache()
    text = answer(("Line 1", "A Station", "C Station"))
    for _ in range(5):
        row = planning_row("A Station", "C Station", 0, json=json.loads(json.dumps(SCORING_LINES)))
        assert score_response(text, row, cache=cache).correct
    assert cache.loads == 1
