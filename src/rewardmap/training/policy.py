"""Policies: load a local Hugging Face VLM (optionally with LoRA), and build the tiny offline Qwen2.5-VL.

Two traps of this stack are handled here (``spec/engine-notes.md``):

* transformers' stock ``Qwen2_5_VLProcessor`` cannot be constructed without torchvision (its video processor is
  type-checked against a class that only exists when torchvision imports). :class:`Qwen25VLImageOnlyProcessor` is an
  image-only subclass; :func:`register_processor` registers it with ``AutoProcessor`` — unregistered,
  ``AutoProcessor.from_pretrained`` silently returns the bare tokenizer and TRL would treat the model as text-only.
* a sampled ``<|image_pad|>`` inside a completion crashes the log-prob pass (image features vs image tokens
  mismatch). :func:`vision_token_ids` lists the ids to suppress; the tiny model also stores them as
  ``suppress_tokens`` in its ``generation_config.json`` so any ``generate()`` call avoids them.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError

#: Qwen2-VL special tokens, in the order they get ids 0..7 in the tiny tokenizer.
QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>",
)
#: Tokens that must never be sampled in a completion.
VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>")
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."

#: Qwen2-VL's chat template (system prompt default, image/video placeholders, generation prompt), written for
#: content given either as a string or as a list of ``{"type": "image"|"text", ...}`` parts.
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def image_only_processor_class():
    """The :class:`~rewardmap.training.qwen_processor.Qwen25VLImageOnlyProcessor` class (imported lazily so this
    module stays importable without transformers)."""
    from rewardmap.training.qwen_processor import Qwen25VLImageOnlyProcessor

    return Qwen25VLImageOnlyProcessor


def register_processor() -> None:
    """Register :class:`Qwen25VLImageOnlyProcessor` with ``AutoProcessor`` for Qwen2.5-VL configs (idempotent).

    Also makes the class findable by name, so a saved ``processor_config.json`` naming it reloads through
    ``AutoProcessor.from_pretrained``.
    """
    import transformers
    from transformers import AutoProcessor, Qwen2_5_VLConfig

    cls = image_only_processor_class()
    AutoProcessor.register(Qwen2_5_VLConfig, cls, exist_ok=True)
    if not hasattr(transformers, cls.__name__):
        setattr(transformers, cls.__name__, cls)


def _torchvision_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torchvision") is not None


def load_processor(path: str | Path, *, min_pixels: int | None = None, max_pixels: int | None = None):
    """Load the processor of a local model directory.

    Qwen2.5-VL models get :class:`Qwen25VLImageOnlyProcessor` unless torchvision is importable (GPU boxes), where
    the stock processor is used. Other architectures go through ``AutoProcessor``. ``min_pixels`` /
    ``max_pixels`` override the image processor's budget (TRL has no such knob).
    """
    from transformers import AutoConfig, AutoProcessor

    path = str(path)
    config = AutoConfig.from_pretrained(path)
    register_processor()
    if config.model_type in ("qwen2_5_vl", "qwen2_vl") and not _torchvision_available():
        processor = image_only_processor_class().from_pretrained(path)
    else:
        processor = AutoProcessor.from_pretrained(path)
    tok = getattr(processor, "tokenizer", None)
    if tok is not None:
        # TRL pads prompt ids on the left but lets the processor pad mm_token_type_ids with the tokenizer's own
        # side: a right-padding tokenizer misaligns them (Qwen2.5-VL rope index crash on prompts of unequal length)
        tok.padding_side = "left"
    ip = getattr(processor, "image_processor", None)
    if ip is not None and (min_pixels is not None or max_pixels is not None):
        # the budget lives in ``size`` (shortest_edge = min pixels, longest_edge = max pixels); the legacy
        # min_pixels/max_pixels attributes would be passed on every call (deprecated, FutureWarning)
        size = dict(getattr(ip, "size", None) or {})
        if min_pixels is not None:
            size["shortest_edge"] = int(min_pixels)
        if max_pixels is not None:
            size["longest_edge"] = int(max_pixels)
        ip.size = size
        for name in ("min_pixels", "max_pixels"):
            if getattr(ip, name, None) is not None:
                setattr(ip, name, None)
    return processor


def vision_token_ids(processor_or_tokenizer) -> list[int]:
    """Ids of the vision special tokens present in the vocabulary (to pass as ``suppress_tokens``)."""
    tok = getattr(processor_or_tokenizer, "tokenizer", processor_or_tokenizer)
    vocab = tok.get_vocab()
    return sorted(vocab[t] for t in VISION_TOKENS if t in vocab)


# ----------------------------------------------------------------------------------------------------------------
# LoRA and loading


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapter settings (peft).

    The paper's SFT baseline puts LoRA "on the language blocks and the text-vision projector" (paper-spec §5.1);
    the released LLaMA-Factory yaml uses rank 8 on all linear layers (§5.2). ``targets="language+projector"``
    follows the paper; ``"all-linear"`` the yaml.
    """

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    targets: str = "language+projector"  # or "all-linear", "language"

    def __post_init__(self) -> None:
        if self.targets not in ("language+projector", "language", "all-linear"):
            raise ConfigError(f"lora.targets: expected language+projector, language or all-linear, "
                              f"found {self.targets!r}")
        if self.rank <= 0:
            raise ConfigError(f"lora.rank: expected a positive integer, found {self.rank}")


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


