"""The TRL engine: multi-stage GRPO on TRL's ``GRPOTrainer``.

:meth:`TRLEngine.run` reads top to bottom:

1. load the policy (from the checkpoint when resuming) and build the run's AdamW optimizer and its one
   learning-rate schedule over the steps of all stages;
2. on resume, restore the optimizer, the schedule, the sampler position and every process's RNG state;
3. run the remaining steps as trainer segments — one ``GRPOTrainer`` per stage (or one for all stages with several
   processes / DeepSpeed / FSDP), each on its rows in plan order (``shuffle_dataset=False``) with its stage's reward
   functions; model, optimizer, schedule and RNG stream carry from segment to segment;
4. after every step: advance the sampler, log the step (rows and types read from the batch the trainer received),
   checkpoint when due (:mod:`rewardmap.training.checkpoint`);
5. save the final policy and ``summary.json``.

Difficulty weighting (:class:`~rewardmap.training.config.Weighting`): ``reward`` is inside the reward functions;
``advantage`` multiplies each completion's advantage by its question's weight after TRL's normalisation
(:class:`RewardMapGRPOTrainer`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback
from transformers.utils import logging as hf_logging
from trl import GRPOTrainer

from rewardmap.errors import ConfigError
from rewardmap.models.tiny import build_tiny_qwen25vl
from rewardmap.training import checkpoint as ckpt
from rewardmap.training.config import TrainConfig
from rewardmap.training.curriculum import CurriculumSampler
from rewardmap.training.distributed import rank, world_size
from rewardmap.training.engines import CurriculumPlan, plan_run
from rewardmap.training.engines.trl_args import grpo_args, make_optimizer, make_scheduler
from rewardmap.training.policy import Policy, checkpointing_alias_warning_ignored, load_policy
from rewardmap.training.rewards import RewardFactory
from rewardmap.training.runlog import RunLog, RunResult, read_metrics, summarise

#: The column the engine adds to the dataset: each row's index, so a step logs the rows it actually received.
ROW_ID = "rewardmap_row"


class RewardMapGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` with two additions: advantage-level difficulty weighting and batch observers.

    ``advantage_weight(row) -> float``: when given, each completion's advantage (after TRL's group normalisation)
    is multiplied by the weight of its question — the form of the difficulty weight that survives std
    normalisation. ``batch_observers``: callables ``f(rows, output) -> dict | None`` run after each
    generation/scoring pass with the rows this process received; returned ``{name: value}`` pairs are logged with
    the step's metrics.
    """

    def __init__(self, *args, advantage_weight: Callable[[dict], float] | None = None,
                 batch_observers: Sequence[Callable[[list[dict], dict], dict | None]] = (), **kwargs):
        self.advantage_weight = advantage_weight
        self.batch_observers = list(batch_observers)
        super().__init__(*args, **kwargs)

    def _generate_and_score_completions(self, inputs):
        # TRL reads the deprecated alias twice in here: unwrap_model_for_generation and disable_gradient_checkpointing
        with checkpointing_alias_warning_ignored():
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


def _engine_owns_optimizer() -> bool:
    """DeepSpeed / FSDP (set by ``accelerate launch``) build their own optimizer; a Trainer may not be given one."""
    return any(os.environ.get(k, "").lower() in ("1", "true") for k in ("ACCELERATE_USE_DEEPSPEED", "ACCELERATE_USE_FSDP"))


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized() and \
        torch.distributed.get_world_size() > 1


def _all_gather(obj) -> list:
    """``obj`` of every process, in rank order (just ``[obj]`` in a single process)."""
    if not _distributed():
        return [obj]
    out: list = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(out, obj)
    return out


def resolve_policy_path(config: TrainConfig) -> Path:
    """``model.path: tiny`` → build (or reuse) the tiny offline model; otherwise the local directory."""
    if config.model.path == "tiny":
        return build_tiny_qwen25vl(config.model.tiny_cache)
    path = Path(config.model.path)
    if not (path / "config.json").is_file():
        raise ConfigError(f"model.path: {path} is not a local model directory (no config.json); "
                          "rewardmap never downloads weights — point it at a local copy")
    return path


def _load_run_policy(config: TrainConfig, base: Path, checkpoint: Path | None) -> Policy:
    with checkpointing_alias_warning_ignored():  # peft's PeftModel.__init__ reads the alias (LoRA policies)
        return _load_run_policy_quiet(config, base, checkpoint)


