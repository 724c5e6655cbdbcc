"""GPU path (skipped without CUDA): bf16 GRPO steps on a mid-sized Qwen2.5-VL with random weights."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def test_grpo_steps_on_cuda_in_bf16(tmp_path):
    from rewardmap.models.tiny import TinyPolicySpec, build_tiny_qwen25vl
    from rewardmap.training.config import load_config
    from rewardmap.training.engines.trl import run_grpo

    from .standin import stand_in_dataset

    spec = TinyPolicySpec(hidden_size=512, intermediate_size=1024, num_layers=4, num_heads=8, num_kv_heads=2,
                          vision_hidden_size=256, vision_depth=2, vision_heads=4)
    model_dir = build_tiny_qwen25vl(tmp_path / "policy", spec)
    cfg = load_config(None, [f"run.output_dir={tmp_path / 'run'}", f"model.path={model_dir}", "model.dtype=bfloat16",
                             "grpo.num_generations=4", "grpo.prompts_per_step=2", "grpo.max_completion_length=16",
                             "curriculum.preset=coarse", "curriculum.steps_per_stage=1", "run.progress=false",
                             "run.report_to=[]"])
    torch.cuda.reset_peak_memory_stats()
    result = run_grpo(cfg, stand_in_dataset(), lambda p: ([lambda completions, **kw: [float(len(c[0]["content"]))
                                                                                      for c in completions]], None))
    assert [s.stage for s in result.steps] == ["plus", "planning"]
    assert all("reward" in s.metrics for s in result.steps)
    assert torch.cuda.max_memory_allocated() > 0