def apply_lora(model, settings: LoraSettings):
    """Wrap ``model`` in a peft LoRA model on the modules chosen by ``settings.targets``."""
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                     target_modules=lora_target_modules(model, settings.targets), bias="none")
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


# ----------------------------------------------------------------------------------------------------------------
# The tiny offline Qwen2.5-VL


@dataclass(frozen=True)
class TinyPolicySpec:
    """Shape of the tiny offline Qwen2.5-VL (random weights). Defaults: ~0.9 M parameters, 64 image tokens at
    224 px — GRPO steps take a fraction of a second on a CPU core (engine-notes Q1)."""

    vocab_size: int = 2048
    hidden_size: int = 128
    intermediate_size: int = 256
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    vision_hidden_size: int = 64
    vision_depth: int = 2
    vision_heads: int = 2
    min_pixels: int = 56 * 56
    max_pixels: int = 224 * 224
    seed: int = 0
    pad_vocab_to: int | None = None  # embedding rows (e.g. 151,936 as Qwen2.5-VL) for honest memory figures
    format_version: int = 1

    @property
    def mrope_section(self) -> list[int]:
        """mrope sections must sum to head_dim / 2."""
        half = self.hidden_size // self.num_heads // 2
        t = half // 4
        h = (half - t) // 2
        return [t, h, half - t - h]


def tiny_corpus(extra: list[str] | None = None, seed: int = 0) -> list[str]:
    """The text the tiny tokenizer's BPE is trained on: the task templates' wording, answer formats, digits and a
    spread of station-like names. Deterministic for a seed."""
    rng = random.Random(seed)
    lines = [
        'Please solve the problem and put your answer in one "\\boxed{}".',
        'Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{}".',
        'Please solve the problem and put your answer (only answer yes or no) in one "\\boxed{}".',
        "According to the subway map, how many intermediate stops are there between A and B (except for this two stops)?",
        "According to the subway map, how many lines pass through this station?",
        "According to the subway map, how many subway (metro) lines are there in total?",
        "According to the subway map, is it true that A is the same line as B?",
        "According to the subway map, is it true that A is on the line Line 1?",
        "According to the subway map, how do I get from A to B? Provide only one optimal route, with only the line "
        "name and the departure and arrival stations. The format should be:",
        "Route Name: Line 1\nDeparture Stop: Central Station\nArrival Stop: Harbour Station\n--",
        "Number of Via Stops: 3\nVia Stops: North, Park, Market",
        "Where each section of the route is separated by two '-'. And if the answer is a direct route without "
        "transfers, there is no need to split the section.",
        "The answer is \\boxed{yes}. The answer is \\boxed{no}. The answer is \\boxed{A} \\boxed{B} \\boxed{C} \\boxed{D}",
        "You are a helpful assistant.", "A) 1 \nB) 2 \nC) 3 \nD) 4 \n",
    ]
    syll = ["ka", "to", "ri", "na", "mo", "se", "lu", "ba", "de", "fi", "go", "ha", "ji", "ve", "wo", "zu", "an", "el",
            "or", "un", "st", "gr", "br", "ch", "th"]
    words = ["Station", "Park", "Bridge", "Market", "Harbour", "Central", "North", "South", "East", "West", "Square",
             "Road", "Gate", "Hill", "Airport", "University", "Line", "Route", "Metro", "站", "路", "号线"]
    for _ in range(600):
        name = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4))).capitalize()
        lines.append(f"{name} {rng.choice(words)} Line {rng.randint(1, 12)} {rng.randint(0, 40)} \\boxed{{{rng.randint(0, 9)}}}")
    lines.extend(str(i) for i in range(100))
    lines.extend(extra or [])
    return lines


