"""Processors of local VLMs: the image-only Qwen2.5-VL processor (no torchvision) and :func:`load_processor`.

Two traps of this stack are handled here (``spec/engine-notes.md``):

* transformers' stock ``Qwen2_5_VLProcessor`` cannot be constructed without torchvision (its video processor is
  type-checked against a class that only exists when torchvision imports). :class:`Qwen25VLImageOnlyProcessor` is an
  image-only subclass; :func:`register_processor` registers it with ``AutoProcessor`` — unregistered,
  ``AutoProcessor.from_pretrained`` silently returns the bare tokenizer and TRL would treat the model as text-only.
* a sampled ``<|image_pad|>`` inside a completion crashes the log-prob pass (image features vs image tokens
  mismatch). :func:`vision_token_ids` lists the ids to suppress.

Importing this module does not import transformers (each function imports it when called).
"""

from __future__ import annotations

from pathlib import Path

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
    """The :class:`~rewardmap.models.qwen_processor.Qwen25VLImageOnlyProcessor` class (imported lazily so this
    module stays importable without transformers)."""
    from rewardmap.models.qwen_processor import Qwen25VLImageOnlyProcessor

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
