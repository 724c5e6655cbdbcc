"""Backends: model specs, the OpenAI-compatible client against serve-sim (retries, timeouts, API key), vLLM's
clear failure, reasoning extraction. Nothing here imports torch."""

from __future__ import annotations

import sys

import pytest

from rewardmap.errors import ConfigError
from rewardmap.evaluation import extract_answer, make_backend, parse_model_spec
from rewardmap.evaluation.backends import ImageRef, OpenAIBackend, Prompt, RetryPolicy
from rewardmap.evaluation.server import Faults, SimServer
from rewardmap.evaluation.simulator import SimulatedModel

ROWS = [{"type": "TorF1", "question": f"Is {i} on the same line?", "answer": i % 2} for i in range(24)]
FAST = RetryPolicy(max_retries=3, backoff_s=0.01, max_backoff_s=0.05)


def test_model_specs():
    assert parse_model_spec("hf:/m/qwen").kind == "hf"
    s = parse_model_spec("openai:Qwen/Qwen2.5-VL-7B@http://127.0.0.1:8000/v1")
    assert (s.kind, s.path, s.url) == ("openai", "Qwen/Qwen2.5-VL-7B", "http://127.0.0.1:8000/v1")
    for bad in ("qwen", "torch:/x", "hf:", "openai:model", "openai:m@ftp://x"):
        with pytest.raises(ConfigError):
            parse_model_spec(bad)


def test_vllm_absent_fails_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    with pytest.raises(ConfigError, match="vLLM, which is not installed"):
        make_backend("vllm:/some/model")


def test_importing_evaluation_stays_light():
    import subprocess

    code = "import rewardmap.evaluation, sys; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_client_answers_with_image_and_counts_tokens():
    from PIL import Image

    img = Image.new("RGB", (64, 48), "white")
    with SimServer(SimulatedModel(ROWS)) as srv:
        b = OpenAIBackend("sim", srv.url, concurrency=4, retry=FAST)
        outs = b.generate([Prompt(r["question"], ImageRef("map", lambda: img)) for r in ROWS])
        b.close()
        assert srv.stats["with_image"] == len(ROWS)
    assert [o.text.endswith("{yes}" if r["answer"] else "{no}") for o, r in zip(outs, ROWS)] == [True] * len(ROWS)
    assert all(o.error is None and o.attempts == 1 and o.tokens and o.tokens > 0 for o in outs)


def test_http_errors_are_retried_then_succeed():
    with SimServer(SimulatedModel(ROWS), faults=Faults(fail_first=2)) as srv:
        b = OpenAIBackend("sim", srv.url, concurrency=8, retry=FAST)
        outs = b.generate([Prompt(r["question"]) for r in ROWS])
        b.close()
    assert all(o.error is None and o.attempts == 3 for o in outs)
    assert srv.stats["failed"] == 2 * len(ROWS)


def test_persistent_failures_are_reported_per_sample():
    with SimServer(SimulatedModel(ROWS), faults=Faults(fail_first=99)) as srv:
        b = OpenAIBackend("sim", srv.url, concurrency=8, retry=FAST)
        outs = b.generate([Prompt(r["question"]) for r in ROWS] + [Prompt("not in the dataset")])
        b.close()
    assert all(o.text == "" and "HTTP 500" in o.error and o.attempts == 4 for o in outs[:-1])
    assert "HTTP 500" in outs[-1].error  # fails like the others; 400 "not found" would not be retried


def test_unknown_question_is_not_retried():
    with SimServer(SimulatedModel(ROWS)) as srv:
        b = OpenAIBackend("sim", srv.url, retry=FAST)
        (out,) = b.generate([Prompt("not in the dataset")])
        b.close()
    assert out.attempts == 1 and "HTTP 400" in out.error and "not found" in out.error


def test_timeouts_are_retried_then_reported():
    with SimServer(SimulatedModel(ROWS), faults=Faults(hang_rate=1.0, hang_s=0.6)) as srv:
        b = OpenAIBackend("sim", srv.url, concurrency=2, timeout_s=0.2, retry=RetryPolicy(1, 0.01, 0.01))
        outs = b.generate([Prompt(r["question"]) for r in ROWS[:2]])
        b.close()
    assert all(o.attempts == 2 and o.error.startswith("timeout") for o in outs)


def test_api_key_from_env_is_sent_and_never_shown(monkeypatch):
    monkeypatch.setenv("REWARDMAP_API_KEY", "sk-secret-123")
    with SimServer(SimulatedModel(ROWS), api_key="sk-secret-123") as srv:
        good = OpenAIBackend("sim", srv.url, retry=FAST)
        assert "sk-secret" not in repr(good) and good.has_api_key
        assert good.generate([Prompt(ROWS[0]["question"])])[0].error is None
        good.close()
        monkeypatch.setenv("OTHER_KEY", "wrong")
        bad = OpenAIBackend("sim", srv.url, retry=FAST, api_key_env="OTHER_KEY")
        out = bad.generate([Prompt(ROWS[0]["question"])])[0]
        bad.close()
    assert "HTTP 401" in out.error and out.attempts == 1


@pytest.mark.parametrize(("mode", "text", "want"), [
    ("none", "<think>x</think>ans", "<think>x</think>ans"),
    ("auto", "<think>draft</think>\nfinal", "final"),
    ("auto", "plain", "plain"),
    ("think", "thoughts◁/think▷ answer", "answer"),
    ("qvq", "so \\boxed{\\text{Route Name: Line 1}}", "Route Name: Line 1"),
])
def test_reasoning_extraction(mode, text, want):
    assert extract_answer(text, mode) == want


def test_unknown_reasoning_mode():
    with pytest.raises(ConfigError):
        extract_answer("x", "magic")
