"""The JSONL results store: partial lines from a killed writer are cut and redone, nothing is duplicated."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rewardmap.evaluation.store import ResultsWriter, read_records


def test_append_and_reopen(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as w:
        w.append({"id": "a", "x": 1})
        w.append({"id": "b", "x": "é"})
    with ResultsWriter(path) as w:
        assert w.done == {"a", "b"} and w.repaired == 0
    assert [r["id"] for r in read_records(path)] == ["a", "b"]
    assert path.read_text(encoding="utf-8").count("\n") == 2


def test_partial_last_line_is_cut_and_redone(tmp_path):
    path = tmp_path / "r.jsonl"
    full = json.dumps({"id": "a", "v": 1}) + "\n"
    torn = json.dumps({"id": "b", "v": 2})[:-7]  # killed mid-write: no closing brace, no newline
    path.write_text(full + torn, encoding="utf-8")
    assert [r["id"] for r in read_records(path)] == ["a"]
    with ResultsWriter(path) as w:
        assert w.done == {"a"} and w.repaired == len(torn)
        w.append({"id": "b", "v": 2})
    assert path.read_text(encoding="utf-8") == full + json.dumps({"id": "b", "v": 2}, separators=(",", ":")) + "\n"


def test_garbage_last_line_with_newline_is_cut(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id":"a"}\n{"id":"b",\n')
    with ResultsWriter(path) as w:
        assert w.done == {"a"} and w.repaired == len(b'{"id":"b",\n')
    assert path.read_bytes() == b'{"id":"a"}\n'


def test_redone_record_replaces_the_earlier_one(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as w:
        w.append({"id": "a", "error": "HTTP 500"})
        w.append({"id": "b"})
        w.append({"id": "a", "error": None})
    recs = read_records(path)
    assert [r["id"] for r in recs] == ["a", "b"] and recs[0]["error"] is None


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=30), min_size=1, max_size=8), cut=st.floats(0, 1))
def test_kill_at_any_byte_keeps_exactly_the_complete_records(tmp_path_factory, texts, cut):
    """Truncate the file at any byte (what a kill during a write can leave), reopen, finish: every record once."""
    path = tmp_path_factory.mktemp("cut") / "r.jsonl"
    recs = [{"id": str(i), "response": t} for i, t in enumerate(texts)]
    with ResultsWriter(path) as w:
        for r in recs:
            w.append(r)
    data = path.read_bytes()
    n = int(cut * len(data))
    path.write_bytes(data[:n])
    complete = data[:n].count(b"\n")  # records whose newline made it to disk
    with ResultsWriter(path) as w:
        assert w.done == {str(i) for i in range(complete)}
        for r in recs:
            if r["id"] not in w.done:
                w.append(r)
    assert read_records(path) == recs
    assert path.read_bytes() == data
