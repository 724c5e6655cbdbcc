"""The miniature experiment's base policy: a from-scratch tiny Qwen2.5-VL taught generic map reading by SFT.

It stands in for the instruct model the paper starts RL from: weak on the evaluation questions, not blind (it has
read labels, lines and answer formats on other cities: :mod:`rewardmap.experiments.reading`). Built once per
parameter set and shared by every recipe and seed of an experiment (``base.json`` is its stamp).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rewardmap.models.tiny import TinyPolicySpec, build_tiny_qwen25vl, tiny_corpus

#: 3.15 M parameters: 4 language layers (192 wide), a 4-block vision tower (128 wide), 2048-token vocabulary.
MINIATURE_SPEC = TinyPolicySpec(hidden_size=192, intermediate_size=512, num_layers=4, num_heads=4, num_kv_heads=2,
                                vision_hidden_size=128, vision_depth=4, vision_heads=4, min_pixels=56 * 56,
                                max_pixels=224 * 224, seed=0)
BASE_STAMP = "base.json"


@dataclass(frozen=True)
class PretrainSettings:
    """How the base policy is pre-trained (full-parameter SFT, constant learning rate after a short warm-up)."""

    steps: int = 600
    batch_size: int = 8
    learning_rate: float = 1e-3
    warmup_steps: int = 20
    per_map: int = 60            # reading questions per pre-training map
    seed: int = 0


def _stamp(spec: TinyPolicySpec, settings: PretrainSettings, world_key: str) -> dict:
    # format 2: the ride questions carry the route question's format instructions, and two-section rides
    return {"spec": dataclasses.asdict(spec), "pretrain": dataclasses.asdict(settings), "world": world_key,
            "format": 2}


def base_policy_ready(out: Path, spec: TinyPolicySpec, settings: PretrainSettings, world_key: str) -> bool:
    """Whether ``out`` holds a finished base policy built with these parameters."""
    stamp = out / BASE_STAMP
    if not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text())["params"] == _stamp(spec, settings, world_key)
    except (json.JSONDecodeError, KeyError):
        return False


def pretrain_base_policy(out: str | Path, make_dataset: Callable[[], object], *, spec: TinyPolicySpec = MINIATURE_SPEC,
                         settings: PretrainSettings = PretrainSettings(), world_key: str = "",
                         tokenizer_text: list[str] | None = None, progress=None) -> dict:
    """Build the tiny model (tokenizer trained on the task wording plus ``tokenizer_text``), fine-tune it on the
    reading dataset ``make_dataset()`` (called only when the policy has to be trained), and save it in ``out`` (written to ``out.tmp`` and renamed when complete). Returns the stamp
    (losses, parameters, wall time). A finished base policy with the same parameters is reused."""
    out = Path(out)
    if base_policy_ready(out, spec, settings, world_key):
        return json.loads((out / BASE_STAMP).read_text())
    import torch
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig, SFTTrainer

    from rewardmap.training.policy import load_policy

    hf_logging.disable_progress_bar()
    t0 = time.perf_counter()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    init = build_tiny_qwen25vl(tmp / "init", spec, corpus=tiny_corpus(extra=tokenizer_text or []), force=True)
    policy = load_policy(init, dtype="float32", min_pixels=spec.min_pixels, max_pixels=spec.max_pixels)
    params = sum(p.numel() for p in policy.model.parameters())
    torch.manual_seed(settings.seed)
    args = SFTConfig(output_dir=str(tmp / "trainer"), max_steps=settings.steps,
                     per_device_train_batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                     lr_scheduler_type="constant_with_warmup", warmup_steps=settings.warmup_steps, use_cpu=True,
                     report_to="none", save_strategy="no", logging_steps=max(1, min(10, settings.steps // 10)), max_length=None, seed=settings.seed,
                     disable_tqdm=True, activation_checkpointing=False, weight_decay=0.0)

    class _Progress(TrainerCallback):
        def on_log(self, a, state, control, logs=None, **kw):
            if progress is not None and logs and "loss" in logs:
                progress(state.global_step, settings.steps, float(logs["loss"]))

    reading_train = make_dataset()
    trainer = SFTTrainer(model=policy.model, args=args, train_dataset=reading_train,
                         processing_class=policy.processor, callbacks=[_Progress()])
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    losses = [float(h["loss"]) for h in trainer.state.log_history if "loss" in h]
    final = tmp / "model"
    trainer.model.save_pretrained(str(final), safe_serialization=True)
    policy.processor.save_pretrained(str(final))
    stamp = {"params": _stamp(spec, settings, world_key), "parameters": params, "losses": losses,
             "steps": trainer.state.global_step, "examples": len(reading_train),
             "wall_s": round(time.perf_counter() - t0, 1)}
    shutil.rmtree(out, ignore_errors=True)
    final.rename(out)
    (out / BASE_STAMP).write_text(json.dumps(stamp, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return stamp


def reading_accuracy(model_dir: str | Path, examples, root: str | Path, *, min_pixels: int, max_pixels: int,
                     max_new_tokens: int = 96, batch_size: int = 16) -> dict:
    """Greedy exact-match accuracy of the model in ``model_dir`` on generic reading ``examples`` (per task), and
    on the ride questions the share of answers holding the asked departure line (``Departure Stop: A``) — text
    the question itself gives, so a model that cannot even copy it scores 0 there whatever it sees."""
    from rewardmap.data.loaders import resolve_figure
    from rewardmap.evaluation.backends.base import ImageRef, Prompt
    from rewardmap.evaluation.backends.hf import HFBackend
    from rewardmap.experiments.reading import departure_of

    root = Path(root)
    backend = HFBackend(str(model_dir), batch_size=batch_size, max_new_tokens=max_new_tokens, min_pixels=min_pixels,
                        max_pixels=max_pixels, dtype="float32", device="cpu")
    # each map as the pre-training saw it (reading_dataset resizes with the same call)
    prompts = [Prompt(e.question, ImageRef(e.figure, lambda f=e.figure: resolve_figure(
        f, root, min_pixels=min_pixels, max_pixels=max_pixels))) for e in examples]
    answers = [""] * len(prompts)
    for i, generation in backend.stream(prompts):
        answers[i] = generation.text
    backend.close()
    tasks: dict[str, dict] = {}
    copied = rides = 0
    records = []
    for e, text in zip(examples, answers, strict=True):
        records.append({"task": e.task, "figure": e.figure, "question": e.question, "answer": e.answer,
                        "response": text})
        row = tasks.setdefault(e.task, {"correct": 0, "n": 0})
        row["n"] += 1
        row["correct"] += int(text.strip() == e.answer.strip())
        if e.task in ("ride", "ride2"):
            rides += 1
            copied += int(f"Departure Stop: {departure_of(e.answer)}" in text)
    for row in tasks.values():
        row["acc"] = row["correct"] / row["n"]
    total = sum(r["n"] for r in tasks.values())
    return {"tasks": dict(sorted(tasks.items())), "overall": sum(r["correct"] for r in tasks.values()) / max(total, 1),
            "departure_copied": copied / rides if rides else None, "rides": rides, "questions": total,
            "records": records}
