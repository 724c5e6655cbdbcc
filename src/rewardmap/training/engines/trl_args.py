"""TRL arguments: ``GRPOConfig`` of a GRPO segment and ``SFTConfig`` of the SFT stage, built from the config blocks,
and the one learning-rate schedule of a run.

Every field of :class:`~rewardmap.training.config.GRPOSettings` and :class:`~rewardmap.training.config.SFTSettings`
lands in the TRL config (``tests/training/test_trl_args.py`` checks each one) or is consumed elsewhere, as noted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError
from rewardmap.training.config import GRPOSettings, RunSettings, SFTSettings
from rewardmap.training.distributed import world_size


def on_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def grpo_args(settings: GRPOSettings, run: RunSettings, *, output_dir: str | Path, max_steps: int,
              suppress_tokens: Sequence[int] = (), report_to: Sequence[str] | str = "none"):
    """The ``GRPOConfig`` of one trainer. One optimizer step = ``prompts_per_step`` prompts × ``num_generations``
    completions, generated and used once (``num_iterations=1``, as ``ppo_epochs=1`` in the released code).

    With several processes each takes ``prompts_per_step / world`` whole prompts with all their completions, so
    a rollout group never spans processes (``prompts_per_step`` must be divisible by the number of processes)."""
    from trl import GRPOConfig

    world = world_size()
    if settings.prompts_per_step % world:
        raise ConfigError(f"grpo.prompts_per_step = {settings.prompts_per_step} is not divisible by the {world} "
                          "processes (each process takes whole rollout groups)")
    cuda = on_cuda()
    bf16 = settings.bf16 if settings.bf16 is not None else cuda
    gen_kwargs = {"suppress_tokens": list(suppress_tokens)} if suppress_tokens else None
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir), max_steps=max_steps,
        per_device_train_batch_size=settings.prompts_per_step // world * settings.num_generations,
        gradient_accumulation_steps=1, num_generations=settings.num_generations,
        learning_rate=settings.learning_rate, weight_decay=settings.weight_decay, beta=settings.beta,
        epsilon=settings.epsilon, entropy_coef=settings.entropy_coef, temperature=settings.temperature,
        top_p=settings.top_p, max_completion_length=settings.max_completion_length,
        scale_rewards=settings.scale_rewards, loss_type=settings.loss_type, max_grad_norm=settings.max_grad_norm,
        lr_scheduler_type=settings.lr_scheduler_type, warmup_steps=settings.warmup_ratio,
        activation_checkpointing=settings.gradient_checkpointing, bf16=bf16, use_cpu=not cuda,
        shuffle_dataset=False, seed=run.seed, logging_steps=run.logging_steps, save_strategy="no",
        report_to=report_to, disable_tqdm=True, generation_kwargs=gen_kwargs, use_vllm=settings.use_vllm,
    )
    if settings.use_vllm:
        kwargs["vllm_mode"] = settings.vllm_mode
    kwargs.update(dict(settings.extra))
    try:
        return GRPOConfig(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"grpo.extra: {exc}") from exc


def sft_args(settings: SFTSettings, run: RunSettings, *, output_dir: str | Path):
    """The ``SFTConfig`` of the SFT stage (``lora``, ``types`` and ``merge_lora`` are applied by the SFT runner)."""
    from trl import SFTConfig

    cuda = on_cuda()
    return SFTConfig(
        output_dir=str(output_dir), learning_rate=settings.learning_rate, num_train_epochs=settings.epochs,
        max_steps=settings.max_steps, per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        lr_scheduler_type=settings.lr_scheduler_type, warmup_steps=settings.warmup_ratio, use_cpu=not cuda,
        bf16=cuda, report_to="none", save_strategy="no", logging_steps=1, max_length=None, seed=run.seed,
        disable_tqdm=True, activation_checkpointing=False,
    )


def warmup_steps(warmup: float, total_steps: int) -> int:
    """transformers' reading of ``warmup_steps``: a value below 1 is a fraction of the run."""
    return int(warmup) if warmup >= 1 else math.ceil(total_steps * warmup)


def make_scheduler(optimizer, settings: GRPOSettings, total_steps: int):
    """The learning-rate schedule of the whole run, over the steps of all stages (handed to every stage's
    trainer, saved in every checkpoint)."""
    from transformers import get_scheduler

    return get_scheduler(settings.lr_scheduler_type, optimizer,
                         num_warmup_steps=warmup_steps(settings.warmup_ratio, total_steps),
                         num_training_steps=total_steps)


def make_optimizer(model, settings: GRPOSettings):
    """AdamW (β = 0.9, 0.999) over the trainable parameters, shared by every stage (released: AdamW, wd 1e-2)."""
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=settings.learning_rate, betas=(0.9, 0.999))
