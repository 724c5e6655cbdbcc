"""The Hugging Face backend with the tiny offline Qwen2.5-VL of the training subsystem (random weights: the test
checks the mechanics — batching, images, token counts, records — not the answers)."""

from __future__ import annotations

import json

import pytest

from rewardmap.evaluation.runner import EvalOptions, run_eval
from rewardmap.evaluation.samples import Subset

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("transformers")
    from rewardmap.models.tiny import build_tiny_qwen25vl

    return build_tiny_qwen25vl(tmp_path_factory.mktemp("tinyvlm") / "model")


@pytest.fixture(scope="module")
def hf(tiny_model):
    from rewardmap.evaluation.backends import make_backend

    backend = make_backend(f"hf:{tiny_model}", batch_size=2, max_new_tokens=6, max_pixels=224 * 224)
    yield backend
    backend.close()


@pytest.mark.parametrize("text_only", [False, True])
def test_hf_backend_runs_the_tiny_vlm(tiny_model, hf, synth_dataset, tmp_path, text_only):
    out = tmp_path / "hf"
    opts = EvalOptions(benchmark="reasonmap-plus", data=str(synth_dataset / "reasonmap-plus"),
                       model=f"hf:{tiny_model}", out=str(out), subset=Subset(limit=3), max_new_tokens=6,
                       batch_size=2, max_pixels=224 * 224, text_only=text_only, progress=False)
    summary = run_eval(opts, backend=hf, log=lambda m: None)
    recs = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 3 and summary["overall"]["n"] == 3
    for r in recs:
        assert r["error"] is None, r["error"]
        assert isinstance(r["response"], str) and 0 < r["tokens"] <= 6 and r["latency_s"] > 0
        assert isinstance(r["correct"], bool) and "parsed" in r


def test_hf_backend_greedy_is_deterministic(hf):
    from PIL import Image

    from rewardmap.evaluation.backends import ImageRef, Prompt

    img = Image.new("RGB", (200, 150), "white")
    b = hf
    prompts = [Prompt("How many lines pass through Alpha Station?", ImageRef("m", lambda: img)),
               Prompt("Is Bravo Station on Line 2?", ImageRef("m", lambda: img))]
    a, c = b.generate(prompts), b.generate(prompts)
    assert [g.text for g in a] == [g.text for g in c]
    # batched generation equals one-by-one generation (left padding)
    assert [g.text for g in a] == [b.generate([p])[0].text for p in prompts]
