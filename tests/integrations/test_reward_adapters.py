"""TRL reward functions and the verl compute_score hook (issue 3 item 8)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rewardmap.errors import DataError
from rewardmap.integrations.trl import completion_text, make_reward_funcs
from rewardmap.integrations.verl import compute_score

LINES = {"Line 1": ["A Station", "B Station (Transfer Station)", "C Station"],
         "Line 2": ["D Station", "B Station (Transfer Station)", "E Station"]}
GOOD = "Route Name: Line 1\nDeparture Stop: A Station\nArrival Stop: B Station\n--\n" \
       "Route Name: Line 2\nDeparture Stop: B Station\nArrival Stop: E Station"


def batch():
    """Two prompts × two generations, columns as TRL passes them (one value per completion)."""
    completions = [[{"role": "assistant", "content": "\\boxed{yes}"}], [{"role": "assistant", "content": "no"}],
                   [{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": "Line 1 then 2"}]]
    columns = {"type": ["TorF1", "TorF1", "planning", "planning"], "answer": [1, 1, -1, -1],
               "difficulty_city": ["middle", "middle", "hard", "hard"], "station_1": ["A Station"] * 2 + ["A Station"] * 2,
               "station_2": ["B Station"] * 2 + ["E Station"] * 2, "question_transfer_count": [-1, -1, 1, 1],
               "json": [LINES] * 4, "country": ["x"] * 4, "city": ["y"] * 4}
    return completions, columns


def test_single_reward_function_returns_totals_and_logs_components():
    (f,) = make_reward_funcs("official")
    assert f.__name__ == "rewardmap_official"
    completions, columns = batch()
    logged: dict[str, float] = {}
    out = f(completions, prompts=["p"] * 4, completion_ids=[[1]] * 4, trainer_state=None,
            log_extra=lambda *a: None, log_metric=logged.__setitem__, **columns)
    assert out == pytest.approx([12.0, 0.0, 2.0 * (10 + 0.5 * 4), 0.0])
    assert logged["rewardmap/accuracy/TorF1"] == 0.5 and logged["rewardmap/accuracy/planning"] == 0.5
    assert logged["rewardmap/weight"] == pytest.approx((1.2 + 1.2 + 2.0 + 2.0) / 4)
    assert set(logged) >= {"rewardmap/format", "rewardmap/correctness", "rewardmap/detail", "rewardmap/total"}


def test_split_functions_sum_to_the_total():
    funcs = make_reward_funcs("paper", split=True)
    assert [f.__name__ for f in funcs] == ["rewardmap_format", "rewardmap_correctness", "rewardmap_detail"]
    (total,) = make_reward_funcs("paper")
    completions, columns = batch()
    parts = [f(completions, **columns) for f in funcs]
    assert [sum(p) for p in zip(*parts)] == pytest.approx(total(completions, **columns))


def test_plain_string_completions_and_malformed_rows():
    (f,) = make_reward_funcs("baseline")
    assert f(["\\boxed{3}"], type=["Counting3"], answer=[3], difficulty_city=["easy"]) == [11.0]
    with pytest.raises(DataError):
        f(["\\boxed{3}"], type=["Counting9"], answer=[3], difficulty_city=["easy"])


def test_completion_text_forms():
    assert completion_text("x") == "x"
    assert completion_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]) == "a"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text",
                                                                                              "text": "b"}]}]) == "ab"
    assert completion_text(None) == ""


def test_verl_compute_score():
    out = compute_score("reasonmap", GOOD, -1, {"type": "planning", "difficulty_city": "hard", "station_1": "A Station",
                                                "station_2": "E Station", "question_transfer_count": 1,
                                                "json": LINES})
    assert out["score"] == pytest.approx(2.0 * 12.0) and out["correct"] == 1.0
    assert set(out) >= {"format", "correctness", "detail", "weight"}
    out = compute_score("reasonmap_plus", "\\boxed{B}", 1, {"type": "Counting1", "difficulty_city": "easy"},
                        preset={"preset": "paper", "format_magnitude": 0.5})
    assert out["score"] == 10.5 and out["format"] == 0.5


def test_adapters_do_not_import_torch_trl_or_verl():
    code = ("import sys, rewardmap.integrations.trl, rewardmap.integrations.verl, rewardmap.scoring; "
            "print(sorted(m for m in ('torch', 'trl', 'verl', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
