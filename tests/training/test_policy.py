from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def test_tiny_policy_reloads_with_autoprocessor_and_chat_template(tiny_policy_dir):
    from transformers import AutoProcessor

    from rewardmap.models.processor import register_processor
    from rewardmap.models.tiny import build_tiny_qwen25vl
    from rewardmap.training.policy import load_policy

    register_processor()
    proc = AutoProcessor.from_pretrained(str(tiny_policy_dir))
    assert type(proc).__name__ == "Qwen25VLImageOnlyProcessor"  # not the bare tokenizer
    msgs = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "How many lines?"}]}]
    text = proc.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    assert text == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                    "<|vision_start|><|image_pad|><|vision_end|>How many lines?<|im_end|>\n<|im_start|>assistant\n")
    policy = load_policy(tiny_policy_dir, dtype="float32")
    assert type(policy.model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    # the cache returns the same directory without rebuilding
    stamp = (tiny_policy_dir / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_qwen25vl(tiny_policy_dir) == tiny_policy_dir
    assert (tiny_policy_dir / "model.safetensors").stat().st_mtime_ns == stamp
    gen = json.loads((tiny_policy_dir / "generation_config.json").read_text())
    assert gen["suppress_tokens"] == policy.suppress_tokens


def test_generation_never_samples_vision_tokens(tiny_policy_dir):
    import torch
    from PIL import Image

    from rewardmap.training.policy import load_policy

    policy = load_policy(tiny_policy_dir, dtype="float32")
    msgs = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Is it true?"}]}]
    text = policy.processor.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    inputs = policy.processor(text=[text] * 4, images=[Image.new("RGB", (120, 90), "white")] * 4,
                              return_tensors="pt", padding=True)
    torch.manual_seed(0)
    out = policy.model.generate(**inputs, do_sample=True, temperature=5.0, max_new_tokens=48, min_new_tokens=48)
    new = out[:, inputs["input_ids"].shape[1]:]
    assert not set(new.flatten().tolist()) & set(policy.suppress_tokens)


def test_lora_targets_language_blocks_and_projector_and_freeze_vision(tiny_policy_dir):
    from rewardmap.training.config import LoraSettings
    from rewardmap.training.policy import load_policy, lora_target_modules

    base = load_policy(tiny_policy_dir, dtype="float32").model
    names = lora_target_modules(base, "language+projector")
    assert any(".merger." in n for n in names)
    assert any("language_model" in n and n.endswith("q_proj") for n in names)
    assert not any(".visual.blocks" in n for n in names)
    policy = load_policy(tiny_policy_dir, dtype="float32", lora=LoraSettings(rank=4), freeze_vision=True)
    trainable = [n for n, p in policy.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    frozen = load_policy(tiny_policy_dir, dtype="float32", freeze_vision=True).model
    grads = {n: p.requires_grad for n, p in frozen.named_parameters()}
    assert not any(v for n, v in grads.items() if ".visual.blocks" in n)
    assert all(v for n, v in grads.items() if ".merger." in n or "language_model" in n)