def _load_run_policy_quiet(config: TrainConfig, base: Path, checkpoint: Path | None) -> Policy:
    kw = dict(dtype=config.model.dtype, freeze_vision=config.model.freeze_vision,
              min_pixels=config.data.min_pixels, max_pixels=config.data.max_pixels,
              attn_implementation=config.model.attn_implementation)
    if checkpoint is None:
        return load_policy(base, lora=config.model.lora, **kw)
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


class _Run:
    """Mutable state shared by the trainer segments of one run."""

    def __init__(self, config: TrainConfig, out: Path, sampler: CurriculumSampler, policy: Policy, optimizer,
                 scheduler, log: RunLog, progress):
        self.config = config
        self.out = out
        self.sampler = sampler
        self.policy = policy
        self.optimizer = optimizer      # None when the engine (DeepSpeed / FSDP) owns the optimizer
        self.scheduler = scheduler      # the run's one schedule (None with DeepSpeed / FSDP)
        self.log = log
        self.progress = progress
        self.is_main = rank() == 0
        self.trainer = None             # the trainer of the current segment (for engine-aware saving)
        self.pending_save = False
        self.rng: dict | None = None    # this process's RNG state after the last step (carried across segments)

    @property
    def global_step(self) -> int:
        return self.sampler.global_step

    def observe_batch(self, rows: list[dict], output: dict) -> None:
        """Record the prompts of the batch this step's trainer received (all processes, in rank order)."""
        g = self.config.grpo.num_generations
        mine = [(int(r[ROW_ID]), str(r.get("type"))) for r in rows[::g]]
        prompts = [p for part in _all_gather(mine) for p in part]
        plan = self.sampler.current
        rec = self.log.record(self.global_step + 1, plan.stage.name, plan.index)
        rec.rows = [r for r, _ in prompts]
        rec.types = [t for _, t in prompts]

    def stage_of(self, step: int) -> tuple[str, int]:
        start = 0
        for p in self.sampler.plans:
            if step <= start + p.steps:
                return p.stage.name, p.index
            start += p.steps
        last = self.sampler.plans[-1]
        return last.stage.name, last.index

    def save_checkpoint(self, model) -> Path:
        """Weights (safetensors; LoRA adapters for peft models), processor, optimizer, schedule, the RNG states of
        every process and the sampler position. Every process calls it (ZeRO-3 gathers weights; RNG states are
        gathered); only the main one writes."""
        step = self.global_step
        rngs = _all_gather(self.rng)
        tmp = ckpt.begin(self.out, step) if self.is_main else None
        if _distributed():
            torch.distributed.barrier()  # the folder exists before any process writes weights into it
        target = tmp or ckpt.checkpoint_dir(self.out, step).with_name(f"step-{step:06d}.tmp")
        if self.trainer is not None:
            self.trainer.save_model(str(target))  # engine-aware (DeepSpeed ZeRO-3 / FSDP gather), writes the processor
        elif self.is_main:
            model.save_pretrained(str(target), safe_serialization=True)
            self.policy.processor.save_pretrained(str(target))
        final = ckpt.checkpoint_dir(self.out, step)
        if self.is_main:
            state = {"global_step": step, "sampler": self.sampler.state_dict(), "policy_path": str(self.policy.path),
                     "world_size": world_size(), "config": self.config.to_mapping()}
            final = ckpt.finish(tmp, state=state, optimizer=self.optimizer, scheduler=self.scheduler, rng=rngs,
                                keep=self.config.run.keep_checkpoints)
        if _distributed():
            torch.distributed.barrier()
        return final


class _RunCallback(TrainerCallback):
    """Per step: restore the carried RNG stream before a segment's first step, advance the sampler, force the
    step's log, then write its record and a checkpoint when due (every ``run.save_every`` steps and at every stage
    end)."""

    def __init__(self, run: _Run, rng: dict | None):
        self.run = run
        self.rng = rng      # the state to restore before this segment's first step (None: fresh run)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.rng is not None:
            ckpt.set_rng_state(self.rng)
            self.rng = None
        return control

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
        control.should_log = True  # the record of the step is complete after its log
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        run = self.run
        step = run.global_step
        if step == 0 or step <= run.log.flushed:
            return control  # the end-of-training summary log
        name, index = run.stage_of(step)
        rec = run.log.record(step, name, index)
        run.log.add_metrics(rec, logs or {})
        if run.progress is not None and "reward" in rec.metrics:
            run.progress.set_postfix_str(f"stage {rec.stage} reward {rec.metrics['reward']:.2f}")
        run.log.flush(step)
        run.rng = ckpt.rng_state()
        if run.pending_save:
            run.pending_save = False
            run.save_checkpoint(kwargs["model"])
        return control


