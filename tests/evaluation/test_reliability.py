"""The evaluation runner never lies about a run (issue 13, F9–F12, F16; issue 15 item 1): odd replies of a real
(misbehaving) 127.0.0.1 server become recorded sample errors, ``--timeout`` is a deadline per attempt, one output
folder has one writer at a time, failed samples make the exit status non-zero, finalisation is linear, and ``eval``
waits briefly for a local server that is still starting."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from misbehaving_servers import CannedServer, DripServer

from rewardmap.errors import ConfigError
from rewardmap.evaluation.backends import OpenAIBackend, Prompt, RetryPolicy
from rewardmap.evaluation.runner import EvalOptions, make_record, run_eval
from rewardmap.evaluation.samples import Subset, build_samples
from rewardmap.evaluation.server import Faults, SimServer
from rewardmap.evaluation.simulator import SimulatedModel, load_sim_rows

NO_RETRY = RetryPolicy(max_retries=0, backoff_s=0.01, max_backoff_s=0.01)


def _ok(content: str = "\\\\boxed{yes}", usage: str = '{"completion_tokens": 3}') -> bytes:
    return (f'{{"choices":[{{"message":{{"role":"assistant","content":"{content}"}}}}],"usage":{usage}}}').encode()


#: (name, raw reply body, what the record must show: "error" = recorded error, "no_tokens" = answer kept without a
#: token count, "ok" = a normal answer)
ODD_REPLIES = [
    ("message is a string", b'{"choices":[{"message":"\\\\boxed{yes}"}]}', "error"),
    ("usage is a number", _ok(usage="5"), "no_tokens"),
    ("token count inf", _ok(usage='{"completion_tokens": Infinity}'), "no_tokens"),
    ("token count NaN", _ok(usage='{"completion_tokens": NaN}'), "no_tokens"),
    ("token count 1e400", _ok(usage='{"completion_tokens": 1e400}'), "no_tokens"),
    ("token count negative", _ok(usage='{"completion_tokens": -4}'), "no_tokens"),
    ("content part text is a number", b'{"choices":[{"message":{"content":[{"type":"text","text":5}]}}]}', "error"),
    ("content part is a number", b'{"choices":[{"message":{"content":[7]}}]}', "error"),
    ("content is an object", b'{"choices":[{"message":{"content":{"a":1}}}]}', "error"),
    ("reasoning_content is a number", b'{"choices":[{"message":{"content":"x","reasoning_content":3}}]}', "error"),
    ("choices is empty", b'{"choices":[]}', "error"),
    ("body is a list", b"[1, 2]", "error"),
    ("body is null", b"null", "error"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "error"),
    ("invalid UTF-8", b'{"choices":[{"message":{"content":"\xff\xfe"}}]}', "error"),
    ("lone surrogate", _ok(content="\\ud800 \\\\boxed{yes}"), "ok"),
    ("a normal reply", _ok(), "ok"),
]


def _plus_opts(ds, url, out, n, **kw):
    kw.setdefault("max_retries", 0)
    kw.setdefault("backoff_s", 0.01)
    return EvalOptions(benchmark="reasonmap-plus", data=str(ds / "reasonmap-plus"), model=f"openai:m@{url}",
                       out=str(out), progress=False, text_only=True, subset=Subset(limit=n, sample="first"), **kw)
    # first rows, not a stratified draw: a stratified one takes Counting3, whose text is the same in every city, so
    # the simulator cannot tell the cities apart without the map (text-only) and these tests expect right answers


# ---------------------------------------------------------------------------------------------------- F9
def test_odd_replies_become_recorded_errors_and_the_run_goes_on(synth_dataset, tmp_path):
    bodies = [b for _, b, _ in ODD_REPLIES]
    with CannedServer(bodies) as srv:
        summary = run_eval(_plus_opts(synth_dataset, srv.url, tmp_path / "odd", len(bodies), concurrency=1),
                           log=lambda m: None)
    raw = (tmp_path / "odd" / "results.jsonl").read_bytes()
    raw.decode("utf-8")  # strict: the results file is valid UTF-8
    recs = [json.loads(line) for line in raw.splitlines()]
    assert len(recs) == len(bodies) == summary["run"]["samples"]
    for (name, _, want), rec in zip(ODD_REPLIES, recs):  # concurrency 1: replies come back in order
        if want == "error":
            assert rec["error"] and not rec["correct"], name
            assert "expected" in rec["error"] or "not JSON" in rec["error"], (name, rec["error"])
        else:
            assert rec["error"] is None, (name, rec["error"])
            assert (rec["tokens"] is None) == (want == "no_tokens"), (name, rec["tokens"])
    surrogate = recs[[n for n, _, _ in ODD_REPLIES].index("lone surrogate")]
    assert surrogate["response"].startswith("\ufffd")
    assert summary["run"]["errors"] == sum(w == "error" for _, _, w in ODD_REPLIES)


def test_writer_never_fails_on_a_lone_surrogate(tmp_path):
    from rewardmap.evaluation.store import ResultsWriter, read_records

    with ResultsWriter(tmp_path / "r.jsonl") as w:
        w.append({"id": "a", "response": "ok \ud800 \udfff", "nested": {"k\udc80": ["\ud83d"]}})
    (rec,) = read_records(tmp_path / "r.jsonl")
    assert rec["response"] == "ok \ufffd \ufffd" and rec["nested"] == {"k\ufffd": ["\ufffd"]}


def test_a_scorer_that_raises_on_some_answer_costs_that_sample_only(synth_dataset, tmp_path, monkeypatch):
    from rewardmap.evaluation import runner

    real = runner.score_sample

    def fragile(sample, answer, **kw):  # a scorer bug triggered by one particular answer
        if "BOOM" in answer:
            raise OverflowError("cannot convert float infinity to integer")
        return real(sample, answer, **kw)

    monkeypatch.setattr(runner, "score_sample", fragile)
    with CannedServer([_ok(content="BOOM"), _ok()]) as srv:
        s = run_eval(_plus_opts(synth_dataset, srv.url, tmp_path / "b", 4, concurrency=1), log=lambda m: None)
    recs = [json.loads(x) for x in (tmp_path / "b" / "results.jsonl").read_text().splitlines()]
    assert [r["error"] for r in recs] == ["scoring failed: OverflowError: cannot convert float infinity to integer",
                                          None] * 2
    assert recs[0]["response"] == "BOOM" and not recs[0]["correct"] and s["run"]["errors"] == 2


def test_an_oversized_reply_is_an_error_not_a_memory_blowup(monkeypatch):
    from rewardmap.evaluation.backends import openai_compat

    monkeypatch.setattr(openai_compat, "MAX_REPLY_BYTES", 1000)
    with CannedServer([_ok(content="x" * 5000), _ok()]) as srv:
        b = OpenAIBackend("m", srv.url, concurrency=1, retry=NO_RETRY)
        big, small = b.generate([Prompt("a"), Prompt("b")])
        b.close()
    assert big.error and "over 1000 bytes" in big.error and big.attempts == 1
    assert small.error is None and small.text == "\\boxed{yes}"


# ---------------------------------------------------------------------------------------------------- F10
@pytest.mark.parametrize("drip", ["body", "headers"])
def test_timeout_is_a_deadline_per_attempt(drip):
    # one byte every 0.3 s: each socket read is well inside 1 s, the whole reply would take 9 s
    with DripServer(interval_s=0.3, max_bytes=30, drip=drip) as srv:
        b = OpenAIBackend("m", srv.url, timeout_s=1.0, retry=RetryPolicy(max_retries=1, backoff_s=0.01))
        t0 = time.monotonic()
        (g,) = b.generate([Prompt("q")])
        elapsed = time.monotonic() - t0
        b.close()
    assert g.error and g.error.startswith("timeout") and "1 s" in g.error, g.error
    assert g.attempts == 2 and elapsed < 3.5, elapsed  # two attempts of at most ~1 s each


# ---------------------------------------------------------------------------------------------------- F11
LOCK_HOLDER = """
import sys, time
from rewardmap.evaluation.store import OutputLock
lock = OutputLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(30)
"""


def test_a_second_writer_is_refused_naming_the_holder_and_a_dead_holder_does_not_block(tmp_path):
    from rewardmap.evaluation.store import OutputLock

    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=rf"pid {holder.pid} on {socket.gethostname()}") as exc:
            OutputLock(out).acquire()
        assert str(out) in str(exc.value) and "another --out" in str(exc.value)
    finally:
        holder.kill()  # SIGKILL: the lock file stays behind with a dead pid in it
        holder.wait(10)
    assert str(holder.pid) in (out / OutputLock.NAME).read_text()
    lock = OutputLock(out)
    lock.acquire()  # the dead holder's lock is not in the way
    assert str(os.getpid()) in (out / OutputLock.NAME).read_text()
    lock.release()


@pytest.mark.integration
def test_two_eval_processes_on_one_out(synth_dataset, tmp_path):
    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    out = tmp_path / "run"
    results = out / "results.jsonl"
    with SimServer(SimulatedModel(rows, root=synth_dataset), faults=Faults(delay_s=0.05)) as srv:
        cmd = [sys.executable, "-m", "rewardmap.cli", "eval", "--benchmark", "reasonmap-plus", "--data",
               str(synth_dataset / "reasonmap-plus"), "--model", f"openai:sim@{srv.url}", "--out", str(out),
               "--text-only", "--limit", "40", "--concurrency", "1", "--quiet"]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 60
        while not (results.exists() and results.read_bytes().count(b"\n") >= 1):
            assert time.monotonic() < end and first.poll() is None, "the first eval did not start writing"
            time.sleep(0.05)
        second = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        _, err1 = first.communicate(timeout=60)
    assert second.returncode != 0 and f"pid {first.pid}" in second.stderr, second.stderr
    assert first.returncode == 0, err1
    ids = [json.loads(x)["id"] for x in results.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 40


# ---------------------------------------------------------------------------------------------------- F12
def test_failed_samples_make_the_exit_status_non_zero(synth_dataset, tmp_path, capsys):
    from rewardmap.cli import main

    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    args = ["eval", "--benchmark", "reasonmap-plus", "--data", str(synth_dataset / "reasonmap-plus"),
            "--out", str(tmp_path / "f"), "--text-only", "--limit", "4", "--max-retries", "0", "--concurrency", "1"]
    with SimServer(SimulatedModel(rows, root=synth_dataset), faults=Faults(fail_first=1)) as srv:
        rc = main([*args, "--model", f"openai:sim@{srv.url}", "--quiet"])
        err = capsys.readouterr().err
        assert rc == 3 and "4 of 4 samples failed" in err and "--retry-errors" in err, err
        # a re-run without --retry-errors asks nothing and still says so
        assert main([*args, "--model", f"openai:sim@{srv.url}", "--quiet"]) == 3
        capsys.readouterr()
        assert main([*args, "--model", f"openai:sim@{srv.url}", "--retry-errors"]) == 0  # second attempt: answered
    assert "failed" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------- F16
def _finalise_seconds(plus_rows, n, tmp_path) -> float:
    """Wall time of a resumed run with ``n`` samples already recorded: only the finalisation runs."""
    rows = [dict(plus_rows[i % len(plus_rows)]) for i in range(n)]
    samples = build_samples(rows, "reasonmap-plus")
    out = tmp_path / f"fin{n}"
    out.mkdir()
    metrics = {"correct": True, "parsed": "yes", "weight": 1.0}
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for s in samples:
            rec = make_record(s, "\\boxed{yes}", "\\boxed{yes}", metrics, tokens=1, latency_s=0.0, attempts=1,
                              error=None, benchmark="reasonmap-plus")
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    o = EvalOptions(benchmark="reasonmap-plus", data=str(tmp_path), model="openai:m@http://127.0.0.1:9/v1",
                    out=str(out), progress=False)
    t0 = time.perf_counter()
    s = run_eval(o, rows=rows, log=lambda m: None)
    assert s["run"]["samples"] == n and s["run"]["written_now"] == 0
    return time.perf_counter() - t0


def test_finalisation_is_linear(plus_rows, tmp_path):
    small = _finalise_seconds(plus_rows, 2_000, tmp_path)
    large = _finalise_seconds(plus_rows, 8_000, tmp_path)
    # linear: ~4×; the old per-record set rebuild was quadratic (~16×, about 5 s for 8,000 samples)
    assert large < 6 * small + 0.5, (small, large)


# ---------------------------------------------------------------------------------------------------- issue 15
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_eval_waits_briefly_for_a_local_server_that_is_starting(synth_dataset, tmp_path):
    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    port = _free_port()
    started: list[SimServer] = []

    def start_late():
        time.sleep(1.5)
        started.append(SimServer(SimulatedModel(rows, root=synth_dataset), port=port).start())

    t = threading.Thread(target=start_late)
    t.start()
    logs: list[str] = []
    try:
        s = run_eval(_plus_opts(synth_dataset, f"http://127.0.0.1:{port}/v1", tmp_path / "w", 3), log=logs.append)
    finally:
        t.join()
        for srv in started:
            srv.stop()
    assert s["overall"]["n"] == 3 and s["overall"]["acc"] == 1.0
    assert any("waiting" in m and f"127.0.0.1:{port}" in m for m in logs), logs


def test_a_dead_local_server_is_refused_after_the_bounded_wait(synth_dataset, tmp_path):
    port = _free_port()
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match=r"cannot reach the model server .*waited 1 s") as exc:
        run_eval(_plus_opts(synth_dataset, f"http://127.0.0.1:{port}/v1", tmp_path / "d", 3, connect_wait_s=1.0),
                 log=lambda m: None)
    assert 0.9 < time.monotonic() - t0 < 5
    assert "refused" in str(exc.value)


def test_a_keep_alive_connection_closed_by_the_server_while_idle_is_not_reused(monkeypatch):
    from rewardmap.evaluation.backends import openai_compat

    monkeypatch.setattr(openai_compat, "KEEPALIVE_IDLE_S", 0.2)
    rows = [{"type": "TorF1", "question": "Is A on line 1?", "answer": 1}]
    with SimServer(SimulatedModel(rows), idle_timeout_s=0.5) as srv:
        b = OpenAIBackend("sim", srv.url, concurrency=1, retry=NO_RETRY)
        (first,) = b.generate([Prompt(rows[0]["question"])])
        time.sleep(1.0)  # the server sends its 408 and closes the idle connection meanwhile
        (second,) = b.generate([Prompt(rows[0]["question"])])
        b.close()
    assert first.error is None and second.error is None and second.attempts == 1, second.error


@pytest.mark.parametrize(("flag", "value"), [("--timeout", "0"), ("--timeout", "nan"), ("--wait-for-server", "-1")])
def test_nonsense_time_limits_are_refused(flag, value, tmp_path, capsys):
    from rewardmap.cli import main

    rc = main(["eval", "--benchmark", "reasonmap-plus", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
               "--model", "openai:m@http://127.0.0.1:9/v1", flag, value])
    assert rc == 1 and f"{flag} {value}: expected a finite number of seconds" in capsys.readouterr().err


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["choices", "message", "content", "text", "type", "usage", "completion_tokens",
                         "reasoning_content", "messages", "role", "x"]), children, max_size=5),
    max_leaves=25)


_REPLY = st.builds(lambda content, reasoning, usage, extra: {"choices": [{"message": {
    "content": content, **({"reasoning_content": reasoning} if reasoning != "absent" else {})}}], "usage": usage,
    **extra}, _JSON, st.just("absent") | _JSON, _JSON, st.dictionaries(st.text(max_size=3), _JSON, max_size=2))


@settings(max_examples=400, deadline=None)
@given(_JSON | _REPLY)
def test_any_json_reply_is_parsed_or_refused_by_name(data):
    from rewardmap.evaluation.backends.openai_compat import _HTTPFailure, _parse_completion

    try:
        text, tokens = _parse_completion(data)
    except _HTTPFailure as exc:
        assert "expected" in str(exc)
        return
    assert isinstance(text, str) and (tokens is None or (isinstance(tokens, int) and tokens >= 0))
    text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_any_json_request_body_is_answered_or_refused_by_name(body):
    from rewardmap.evaluation.server import _BadRequest, _parse_chat

    raw = json.dumps(body).encode()
    try:
        obj, question, has_image = _parse_chat(raw)
    except _BadRequest as exc:
        assert "expected" in str(exc)
        return
    assert isinstance(obj, dict) and isinstance(question, str) and isinstance(has_image, bool)
