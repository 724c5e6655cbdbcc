"""Multi-stage GRPO on TRL's ``GRPOTrainer``.

A recipe that reads top to bottom (:func:`run_grpo`):

1. resolve the policy (a local HF VLM or the tiny offline Qwen2.5-VL) and the TRL-format training dataset;
2. plan the curriculum (:mod:`rewardmap.training.curriculum`): each stage is an ordered list of dataset rows;
3. for each stage, one ``GRPOTrainer`` on that stage's rows, in order (``shuffle_dataset=False``), with the stage's
   reward functions; the model object, the AdamW optimizer and its state carry over from stage to stage, so the run
   behaves like the released single sequential pass;
4. after every step: advance the sampler, log (reward components, per-type accuracy, zero-std group fraction — per
   stage, to ``metrics.jsonl`` and TensorBoard), checkpoint (safetensors + optimizer + sampler state) when due;
5. save the final policy.

``resume=True`` restarts from the newest checkpoint at the same sample of the same stage.

Difficulty weighting: ``reward`` multiplies the reward (paper/code — cancelled by per-group std normalisation);
``advantage`` multiplies each completion's advantage by its question's weight after normalisation (ours).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback
from transformers.utils import logging as hf_logging
from trl import GRPOConfig, GRPOTrainer

from rewardmap.errors import ConfigError
from rewardmap.training.config import GRPOSettings, RunSettings, TrainConfig
from rewardmap.training.curriculum import CurriculumSampler
from rewardmap.training.policy import LoraSettings, Policy, build_tiny_qwen25vl, load_policy

CHECKPOINT_STATE = "rewardmap_state.json"


class RewardMapGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` with two additions: advantage-level difficulty weighting and batch observers.

    ``advantage_weight(row) -> float``: when given, each completion's advantage (after TRL's group normalisation)
    is multiplied by the weight of its question — the form of the difficulty weight that survives std
    normalisation. ``batch_observers``: callables ``f(rows, output) -> dict | None`` run after each
    generation/scoring pass; returned ``{name: value}`` pairs are logged with the step's metrics (the runner records
    the task types of every step, and the accuracy observer per-type accuracy, this way).
    """

    def __init__(self, *args, advantage_weight: Callable[[dict], float] | None = None,
                 batch_observers: Sequence[Callable[[list[dict], dict], None]] = (), **kwargs):
        self.advantage_weight = advantage_weight
        self.batch_observers = list(batch_observers)
        super().__init__(*args, **kwargs)

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self.advantage_weight is not None:
            adv = output["advantages"]
            w = torch.tensor([float(self.advantage_weight(row)) for row in inputs], dtype=adv.dtype, device=adv.device)
            output["advantages"] = adv * (w if adv.dim() == 1 else w.unsqueeze(1))
        mode = "train" if self.model.training else "eval"
        for observe in self.batch_observers:
            extra = observe(inputs, output)
            for name, value in (extra or {}).items():
                self._metrics[mode][name].append(float(value))
        return output


def _on_cuda() -> bool:
    return torch.cuda.is_available()


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _engine_owns_optimizer() -> bool:
    """DeepSpeed / FSDP (set by ``accelerate launch``) build their own optimizer; a Trainer may not be given one."""
    return any(os.environ.get(k, "").lower() in ("1", "true") for k in ("ACCELERATE_USE_DEEPSPEED", "ACCELERATE_USE_FSDP"))


