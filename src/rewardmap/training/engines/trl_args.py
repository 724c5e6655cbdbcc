"""TRL arguments: ``GRPOConfig`` of a GRPO segment and ``SFTConfig`` of the SFT stage, built from the config blocks,
and the one learning-rate schedule of a run.

Every field of :class:`~rewardmap.training.config.GRPOSettings` and :class:`~rewardmap.training.config.SFTSettings`
lands in the TRL config (``tests/training/test_trl_args.py`` checks each one) or is consumed elsewhere, as noted.
Any other field of TRL's dataclass is reachable through ``grpo.extra`` / ``sft.extra`` (:func:`trl_extra`: checked
against the dataclass's own fields, coerced to their types; a field rewardmap sets itself is refused, naming the
rewardmap field that sets it).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError
from rewardmap.training.config import GRPOSettings, RunSettings, SFTSettings, TrainConfig, did_you_mean
from rewardmap.training.distributed import world_size

#: GRPOConfig fields rewardmap sets itself → why / where to set them instead (``grpo.extra`` refuses them).
GRPO_OWNED = {
    "output_dir": "set run.output_dir", "max_steps": "set curriculum.steps_per_stage or curriculum.epochs_per_stage",
    "per_device_train_batch_size": "set grpo.prompts_per_step",
    "gradient_accumulation_steps": "fixed at 1: one optimizer step = one batch of grpo.prompts_per_step prompts",
    "generation_batch_size": "set grpo.prompts_per_step",
    "steps_per_generation": "fixed at 1: the curriculum counts one optimizer step per generation batch",
    "num_iterations": "fixed at 1, as ppo_epochs 1 in the released code: the curriculum counts one step per batch",
    "num_generations": "set grpo.num_generations", "learning_rate": "set grpo.learning_rate",
    "weight_decay": "set grpo.weight_decay", "beta": "set grpo.beta", "epsilon": "set grpo.epsilon",
    "entropy_coef": "set grpo.entropy_coef", "temperature": "set grpo.temperature", "top_p": "set grpo.top_p",
    "max_completion_length": "set grpo.max_completion_length", "scale_rewards": "set grpo.scale_rewards",
    "loss_type": "set grpo.loss_type", "max_grad_norm": "set grpo.max_grad_norm",
    "lr_scheduler_type": "set grpo.lr_scheduler_type", "warmup_steps": "set grpo.warmup_ratio",
    "lr_scheduler_kwargs": "the run's one schedule is built from grpo.lr_scheduler_type and grpo.warmup_ratio",
    "optim": "the run's AdamW (β 0.9, 0.999) is built by rewardmap; set grpo.learning_rate / grpo.weight_decay",
    "optim_args": "the run's AdamW is built by rewardmap", "adam_beta1": "the run's AdamW uses β1 0.9",
    "adam_beta2": "the run's AdamW uses β2 0.999", "adam_epsilon": "the run's AdamW uses ε 1e-8",
    "activation_checkpointing": "set grpo.gradient_checkpointing",
    "gradient_checkpointing": "set grpo.gradient_checkpointing", "bf16": "set grpo.bf16",
    "use_vllm": "set grpo.use_vllm", "vllm_mode": "set grpo.vllm_mode", "seed": "set run.seed",
    "logging_steps": "set run.logging_steps", "report_to": "set run.report_to",
    "save_strategy": "set run.save_every (rewardmap writes the checkpoints)", "save_steps": "set run.save_every",
    "disable_tqdm": "set run.progress", "use_cpu": "set from the device (CPU when CUDA is absent)",
    "shuffle_dataset": "rows run in curriculum order; set curriculum.preset / curriculum.stages",
}

#: SFTConfig fields rewardmap sets itself → why / where to set them instead (``sft.extra`` refuses them).
SFT_OWNED = {
    "output_dir": "set run.output_dir", "learning_rate": "set sft.learning_rate", "num_train_epochs": "set sft.epochs",
    "max_steps": "set sft.max_steps", "per_device_train_batch_size": "set sft.batch_size",
    "gradient_accumulation_steps": "set sft.gradient_accumulation_steps",
    "lr_scheduler_type": "set sft.lr_scheduler_type", "warmup_steps": "set sft.warmup_ratio", "seed": "set run.seed",
    "report_to": "set run.report_to", "save_strategy": "the SFT runner saves the final model itself",
    "disable_tqdm": "set run.progress", "use_cpu": "set from the device (CPU when CUDA is absent)",
}


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "null"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in tp)
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(origin or tp, getattr(tp, "__name__", str(tp)))


class _Mismatch(Exception):
    pass


def _coerce(tp: Any, value: Any) -> Any:
    """``value`` (as YAML gives it) as an instance of the annotation ``tp``, or :class:`_Mismatch`."""
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise _Mismatch
        arms = [a for a in args if a is not type(None)]
        for arm in arms:  # an arm the value already is (e.g. "auto" for int | str) wins over a conversion
            base = typing.get_origin(arm) or arm
            if isinstance(base, type) and not issubclass(base, enum.Enum) and isinstance(value, base) and                     not (isinstance(value, bool) and base in (int, float)):
                return _coerce(arm, value)
        for arm in arms:
            try:
                return _coerce(arm, value)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is typing.Literal:
        if value in args:
            return value
        raise _Mismatch
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-6" as a string
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if tp is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not isinstance(value, str):
            raise _Mismatch
        try:
            return tp(value).value
        except ValueError:
            raise _Mismatch from None
    if origin in (list, tuple, Sequence) or tp in (list, tuple):
        if not isinstance(value, list | tuple):
            raise _Mismatch
        item = args[0] if args else Any
        return [_coerce(item, v) for v in value]
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise _Mismatch
        return dict(value)
    raise _Mismatch  # e.g. accelerate's ParallelismConfig: no YAML form


def trl_extra(extra: Mapping[str, Any], config_class: type, *, where: str, owned: Mapping[str, str]) -> dict:
    """The ``extra`` block of a config (``grpo.extra`` / ``sft.extra``) checked against the fields of TRL's
    ``config_class`` (``GRPOConfig`` / ``SFTConfig``) and coerced to their types. An unknown field is refused
    with the closest real one; a field rewardmap sets itself with the field to use instead."""
    if not extra:
        return {}
    fields = {f.name: f for f in dataclasses.fields(config_class) if f.init}
    try:
        hints = typing.get_type_hints(config_class)
    except Exception:  # an annotation that does not resolve: fall back to no coercion
        hints = {}
    out = {}
    for name, value in extra.items():
        key = f"{where}.{name}"
        if name in owned:
            raise ConfigError(f"{key}: rewardmap sets this {config_class.__name__} field itself ({owned[name]})")
        if name not in fields:
            raise ConfigError(f"{key}: {config_class.__name__} (trl) has no field {name!r}"
                              f"{did_you_mean(name, fields)}")
        tp = hints.get(name, Any)
        try:
            out[name] = _coerce(tp, value)
        except _Mismatch:
            raise ConfigError(f"{key}: expected {_describe(tp)}, found {value!r}") from None
    return out


def check_trl_fields(config: TrainConfig) -> None:
    """Check ``grpo.extra`` and ``sft.extra`` against TRL's dataclasses (before any work)."""
    from trl import GRPOConfig, SFTConfig

    trl_extra(config.grpo.extra, GRPOConfig, where="grpo.extra", owned=GRPO_OWNED)
    trl_extra(config.sft.extra, SFTConfig, where="sft.extra", owned=SFT_OWNED)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


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
    extra = trl_extra(settings.extra, GRPOConfig, where="grpo.extra", owned=GRPO_OWNED)
    if "generation_kwargs" in extra and gen_kwargs:  # the user's sampling kwargs plus the suppressed vision tokens
        user = dict(extra.pop("generation_kwargs") or {})
        suppress = [*user.pop("suppress_tokens", []), *gen_kwargs["suppress_tokens"]]
        kwargs["generation_kwargs"] = {**user, "suppress_tokens": sorted(set(suppress))}
    kwargs.update(extra)
    try:
        return GRPOConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"grpo: TRL's GRPOConfig refused these settings: {_one_line(exc)}") from exc


