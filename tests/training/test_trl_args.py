"""Every field of the ``grpo`` and ``sft`` blocks reaches TRL's ``GRPOConfig`` / ``SFTConfig`` (field by field), or
is consumed by a named part of the engine. A new field that is not wired fails here."""

from __future__ import annotations

import dataclasses

import pytest

from rewardmap.training.config import GRPOSettings, LoraSettings, RunSettings, SFTSettings

pytest.importorskip("trl")

#: GRPOSettings field → (a non-default value, the GRPOConfig attribute, the value expected there)
GRPO_EXPECTED = {
    "num_generations": (3, "num_generations", 3),
    "prompts_per_step": (4, "per_device_train_batch_size", 12),   # 4 prompts × 3 completions (one process)
    "learning_rate": (3e-5, "learning_rate", 3e-5),
    "weight_decay": (0.05, "weight_decay", 0.05),
    "beta": (0.02, "beta", 0.02),
    "epsilon": (0.3, "epsilon", 0.3),
    "entropy_coef": (0.01, "entropy_coef", 0.01),
    "temperature": (0.7, "temperature", 0.7),
    "top_p": (0.9, "top_p", 0.9),
    "max_completion_length": (77, "max_completion_length", 77),
    "scale_rewards": ("none", "scale_rewards", "none"),
    "loss_type": ("grpo", "loss_type", "grpo"),
    "max_grad_norm": (0.5, "max_grad_norm", 0.5),
    "lr_scheduler_type": ("cosine", "lr_scheduler_type", "cosine"),
    "warmup_ratio": (0.25, "warmup_steps", 0.25),
    "gradient_checkpointing": (True, "activation_checkpointing", True),
    "bf16": (False, "bf16", False),
    "use_vllm": (False, "use_vllm", False),          # True needs vLLM installed; the flag is passed as is
    "vllm_mode": ("server", None, None),              # passed only with use_vllm (checked below)
    "extra": ({"num_completions_to_print": 3, "mask_truncated_completions": True}, "mask_truncated_completions", True),
}

SFT_EXPECTED = {
    "learning_rate": (3e-5, "learning_rate", 3e-5),
    "epochs": (2.0, "num_train_epochs", 2.0),
    "max_steps": (7, "max_steps", 7),
    "batch_size": (3, "per_device_train_batch_size", 3),
    "gradient_accumulation_steps": (5, "gradient_accumulation_steps", 5),
    "lr_scheduler_type": ("linear", "lr_scheduler_type", "linear"),
    "warmup_ratio": (0.2, "warmup_steps", 0.2),
    "extra": ({"max_length": 64}, "max_length", 64),
}
#: SFT fields consumed by the SFT runner rather than SFTConfig (tested in test_recipes: LoRA merge, answer records)
SFT_ELSEWHERE = {"enabled", "lora", "types", "merge_lora"}


def test_every_grpo_field_reaches_grpoconfig(tmp_path):
    from rewardmap.training.engines.trl_args import grpo_args

    assert set(GRPO_EXPECTED) == {f.name for f in dataclasses.fields(GRPOSettings)}, "wire and list new fields"
    settings = GRPOSettings(**{name: value for name, (value, _, _) in GRPO_EXPECTED.items()})
    for name in GRPO_EXPECTED:
        if name == "use_vllm":  # the True case: test_vllm_mode_is_passed_with_vllm
            continue
        assert getattr(settings, name) != getattr(GRPOSettings(), name), f"{name}: pick a non-default value"
    run = RunSettings(seed=11, logging_steps=3)
    args = grpo_args(settings, run, output_dir=tmp_path, max_steps=9, suppress_tokens=[5, 6])
    for name, (_, attr, expected) in GRPO_EXPECTED.items():
        if attr is not None:
            assert getattr(args, attr) == expected, f"grpo.{name} → GRPOConfig.{attr}"
    assert (args.max_steps, args.seed, args.logging_steps) == (9, 11, 3)
    assert args.generation_kwargs == {"suppress_tokens": [5, 6]}
    assert args.shuffle_dataset is False and args.num_iterations == 1 and args.gradient_accumulation_steps == 1


def test_vllm_mode_is_passed_with_vllm(tmp_path, monkeypatch):
    import trl

    from rewardmap.training.engines import trl_args

    seen = {}

    def fake(**kwargs):  # constructing a vLLM GRPOConfig needs vLLM: record the arguments instead
        seen.update(kwargs)

    monkeypatch.setattr(trl, "GRPOConfig", fake)
    trl_args.grpo_args(GRPOSettings(use_vllm=True, vllm_mode="server"), RunSettings(), output_dir=tmp_path,
                       max_steps=1)
    assert seen["use_vllm"] is True and seen["vllm_mode"] == "server"


def test_prompts_split_across_processes_keep_whole_groups(tmp_path, monkeypatch):
    from rewardmap.errors import ConfigError
    from rewardmap.training.engines.trl_args import grpo_args

    monkeypatch.setenv("WORLD_SIZE", "2")
    settings = GRPOSettings(num_generations=4, prompts_per_step=6)
    # per process: 3 whole prompts × 4 completions (TrainingArguments itself is not built multi-process here)
    monkeypatch.setattr("trl.GRPOConfig", lambda **kw: kw)
    assert grpo_args(settings, RunSettings(), output_dir=tmp_path, max_steps=1)["per_device_train_batch_size"] == 12
    with pytest.raises(ConfigError, match="not divisible by the 2 processes"):
        grpo_args(GRPOSettings(num_generations=4, prompts_per_step=3), RunSettings(), output_dir=tmp_path,
                  max_steps=1)


def test_every_sft_field_reaches_sftconfig(tmp_path):
    from rewardmap.training.engines.trl_args import sft_args

    names = {f.name for f in dataclasses.fields(SFTSettings)}
    assert set(SFT_EXPECTED) | SFT_ELSEWHERE == names, "wire and list new fields"
    settings = SFTSettings(**{name: value for name, (value, _, _) in SFT_EXPECTED.items()},
                           lora=LoraSettings(rank=2))
    args = sft_args(settings, RunSettings(seed=5), output_dir=tmp_path)
    for name, (_, attr, expected) in SFT_EXPECTED.items():
        assert getattr(args, attr) == expected, f"sft.{name} → SFTConfig.{attr}"
    assert args.seed == 5