def grpo_args(settings: GRPOSettings, run: RunSettings, *, output_dir: str | Path, max_steps: int,
              suppress_tokens: Sequence[int] = (), report_to: Sequence[str] | str = "none") -> GRPOConfig:
    """The ``GRPOConfig`` of one stage. One optimizer step = ``prompts_per_step`` prompts × ``num_generations``
    completions, generated and used once (``num_iterations=1``, as ``ppo_epochs=1`` in the released code)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    completions = settings.prompts_per_step * settings.num_generations
    if completions % world:
        raise ConfigError(f"grpo: prompts_per_step × num_generations = {completions} is not divisible by the "
                          f"{world} processes")
    cuda = _on_cuda()
    bf16 = settings.bf16 if settings.bf16 is not None else cuda
    gen_kwargs = {"suppress_tokens": list(suppress_tokens)} if suppress_tokens else None
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=completions // world,
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


# ----------------------------------------------------------------------------------------------------------------
# Run state, logging, checkpoints


@dataclass
class StepRecord:
    """What one optimizer step saw and logged."""

    step: int                      # 1-based global step
    stage: str
    stage_index: int
    types: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """Outcome of :func:`run_grpo`."""

    output_dir: Path
    final_model: Path
    steps: list[StepRecord]
    stage_boundaries: list[tuple[str, int, int]]   # (stage name, first step, last step), 1-based
    wall_s: float
    resumed_from: Path | None = None

    def metric(self, name: str) -> list[float | None]:
        return [s.metrics.get(name) for s in self.steps]


class _Run:
    """Mutable state shared by the stage trainers of one run."""

    def __init__(self, config: TrainConfig, out: Path, sampler: CurriculumSampler, policy: Policy,
                 optimizer: torch.optim.Optimizer | None, tb_writer, progress, is_main: bool = True):
        self.config = config
        self.out = out
        self.sampler = sampler
        self.policy = policy
        self.optimizer = optimizer      # None when the engine (DeepSpeed / FSDP) owns the optimizer
        self.tb = tb_writer
        self.progress = progress
        self.is_main = is_main
        self.trainer = None             # the trainer of the current stage (for engine-aware saving)
        self.pending_save = False
        self.records: dict[int, StepRecord] = {}
        self.metrics_file = out / "metrics.jsonl"

    @property
    def global_step(self) -> int:
        return self.sampler.global_step

    def observe_batch(self, rows: list[dict], output: dict) -> None:
        step = self.global_step + 1
        plan = self.sampler.current
        rec = self.records.setdefault(step, StepRecord(step=step, stage=plan.stage.name, stage_index=plan.index))
        g = self.config.grpo.num_generations
        rec.types = [str(r.get("type")) for r in rows[::g]]
        rec.rows = [int(r) for r in self.sampler.next_rows()]

    def log(self, logs: dict[str, float]) -> None:
        step = self.global_step
        if step == 0:
            return
        plan_name, plan_index = self._stage_of(step)
        rec = self.records.setdefault(step, StepRecord(step=step, stage=plan_name, stage_index=plan_index))
        for k, v in logs.items():
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                rec.metrics[k] = float(v)
                if self.tb is not None:
                    self.tb.add_scalar(k, float(v), step)
                    self.tb.add_scalar(f"stage/{plan_name}/{k}", float(v), step)

    def _stage_of(self, step: int) -> tuple[str, int]:
        start = 0
        for p in self.sampler.plans:
            if step <= start + p.steps:
                return p.stage.name, p.index
            start += p.steps
        last = self.sampler.plans[-1]
        return last.stage.name, last.index

    def flush_step(self, step: int) -> None:
        rec = self.records.get(step)
        if rec is None or not self.is_main:
            return
        with self.metrics_file.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"step": rec.step, "stage": rec.stage, "stage_index": rec.stage_index,
                                "types": rec.types, "rows": rec.rows, **rec.metrics}) + "\n")

    # -- checkpoints -----------------------------------------------------------------------------------------

    def save_checkpoint(self, model) -> Path:
        """Weights (safetensors; LoRA adapters for peft models), processor, optimizer state (when we own the
        optimizer) and the sampler state. Every process calls it (ZeRO-3 gathers weights); only the main one writes
        the rest."""
        step = self.global_step
        ckpt = self.out / "checkpoints" / f"step-{step:06d}"
        tmp = ckpt.with_name(ckpt.name + ".tmp")
        if self.is_main:
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True)
        if self.trainer is not None:
            self.trainer.save_model(str(tmp))  # engine-aware (DeepSpeed ZeRO-3 / FSDP gather), writes the processor
        else:
            model.save_pretrained(str(tmp), safe_serialization=True)
            self.policy.processor.save_pretrained(str(tmp))
        if not self.is_main:
            return ckpt
        if self.optimizer is not None:
            torch.save(self.optimizer.state_dict(), tmp / "optimizer.pt")
        for junk in ("training_args.bin",):
            (tmp / junk).unlink(missing_ok=True)
        state = {"global_step": step, "sampler": self.sampler.state_dict(), "policy_path": str(self.policy.path)}
        (tmp / CHECKPOINT_STATE).write_text(json.dumps(state, indent=2))
        if ckpt.exists():
            shutil.rmtree(ckpt)
        tmp.rename(ckpt)
        self._prune()
        return ckpt

    def _prune(self) -> None:
        keep = max(1, self.config.run.keep_checkpoints)
        ckpts = sorted(p for p in (self.out / "checkpoints").glob("step-*") if not p.name.endswith(".tmp"))
        for old in ckpts[:-keep]:
            shutil.rmtree(old, ignore_errors=True)


class _StageCallback(TrainerCallback):
    """Advances the curriculum sampler after each optimizer step and marks checkpoints as due (every
    ``run.save_every`` steps and at every stage end)."""

    def __init__(self, run: _Run):
        self.run = run

    def on_step_end(self, args, state, control, **kwargs):
        run = self.run
        stage_name = run.sampler.current.stage.name
        before = run.sampler.stage_pos
        run.sampler.advance()
        every = run.config.run.save_every
        if run.sampler.stage_pos != before or (every and run.global_step % every == 0):
            run.pending_save = True
        if run.progress is not None:
            run.progress.update(1)
            run.progress.set_postfix_str(f"stage {stage_name}")
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            run = self.run
            run.log(logs)
            rec = run.records.get(run.global_step)
            if rec is not None and run.progress is not None and "reward" in rec.metrics:
                run.progress.set_postfix_str(f"stage {rec.stage} reward {rec.metrics['reward']:.2f}")
        return control


class _SaveCallback(TrainerCallback):
    """Runs after logging of a step: writes the step's record, then a checkpoint when one is due."""

    def __init__(self, run: _Run):
        self.run = run

    def on_step_end(self, args, state, control, **kwargs):
        # Logging of this step happens after on_step_end; force it so the record is complete when we flush.
        control.should_log = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        run = self.run
        step = run.global_step
        if getattr(run, "_flushed", 0) < step:
            run.flush_step(step)
            run._flushed = step
        if getattr(run, "pending_save", False):
            run.pending_save = False
            run.save_checkpoint(kwargs["model"])
        return control


