"""The SFT baseline (and the SFT stage of SFT → RL) on TRL's ``SFTTrainer`` with LoRA.

Released code (paper-spec §5.2): LLaMA-Factory, LoRA rank 8 on all linear layers, lr 1e-5, one epoch, cosine with
10 % warm-up, batch 1 × grad-accum 2, on ReasonMap-Train **without planning rows**; the target is the bare answer
(``A``–``D`` for Counting1, ``yes``/``no`` for TorF, the integer otherwise), the prompt the question after the
image. Paper (§5.1): LoRA on the language blocks and the projector, lr 1e-4. Defaults follow the paper; the yaml's
values are one override away (``sft.learning_rate=1e-5 sft.lora.targets=all-linear``).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

from transformers import TrainerCallback

from rewardmap.errors import ConfigError
from rewardmap.training.config import TrainConfig
from rewardmap.training.distributed import barrier, broadcast_from_main, is_main
from rewardmap.training.policy import load_policy

SFT_LOG = "sft_log.json"  # written last: its presence marks a finished SFT output


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
    ``out_dir`` (default ``<output_dir>/sft/final``) and returns it.

    The model is written to ``<out_dir>.tmp`` and renamed when complete (``sft_log.json`` written last), so
    ``out_dir`` exists only for a finished SFT run (:func:`sft_output_complete`)."""
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTTrainer

    from rewardmap.training.engines.trl_args import sft_args
    from rewardmap.training.policy import checkpointing_alias_warning_ignored

    hf_logging.disable_progress_bar()  # weight loading/saving bars
    t0 = time.perf_counter()
    s = config.sft
    out = _sft_out(config, out_dir)
    with checkpointing_alias_warning_ignored():  # peft's PeftModel.__init__ reads the deprecated alias (LoRA)
        policy = load_policy(policy_path, dtype=config.model.dtype, lora=s.lora,
                             freeze_vision=config.model.freeze_vision, min_pixels=config.data.min_pixels,
                             max_pixels=config.data.max_pixels)
    ds = sft_dataset(train, s.types)
    args = sft_args(s, config.run, output_dir=out.with_name(out.name + "-trainer"))
    trainer = SFTTrainer(model=policy.model, args=args, train_dataset=ds, processing_class=policy.processor,
                         callbacks=[_LossBar()] if config.run.progress else None)
    trainer.remove_callback(PrinterCallback)  # the loss bar (or nothing) instead of dict dumps
    trainer.train()
    losses = [float(h["loss"]) for h in trainer.state.log_history if "loss" in h]
    model = trainer.model
    if s.lora is not None and s.merge_lora and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    result = SFTResult(model_dir=out, losses=losses, steps=trainer.state.global_step, wall_s=time.perf_counter() - t0)
    if not is_main():  # several processes (torchrun): all train, the main one writes
        return result
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    policy.processor.save_pretrained(str(tmp))
    (tmp / SFT_LOG).write_text(json.dumps({"losses": losses, "steps": trainer.state.global_step}, indent=2))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return result


def sft_output_complete(out: Path, *, warn=print) -> bool:
    """Whether ``out`` holds a finished SFT model. A half-written folder (no ``sft_log.json``, e.g. from a run
    killed while saving) or a leftover ``<out>.tmp`` is removed, naming it, so the SFT stage is redone."""
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        warn(f"SFT: removing the unfinished output {tmp} (a previous run stopped while writing it)")
        shutil.rmtree(tmp)
    if (out / SFT_LOG).is_file() and (out / "config.json").is_file():
        return True
    if out.exists():
        warn(f"SFT: {out} is incomplete (no {SFT_LOG}); redoing the SFT stage")
        shutil.rmtree(out)
    return False


def sft_then_rl_config(config: TrainConfig, train, *, out_dir: str | Path | None = None,
                       warn=print) -> tuple[TrainConfig, SFTResult | None]:
    """The SFT-then-GRPO sequence shared by ``rewardmap train`` and ``rewardmap demo``: with ``sft.enabled`` run the
    SFT stage (once: a finished output is reused, a half-written one redone) and return the config whose policy is
    the SFT model (LoRA merged: ``model.lora`` cleared); without it, the config unchanged."""
    if not config.sft.enabled:
        return config, None
    from rewardmap.training.engines.trl import resolve_policy_path

    out = _sft_out(config, out_dir)
    result = None
    done = sft_output_complete(out, warn=warn) if is_main() else False
    if not broadcast_from_main(done):  # every process trains (DDP), the main one writes
        result = run_sft(config, train, resolve_policy_path(config), out_dir=out)
    barrier()  # the main process has written the output
    if result is None:
        log = json.loads((out / SFT_LOG).read_text())
        result = SFTResult(model_dir=out, losses=log["losses"], steps=log["steps"], wall_s=0.0)
    return rl_config_after_sft(config, out_dir=out), result


def _sft_out(config: TrainConfig, out_dir: str | Path | None) -> Path:
    return Path(out_dir) if out_dir is not None else Path(config.run.output_dir) / "sft" / "final"


def rl_config_after_sft(config: TrainConfig, *, out_dir: str | Path | None = None) -> TrainConfig:
    """The config the RL stage runs with (what :func:`sft_then_rl_config` returns, without running anything): with
    ``sft.enabled`` the policy is the merged SFT model under ``out_dir`` (default ``<output_dir>/sft/final``)."""
    if not config.sft.enabled:
        return config
    return replace(config, model=replace(config.model, path=str(_sft_out(config, out_dir)), lora=None))
