"""The base policy's generic map-reading questions: right answers (checked against the raw station file, not the
Network the generator used), deterministic, and never one of the six evaluation question types."""

from __future__ import annotations

import json
import re

import pytest

from rewardmap.experiments.reading import TASKS, reading_examples
from rewardmap.metro.io import load_network
from rewardmap.synth.writer import write_cities


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    out = tmp_path_factory.mktemp("mini")
    written = write_cities(out, 3, seed=5, preset="mini")
    tag = re.compile(r"\s*\((Transfer|Branch)[^)]*\)")  # the station file's tags are not part of a name
    return [(w, {line: [tag.sub("", s) for s in stops]
                 for line, stops in json.loads(w.stations.read_text(encoding="utf-8")).items()}) for w in written]


def _examples(cities, per_map=60, seed=0):
    return reading_examples([(load_network(w.stations), str(w.map)) for w, _ in cities], per_map, seed=seed)


def _boxed(answer: str) -> str:
    m = re.fullmatch(r"\\boxed\{(.*)\}", answer, flags=re.S)
    assert m, answer
    return m.group(1)


def test_every_answer_agrees_with_the_raw_station_file(cities):
    raw = {str(w.map): lines for w, lines in cities}
    seen = set()
    for ex in _examples(cities):
        lines = raw[ex.figure]  # {line: [station names, file order]}
        seen.add(ex.task)
        q = ex.question
        if ex.task == "line_stops":
            line = re.search(r"does the line (.+) serve", q).group(1)
            assert _boxed(ex.answer).split(", ") in (lines[line], lines[line][::-1])
        elif ex.task == "station_lines":
            station = re.search(r"which lines stop at (.+)\?$", q).group(1)
            assert set(_boxed(ex.answer).split(", ")) == {k for k, v in lines.items() if station in v}
        elif ex.task == "next_stop":
            a, line, end = re.search(r"after (.+) on the line (.+), going towards (.+)\?$", q).groups()
            stops = lines[line] if lines[line][-1] == end else lines[line][::-1]
            assert stops[-1] == end
            assert stops[stops.index(a) + 1] == _boxed(ex.answer)
        elif ex.task == "on_map":
            station = re.search(r"is (.+) a station of this map\?$", q).group(1)
            here = any(station in v for v in lines.values())
            assert _boxed(ex.answer) == ("yes" if here else "no")
        elif ex.task == "pick_station":
            line = re.search(r"is on the line (.+)\? ", q).group(1)
            options = dict(re.findall(r"\n([ABCD])\) (.+?) (?=\n)", q))
            on = [k for k, v in options.items() if v in lines[line]]
            assert on == [_boxed(ex.answer)]
        elif ex.task == "ride":
            line, a, b = re.search(r"ride the line (.+) from (.+) to (.+)\? Provide only one", q).groups()
            assert a in lines[line] and b in lines[line] and a != b
            assert ex.answer == f"Route Name: {line}\nDeparture Stop: {a}\nArrival Stop: {b}"
            assert "The format should be:\nRoute Name: Line 1\n" in q  # the route question's own instructions
        elif ex.task == "ride2":
            a, c, l1, t, l2 = re.search(r"go from (.+) to (.+) on the line (.+) to (.+), then the line (.+)\? "
                                        r"Provide only one", q).groups()
            assert a in lines[l1] and t in lines[l1] and t in lines[l2] and c in lines[l2]
            assert a not in lines[l2] and c not in lines[l1]
            assert ex.answer == (f"Route Name: {l1}\nDeparture Stop: {a}\nArrival Stop: {t}\n--\n"
                                 f"Route Name: {l2}\nDeparture Stop: {t}\nArrival Stop: {c}")
    assert seen == set(TASKS)


def test_both_yes_and_no_and_every_choice_letter_occur(cities):
    answers = {}
    for ex in _examples(cities):
        answers.setdefault(ex.task, set()).add(ex.answer)
    assert answers["on_map"] == {"\\boxed{yes}", "\\boxed{no}"}
    assert {_boxed(a) for a in answers["pick_station"]} == set("ABCD")


def test_same_seed_same_questions_other_seed_other_questions(cities):
    assert _examples(cities, seed=3) == _examples(cities, seed=3)
    assert _examples(cities, seed=3) != _examples(cities, seed=4)


def test_no_question_is_an_evaluation_question_type(cities):
    # the six evaluation templates' asks (rewardmap.tasks.templates): none may be pre-trained on
    asks = ("how many intermediate stops", "how many lines pass through", "how many subway (metro) lines",
            "is the same line as", "is it true that", "how do I get from")
    for ex in _examples(cities):
        assert not any(a in ex.question for a in asks), ex.question