# ----------------------------------------------------------------------------------------------------------------
# Policy / resume helpers


def resolve_policy_path(config: TrainConfig) -> Path:
    """``model.path: tiny`` → build (or reuse) the tiny offline model; otherwise the local directory."""
    if config.model.path == "tiny":
        return build_tiny_qwen25vl(config.model.tiny_cache)
    path = Path(config.model.path)
    if not (path / "config.json").is_file():
        raise ConfigError(f"model.path: {path} is not a local model directory (no config.json); "
                          "rewardmap never downloads weights — point it at a local copy")
    return path


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete checkpoint of a run directory, or None."""
    ckpts = sorted(p for p in (Path(output_dir) / "checkpoints").glob("step-*")
                   if not p.name.endswith(".tmp") and (p / CHECKPOINT_STATE).is_file())
    return ckpts[-1] if ckpts else None


def _lora_settings(config: TrainConfig) -> LoraSettings | None:
    lb = config.model.lora
    return None if lb is None else LoraSettings(rank=lb.rank, alpha=lb.alpha, dropout=lb.dropout, targets=lb.targets)


def _load_run_policy(config: TrainConfig, base: Path, checkpoint: Path | None) -> Policy:
    kw = dict(dtype=config.model.dtype, freeze_vision=config.model.freeze_vision,
              min_pixels=config.data.min_pixels, max_pixels=config.data.max_pixels,
              attn_implementation=config.model.attn_implementation)
    if checkpoint is None:
        return load_policy(base, lora=_lora_settings(config), **kw)
    if (checkpoint / "adapter_config.json").is_file():
        from peft import PeftModel

        policy = load_policy(base, **kw)
        policy.model = PeftModel.from_pretrained(policy.model, str(checkpoint), is_trainable=True)
        if (checkpoint / "ref" / "adapter_config.json").is_file():  # the KL reference (initial adapter)
            policy.model.load_adapter(str(checkpoint / "ref"), adapter_name="ref", is_trainable=False)
            policy.model.set_adapter("default")
        return policy
    policy = load_policy(checkpoint, **kw)
    policy.path = base
    # The KL reference is the initial policy, not the checkpoint (TRL builds it from config._name_or_path).
    policy.model.config._name_or_path = str(base)
    return policy


def _detach_ref_adapter(model) -> dict | None:
    """LoRA + KL: TRL copies the current ``default`` adapter into a new ``ref`` adapter when a trainer is built,
    and refuses to add one that exists. Before a later stage's trainer (or after a resume) keep the weights of the
    existing ``ref`` adapter — the initial policy — and remove it; :func:`_restore_ref_adapter` puts them back."""
    if "ref" not in getattr(model, "peft_config", {}):
        return None
    state = {n: p.detach().clone() for n, p in model.named_parameters() if ".ref." in n}
    model.delete_adapter("ref")
    return state


def _restore_ref_adapter(model, state: dict | None) -> None:
    if not state:
        return
    params = dict(model.named_parameters())
    for name, value in state.items():
        if name in params:
            params[name].data.copy_(value)


def make_optimizer(model, settings: GRPOSettings) -> torch.optim.Optimizer:
    """AdamW (β = 0.9, 0.999) over the trainable parameters, shared by every stage (released: AdamW, wd 1e-2)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=settings.learning_rate, betas=(0.9, 0.999))