def _train_tokenizer(spec: TinyPolicySpec, corpus: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=spec.vocab_size, special_tokens=list(QWEN_SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=list(QWEN_SPECIAL_TOKENS[1:]),
                                   model_max_length=32768, padding_side="left")
    fast.chat_template = QWEN2_VL_CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_tiny_qwen25vl(out_dir: str | Path, spec: TinyPolicySpec | None = None, *, corpus: list[str] | None = None,
                        force: bool = False) -> Path:
    """Build (or reuse) the tiny offline Qwen2.5-VL in ``out_dir`` and return its path.

    Writes a locally trained byte-level BPE tokenizer with Qwen's special tokens and chat template, a
    ``Qwen2VLImageProcessorPil`` (no torchvision), the image-only processor, and a randomly initialised
    ``Qwen2_5_VLForConditionalGeneration`` (seeded) — all loadable with ``from_pretrained``. The directory is a
    cache keyed by ``spec`` (``tiny_spec.json``): an existing build with the same spec is returned untouched.
    """
    spec = spec or TinyPolicySpec()
    out = Path(out_dir)
    marker = out / "tiny_spec.json"
    wanted = dataclasses.asdict(spec)
    if not force and marker.is_file() and (out / "model.safetensors").is_file():
        try:
            if json.loads(marker.read_text()) == wanted:
                return out
        except json.JSONDecodeError:
            pass
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer(spec, tiny_corpus() if corpus is None else corpus)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL_TOKENS}
    image_processor = Qwen2VLImageProcessorPil(min_pixels=spec.min_pixels, max_pixels=spec.max_pixels)
    processor = image_only_processor_class()(image_processor=image_processor, tokenizer=tokenizer,
                                             chat_template=QWEN2_VL_CHAT_TEMPLATE)
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": max(len(tokenizer), spec.pad_vocab_to or 0), "hidden_size": spec.hidden_size,
            "intermediate_size": spec.intermediate_size, "num_hidden_layers": spec.num_layers,
            "num_attention_heads": spec.num_heads, "num_key_value_heads": spec.num_kv_heads,
            "max_position_embeddings": 4096, "max_window_layers": spec.num_layers,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": spec.mrope_section},
            "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"], "tie_word_embeddings": True,
        },
        vision_config={
            "depth": spec.vision_depth, "hidden_size": spec.vision_hidden_size,
            "intermediate_size": spec.vision_hidden_size * 2, "num_heads": spec.vision_heads,
            "out_hidden_size": spec.hidden_size, "fullatt_block_indexes": [spec.vision_depth - 1],
            "window_size": 112,
        },
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )
    torch.manual_seed(spec.seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    gen = model.generation_config
    gen.eos_token_id = ids["<|im_end|>"]
    gen.pad_token_id = ids["<|endoftext|>"]
    gen.bos_token_id = ids["<|endoftext|>"]
    gen.suppress_tokens = vision_token_ids(tokenizer)
    model.save_pretrained(str(out))
    processor.save_pretrained(str(out))
    marker.write_text(json.dumps(wanted, indent=2, sort_keys=True))
    return out


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