def sft_args(settings: SFTSettings, run: RunSettings, *, output_dir: str | Path):
    """The ``SFTConfig`` of the SFT stage (``lora``, ``types`` and ``merge_lora`` are applied by the SFT runner).
    ``run.report_to`` goes to TRL's ``report_to`` (TensorBoard under ``<output_dir>/runs``, W&B)."""
    from trl import SFTConfig

    cuda = on_cuda()
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir), learning_rate=settings.learning_rate, num_train_epochs=settings.epochs,
        max_steps=settings.max_steps, per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        lr_scheduler_type=settings.lr_scheduler_type, warmup_steps=settings.warmup_ratio, use_cpu=not cuda,
        bf16=cuda, report_to=sft_report_to(run), save_strategy="no", logging_steps=1, max_length=None,
        seed=run.seed, disable_tqdm=True, activation_checkpointing=False,
    )
    kwargs.update(trl_extra(settings.extra, SFTConfig, where="sft.extra", owned=SFT_OWNED))
    try:
        return SFTConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"sft: TRL's SFTConfig refused these settings: {_one_line(exc)}") from exc


def sft_report_to(run: RunSettings) -> list[str] | str:
    """TRL's ``report_to`` for the SFT trainer: ``run.report_to``, less TensorBoard where it is not installed (as
    the GRPO run log does; ``metrics`` are still in ``sft_log.json``). W&B is checked by
    :func:`rewardmap.training.runlog.check_report_to` before any work."""
    from rewardmap.training.runlog import tensorboard_available

    names = [n for n in run.report_to if n != "tensorboard" or tensorboard_available()]
    return names or "none"


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