def _tb_writer(out: Path, enabled: bool):
    if not enabled:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard not installed: metrics.jsonl still has everything
        return None
    return SummaryWriter(log_dir=str(out / "tensorboard"))


# ----------------------------------------------------------------------------------------------------------------
# The recipe


RewardFactory = Callable[[str | None], tuple[list[Callable], Callable[[dict], float] | None]]


def run_grpo(config: TrainConfig, train_dataset, reward_factory: RewardFactory, *, resume: bool | str | Path = False,
             policy: Policy | None = None, stop_after_steps: int | None = None,
             observers: Sequence[Callable] | Callable[[Policy], Sequence[Callable]] = (),
             callbacks: Sequence[TrainerCallback] = ()) -> RunResult:
    """Run the multi-stage GRPO recipe of ``config`` on a TRL-format ``train_dataset``.

    ``train_dataset``: a ``datasets.Dataset`` with ``prompt`` (conversational, image placeholder), ``image`` and
    the reward metadata columns (``type`` is required: the curriculum reads it). ``reward_factory(preset)`` returns
    ``(reward_funcs, advantage_weight)`` for a stage's reward preset (None = the run's). ``resume``: True = newest
    checkpoint of ``run.output_dir``, or a checkpoint path. ``stop_after_steps``: stop early after that many
    global steps (used to test resuming; a checkpoint is written at the stop). ``observers``: extra batch
    observers (see :class:`RewardMapGRPOTrainer`), or a function of the loaded policy returning them.
    ``callbacks``: extra ``TrainerCallback`` objects attached to every stage's trainer.
    """
    t0 = time.perf_counter()
    out = Path(config.run.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if "type" not in train_dataset.column_names:
        raise ConfigError("training dataset has no 'type' column; the curriculum needs it")
    types = train_dataset["type"]
    sampler = CurriculumSampler.from_dataset_types(types, config.curriculum.resolved_stages(),
                                                   prompts_per_step=config.grpo.prompts_per_step,
                                                   seed=config.curriculum.seed)
    if sampler.total_steps == 0:
        raise ConfigError("the curriculum has no steps: the dataset is smaller than one step "
                          f"({config.grpo.prompts_per_step} prompts) for every stage")

    checkpoint: Path | None = None
    if resume:
        checkpoint = latest_checkpoint(out) if resume is True else Path(resume)
        if checkpoint is None or not (checkpoint / CHECKPOINT_STATE).is_file():
            raise ConfigError(f"--resume: no checkpoint found under {out / 'checkpoints'}")
    base = policy.path if policy is not None else resolve_policy_path(config)
    if policy is None or checkpoint is not None:
        policy = _load_run_policy(config, base, checkpoint)
    torch.manual_seed(config.run.seed)

    engine = _engine_owns_optimizer()
    one_trainer = config.run.one_trainer if config.run.one_trainer is not None else engine or _world_size() > 1
    optimizer = None
    if not engine:
        if torch.cuda.is_available():
            policy.model.to(torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))))
        optimizer = make_optimizer(policy.model, config.grpo)
    is_main = int(os.environ.get("RANK", "0")) == 0
    if checkpoint is not None:
        state = json.loads((checkpoint / CHECKPOINT_STATE).read_text())
        sampler.load_state_dict(state["sampler"])
        if optimizer is not None and (checkpoint / "optimizer.pt").is_file():
            optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
        if is_main:
            _truncate_metrics(out / "metrics.jsonl", sampler.global_step)
    elif is_main:
        (out / "metrics.jsonl").unlink(missing_ok=True)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    if is_main:
        (out / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")

    hf_logging.disable_progress_bar()  # per-stage weight loading/saving bars would drown ours
    progress = None
    if config.run.progress and is_main:
        from tqdm.auto import tqdm

        progress = tqdm(total=sampler.total_steps, initial=sampler.global_step, desc="GRPO", unit="step")
    tb = _tb_writer(out, "tensorboard" in config.run.report_to and is_main)
    run = _Run(config, out, sampler, policy, optimizer, tb, progress, is_main=is_main)
    model = policy.model
    suppress = policy.suppress_tokens
    extra_observers = list(observers(policy) if callable(observers) else observers)
    rewards_by_preset: dict[str | None, tuple] = {}
    pps = config.grpo.prompts_per_step

    def segments():
        """(rows, steps, reward preset, output name) of each trainer to run from the sampler's position."""
        budget = None if stop_after_steps is None else max(0, stop_after_steps - sampler.global_step)
        if one_trainer:
            presets = {p.stage.reward for p in sampler.plans[sampler.stage_pos:]}
            if len(presets) > 1:
                raise ConfigError("run.one_trainer: every stage must use the same reward preset "
                                  f"(found {sorted(str(p) for p in presets)}); use one trainer per stage")
            rows = list(sampler.remaining_rows())
            rows += [r for p in sampler.plans[sampler.stage_pos + 1:] for r in p.rows]
            steps = len(rows) // pps if budget is None else min(len(rows) // pps, budget)
            if steps > 0:
                yield rows[:steps * pps], steps, presets.pop(), "all-stages"
            return
        pos, step_in = sampler.stage_pos, sampler.step_in_stage
        for plan in sampler.plans[pos:]:
            steps = plan.steps - (step_in if plan is sampler.plans[pos] else 0)
            if budget is not None:
                steps = min(steps, budget)
                budget -= steps
            if steps <= 0:
                break
            first = (step_in if plan is sampler.plans[pos] else 0) * pps
            yield list(plan.rows[first:first + steps * pps]), steps, plan.stage.reward, \
                f"{plan.index + 1:02d}-{plan.stage.name}"

    try:
        for rows, steps, preset, name in list(segments()):
            if preset not in rewards_by_preset:
                rewards_by_preset[preset] = reward_factory(preset)
            funcs, adv_weight = rewards_by_preset[preset]
            args = grpo_args(config.grpo, config.run, max_steps=steps, suppress_tokens=suppress,
                             output_dir=out / "stages" / name)
            ref_state = _detach_ref_adapter(model)
            trainer = RewardMapGRPOTrainer(
                model=model, reward_funcs=funcs, args=args, train_dataset=train_dataset.select(rows),
                processing_class=policy.processor, optimizers=(optimizer, None),
                callbacks=[_StageCallback(run), _SaveCallback(run), *callbacks],
                advantage_weight=adv_weight, batch_observers=[run.observe_batch, *extra_observers])
            trainer.remove_callback(PrinterCallback)  # our progress bar and metrics.jsonl replace its dict dumps
            _restore_ref_adapter(trainer.model, ref_state)
            run.trainer = trainer
            trainer.train()
            model = trainer.model
        if stop_after_steps is not None and not sampler.done:
            last = latest_checkpoint(out)
            if last is None or last.name != f"step-{sampler.global_step:06d}":
                run.save_checkpoint(model)
    finally:
        if progress is not None:
            progress.close()
        if tb is not None:
            tb.close()

    final = out / "final"
    if sampler.done:
        if run.trainer is not None:
            run.trainer.save_model(str(final))
            if is_main:
                (final / "training_args.bin").unlink(missing_ok=True)
        else:
            model.save_pretrained(str(final), safe_serialization=True)
            policy.processor.save_pretrained(str(final))
    policy.model = model
    records = _read_metrics(out / "metrics.jsonl")
    boundaries = []
    start = 1
    for p in sampler.plans:
        boundaries.append((p.stage.name, start, start + p.steps - 1))
        start += p.steps
    result = RunResult(output_dir=out, final_model=final, steps=records, stage_boundaries=boundaries,
                       wall_s=time.perf_counter() - t0, resumed_from=checkpoint)
    if is_main:
        (out / "summary.json").write_text(json.dumps(summarise(result), indent=2), encoding="utf-8")
    return result


def _truncate_metrics(path: Path, step: int) -> None:
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def _read_metrics(path: Path) -> list[StepRecord]:
    out = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        metrics = {k: v for k, v in d.items() if k not in ("step", "stage", "stage_index", "types", "rows")}
        out.append(StepRecord(step=d["step"], stage=d["stage"], stage_index=d["stage_index"], types=d["types"],
                              rows=d.get("rows", []), metrics=metrics))
    return out


def summarise(result: RunResult) -> dict:
    """Per-stage means of every logged metric (reward, its components, accuracy per type, zero-std fraction)."""
    per_stage: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rec in result.steps:
        for k, v in rec.metrics.items():
            per_stage[rec.stage][k].append(v)
    stages = {}
    for name, first, last in result.stage_boundaries:
        m = per_stage.get(name, {})
        stages[name] = {"first_step": first, "last_step": last,
                        "metrics": {k: sum(v) / len(v) for k, v in sorted(m.items()) if v}}
    return {"output_dir": str(result.output_dir), "steps": len(result.steps), "wall_s": round(result.wall_s, 2),
            "resumed_from": str(result.resumed_from) if result.resumed_from else None, "stages": stages}
