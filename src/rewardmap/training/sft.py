"""The SFT baseline (and the SFT stage of SFT → RL) on TRL's ``SFTTrainer`` with LoRA.

Released code (paper-spec §5.2): LLaMA-Factory, LoRA rank 8 on all linear layers, lr 1e-5, one epoch, cosine with
10 % warm-up, batch 1 × grad-accum 2, on ReasonMap-Train **without planning rows**; the target is the bare answer
(``A``–``D`` for Counting1, ``yes``/``no`` for TorF, the integer otherwise), the prompt the question after the
image. Paper (§5.1): LoRA on the language blocks and the projector, lr 1e-4. Defaults follow the paper; the yaml's
values are one override away (``sft.learning_rate=1e-5 sft.lora.targets=all-linear``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import TrainerCallback

from rewardmap.errors import ConfigError
from rewardmap.training.config import TrainConfig
from rewardmap.training.policy import LoraSettings, load_policy


@dataclass
class SFTResult:
    """Outcome of :func:`run_sft`."""

    model_dir: Path
    losses: list[float]
    steps: int
    wall_s: float


class _LossBar(TrainerCallback):
    """A progress bar over SFT steps showing the loss (instead of transformers' per-step dict dumps)."""

    bar = None

    def on_train_begin(self, args, state, control, **kwargs):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=state.max_steps, desc="SFT", unit="step")

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(1)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs and self.bar is not None:
            self.bar.set_postfix_str(f"loss {float(logs['loss']):.3f}")

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()


def sft_dataset(train, types) -> object:
    """Prompt/completion records for TRL from a TRL-format training set: the rows of ``types``, completion = the
    bare answer (:func:`rewardmap.data.sft_answer`)."""
    from rewardmap.data import sft_answer
    from rewardmap.tasks.types import TaskType

    wanted = {TaskType.parse(t).value for t in types}
    keep = [i for i, t in enumerate(train["type"]) if TaskType.parse(t).value in wanted]
    if not keep:
        raise ConfigError(f"sft.types: no training rows of type {sorted(wanted)}")
    subset = train.select(keep)

    def to_record(row):
        return {"completion": [{"role": "assistant",
                                "content": [{"type": "text", "text": sft_answer(row["type"], int(row["answer"]))}]}]}

    from datasets.utils.logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled

    was_enabled = is_progress_bar_enabled()
    disable_progress_bar()
    try:
        return subset.map(to_record)
    finally:
        if was_enabled:
            enable_progress_bar()


def run_sft(config: TrainConfig, train, policy_path: str | Path, *, out_dir: str | Path | None = None) -> SFTResult:
    """Fine-tune the policy at ``policy_path`` on the SFT records of ``train``; saves the (merged) model under
    ``out_dir`` (default ``<output_dir>/sft/final``) and returns it."""
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig, SFTTrainer

    hf_logging.disable_progress_bar()  # weight loading/saving bars
    t0 = time.perf_counter()
    s = config.sft
    out = Path(out_dir) if out_dir is not None else Path(config.run.output_dir) / "sft" / "final"
    lora = None if s.lora is None else LoraSettings(rank=s.lora.rank, alpha=s.lora.alpha, dropout=s.lora.dropout,
                                                    targets=s.lora.targets)
    policy = load_policy(policy_path, dtype=config.model.dtype, lora=lora, freeze_vision=config.model.freeze_vision,
                         min_pixels=config.data.min_pixels, max_pixels=config.data.max_pixels)
    ds = sft_dataset(train, s.types)
    cuda = torch.cuda.is_available()
    args = SFTConfig(
        output_dir=str(out.with_name(out.name + "-trainer")), learning_rate=s.learning_rate, num_train_epochs=s.epochs,
        max_steps=s.max_steps, per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.gradient_accumulation_steps, lr_scheduler_type=s.lr_scheduler_type,
        warmup_steps=s.warmup_ratio, use_cpu=not cuda, bf16=cuda, report_to="none", save_strategy="no",
        logging_steps=1, max_length=None, seed=config.run.seed, disable_tqdm=True,
        activation_checkpointing=False,
    )
    trainer = SFTTrainer(model=policy.model, args=args, train_dataset=ds, processing_class=policy.processor,
                         callbacks=[_LossBar()] if config.run.progress else None)
    trainer.remove_callback(PrinterCallback)  # the loss bar (or nothing) instead of dict dumps
    trainer.train()
    losses = [float(h["loss"]) for h in trainer.state.log_history if "loss" in h]
    model = trainer.model
    if lora is not None and s.merge_lora and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    policy.processor.save_pretrained(str(out))
    (out / "sft_log.json").write_text(json.dumps({"losses": losses, "steps": trainer.state.global_step}, indent=2))
    return SFTResult(model_dir=out, losses=losses, steps=trainer.state.global_step, wall_s=time.perf_counter() - t0)