class TRLEngine:
    """Multi-stage GRPO on TRL (see the module docstring).

    Options: ``policy`` — an already loaded policy to train (fresh runs); ``stop_after_steps`` — stop after that
    many global steps, checkpointing there (tests); ``observers`` — extra batch observers (see
    :class:`RewardMapGRPOTrainer`), or a function of the loaded policy returning them; ``callbacks`` — extra
    ``TrainerCallback`` objects attached to every trainer.
    """

    name = "trl"

    def __init__(self, *, policy: Policy | None = None, stop_after_steps: int | None = None,
                 observers: Sequence[Callable] | Callable[[Policy], Sequence[Callable]] = (),
                 callbacks: Sequence[TrainerCallback] = ()):
        self.policy = policy
        self.stop_after_steps = stop_after_steps
        self.observers = observers
        self.callbacks = list(callbacks)

    def run(self, config: TrainConfig, plan: CurriculumPlan, rewards: RewardFactory, *,
            resume: bool | str | Path = False) -> RunResult:
        t0 = time.perf_counter()
        out = Path(config.run.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        is_main = rank() == 0
        sampler = plan.sampler()

        # 1. the checkpoint to resume from (its config compared field by field), the policy, the optimizer and
        #    the run's one schedule
        checkpoint = None
        if resume:
            path = ckpt.resume_checkpoint(out, resume)
            ckpt.check_resume_config(path, config.to_mapping())
            checkpoint = ckpt.read_checkpoint(path)
        policy = self.policy
        base = policy.path if policy is not None else resolve_policy_path(config)
        if policy is None or checkpoint is not None:
            policy = _load_run_policy(config, base, None if checkpoint is None else checkpoint.path)
        torch.manual_seed(config.run.seed)
        engine_optimizer = _engine_owns_optimizer()
        one_trainer = config.run.one_trainer if config.run.one_trainer is not None else \
            engine_optimizer or world_size() > 1
        optimizer = scheduler = None
        if not engine_optimizer:
            if torch.cuda.is_available():
                policy.model.to(torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))))
            optimizer = make_optimizer(policy.model, config.grpo)
            scheduler = make_scheduler(optimizer, config.grpo, sampler.total_steps)

        # 2. resume: sampler position, optimizer, schedule, RNG
        rng = None
        if checkpoint is not None:
            try:
                sampler.load_state_dict(checkpoint.state["sampler"])
            except ConfigError as exc:
                raise ConfigError(f"--resume: {checkpoint.path} planned another curriculum than this run: {exc} "
                                  "(same config: the training data changed — data.train, or the synthetic cache)") \
                    from exc
            saved_world = int(checkpoint.state.get("world_size", 1))
            if saved_world != world_size():
                raise ConfigError(f"--resume: {checkpoint.path} was written by {saved_world} process(es); "
                                  f"this run has {world_size()} (the RNG streams and batch split would differ)")
            if optimizer is not None and checkpoint.optimizer is not None:
                optimizer.load_state_dict(checkpoint.optimizer)
            if scheduler is not None and checkpoint.scheduler is not None:
                scheduler.load_state_dict(checkpoint.scheduler)
            if checkpoint.rng is not None:
                rng = checkpoint.rng[rank()]
            if is_main:
                print(f"resumed from step {checkpoint.global_step} of {sampler.total_steps} ({checkpoint.path}; "
                      f"stage {sampler.current.stage.name if not sampler.done else 'none: all steps done'})",
                      flush=True)
        elif is_main:
            shutil.rmtree(out / ckpt.CHECKPOINTS, ignore_errors=True)
        if is_main:
            (out / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")

        hf_logging.disable_progress_bar()  # per-stage weight loading/saving bars would drown ours
        progress = None
        if config.run.progress and is_main:
            from tqdm.auto import tqdm

            progress = tqdm(total=sampler.total_steps, initial=sampler.global_step, desc="GRPO", unit="step")
        log = RunLog(out, is_main=is_main, report_to=config.run.report_to, run_config=config.to_mapping())
        log.start(None if checkpoint is None else checkpoint.global_step)
        run = _Run(config, out, sampler, policy, optimizer, scheduler, log, progress)
        run.rng = rng
        model = policy.model
        extra_observers = list(self.observers(policy) if callable(self.observers) else self.observers)
        rewards_by_preset: dict[str | None, tuple] = {}
        dataset = plan.dataset
        if ROW_ID not in dataset.column_names:
            dataset = dataset.add_column(ROW_ID, list(range(len(dataset))))

        # 3. the trainer segments
        try:
            for rows, steps, preset, name in list(_segments(sampler, plan.prompts_per_step, one_trainer,
                                                            self.stop_after_steps)):
                if preset not in rewards_by_preset:
                    rewards_by_preset[preset] = rewards(preset)
                funcs, adv_weight = rewards_by_preset[preset]
                args = grpo_args(config.grpo, config.run, max_steps=steps, suppress_tokens=policy.suppress_tokens,
                                 output_dir=out / "stages" / name)
                ref_state = _detach_ref_adapter(model)
                trainer = RewardMapGRPOTrainer(
                    model=model, reward_funcs=funcs, args=args, train_dataset=dataset.select(rows),
                    processing_class=policy.processor, optimizers=(optimizer, scheduler),
                    callbacks=[_RunCallback(run, run.rng), *self.callbacks],
                    advantage_weight=adv_weight, batch_observers=[run.observe_batch, *extra_observers])
                trainer.remove_callback(PrinterCallback)  # our progress bar and metrics.jsonl replace its dict dumps
                _restore_ref_adapter(trainer.model, ref_state)
                run.trainer = trainer
                trainer.train()
                model = trainer.model
            if self.stop_after_steps is not None and not sampler.done:
                last = ckpt.latest_checkpoint(out)
                if last is None or last.name != f"step-{sampler.global_step:06d}":
                    run.save_checkpoint(model)
        finally:
            if progress is not None:
                progress.close()
            log.close()

        # 4. the final policy and the summary
        final = out / "final"
        if sampler.done:
            if run.trainer is not None:
                run.trainer.save_model(str(final))
                if is_main:
                    (final / "training_args.bin").unlink(missing_ok=True)
            elif is_main:
                model.save_pretrained(str(final), safe_serialization=True)
                policy.processor.save_pretrained(str(final))
        policy.model = model
        boundaries = []
        start = 1
        for p in sampler.plans:
            boundaries.append((p.stage.name, start, start + p.steps - 1))
            start += p.steps
        result = RunResult(output_dir=out, final_model=final, steps=read_metrics(log.path),
                           stage_boundaries=boundaries, wall_s=time.perf_counter() - t0,
                           resumed_from=None if checkpoint is None else checkpoint.path,
                           resumed_from_step=None if checkpoint is None else checkpoint.global_step)
        if is_main:
            (out / "summary.json").write_text(json.dumps(summarise(result), indent=2), encoding="utf-8")
        return result


def _segments(sampler: CurriculumSampler, pps: int, one_trainer: bool, stop_after_steps: int | None):
    """``(rows, steps, reward preset, name)`` of each trainer to run from the sampler's position."""
    budget = None if stop_after_steps is None else max(0, stop_after_steps - sampler.global_step)
    if sampler.done:
        return
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
        first_step = step_in if plan is sampler.plans[pos] else 0
        steps = plan.steps - first_step
        if budget is not None:
            steps = min(steps, budget)
            budget -= steps
        if steps <= 0:
            break
        yield (list(plan.rows[first_step * pps:(first_step + steps) * pps]), steps, plan.stage.reward,
               f"{plan.index + 1:02d}-{plan.stage.name}")


def run_grpo(config: TrainConfig, train_dataset, reward_factory: RewardFactory, *, resume: bool | str | Path = False,
             **options) -> RunResult:
    """Plan the curriculum of ``config`` on ``train_dataset`` and run it on the TRL engine (``options``: see
    :class:`TRLEngine`)."""
    return TRLEngine(**options).run(config, plan_run(config, train_dataset), reward_factory, resume=resume)
