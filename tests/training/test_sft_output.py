"""An SFT output counts as finished only when it was completed: written to ``<folder>.tmp``, renamed at the end,
``sft_log.json`` last. A half-written folder is named, removed and redone."""

from __future__ import annotations

import json

from rewardmap.training.sft import SFT_LOG, sft_output_complete


def test_a_finished_sft_output_is_reused(tmp_path):
    out = tmp_path / "sft" / "final"
    out.mkdir(parents=True)
    (out / "config.json").write_text("{}")
    (out / SFT_LOG).write_text(json.dumps({"losses": [1.0], "steps": 1}))
    said = []
    assert sft_output_complete(out, warn=said.append)
    assert out.is_dir() and not said


def test_a_half_written_sft_output_is_named_removed_and_redone(tmp_path):
    out = tmp_path / "sft" / "final"
    out.mkdir(parents=True)
    (out / "config.json").write_text("{}")
    (out / "model.safetensors").write_bytes(b"trunc")  # killed while saving: no sft_log.json
    leftover = out.with_name("final.tmp")
    leftover.mkdir()
    said = []
    assert not sft_output_complete(out, warn=said.append)
    assert not out.exists() and not leftover.exists()
    assert any(str(out) in line and "incomplete" in line for line in said)
    assert any(str(leftover) in line for line in said)
