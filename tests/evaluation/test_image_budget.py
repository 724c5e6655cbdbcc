"""A local model is evaluated at the image budget saved with its processor (issue 15 item 5), and a folder that is
not a model is a one-line error, not a traceback (issue 15 item 4)."""

from __future__ import annotations

import json

from rewardmap.evaluation.runner import DEFAULT_MAX_PIXELS, MODEL_BUDGET, EvalOptions, resolve_image_budget


def _model_dir(tmp_path, processor: dict | None):
    d = tmp_path / "model"
    d.mkdir()
    if processor is not None:
        (d / "preprocessor_config.json").write_text(json.dumps(processor), encoding="utf-8")
    return d


def _opts(model: str, **kw) -> EvalOptions:
    return EvalOptions(benchmark="reasonmap-plus", data="x", model=model, out="y", **kw)


def test_a_trained_model_is_evaluated_at_its_saved_budget(tmp_path):
    d = _model_dir(tmp_path, {"size": {"shortest_edge": 3136, "longest_edge": 224 * 224}})
    opts, source = resolve_image_budget(_opts(f"hf:{d}"))
    assert (opts.min_pixels, opts.max_pixels) == (3136, 224 * 224)
    assert "preprocessor_config.json" in source
    assert opts.identity()["max_pixels"] == 224 * 224  # a resumed run compares the number, not "model"


def test_legacy_keys_command_line_and_remote_models(tmp_path):
    d = _model_dir(tmp_path, {"min_pixels": 100, "max_pixels": 200_000})
    assert resolve_image_budget(_opts(f"hf:{d}"))[0].max_pixels == 200_000
    given, source = resolve_image_budget(_opts(f"hf:{d}", min_pixels=None, max_pixels=999))
    assert given.max_pixels == 999 and "--max-pixels" in source and "set explicitly" in source
    remote, source = resolve_image_budget(_opts("openai:m@http://127.0.0.1:1/v1"))
    assert remote.max_pixels == DEFAULT_MAX_PIXELS and remote.min_pixels is None and "default" in source
    (tmp_path / "b").mkdir()
    bare = _model_dir(tmp_path / "b", None)
    assert resolve_image_budget(_opts(f"hf:{bare}"))[0].max_pixels == DEFAULT_MAX_PIXELS
    assert EvalOptions.__dataclass_fields__["max_pixels"].default == MODEL_BUDGET


def test_a_folder_that_is_not_a_model_is_one_clear_line(tmp_path, capsys):
    from rewardmap.cli import main

    d = tmp_path / "notmodel"
    d.mkdir()
    (d / "notes.txt").write_text("hello", encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": 0, "type": "TorF1", "question": "q", "answer": 1, "country": "x", "city": "y",
                                "difficulty_city": "easy", "figure": "none.png"}) + "\n", encoding="utf-8")
    rc = main(["eval", "--benchmark", "reasonmap-plus", "--data", str(data), "--model", f"hf:{d}",
               "--out", str(tmp_path / "out"), "--text-only", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and "is not a model folder" in err and "config.json" in err


def test_the_budget_of_a_processor_saved_by_transformers_is_read(tmp_path):
    """What our trainers write (``processor.save_pretrained``: transformers 5 nests the image processor in
    ``processor_config.json``) is what the evaluation reads — not only the legacy file."""
    from rewardmap.models.tiny import TinyPolicySpec, build_tiny_qwen25vl
    from rewardmap.training.policy import load_policy

    model = build_tiny_qwen25vl(tmp_path / "tiny", TinyPolicySpec())
    policy = load_policy(model, dtype="float32", min_pixels=56 * 56, max_pixels=224 * 224)
    saved = tmp_path / "saved"
    policy.model.save_pretrained(str(saved))
    policy.processor.save_pretrained(str(saved))
    opts, source = resolve_image_budget(_opts(f"hf:{saved}"))
    assert (opts.min_pixels, opts.max_pixels) == (56 * 56, 224 * 224)
    assert str(saved) in source
