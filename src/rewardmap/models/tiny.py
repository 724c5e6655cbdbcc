"""The tiny offline Qwen2.5-VL (random weights, locally trained BPE tokenizer): what the CPU recipes, the demo and
the tests train and evaluate. Built once into a directory loadable with ``from_pretrained`` (engine-notes Q1).

Importing this module does not import torch or transformers.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from pathlib import Path

from rewardmap.models.processor import (
    QWEN2_VL_CHAT_TEMPLATE,
    QWEN_SPECIAL_TOKENS,
    image_only_processor_class,
    vision_token_ids,
)


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
