"""Policies: load a local Hugging Face VLM for training (optionally with LoRA, optionally with the vision tower
frozen). The tiny offline model and the processors live in :mod:`rewardmap.models`.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError
from rewardmap.models.processor import load_processor, vision_token_ids
from rewardmap.training.config import LoraSettings

_LANG_LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def lora_target_modules(model, targets: str) -> list[str]:
    """Full names of the linear modules LoRA wraps for ``targets`` (see :class:`LoraSettings`)."""
    import torch

    names = []
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        is_vision = ".visual." in f".{name}" or name.startswith("visual")
        is_projector = is_vision and ".merger." in f".{name}."
        is_head = name.endswith("lm_head")
        if targets == "all-linear":
            ok = not is_head
        elif targets == "language":
            ok = not is_vision and not is_head and name.rsplit(".", 1)[-1] in _LANG_LINEARS
        else:
            ok = (not is_vision and not is_head and name.rsplit(".", 1)[-1] in _LANG_LINEARS) or is_projector
        if ok:
            names.append(name)
    if not names:
        raise ConfigError(f"lora.targets={targets!r} matched no linear module of {type(model).__name__}")
    return names


@contextmanager
def checkpointing_alias_warning_ignored():
    """Ignore exactly one warning: transformers 5.x's ``FutureWarning`` that ``is_gradient_checkpointing`` is
    deprecated. Our code never reads that alias; the pinned dependencies do — TRL 1.16's
    ``unwrap_model_for_generation`` and ``disable_gradient_checkpointing`` at every GRPO step, peft's
    ``PeftModel.__init__`` when LoRA is applied — so it was printed in every training run, and only a newer
    TRL / peft can remove its cause."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated",
                                category=FutureWarning, module=r"transformers\.modeling_utils")
        yield


def apply_lora(model, settings: LoraSettings):
    """Wrap ``model`` in a peft LoRA model on the modules chosen by ``settings.targets``."""
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                     target_modules=lora_target_modules(model, settings.targets), bias="none")
    with checkpointing_alias_warning_ignored():  # peft's PeftModel.__init__ reads the deprecated alias
        return get_peft_model(model, cfg)


def freeze_vision_tower(model) -> int:
    """Freeze the vision encoder (not the projector/merger); returns the number of frozen parameters."""
    frozen = 0
    for name, p in model.named_parameters():
        if (".visual." in f".{name}" or name.startswith("visual")) and ".merger." not in name:
            p.requires_grad_(False)
            frozen += p.numel()
    return frozen


_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
           "float16": "float16", "fp16": "float16"}


def resolve_dtype(name: str):
    """``"auto"`` → bfloat16 on CUDA, float32 on CPU; otherwise the named torch dtype."""
    import torch

    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    if name not in _DTYPES:
        raise ConfigError(f"model.dtype: expected auto, float32, bfloat16 or float16, found {name!r}")
    return getattr(torch, _DTYPES[name])


@dataclass
class Policy:
    """A loaded policy: the model, its processor, and where it came from."""

    model: Any
    processor: Any
    path: Path

    @property
    def suppress_tokens(self) -> list[int]:
        return vision_token_ids(self.processor)


def load_policy(path: str | Path, *, dtype: str = "auto", lora: LoraSettings | None = None,
                freeze_vision: bool = False, min_pixels: int | None = None, max_pixels: int | None = None,
                attn_implementation: str | None = None) -> Policy:
    """Load a local Hugging Face VLM directory (Qwen2.5-VL first) with its processor.

    ``lora`` wraps it with peft adapters; ``freeze_vision`` freezes the vision tower (the projector stays
    trainable).
    """
    path = Path(path)
    if not (path / "config.json").is_file():
        raise ConfigError(f"model.path: {path} is not a model directory (no config.json)")
    from transformers import AutoModelForImageTextToText

    kwargs: dict[str, Any] = {"dtype": resolve_dtype(dtype)}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    model = AutoModelForImageTextToText.from_pretrained(str(path), **kwargs)
    processor = load_processor(path, min_pixels=min_pixels, max_pixels=max_pixels)
    if freeze_vision:
        freeze_vision_tower(model)
    if lora is not None:
        model = apply_lora(model, lora)
    return Policy(model=model, processor=processor, path=path)


@dataclass(frozen=True)
class PolicyInfo:
    """A short description of a model directory for reports."""

    path: str
    architecture: str
    parameters: int
    trainable: int
    extra: dict = field(default_factory=dict)


def describe(model, path: str | Path = "") -> PolicyInfo:
    """Parameter counts and architecture of a loaded model."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return PolicyInfo(path=str(path), architecture=type(model).__name__, parameters=total, trainable=trainable)
